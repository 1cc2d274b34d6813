"""The data loader of the library's botocore sessions (bedrock_auth._loader): botocore's own
models and errors, without the walk over every service directory for a service that exists.

Real botocore sessions and loaders, real files in a temporary ``AWS_DATA_PATH``."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.loaders
import pytest
from botocore.exceptions import UnknownServiceError

import bedrock_auth
from bedrock_auth._loader import DirectLoader, shared_loader
from bedrock_auth.manager import BedrockClientManager
from bedrock_auth.settings import base_session

BUILTIN = botocore.loaders.Loader.BUILTIN_DATA_PATH


def _loaders(data_path: str | None = None) -> tuple[Any, DirectLoader]:
    """botocore's own loader and ours, both new (empty caches), for the same search paths."""
    theirs = botocore.loaders.create_loader(data_path)
    return theirs, DirectLoader(list(theirs.search_paths))


def _write_model(root: Path, service: str, version: str, model: dict[str, Any]) -> None:
    directory = root / service / version
    directory.mkdir(parents=True)
    (directory / "service-2.json").write_text(json.dumps(model), "utf-8")


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The type names botocore's service walk (``list_available_services``) is asked for."""
    asked: list[str] = []
    walk = botocore.loaders.Loader.list_available_services

    def counting(self: Any, type_name: str) -> Any:
        asked.append(type_name)
        return walk(self, type_name)

    monkeypatch.setattr(botocore.loaders.Loader, "list_available_services", counting)
    yield asked


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every directory listed while the test runs."""
    paths: list[str] = []
    listdir: Callable[..., list[str]] = os.listdir

    def counting(path: Any = ".") -> list[str]:
        paths.append(os.fspath(path))
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counting)
    yield paths


@pytest.mark.parametrize("type_name", ["service-2", "endpoint-rule-set-1", "paginators-1"])
@pytest.mark.parametrize("service", ["sts", "bedrock-runtime", "bedrock"])
def test_a_known_service_loads_the_model_botocore_loads(service: str, type_name: str) -> None:
    theirs, ours = _loaders()
    assert ours.load_service_model(service, type_name) == theirs.load_service_model(
        service, type_name
    )
    version = theirs.determine_latest_version(service, type_name)
    assert ours.load_service_model(service, type_name, api_version=version) == (
        theirs.load_service_model(service, type_name, api_version=version)
    )


@pytest.mark.parametrize("name", ["endpoints", "partitions", "sdk-default-configuration"])
def test_data_files_decode_into_plain_dicts_equal_to_botocores(name: str) -> None:
    theirs, ours = _loaders()
    data = ours.load_data(name)
    assert data == theirs.load_data(name)
    assert type(data) is dict  # botocore's hook gives OrderedDicts, same items in the same order
    assert list(data) == list(theirs.load_data(name))


@pytest.mark.parametrize("service", ["no-such-service", "STS", "", ".", "sts/../sts"])
def test_an_unknown_service_raises_botocores_error_and_message(service: str) -> None:
    theirs, ours = _loaders()
    with pytest.raises(UnknownServiceError) as expected:
        theirs.load_service_model(service, "service-2")
    with pytest.raises(UnknownServiceError) as raised:
        ours.load_service_model(service, "service-2")
    assert str(raised.value) == str(expected.value)
    assert raised.value.kwargs == expected.value.kwargs


def test_a_session_finds_a_service_under_aws_data_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "models"
    custom = {"version": "2.0", "metadata": {"serviceId": "Mine"}, "operations": {}, "shapes": {}}
    _write_model(data, "mine", "2030-01-01", custom)
    # A newer STS model of one's own takes the place of botocore's, for botocore as for us.
    newer_sts = dict(custom, metadata={"serviceId": "STS", "note": "mine"})
    _write_model(data, "sts", "2099-01-01", newer_sts)
    monkeypatch.setenv("AWS_DATA_PATH", str(data))

    loader = base_session(None).get_component("data_loader")
    assert isinstance(loader, DirectLoader)
    theirs = botocore.loaders.create_loader(str(data))
    assert loader.search_paths == theirs.search_paths
    for service in ("mine", "sts", "bedrock-runtime"):
        model = loader.load_service_model(service, "service-2")
        assert model == theirs.load_service_model(service, "service-2")
    assert loader.load_service_model("mine", "service-2")["metadata"] == custom["metadata"]
    assert loader.load_service_model("sts", "service-2")["metadata"] == newer_sts["metadata"]
    with pytest.raises(UnknownServiceError) as raised:
        loader.load_service_model("yours", "service-2")
    assert "mine" in raised.value.kwargs["known_service_names"].split(", ")


def test_clients_are_created_without_the_walk(
    walks: list[str], listed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    manager = BedrockClientManager(region="us-east-1", validate=False)
    for service in ("sts", "bedrock-runtime"):
        manager.client(service)
    assert walks == []
    # Each service's own directory and the data directory itself, never the other services'.
    in_data = {os.path.relpath(path, BUILTIN) for path in listed if path.startswith(BUILTIN)}
    assert in_data <= {".", "sts", "bedrock-runtime"}

    # The counters do count: a name botocore does not know takes botocore's own walk.
    with pytest.raises(UnknownServiceError):
        manager.session.get_component("data_loader").load_service_model("nope", "service-2")
    assert walks == ["service-2"]


def test_sessions_share_a_loader_per_search_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = base_session(None).get_component("data_loader")
    assert base_session(None).get_component("data_loader") is first is shared_loader(None)
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    other = base_session(None).get_component("data_loader")
    assert other is not first and str(tmp_path) in other.search_paths
    bedrock_auth.reset()  # data files changed since are read again
    monkeypatch.delenv("AWS_DATA_PATH")
    assert base_session(None).get_component("data_loader") is not first


def test_threads_loading_at_once_get_one_model() -> None:
    # A loader of its own: the shared one may hold the model already, from another test.
    loader = DirectLoader(list(shared_loader(None).search_paths))
    start = threading.Barrier(4)
    models: list[Any] = []

    def load() -> None:
        start.wait(30)
        models.append(loader.load_service_model("bedrock-runtime", "service-2"))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(models) == 4 and all(model is models[0] for model in models)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_loads_while_a_parent_thread_is_loading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loader = DirectLoader(list(shared_loader(None).search_paths))  # nothing loaded yet
    inside, release = threading.Event(), threading.Event()
    real = loader._load_service_model

    def slow(*args: Any) -> Any:
        inside.set()
        release.wait(30)
        return real(*args)

    monkeypatch.setattr(loader, "_load_service_model", slow)
    parent = threading.Thread(target=loader.load_service_model, args=("sts", "service-2"))
    parent.start()
    try:
        assert inside.wait(30)
        pid = os.fork()
        if pid == 0:  # the child: the parent's load in flight is not its to wait for
            try:
                signal.alarm(60)  # a child left waiting for the parent's load dies, not hangs
                del loader._load_service_model  # the real method again
                loaded = loader.load_service_model("sts", "service-2")
                os._exit(0 if loaded["metadata"]["serviceId"] == "STS" else 1)
            finally:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        parent.join(30)
