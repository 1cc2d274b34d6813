"""Managers and models that travel to other processes, and come back up there.

A manager pickles as its configuration; a model as how ``get_llm`` built it. Workers resolve
their own credentials against the emulator (which also serves STS) over real sockets.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bedrock_auth import (
    AccessDeniedError,
    AuthConfig,
    BedrockClientManager,
    ConfigurationError,
    converse,
    get_llm,
)
from bedrock_auth.testing import BedrockEmulator

MODEL = "amazon.nova-lite-v1:0"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED0001"
ROLE = "arn:aws:iam::210987654321:role/bedrock-user"


@pytest.fixture
def env_keys(emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The emulator's keys in the environment, as a worker would find them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", emu.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", emu.secret_access_key)
    yield


def chain_manager(emu: BedrockEmulator, **options: Any) -> BedrockClientManager:
    return BedrockClientManager(endpoint_url=emu.endpoints(), region=emu.region, **options)


# -- pickling ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["chain", "profile", "role"])
def test_managers_without_secrets_in_code_pickle_as_configuration(
    emu: BedrockEmulator, env_keys: None, kind: str
) -> None:
    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[dev]\naws_access_key_id = {emu.access_key_id}\n"
        f"aws_secret_access_key = {emu.secret_access_key}\n"
    )
    options = {"chain": {}, "profile": {"profile": "dev"}, "role": {"role_arn": ROLE}}[kind]
    manager = chain_manager(emu, **options)
    data = pickle.dumps(manager)
    assert emu.secret_access_key.encode() not in data
    assert emu.access_key_id.encode() not in data
    back = pickle.loads(data)
    assert back is not manager and back.mode == manager.mode
    assert back.identity is not None and back.credential_source == manager.credential_source


@pytest.mark.parametrize(
    "options",
    [
        {"access_key_id": "AKIAPLANTED000000001", "secret_access_key": SECRET},
        {"api_key": "ABSKplantedapikey0001"},
        {"role_arn": ROLE, "external_id": "planted-external-id"},
    ],
)
def test_secrets_given_in_code_refuse_to_pickle_unless_allowed(options: dict[str, Any]) -> None:
    manager = BedrockClientManager(
        validate=False, region="us-east-1", endpoint_url="http://127.0.0.1:9", **options
    )
    with pytest.raises(ConfigurationError, match="allow_pickle_secrets=True") as info:
        pickle.dumps(manager)
    for value in options.values():
        if value != ROLE:
            assert str(value) not in str(info.value)
    allowed = BedrockClientManager(
        validate=False,
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        allow_pickle_secrets=True,
        **options,
    )
    assert pickle.loads(pickle.dumps(allowed)).mode == allowed.mode


def test_auth_config_follows_the_same_rule() -> None:
    plain = AuthConfig(region="eu-west-1", role_arn=ROLE)
    assert pickle.loads(pickle.dumps(plain)) == plain
    with pytest.raises(ConfigurationError, match="secret_access_key"):
        pickle.dumps(AuthConfig(access_key_id="AKIAX", secret_access_key=SECRET))


def test_unpickled_managers_in_one_process_share_one_validation(
    emu: BedrockEmulator, env_keys: None
) -> None:
    data = pickle.dumps(chain_manager(emu))
    emu.clear()
    managers = [pickle.loads(data) for _ in range(5)]
    assert len({id(m) for m in managers}) == 1  # the process's manager for that configuration
    assert not [r for r in emu.requests if r.operation == "GetCallerIdentity"]


def test_an_unpickled_manager_validates_on_first_use_not_inside_pickle_loads(
    emu: BedrockEmulator, env_keys: None
) -> None:
    import bedrock_auth

    data = pickle.dumps(chain_manager(emu))
    bedrock_auth.reset()  # as in a fresh worker: nothing validated, no managers
    emu.clear()
    emu.fail("AccessDenied", operation="GetCallerIdentity", times=None)
    manager = pickle.loads(data)  # no STS call here, so its trouble cannot surface here
    assert not [r for r in emu.requests if r.service == "sts"]
    with pytest.raises(AccessDeniedError, match="GetCallerIdentity"):
        converse(MODEL, "hi", manager=manager)
    with pytest.raises(AccessDeniedError):  # still pending: fails the same way, never skipped
        converse(MODEL, "hi", manager=manager)
    emu.clear()
    assert converse(MODEL, "hi", manager=manager).text
    assert manager.identity is not None
    assert sum(r.operation == "GetCallerIdentity" for r in emu.requests) == 1


def test_models_pickle_and_come_back_on_the_receiving_manager(
    emu: BedrockEmulator, env_keys: None
) -> None:
    llm = get_llm("nova-lite", manager=chain_manager(emu), temperature=0.3, max_tokens=40)
    data = pickle.dumps(llm)
    assert emu.secret_access_key.encode() not in data
    back = pickle.loads(data)
    assert type(back) is type(llm)
    assert (back.model_id, back.temperature, back.max_tokens) == (llm.model_id, 0.3, 40)
    assert back.invoke("over the wire").content == "Emulated reply to: over the wire"


def test_models_with_fallbacks_and_invoke_api_pickle(emu: BedrockEmulator, env_keys: None) -> None:
    llm = get_llm(
        "nova-lite", manager=chain_manager(emu), api="invoke", fallback_regions=["us-west-2"]
    )
    back = pickle.loads(pickle.dumps(llm))
    assert type(back).__name__ == "SharedChatBedrock"
    assert [m.region_name for m in (back, *back._fallbacks)] == [emu.region, "us-west-2"]


def test_deepcopy_shares_the_manager_and_its_clients(emu: BedrockEmulator) -> None:
    llm = get_llm("nova-lite", manager=emu.manager(), temperature=0.1)
    clone = copy.deepcopy(llm)
    assert clone is not llm and clone.client is llm.client
    assert clone._spec is not None and llm._spec is not None
    assert clone._spec.manager is llm._spec.manager
    assert clone.invoke("copy").content == "Emulated reply to: copy"


def test_langchain_dumpd_and_load_give_a_plain_chat_bedrock_converse(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_aws import ChatBedrockConverse
    from langchain_core.load import dumpd, load

    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    llm = get_llm("nova-lite", manager=emu.manager(), temperature=0.2, max_tokens=30)
    data = dumpd(llm)
    assert data["id"] == ChatBedrockConverse.lc_id()  # the plain class, as langchain-aws names it
    back = load(data, allowed_objects=[ChatBedrockConverse])
    assert type(back) is ChatBedrockConverse
    assert (back.model_id, back.region_name, back.temperature, back.max_tokens) == (
        llm.model_id,
        llm.region_name,
        0.2,
        30,
    )
    assert back.invoke("loaded").content == "Emulated reply to: loaded"


# -- other processes ---------------------------------------------------------------------------


def _worker_call(manager: BedrockClientManager, model: Any, text: str) -> tuple[int, str, str]:
    """Runs in a spawned worker: a helper call and a model call on what was passed in."""
    reply = converse(MODEL, text, manager=manager).text
    return os.getpid(), reply, str(model.invoke(text).content)


def test_process_pool_runs_calls_with_pickled_manager_and_model(
    emu: BedrockEmulator, env_keys: None
) -> None:
    manager = chain_manager(emu, role_arn=ROLE)
    llm = get_llm("nova-lite", manager=manager)
    emu.clear()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        results = list(
            pool.map(_worker_call, [manager] * 8, [llm] * 8, [f"t{i}" for i in range(8)])
        )
    assert [r[1] for r in results] == [f"Emulated reply to: t{i}" for i in range(8)]
    assert [r[2] for r in results] == [f"Emulated reply to: t{i}" for i in range(8)]
    workers = len({pid for pid, _, _ in results})
    calls = [r.operation for r in emu.requests]
    # Credentials are resolved per worker, not per task.
    assert calls.count("AssumeRole") == workers
    assert calls.count("GetCallerIdentity") <= workers


def test_multiprocessing_spawn_process_with_a_pickled_manager(
    emu: BedrockEmulator, env_keys: None
) -> None:
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        pid, reply, model_reply = pool.apply(
            _worker_call,
            (chain_manager(emu), get_llm("nova-lite", manager=chain_manager(emu)), "x"),
        )
    assert pid != os.getpid() and reply == model_reply == "Emulated reply to: x"


def test_a_pickled_model_keeps_the_region_it_was_resolved_for(
    emu: BedrockEmulator, env_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    llm = get_llm("claude-haiku-4-5", manager=BedrockClientManager(endpoint_url=emu.endpoints()))
    data = pickle.dumps(llm)
    monkeypatch.delenv("AWS_REGION")  # the worker has no region of its own
    import bedrock_auth

    bedrock_auth.reset()
    back = pickle.loads(data)
    assert back.region_name == "eu-west-1" and back.model_id.startswith("eu.")
