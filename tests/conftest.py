"""Shared fixtures: every test starts from an empty AWS environment and empty caches."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import bedrock_auth
from bedrock_auth.testing import BedrockEmulator


@pytest.fixture(autouse=True)
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No AWS_*/BEDROCK_* variables, no ~/.aws, no IMDS, no .env, and fresh library caches."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "BEDROCK_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    bedrock_auth.reset()
    before = set(os.environ)
    yield work
    # What the test added (a .env file loaded in this process, say) goes too: monkeypatch only
    # restores what it changed itself, and a module-scoped fixture of the next module would see it.
    for name in set(os.environ) - before:
        if name.startswith(("AWS_", "BEDROCK_", "ANTHROPIC_", "CLAUDE_CODE_", "OPENAI_")):
            del os.environ[name]


@pytest.fixture(scope="module")
def emu() -> Iterator[BedrockEmulator]:
    """One emulator per test module; tests clear it (``emu.clear()``) where order matters."""
    with BedrockEmulator() as emulator:
        yield emulator


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pytest.ini): two workers per core. Much of the suite waits rather than
    computes (credentials expiring, deadlines, child processes, servers answering): with one
    worker per core, half of the CPU time went unused."""
    return 2 * (os.cpu_count() or 1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Real-AWS tests run only when asked for: they cost money and need an account."""
    if os.environ.get("RUN_BEDROCK_INTEGRATION") == "1":
        return
    skip = pytest.mark.skip(reason="set RUN_BEDROCK_INTEGRATION=1 to run tests against real AWS")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)
