"""Fixtures for the credential-chain tests: one moto server per session, a recording proxy in
front of it (the children's ``AWS_ENDPOINT_URL_STS``), and a per-test clean child runner."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .helpers import MotoAdmin, aws_files, manager_code, run_in_clean_env
from .servers import RecordingProxy


@pytest.fixture(scope="session")
def moto_admin() -> Iterator[MotoAdmin]:
    """moto in server mode on 127.0.0.1 (free port), started once per session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoAdmin(host, port)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _sts_proxy(moto_admin: MotoAdmin) -> Iterator[RecordingProxy]:
    with RecordingProxy(moto_admin.host, moto_admin.port) as proxy:
        assert isinstance(proxy, RecordingProxy)
        yield proxy


@pytest.fixture
def sts(_sts_proxy: RecordingProxy) -> RecordingProxy:
    """The recording STS proxy, emptied for this test."""
    _sts_proxy.clear()
    return _sts_proxy


@dataclass
class Chain:
    """One test's sandbox: a temp HOME (with ``.aws/``), a working directory, base env."""

    home: Path
    cwd: Path
    env: dict[str, str | None] = field(default_factory=dict)

    @property
    def config_file(self) -> Path:
        return aws_files(self.home)[0]

    @property
    def credentials_file(self) -> Path:
        return aws_files(self.home)[1]

    def write_config(self, text: str) -> None:
        self.config_file.write_text(text)

    def write_credentials(self, text: str) -> None:
        self.credentials_file.write_text(text)

    def run(self, options: Mapping[str, Any] | None = None,
            env: Mapping[str, str | None] | None = None, after: str = "") -> dict[str, Any]:
        """Build a manager with ``options`` in a clean child; the base env plus ``env``."""
        return run_in_clean_env(manager_code(options, after), {**self.env, **(env or {})},
                                self.home, self.cwd)


@pytest.fixture
def chain(tmp_path: Path, sts: RecordingProxy) -> Chain:
    """A clean sandbox whose STS endpoint is the recording proxy in front of moto."""
    home, cwd = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    cwd.mkdir()
    aws_files(home)
    return Chain(home=home, cwd=cwd, env={
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_STS": sts.url,
    })
