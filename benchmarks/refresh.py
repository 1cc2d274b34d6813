"""7. Refresh under concurrency: 64 threads on one manager whose role credentials expire.

The emulator issues role credentials that live a few seconds; 64 threads call Converse for
several lifetimes. Counted on the server: AssumeRole calls, and the distinct role access
keys the Converse calls were signed with (the credential generations actually used). One
AssumeRole per expiry means the two match: no two threads refreshed the same expiry. A
refresh at the very end may not be used before the run stops, hence the one of slack.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks._common import MODEL, Row, offline

ROLE_ARN = "arn:aws:iam::123456789012:role/bench-refresh"
THREADS = 64


def _hammer(manager: object, seconds: float) -> tuple[int, int]:
    """(calls, errors) of 64 threads calling Converse for ``seconds``."""
    from bedrock_auth import converse

    stop = time.monotonic() + seconds
    lock = threading.Lock()
    counts = [0, 0]

    def worker() -> None:
        calls = errors = 0
        while time.monotonic() < stop:
            try:
                converse(MODEL, "Say hi", manager=manager)  # type: ignore[arg-type]
            except Exception:
                errors += 1
            calls += 1
        with lock:
            counts[0] += calls
            counts[1] += errors

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker) for _ in range(THREADS)]:
            future.result()
    return counts[0], counts[1]


def run(quick: bool) -> list[Row]:
    lifetime, seconds = (2, 4.0) if quick else (4, 14.0)
    with offline() as emu:
        emu.assume_role_duration = lifetime
        manager = emu.manager(role_arn=ROLE_ARN)
        calls, errors = _hammer(manager, seconds)
        log = emu.requests
        manager.close()
    assumed = sum(1 for r in log if r.operation == "AssumeRole")
    used = {r.access_key_id for r in log if r.operation == "Converse" and r.status == 200}
    return [
        Row(
            f"7. refresh under 64 threads, {lifetime} s role credentials, {seconds:.0f} s",
            f"{assumed} AssumeRole, {errors} errors in {calls:,} calls",
            f"{len(used)} credential generations used",
            f"{assumed / max(len(used), 1):.3g}x",
            "1 pass",
            "1 AssumeRole per expiry (<= used + 1), 0 errors",
            errors == 0 and len(used) <= assumed <= len(used) + 1,
        )
    ]
