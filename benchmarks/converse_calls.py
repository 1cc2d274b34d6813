"""3. Per-call overhead: `converse()` through the helpers against raw boto3 on one emulator.

Ours calls ``converse(model, prompt)`` with no ``manager=``, so the default-manager lookup is
part of every call, as in user code. Theirs is ``boto3.client("bedrock-runtime").converse``
with the same request. Both reuse one kept-alive connection. Each round alternates ten
batches per side and keeps each side's best (wall time per call).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks._common import MODEL, Row, best_of, offline, ratio_row, rounds_of, timed, us

MESSAGES = [{"role": "user", "content": [{"text": "Say hi"}]}]


def _per_call(call: Callable[[], Any], n: int) -> float:
    return timed(lambda: [call() for _ in range(n)]) / n


def run(quick: bool) -> list[Row]:
    import boto3

    from bedrock_auth import converse

    n, rounds = (200, 3) if quick else (1000, 10)
    with offline():
        raw = boto3.client("bedrock-runtime")

        def ours() -> Any:
            return converse(MODEL, "Say hi")

        def theirs() -> Any:
            return raw.converse(modelId=MODEL, messages=MESSAGES)

        ours(), theirs()  # warm-up: manager, clients, connections
        batch = n // 10  # each round: ten alternating batches per side, the best kept
        a, b = rounds_of(
            best_of(lambda: _per_call(ours, batch), lambda: _per_call(theirs, batch), 10), rounds
        )
    return [ratio_row(f"3. {n} converse() vs raw boto3: time per call", a, b, us, "<= 1.03x", 1.03)]
