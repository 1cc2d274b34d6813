"""Fixtures for the credential-chain tests: one moto server per session, a recording proxy in
front of it (the children's ``AWS_ENDPOINT_URL_STS``), and a per-test clean child runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import Chain, MotoAdmin, aws_files
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
        yield proxy


@pytest.fixture
def sts(_sts_proxy: RecordingProxy) -> RecordingProxy:
    """The recording STS proxy, emptied for this test."""
    _sts_proxy.clear()
    return _sts_proxy


@pytest.fixture
def chain(tmp_path: Path, sts: RecordingProxy) -> Chain:
    """A clean sandbox whose STS endpoint is the recording proxy in front of moto."""
    home, cwd = tmp_path / "chain-home", tmp_path / "chain-cwd"
    home.mkdir()
    cwd.mkdir()
    aws_files(home)
    return Chain(home=home, cwd=cwd, env={
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_STS": sts.url,
    })
