"""2. Import cost: `import bedrock_auth` against `import boto3`, each in a fresh interpreter.

Runs alternate between the two modules (ABBA), so a slow moment of the machine falls on both.
"""

from __future__ import annotations

from benchmarks._common import Row, clean_env, interleaved, ms, ratio_row, run_child

CHILD = (
    "import json, sys, time; t = time.perf_counter(); __import__(sys.argv[1]); "
    "print(json.dumps(time.perf_counter() - t))"
)


def import_seconds(module: str, env: dict[str, str]) -> float:
    """Wall time of ``import module`` in a fresh interpreter (its startup not counted)."""
    return float(run_child(CHILD, [module], env))


def run(quick: bool) -> list[Row]:
    env = clean_env({})
    ours, theirs = interleaved(
        lambda: import_seconds("bedrock_auth", env),
        lambda: import_seconds("boto3", env),
        3 if quick else 11,
    )
    return [ratio_row("2. import bedrock_auth vs import boto3", ours, theirs, ms, "<= 1.05x", 1.05)]
