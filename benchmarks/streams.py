"""4. Streams of 1,000 / 20,000 / 100,000 deltas: time per delta and memory held, vs raw boto3.

- End to end: ``converse_stream(model, prompt)`` read to the end against the raw boto3 loop
  a user would write (``client.converse_stream(...)``, collect ``contentBlockDelta`` texts,
  join them), both on the emulator, which streams a scripted reply one word per event.
- Memory held: ``tracemalloc`` bytes still allocated once the stream is finished, with the
  stream object (ours) or the joined text (theirs) alive, in separate passes from the timing.
- The wrapper's own cost per delta, without the network: ``ConverseStream`` over a list of
  already-decoded events. Constant cost per delta means the same µs at 100,000 as at 1,000.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks._common import (
    MODEL,
    Row,
    interleaved,
    kib,
    offline,
    ratio_row,
    timed,
    us,
)

MESSAGES = [{"role": "user", "content": [{"text": "Stream"}]}]
#: What the finished stream may hold beyond raw boto3's joined text: the stream object, its
#: final values and context, whatever the number of deltas.
MEMORY_SLACK = 16 * 2**10


def _deltas(n: int) -> str:
    return "w " * n  # the emulator streams one word (with its space) per event


def _sides(emu: Any, n: int) -> tuple[Callable[[], Any], Callable[[], Any]]:
    import boto3

    from bedrock_auth import converse_stream

    raw = boto3.client("bedrock-runtime")

    def ours() -> Any:
        emu.reply(_deltas(n))
        stream = converse_stream(MODEL, "Stream")
        for _ in stream:
            pass
        return stream

    def theirs() -> Any:
        emu.reply(_deltas(n))
        reply = raw.converse_stream(modelId=MODEL, messages=MESSAGES)
        parts = []
        for event in reply["stream"]:
            if "contentBlockDelta" in event:
                parts.append(event["contentBlockDelta"]["delta"]["text"])
        return "".join(parts)

    return ours, theirs


def _held(side: Callable[[], Any]) -> int:
    """Bytes still allocated while what ``side`` returned is alive."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = side()
        time.sleep(0.05)  # the emulator's handler thread lets go of the reply it sent
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        del kept
        return held
    finally:
        tracemalloc.stop()


def _size_rows(emu: Any, n: int, rounds: int, target: bool) -> list[Row]:
    ours, theirs = _sides(emu, n)
    ours(), theirs()  # warm-up: manager, clients, connections
    a, b = interleaved(lambda: timed(ours) / n, lambda: timed(theirs) / n, rounds)
    held_ours, held_theirs = _held(ours), _held(theirs)
    name = f"4. stream of {n:,} deltas: time per delta"
    timing = ratio_row(name, a, b, us, "<= 1.1x raw", 1.1) if target else _info_row(name, a, b)
    return [
        timing,
        Row(
            f"4. stream of {n:,} deltas: memory held when finished",
            kib(held_ours),
            kib(held_theirs),
            f"{held_ours / held_theirs:.3g}x" if held_theirs > 0 else "—",
            "1 pass",
            "<= raw + 16 KiB",
            held_ours <= held_theirs + MEMORY_SLACK,
        ),
    ]


def _info_row(name: str, a: list[float], b: list[float]) -> Row:
    row = ratio_row(name, a, b, us, "—", float("inf"))
    return Row(row.benchmark, row.ours, row.theirs, row.ratio, row.spread, "—", None)


def _wrapper_cost(n: int) -> float:
    """Seconds per delta of ``ConverseStream`` itself over ``n`` decoded events (no network),
    the best of three, in CPU time."""
    return min(_wrapper_pass(n) for _ in range(3))


def _wrapper_pass(n: int) -> float:
    from bedrock_auth._translate import ErrorContext
    from bedrock_auth.invoke import ConverseStream

    events = [{"contentBlockDelta": {"delta": {"text": "w "}, "contentBlockIndex": 0}}] * n
    ctx = ErrorContext(service="bedrock-runtime", operation="ConverseStream", region="us-east-1")
    started = time.thread_time()
    for _ in ConverseStream(events, ctx):
        pass
    return (time.thread_time() - started) / n


def _wrapper_row(small: int, large: int, rounds: int) -> Row:
    a, b = interleaved(lambda: _wrapper_cost(large), lambda: _wrapper_cost(small), rounds)
    return ratio_row(
        f"4. wrapper's own cost per delta, {large:,} vs {small:,} deltas",
        a,
        b,
        lambda s: f"{s * 1e6:.2f} µs",
        "constant: <= 1.2x",
        1.2,
    )


def run(quick: bool) -> list[Row]:
    sizes = [(1000, 3), (5000, 3)] if quick else [(1000, 10), (20000, 10), (100000, 3)]
    rows: list[Row] = []
    with offline() as emu:
        for n, rounds in sizes:
            # The target is set at 20,000 deltas; the quick run's largest size stands in.
            rows += _size_rows(emu, n, rounds, target=n in (5000, 20000))
            emu.clear()
    rows.append(_wrapper_row(1000, sizes[-1][0], 5 if quick else 10))
    return rows
