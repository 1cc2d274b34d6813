"""The machine and versions a run measured, for ``benchmarks/results.md``."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _load() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def describe(elapsed: float) -> str:
    """A markdown list: date, cores, CPU, OS, Python and the versions that matter."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    packages = ("bedrock-auth", "boto3", "botocore", "langchain-aws", "urllib3", "moto")
    versions = ", ".join(f"{name} {_version(name)}" for name in packages)
    return "\n".join(
        [
            f"- date: {now}; run took {elapsed:.0f} s (`python -m benchmarks`)",
            f"- machine: {os.cpu_count()} cores, {_cpu_model()}, {platform.platform()}",
            f"- load average at the end: {_load()}",
            f"- Python {platform.python_version()} ({sys.implementation.name})",
            f"- {versions}",
        ]
    )
