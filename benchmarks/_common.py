"""What every benchmark shares: the result row, interleaved rounds, the offline environment.

Every benchmark compares "ours" (bedrock_auth) with "theirs" (raw boto3, plain langchain-aws,
moto, or the expected count) in the same run, alternating the two sides round by round so a
machine that slows down during the run slows both. A row reports medians of both sides, the
median ratio ours/theirs, and the spread of that ratio over the rounds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The model every benchmark calls: it runs on demand in the emulator's default region.
MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Row:
    """One line of the results table; ``met`` is None where there is no target."""

    benchmark: str
    ours: str
    theirs: str
    ratio: str
    spread: str
    target: str
    met: bool | None

    def cells(self) -> list[str]:
        met = "—" if self.met is None else ("yes" if self.met else "**no**")
        return [self.benchmark, self.ours, self.theirs, self.ratio, self.spread, self.target, met]


HEADER = ["benchmark", "ours", "theirs", "ratio", "spread (median/min/max)", "target", "met?"]


def table(rows: Sequence[Row]) -> str:
    """The markdown table of ``rows``."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def spread(values: Sequence[float]) -> str:
    """median/min/max of the per-round ratios ``values``."""
    if not values:
        return "—"
    parts = (statistics.median(values), min(values), max(values))
    return "/".join(_ratio(v) for v in parts)


def ratio_row(
    name: str,
    ours: Sequence[float],
    theirs: Sequence[float],
    fmt: Callable[[float], str],
    target: str,
    limit: float,
    *,
    at_least: bool = False,
) -> Row:
    """A row comparing per-round values; ratios are taken round by round (same conditions)."""
    ratios = [o / t for o, t in zip(ours, theirs, strict=True) if t]
    median = statistics.median(ratios) if ratios else float("nan")
    met = median >= limit if at_least else median <= limit
    return Row(
        name,
        fmt(statistics.median(ours)),
        fmt(statistics.median(theirs)),
        _ratio(median),
        spread(ratios),
        target,
        met,
    )


def _ratio(value: float) -> str:
    """A ratio as a multiple, or as a percentage where it is tiny (0.04% reads better)."""
    if value < 0.1:
        return f"{value:.3%}"
    return f"{value:.3g}x" if value < 100 else f"{value:.0f}x"


def interleaved(
    ours: Callable[[], float], theirs: Callable[[], float], rounds: int
) -> tuple[list[float], list[float]]:
    """``rounds`` measurements of each side, alternating which side goes first (ABBA), so
    warm-up and drift fall on both sides alike."""
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        if i % 2:
            b.append(theirs())
            a.append(ours())
        else:
            a.append(ours())
            b.append(theirs())
    return a, b


def best_of(
    ours: Callable[[], float],
    theirs: Callable[[], float],
    batches: int,
    best: Callable[[list[float]], float] = min,
) -> Callable[[], tuple[float, float]]:
    """One round: ``batches`` alternating measurements of each side, keeping each side's
    best (``min`` for a time, ``max`` for a rate). On a shared machine other work only ever
    adds time, so the best batch is the closest to the code's own cost."""

    def round_() -> tuple[float, float]:
        a, b = interleaved(ours, theirs, batches)
        return best(a), best(b)

    return round_


def rounds_of(
    round_: Callable[[], tuple[float, float]], rounds: int
) -> tuple[list[float], list[float]]:
    """``rounds`` results of ``round_`` (see :func:`best_of`), as two lists."""
    results = [round_() for _ in range(rounds)]
    return [a for a, _ in results], [b for _, b in results]


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def mib(size: float) -> str:
    return f"{size / 2**20:.2f} MiB"


def kib(size: float) -> str:
    return f"{size / 2**10:.1f} KiB"


def per_s(rate: float) -> str:
    return f"{rate:,.0f}/s"


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# -- the offline environment ---------------------------------------------------------------


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The current environment without AWS_*/BEDROCK_* variables or ~/.aws, plus ``extra``.

    A developer's profile, region or keys must not leak into a measurement.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BEDROCK_"))}
    empty = Path(tempfile.gettempdir()) / "bedrock-auth-bench-no-aws"
    env.update(
        {
            "AWS_CONFIG_FILE": str(empty / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def _pointed_at(exported: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` holding only ``exported`` over the clean environment (restored
    afterwards), bedrock_auth's process-wide caches emptied on the way in and out."""
    import bedrock_auth

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(clean_env(exported))
    bedrock_auth.reset()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        bedrock_auth.reset()


@contextlib.contextmanager
def offline(**emulator_options: Any) -> Iterator[Any]:
    """A running emulator, with ``os.environ`` pointing every AWS endpoint at it (restored
    afterwards) and bedrock_auth's process-wide caches emptied on the way in and out."""
    from bedrock_auth.testing import BedrockEmulator

    with BedrockEmulator(**emulator_options) as emu, _pointed_at(emu.env()):
        yield emu


@contextlib.contextmanager
def offline_process() -> Iterator[dict[str, str]]:
    """Like :func:`offline`, but the emulator runs in a process of its own
    (``python -m bedrock_auth emulator``): its request handling then does not take this
    process's GIL from the threads being measured, as real Bedrock, on another machine, does
    not. Yields the environment its export lines give."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bedrock_auth", "emulator", "--port", "0"],
        env=clean_env({}),
        stdout=subprocess.PIPE,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    try:
        exported: dict[str, str] = {}
        assert server.stdout is not None
        for line in server.stdout:  # the export lines end with the "# Ctrl-C" line
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                exported[name] = value
            elif line.startswith("# Ctrl-C"):
                break
        else:
            raise RuntimeError(f"the emulator exited with {server.wait()} before it listened")
        with _pointed_at(exported):
            yield exported
    finally:
        server.terminate()
        server.wait(timeout=60)


def run_child(code: str, args: Sequence[str], env: Mapping[str, str]) -> Any:
    """Run ``code`` in a fresh interpreter (``sys.executable``); its last stdout line is JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),  # no project .env is read
    )
    if out.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class PoolFullCounter(logging.Handler):
    """Counts urllib3's "Connection pool is full, discarding connection" warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "pool is full" in record.getMessage():
            self.count += 1

    @contextlib.contextmanager
    def attached(self) -> Iterator[PoolFullCounter]:
        logger = logging.getLogger("urllib3.connectionpool")
        logger.addHandler(self)
        try:
            yield self
        finally:
            logger.removeHandler(self)
