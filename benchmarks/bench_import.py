"""Import cost of `bedrock_auth` next to `boto3` and `langchain_aws`, in one run.

Each import runs in a fresh interpreter, repeated, and the median wall time is reported.

    python benchmarks/bench_import.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CHILD = (
    "import time, sys; t = time.perf_counter(); __import__(sys.argv[1]); "
    "print(time.perf_counter() - t)"
)


def median_seconds(module: str, repeat: int) -> float:
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", CHILD, module], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeat)
    ]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = {
        m: median_seconds(m, args.repeat) for m in ("boto3", "bedrock_auth", "langchain_aws")
    }
    for module, seconds in results.items():
        print(f"  import {module:<14} {seconds * 1000:7.1f} ms")
    print(f"  ratio bedrock_auth/boto3: {results['bedrock_auth'] / results['boto3']:.2f}x")


if __name__ == "__main__":
    main()
