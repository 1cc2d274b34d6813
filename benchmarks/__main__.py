"""``python -m benchmarks [--quick] [--only N ...]``: every benchmark, one markdown table.

The full run also writes ``benchmarks/results.md`` with the machine it ran on. ``--quick``
runs a small version of each (for CI: it checks that the benchmarks work, not how fast).
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import sys
import time
import traceback

from benchmarks._common import ROOT, Row, table
from benchmarks.machine import describe

#: (number, module): the order of the issue's list.
BENCHMARKS = (
    (1, "llm_build"),
    (2, "imports"),
    (3, "converse_calls"),
    (4, "streams"),
    (5, "cold_start"),
    (6, "threads"),
    (7, "refresh"),
    (8, "sts_dedup"),
    (9, "emulator_fixture"),
)


def _run_one(number: int, module: str, quick: bool) -> tuple[list[Row], bool]:
    started = time.perf_counter()
    print(f"[{number}] {module} ...", file=sys.stderr, flush=True)
    try:
        rows: list[Row] = importlib.import_module(f"benchmarks.{module}").run(quick)
    except Exception:
        traceback.print_exc()
        return [Row(f"{number}. {module}", "crashed", "—", "—", "—", "—", False)], False
    print(f"[{number}] done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return rows, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small version of each")
    parser.add_argument("--only", type=int, nargs="+", help="run only these benchmark numbers")
    args = parser.parse_args(argv)
    # Fresh-process rows (import, cold start) must not pay for compiling our modules: pip
    # compiles an installed wheel, but a checkout under PYTHONDONTWRITEBYTECODE=1 never
    # writes its .pyc files and would recompile them in every child.
    compileall.compile_dir(str(ROOT / "bedrock_auth"), quiet=1)
    started = time.perf_counter()
    rows: list[Row] = []
    ok = True
    for number, module in BENCHMARKS:
        if args.only and number not in args.only:
            continue
        more, worked = _run_one(number, module, args.quick)
        rows += more
        ok &= worked
    elapsed = time.perf_counter() - started
    result = table(rows)
    print(result)
    print(f"\n{'quick' if args.quick else 'full'} run: {elapsed:.0f} s")
    if not args.quick and not args.only:
        (ROOT / "benchmarks" / "results.md").write_text(
            f"# Benchmark results\n\n{describe(elapsed)}\n\n{result}\n", encoding="utf-8"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
