"""get_llm(): LangChain models on the manager's shared clients, against the emulator."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from typing import Any, Literal

import botocore.session
import pytest
from installed_botocore import retried
from langchain_aws import ChatBedrock, ChatBedrockConverse
from langchain_core.tools import tool
from pydantic import BaseModel

from bedrock_auth import (
    AccessDeniedError,
    BedrockClientManager,
    ConfigurationError,
    ModelNotAvailableError,
    ThrottlingError,
    get_llm,
)
from bedrock_auth._calls import chosen_model
from bedrock_auth._langchain import SharedChatBedrock, SharedChatBedrockConverse
from bedrock_auth.testing import BedrockEmulator

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture
def manager(emu: BedrockEmulator) -> BedrockClientManager:
    emu.clear()
    return emu.manager(max_retries=1)


def text_of(message: Any) -> str:
    """A message's text: a property in langchain-core 1.x, a method in 0.3 (the lowest
    langchain-aws we support runs on 0.3)."""
    text = message.text
    return str(text) if isinstance(text, str) else str(text())


def requests_for(emu: BedrockEmulator, operation: str) -> list[Any]:
    return [r for r in emu.requests if r.operation == operation]


def test_models_built_alike_are_independent_copies(manager: BedrockClientManager) -> None:
    first = get_llm("claude-sonnet-4-5", manager=manager, temperature=0.5)
    second = get_llm("claude-sonnet-4-5", manager=manager, temperature=0.5)
    assert first is not second and first.temperature == second.temperature == 0.5
    first.temperature = 0.1
    assert second.temperature == 0.5
    # Containers are never shared (langchain-core 0.3 leaves metadata None, has no profile).
    if isinstance(first.metadata, dict):
        first.metadata["run"] = "first"
        assert "run" not in (second.metadata or {})
    if getattr(first, "profile", None) is not None:
        assert first.profile is not second.profile
    # Without temperature=, langchain-aws's own default (None in 1.x), not the 0.5 above.
    default = ChatBedrockConverse.model_fields["temperature"].default
    assert get_llm("claude-sonnet-4-5", manager=manager).temperature == default
    fields = {"guardrailConfig": {"trace": "enabled"}}  # a mutable option is never shared
    third = get_llm("claude-sonnet-4-5", manager=manager, additional_model_request_fields=fields)
    fourth = get_llm("claude-sonnet-4-5", manager=manager, additional_model_request_fields=fields)
    assert third.additional_model_request_fields is not fourth.additional_model_request_fields


def test_models_follow_the_managers_new_clients(manager: BedrockClientManager) -> None:
    before = get_llm("claude-sonnet-4-5", manager=manager)
    manager.close()
    after = get_llm("claude-sonnet-4-5", manager=manager)
    assert after.client is manager.client() and after.client is not before.client
    assert after.bedrock_client is manager.client("bedrock")


def test_hundred_models_share_one_client_and_create_none(
    manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_llm("claude-sonnet-4-5", manager=manager)
    created: list[str] = []
    original = botocore.session.Session.create_client

    def counting(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        created.append(args[0] if args else kwargs["service_name"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)
    models = [get_llm("claude-sonnet-4-5", manager=manager) for _ in range(100)]
    assert created == []
    assert isinstance(first, ChatBedrockConverse)
    assert {id(m.client) for m in models} == {id(manager.client())}
    assert {id(m.bedrock_client) for m in models} == {id(manager.client("bedrock"))}
    assert first.model_id == SONNET


def test_invoke_stream_and_kwargs(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    llm = get_llm(
        "claude-sonnet-4-5", manager=manager, temperature=0.2, max_tokens=64, stop=["END"]
    )
    emu.reply(text="Paris is the capital.")
    assert llm.invoke("Capital of France?").content == "Paris is the capital."
    body = requests_for(emu, "Converse")[-1].body
    assert body["inferenceConfig"] == {
        "temperature": 0.2,
        "maxTokens": 64,
        "stopSequences": ["END"],
    }
    emu.reply(text="one two three")
    chunks = [text_of(c) for c in llm.stream("Count")]
    assert len([c for c in chunks if c]) > 1 and "".join(chunks) == "one two three"


def test_tool_call(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    @tool
    def get_weather(city: str) -> str:
        """Weather for a city."""
        return "sunny"

    emu.reply(tool_use={"name": "get_weather", "input": {"city": "Lyon"}})
    reply = get_llm("claude-sonnet-4-5", manager=manager).bind_tools([get_weather]).invoke("Lyon?")
    assert reply.tool_calls[0]["name"] == "get_weather"
    assert reply.tool_calls[0]["args"] == {"city": "Lyon"}
    assert "toolConfig" in requests_for(emu, "Converse")[-1].body


def test_model_from_the_managers_settings_and_missing_model(
    emu: BedrockEmulator, manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="BEDROCK_MODEL_ID") as info:
        get_llm(manager=manager)
    assert "claude-sonnet-4-5" in str(info.value)
    monkeypatch.setenv("BEDROCK_MODEL_ID", "nova-lite")
    from_env = emu.manager()
    monkeypatch.setenv("BEDROCK_MODEL_ID", "haiku")  # read once, when the manager was made
    assert get_llm(manager=from_env).model_id == "amazon.nova-lite-v1:0"
    assert chosen_model(None, from_env, "get_llm") == "nova-lite"
    assert chosen_model("haiku", from_env, "get_llm") == "haiku"


def test_a_region_is_checked_once_per_call(
    emu: BedrockEmulator, manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """get_llm, the helpers and the adapters check a region name once, at their front door;
    model resolution, the live catalog and the client cache carry the checked Region."""
    from bedrock_auth import aconverse, converse, get_embeddings, regions

    checks: list[None] = []
    known = regions.known_regions

    def counted() -> frozenset[str]:  # read once by each check of a name
        checks.append(None)
        return known()

    monkeypatch.setattr(regions, "known_regions", counted)
    where: dict[str, Any] = {"region": "us-west-2", "manager": manager}
    alone: dict[str, Any] = {**where, "fallback_regions": []}
    calls = {
        "get_llm": lambda: get_llm("nova-lite", **alone),
        "converse": lambda: converse("nova-lite", "hi", **alone),
        "aconverse": lambda: asyncio.run(aconverse("nova-lite", "hi", **alone)),
        "get_embeddings": lambda: get_embeddings(**where),
    }
    for name, call in calls.items():
        checks.clear()
        call()
        assert len(checks) == 1, name
    checks.clear()
    converse("nova-lite", "hi", manager=manager, fallback_regions=["us-west-2"])
    assert len(checks) == 1  # the manager's own region was checked when it was made


@pytest.mark.parametrize(("live", "listed_first"), [(True, False), (True, True), (False, False)])
def test_application_profile_arn_one_lookup(
    emu: BedrockEmulator, live: bool, listed_first: bool
) -> None:
    """One GetInferenceProfile per ARN per manager names the profile's model; no listing is
    made for it (three calls where one does), but a listing made already answers."""
    emu.clear()
    manager = emu.manager(max_retries=1, live_catalog=live)
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    emu.add_inference_profile(arn, "anthropic.claude-sonnet-4-5-20250929-v1:0")
    if listed_first:
        assert manager.catalog.listing("us-east-1") is not None
    models = [get_llm(arn, manager=manager) for _ in range(3)]
    assert len(requests_for(emu, "GetInferenceProfile")) == (0 if listed_first else 1)
    assert len(requests_for(emu, "ListFoundationModels")) == (1 if listed_first else 0)
    assert models[0].provider == "anthropic"
    emu.reply(text="via profile")
    assert models[0].invoke("hi").content == "via profile"


# -- region failover ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "klass"), [("converse", SharedChatBedrockConverse), ("invoke", SharedChatBedrock)]
)
def test_same_class_with_or_without_fallbacks(
    emu: BedrockEmulator,
    manager: BedrockClientManager,
    monkeypatch: pytest.MonkeyPatch,
    api: Literal["converse", "invoke"],
    klass: type,
) -> None:
    monkeypatch.setenv("BEDROCK_FALLBACK_REGIONS", "us-west-2,eu-west-1")
    from_env = emu.manager()
    models: list[Any] = [  # the private _fallbacks are read below
        get_llm("claude-sonnet-4-5", manager=manager, api=api),
        get_llm("claude-sonnet-4-5", manager=manager, api=api, fallback_regions=["us-west-2"]),
        get_llm("claude-sonnet-4-5", manager=from_env, api=api),
        get_llm("claude-sonnet-4-5", manager=from_env, api=api, fallback_regions=[]),
    ]
    assert all(type(m) is klass for m in models)
    fallbacks = [m._fallbacks for m in models]
    assert [[f.region_name for f in each] for each in fallbacks] == [
        [],
        ["us-west-2"],
        ["us-west-2", "eu-west-1"],
        [],
    ]
    assert fallbacks[1][0].client is manager.client("bedrock-runtime", "us-west-2")


def test_invoke_fails_over_on_throttling(
    emu: BedrockEmulator, manager: BedrockClientManager, caplog: pytest.LogCaptureFixture
) -> None:
    emu.fail("ThrottlingException", status=429, times=100, region="us-east-1")
    llm = get_llm("claude-sonnet-4-5", manager=manager, fallback_regions=["us-west-2"])
    emu.reply(text="from us-west-2")
    with caplog.at_level(logging.WARNING, logger="bedrock_auth"):
        assert llm.invoke("hi").content == "from us-west-2"
    regions = [r.region for r in requests_for(emu, "Converse")]
    tries = 2 if retried("ThrottlingException", 429) else 1  # 1 retry in us-east-1
    assert regions == ["us-east-1"] * tries + ["us-west-2"]
    assert f"Converse {SONNET} failed in us-east-1 (ThrottlingError); failing over" in caplog.text


def test_async_calls_fail_over_too(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    emu.fail("ThrottlingException", status=429, times=100, region="us-east-1")
    llm = get_llm("claude-sonnet-4-5", manager=manager, fallback_regions=["us-west-2"])

    async def both() -> tuple[Any, list[str]]:
        return await llm.ainvoke("hi"), [text_of(c) async for c in llm.astream("hi")]

    reply, chunks = asyncio.run(both())
    assert reply.content == "Emulated reply to: hi" == "".join(chunks)
    runtime = [r for r in emu.requests if r.service == "bedrock-runtime"]
    assert [r.region for r in runtime if r.region == "us-west-2"] == ["us-west-2"] * 2


def test_stream_fails_over_before_its_first_chunk(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.fail("ThrottlingException", status=429, times=100, region="us-east-1")
    llm = get_llm("claude-sonnet-4-5", manager=manager, fallback_regions=["us-west-2"])
    emu.reply(text="streamed from the west")
    assert "".join(text_of(c) for c in llm.stream("hi")) == "streamed from the west"
    assert [r.region for r in requests_for(emu, "ConverseStream")][-1] == "us-west-2"


def test_stream_that_yielded_does_not_fail_over(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.reply(text="alpha beta gamma delta")
    emu.fail("ThrottlingException", after_chunks=3, region="us-east-1")
    llm = get_llm("claude-sonnet-4-5", manager=manager, fallback_regions=["us-west-2"])
    seen: list[str] = []
    with pytest.raises(ThrottlingError):
        for chunk in llm.stream("hi"):
            seen.append(text_of(chunk))
    assert "alpha" in "".join(seen)
    assert [r.region for r in requests_for(emu, "ConverseStream")] == ["us-east-1"]


def test_structured_output_and_tools_keep_failing_over(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    class City(BaseModel):
        name: str

    emu.fail("ThrottlingException", status=429, times=100, region="us-east-1")
    llm = get_llm("claude-sonnet-4-5", manager=manager, fallback_regions=["us-west-2"])
    emu.reply(tool_use={"name": "City", "input": {"name": "Lyon"}})
    assert llm.with_structured_output(City).invoke("Where?") == City(name="Lyon")
    emu.reply(tool_use={"name": "City", "input": {"name": "Nice"}})
    reply = llm.bind_tools([City]).invoke("Where?")
    assert reply.tool_calls[0]["args"] == {"name": "Nice"}
    assert [r.region for r in requests_for(emu, "Converse")][-1] == "us-west-2"


@pytest.mark.parametrize(
    ("model", "operation"),
    [
        ("claude-sonnet-4-5", "InvokeModel"),  # ChatBedrock's own InvokeModel path
        ("nova-lite", "Converse"),  # langchain-aws hands Nova to a converse twin
    ],
)
def test_legacy_api_tries_each_region_once(
    emu: BedrockEmulator, manager: BedrockClientManager, model: str, operation: str
) -> None:
    emu.fail("ThrottlingException", status=429, times=100)
    llm = get_llm(model, manager=manager, api="invoke", fallback_regions=["us-west-2"])
    with pytest.raises(ThrottlingError, match="failed in every region tried"):
        llm.invoke("hi")
    with pytest.raises(ThrottlingError, match="failed in every region tried"):
        llm.bind_tools([get_city]).invoke("hi")
    regions = [r.region for r in requests_for(emu, operation)]
    tries = 2 if retried("ThrottlingException", 429, operation) else 1  # 1 retry each
    assert regions == (["us-east-1"] * tries + ["us-west-2"] * tries) * 2


def get_city(name: str) -> str:
    """A tool for the tests: the city named."""
    return name


def test_no_fallback_on_access_denied(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    emu.fail("AccessDeniedException", times=100, region="us-east-1")
    llm = get_llm("claude-sonnet-4-5", manager=manager, fallback_regions=["us-west-2"])
    with pytest.raises(AccessDeniedError) as info:
        llm.invoke("hi")
    assert [r.region for r in requests_for(emu, "Converse")] == ["us-east-1"]
    message = str(info.value)
    base = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert f"model access for {base} in us-east-1 is not set up" in message
    assert '"bedrock:InvokeModel"' in message


@pytest.mark.parametrize(
    ("code", "status", "kind", "says"),
    [
        ("ThrottlingException", 429, ThrottlingError, "Bedrock throttled"),
        ("ResourceNotFoundException", 404, ModelNotAvailableError, "list-foundation-models"),
    ],
)
def test_errors_through_the_model(
    emu: BedrockEmulator,
    manager: BedrockClientManager,
    code: str,
    status: int,
    kind: type[Exception],
    says: str,
) -> None:
    emu.fail(code, status=status, times=10)
    with pytest.raises(kind, match=says) as info:
        get_llm("claude-sonnet-4-5", manager=manager).invoke("hi")
    assert info.value.__cause__ is not None


def test_on_demand_id_that_needs_a_profile(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.fail(
        "ValidationException",
        status=400,
        times=1,
        message="Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with "
        "on-demand throughput isn't supported. Retry your request with the ID or ARN "
        "of an inference profile that contains this model.",
    )
    llm = get_llm(
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
        manager=manager,
    )
    with pytest.raises(ModelNotAvailableError, match=r"use us\.anthropic\.claude-sonnet-4-5"):
        llm.invoke("hi")


def test_legacy_invoke_api_on_shared_clients(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    llm = get_llm("claude-sonnet-4-5", manager=manager, api="invoke", max_tokens=50)
    assert isinstance(llm, ChatBedrock)
    assert llm.client is manager.client() and llm.bedrock_client is manager.client("bedrock")
    converse = llm._as_converse
    assert converse.client is manager.client() and converse.bedrock_client is manager.client(
        "bedrock"
    )
    emu.reply(text="legacy path")
    assert llm.invoke("hi").content == "legacy path"


def test_missing_extra_says_what_to_install(
    manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "langchain_aws", None)
    monkeypatch.delitem(sys.modules, "bedrock_auth._langchain", raising=False)
    with pytest.raises(ImportError, match=r'pip install "bedrock-auth\[langchain\]"'):
        get_llm("haiku", manager=manager)


def test_import_does_not_load_langchain() -> None:
    code = (
        "import sys, bedrock_auth; "
        "print(sorted(m for m in sys.modules if m.startswith(('langchain', 'bedrock_auth.test'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
