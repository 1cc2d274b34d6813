"""The benchmarks stay importable and working: one quick benchmark, in process.

Timing is never asserted (CI runs ``python -m benchmarks --quick`` for all nine); this checks
the shared machinery (emulator environment, server-side counting, rows, table) end to end.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # plain `pytest` does not put the project root on sys.path
    sys.path.insert(0, str(ROOT))

from benchmarks import sts_dedup  # noqa: E402
from benchmarks.__main__ import BENCHMARKS  # noqa: E402
from benchmarks._common import HEADER, table  # noqa: E402


def test_sts_dedup_counts_on_the_server_and_restores_the_environment() -> None:
    before = dict(os.environ)
    rows = sts_dedup.run(quick=True)
    assert os.environ == before
    assert [row.benchmark.split(":")[1].strip() for row in rows] == [
        "GetCallerIdentity",
        "GetCallerIdentity",
        "AssumeRole",
    ]
    assert rows[0].ours == rows[1].ours == "1"  # the identity cache is single-flight
    assert rows[2].ours == "1"  # one shared role credential for the ten managers
    lines = table(rows).splitlines()
    assert lines[0] == "| " + " | ".join(HEADER) + " |" and len(lines) == 2 + len(rows)


def test_every_benchmark_module_has_a_run_function() -> None:
    import importlib

    assert [number for number, _ in BENCHMARKS] == list(range(1, 10))
    for _, module in BENCHMARKS:
        assert callable(importlib.import_module(f"benchmarks.{module}").run)
