"""8. STS de-duplication, counted on the emulator's STS (server side).

- 20 managers with the same keys, built one after another: GetCallerIdentity calls.
- 20 managers with the same keys, built from 16 threads at once (a barrier starts them).
- 10 managers for the same role on the same base keys, each making one call: AssumeRole
  calls. Managers share one refreshing role credential per (base identity, role, MFA serial,
  parameters), so this is 1.

"theirs" is what the same code costs with no de-duplication: one call per manager.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks._common import MODEL, Row, offline

ROLE_ARN = "arn:aws:iam::123456789012:role/bench-shared"


def _count(emu: Any, operation: str, build: Callable[[], None]) -> int:
    import bedrock_auth

    bedrock_auth.reset()  # no identity validated before
    emu.clear()
    build()
    return sum(1 for r in emu.requests if r.operation == operation)


def _row(name: str, count: int, naive: int) -> Row:
    ratio = f"{count / naive:.3g}x"
    return Row(name, str(count), str(naive), ratio, "1 pass", "exactly 1", count == 1)


def run(quick: bool) -> list[Row]:
    from bedrock_auth import converse

    with offline() as emu:

        def sequential() -> None:
            for _ in range(20):
                emu.manager()

        def threaded() -> None:
            barrier = threading.Barrier(16)

            def build() -> None:
                barrier.wait()
                emu.manager()

            with ThreadPoolExecutor(16) as pool:
                for future in [pool.submit(build) for _ in range(16)]:
                    future.result()
                for future in [pool.submit(emu.manager) for _ in range(4)]:
                    future.result()

        def roles() -> None:
            for _ in range(10):
                converse(MODEL, "Say hi", manager=emu.manager(role_arn=ROLE_ARN))

        seq = _count(emu, "GetCallerIdentity", sequential)
        par = _count(emu, "GetCallerIdentity", threaded)
        assumed = _count(emu, "AssumeRole", roles)
    return [
        _row("8. 20 managers, same keys, sequential: GetCallerIdentity", seq, 20),
        _row("8. 20 managers, same keys, 16 threads: GetCallerIdentity", par, 20),
        _row("8. 10 managers, same role: AssumeRole", assumed, 10),
    ]
