"""6. Threads sharing one manager against threads sharing one raw boto3 client.

For 1, 4, 16 and 64 threads, each thread makes its share of Converse calls at once (a
barrier starts them together): ours through ``converse()`` on the process-wide manager,
theirs through one ``boto3.client("bedrock-runtime")`` with botocore's defaults. The emulator
runs in a process of its own: in this one, its handler threads (one per open connection)
would compete for the GIL with the threads measured, and the side that opens more
connections would pay for the server's work too. Throughput
is calls per second of wall time, each round keeping each side's best of five alternating
batches; urllib3's "Connection pool is full" warnings are counted by a handler on its logger.

A control row runs the same measurement on two raw clients (no bedrock_auth on either side):
its spread is what this machine's noise alone does to a ratio, the yardstick for reading the
rows above it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks._common import (
    MODEL,
    PoolFullCounter,
    Row,
    best_of,
    offline_process,
    per_s,
    ratio_row,
    rounds_of,
)

MESSAGES = [{"role": "user", "content": [{"text": "Say hi"}]}]
LEVELS = (1, 4, 16, 64)
#: Alternating batches per round, each side keeping its best: more batches, more chances for
#: both sides to meet a quiet moment of a shared machine (three left the 1- and 4-thread
#: ratios moving by +/-10% from round to round).
BATCHES = 5
#: The thread count of the control row: the level where the measured rows sit closest to
#: their target.
CONTROL_THREADS = 4


def _throughput(
    call: Callable[[], Any], threads: int, calls: int, counter: PoolFullCounter
) -> float:
    each = max(1, calls // threads)
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(each):
            call()

    with counter.attached(), ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(worker) for _ in range(threads)]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - started
    return each * threads / elapsed


def _level(
    ours: Callable[[], Any],
    theirs: Callable[[], Any],
    threads: int,
    calls: int,
    rounds: int,
    label: str = "one manager vs one raw client",
) -> Row:
    warned_ours, warned_theirs = PoolFullCounter(), PoolFullCounter()
    a, b = rounds_of(
        best_of(
            lambda: _throughput(ours, threads, calls, warned_ours),
            lambda: _throughput(theirs, threads, calls, warned_theirs),
            BATCHES,
            max,
        ),
        rounds,
    )
    row = ratio_row(
        f"6. {threads} threads, {label}: calls/s",
        a,
        b,
        per_s,
        ">= 0.97x raw, 0 pool-full warnings",
        0.97,
        at_least=True,
    )
    return Row(
        row.benchmark,
        f"{row.ours}, {warned_ours.count} warnings",
        f"{row.theirs}, {warned_theirs.count} warnings",
        row.ratio,
        row.spread,
        row.target,
        bool(row.met) and warned_ours.count == 0,
    )


def run(quick: bool) -> list[Row]:
    import boto3

    from bedrock_auth import converse

    calls, rounds = (128, 1) if quick else (256, 10)
    rows = []
    with offline_process():
        raw, other_raw = boto3.client("bedrock-runtime"), boto3.client("bedrock-runtime")

        def ours() -> Any:
            return converse(MODEL, "Say hi")

        def theirs() -> Any:
            return raw.converse(modelId=MODEL, messages=MESSAGES)

        def control() -> Any:
            return other_raw.converse(modelId=MODEL, messages=MESSAGES)

        ours(), theirs(), control()  # warm-up
        for threads in LEVELS:
            rows.append(_level(ours, theirs, threads, calls, rounds))
        noise = _level(control, theirs, CONTROL_THREADS, calls, rounds, "control: raw vs raw")
        rows.append(dataclasses.replace(noise, target="— (noise floor)", met=None))
    return rows
