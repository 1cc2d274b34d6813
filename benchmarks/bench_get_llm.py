"""100 `get_llm()` models against 100 plain `ChatBedrockConverse` models, in one run.

Each side runs in its own fresh subprocess with the same environment (env keys set, endpoints
pointing at the local emulator so STS validation is real), and reports wall time and RSS
growth for building 100 models. Run:

    python benchmarks/bench_get_llm.py [--models 100]

The target: get_llm at most 1% of the time and 5% of the RSS growth of plain langchain-aws.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"

CHILD = r"""
import json, os, sys, time

def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

side, n, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import langchain_aws, bedrock_auth, bedrock_auth.llm  # imports are not what is measured
from langchain_aws import ChatBedrockConverse
from bedrock_auth import get_llm, get_manager
import boto3

def build():
    if side == "bedrock_auth":
        return get_llm(model)
    if side == "boto3":
        return boto3.session.Session().client("bedrock-runtime")
    return ChatBedrockConverse(model=model, region_name=os.environ["AWS_REGION"])

if side == "bedrock_auth":
    get_manager()  # one validated manager per process, as in an app
build()  # warm-up: loads model classes and botocore's service data once
before, start = rss(), time.perf_counter()
models = []
for _ in range(n):
    models.append(build())
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rss_bytes": max(rss() - before, 0)}))
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


def main() -> None:
    from bedrock_auth.testing import BedrockEmulator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    args = parser.parse_args()
    with BedrockEmulator() as emu:
        env = {**os.environ, **emu.env(), "AWS_EC2_METADATA_DISABLED": "true"}
        plain = _run("langchain_aws", args.models, env)
        boto = _run("boto3", args.models, env)
        ours = _run("bedrock_auth", args.models, env)
    time_ratio = ours["seconds"] / plain["seconds"]
    rss_ratio = ours["rss_bytes"] / plain["rss_bytes"] if plain["rss_bytes"] else 0.0
    print(f"{args.models} models, model id {MODEL}")
    for label, result in (
        ("plain ChatBedrockConverse", plain),
        ("raw boto3 Session+client", boto),
        ("get_llm", ours),
    ):
        print(
            f"  {label:<26} {result['seconds'] * 1000:9.1f} ms  "
            f"RSS +{result['rss_bytes'] / 2**20:7.1f} MiB"
        )
    print(
        f"  ratio get_llm/plain: time {time_ratio:.2%}, RSS growth {rss_ratio:.2%} "
        "(targets: <= 1%, <= 5%)"
    )


if __name__ == "__main__":
    main()
