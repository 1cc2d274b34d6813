"""Concurrent async calls: `get_llm().ainvoke` and `aconverse` against plain langchain-aws.

The local emulator answers every call after a scripted delay (default 0.5 s). For each
concurrency level, each side runs in its own fresh subprocess with the same environment (env
keys, endpoints pointing at the emulator), makes one warm-up call, then N calls at once with
`asyncio.gather` while a ticker task measures how late the event loop wakes up (its lag). Run:

    python benchmarks/bench_async.py [--calls 1 16 64 256] [--delay 0.5]

It prints a markdown table: wall time and worst loop lag per side, and the time ratio of
`get_llm().ainvoke` to plain `ChatBedrockConverse.ainvoke`, which runs the blocking call in the
event loop's default executor (`min(32, cpus + 4)` threads).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

MODEL = "us.amazon.nova-lite-v1:0"

SIDES = {
    "get_llm().ainvoke": "ours",
    "aconverse": "aconverse",
    "ChatBedrockConverse.ainvoke": "plain",
}

CHILD = r"""
import asyncio, json, os, sys, time

side, n, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
from bedrock_auth import aconverse, get_llm, get_manager
from langchain_aws import ChatBedrockConverse

if side == "plain":
    llm = ChatBedrockConverse(model=model, region_name=os.environ["AWS_REGION"])
    call = lambda i: llm.ainvoke(f"call {i}")
elif side == "ours":
    llm = get_llm(model)
    call = lambda i: llm.ainvoke(f"call {i}")
else:
    manager = get_manager()
    call = lambda i: aconverse(model, f"call {i}", manager=manager)

async def measure():
    await call(-1)  # warm-up: clients, connections, the executor's threads
    lags, done = [], asyncio.Event()

    async def tick():
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    started = time.perf_counter()
    await asyncio.gather(*(call(i) for i in range(n)))
    seconds = time.perf_counter() - started
    done.set()
    await ticker
    return {"seconds": seconds, "lag": max(lags, default=0.0)}

print(json.dumps(asyncio.run(measure())))
"""


def _run(side: str, n: int, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, side, str(n), MODEL],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _cell(result: dict[str, float]) -> str:
    return f"{result['seconds']:.2f} s / {result['lag'] * 1000:.0f} ms"


def main() -> None:
    from bedrock_auth.testing import BedrockEmulator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--delay", type=float, default=0.5)
    args = parser.parse_args()
    header = " | ".join(f"{label} (time / lag)" for label in SIDES)
    print(f"{args.delay} s per call, model {MODEL}, {os.cpu_count()} CPUs\n")
    print(f"| calls | {header} | time ours/plain |")
    print("|---:|" + "---:|" * (len(SIDES) + 1))
    with BedrockEmulator() as emu:
        emu.fail(None, delay=args.delay, times=None)
        env = {**os.environ, **emu.env(), "AWS_EC2_METADATA_DISABLED": "true"}
        for n in args.calls:
            results = {label: _run(side, n, env) for label, side in SIDES.items()}
            ratio = (
                results["get_llm().ainvoke"]["seconds"]
                / results["ChatBedrockConverse.ainvoke"]["seconds"]
            )
            cells = " | ".join(_cell(r) for r in results.values())
            print(f"| {n} | {cells} | {ratio:.0%} |", flush=True)


if __name__ == "__main__":
    main()
