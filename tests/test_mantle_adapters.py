"""``get_llm(endpoint="mantle")`` and ``get_pydantic_ai_model(endpoint="mantle")``: langchain-aws's
``ChatAnthropicMantle``/``ChatOpenAIMantle`` and pydantic-ai's Mantle provider against the
emulator's Mantle listener, on the manager's (refreshing) credentials."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from test_mantle_anthropic import across_refreshes, check_fresh

from bedrock_auth import (
    BedrockClientManager,
    ConfigurationError,
    ModelNotAvailableError,
    get_llm,
    get_openai_client,
    get_pydantic_ai_model,
)
from bedrock_auth.testing import BedrockEmulator

pytest.importorskip("langchain_aws")
pytest.importorskip("aws_bedrock_token_generator")

#: model -> (the langchain-aws class, how the emulator saw it authenticated).
MODELS = {
    "sonnet-5": ("ChatAnthropicMantle", "sigv4"),
    "gpt-oss-120b": ("ChatOpenAIMantle", "bearer"),
}
MANTLE_OPERATIONS = ("CreateMessage", "CreateChatCompletion", "CreateResponse")
ROLE = "arn:aws:iam::210987654321:role/mantle-llm-user"
REPLY = "Emulated reply to: hi there"


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@pytest.fixture(scope="module")
def emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(tls=True) as emulator:
        yield emulator


@pytest.fixture
def manager(emu: BedrockEmulator) -> Iterator[BedrockClientManager]:
    with emu.manager() as built:
        yield built


def mantle_calls(emu: BedrockEmulator, since: int = 0) -> list[Any]:
    return [r for r in emu.requests[since:] if r.operation in MANTLE_OPERATIONS]


def base_class(llm: Any) -> str:
    """The langchain-aws class the model extends."""
    return str(type(llm).__bases__[-1].__name__)


@pytest.mark.parametrize("model", MODELS)
def test_create_stream_and_a_tool_call(
    emu: BedrockEmulator, manager: BedrockClientManager, model: str
) -> None:
    pytest.importorskip("langchain_anthropic" if "sonnet" in model else "langchain_openai")
    since = len(emu.requests)
    llm = get_llm(model, endpoint="mantle", manager=manager, max_tokens=64)
    klass, scheme = MODELS[model]
    assert base_class(llm) == klass
    assert llm.invoke("hi there").content == REPLY
    assert "".join(str(chunk.content) for chunk in llm.stream("hi there")) == REPLY
    called = llm.bind_tools([get_weather], tool_choice="get_weather").invoke("weather in Paris")
    assert [c["name"] for c in called.tool_calls] == ["get_weather"]
    answered = asyncio.run(llm.ainvoke("hi there"))
    assert answered.content == REPLY
    calls = mantle_calls(emu, since)
    assert len(calls) == 4 and {(c.status, c.auth_scheme) for c in calls} == {(200, scheme)}
    if scheme == "sigv4":
        assert {c.signing_service for c in calls} == {"bedrock-mantle"}


def test_claude_models_share_the_managers_clients(manager: BedrockClientManager) -> None:
    pytest.importorskip("langchain_anthropic")
    first = get_llm("sonnet-5", endpoint="mantle", manager=manager)
    second = get_llm("sonnet-5", endpoint="mantle", manager=manager, temperature=0)
    assert first._client is second._client
    assert first._async_client is second._async_client
    shared = first._client, first._async_client
    manager.close()
    assert first._client.is_closed() and first._async_client.is_closed()
    again = get_llm("sonnet-5", endpoint="mantle", manager=manager)  # built again after close
    assert again._client is not shared[0] and again._async_client is not shared[1]
    assert again.invoke("hi there").content == REPLY


#: OpenAI-family models on each of Mantle's OpenAI-compatible paths (/v1, /openai/v1).
OPENAI_MODELS = ("gpt-oss-120b", "openai.gpt-5.5")


def test_openai_models_share_the_managers_clients_until_it_closes(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    """Both models run on get_openai_client's Mantle clients (sync and async); the manager's
    close() closes them, and models built afterwards get new ones."""
    pytest.importorskip("langchain_openai")
    first, second = (get_llm(m, endpoint="mantle", manager=manager) for m in OPENAI_MODELS)
    sync = get_openai_client(endpoint="mantle", auth="api_key", manager=manager)
    async_ = get_openai_client(endpoint="mantle", auth="api_key", async_=True, manager=manager)
    for llm in (first, second):
        assert llm.root_client is sync and llm.client is sync.chat.completions
        assert llm.root_async_client is async_ and llm.async_client is async_.chat.completions
    since = len(emu.requests)
    # One loop for every async call: a shared async client's connections belong to one loop.
    with contextlib.closing(asyncio.new_event_loop()) as loop:
        for llm in (first, second):
            assert llm.invoke("hi there").text == REPLY  # GPT-5.5 answers on Responses: .text
            assert loop.run_until_complete(llm.ainvoke("hi there")).text == REPLY
        loop.run_until_complete(_close_on_the_loop(manager))
    calls = mantle_calls(emu, since)
    assert {(c.status, c.auth_scheme) for c in calls} == {(200, "bearer")}
    assert {c.path.split("/")[1] for c in calls} == {"v1", "openai"}  # both of Mantle's paths
    assert sync.is_closed() and async_.is_closed()
    again = get_llm(OPENAI_MODELS[0], endpoint="mantle", manager=manager)
    assert again.root_client is not sync and not again.root_client.is_closed()
    assert again.invoke("hi there").content == REPLY


async def _close_on_the_loop(manager: BedrockClientManager) -> None:
    """``manager.close()`` on a running loop: async clients close in tasks on it, awaited here."""
    manager.close()
    await asyncio.gather(*(asyncio.all_tasks() - {asyncio.current_task()}))


def test_a_models_own_client_options_leave_the_shared_client_unchanged(
    manager: BedrockClientManager,
) -> None:
    pytest.importorskip("langchain_openai")
    shared = get_llm("gpt-oss-120b", endpoint="mantle", manager=manager).root_client
    before = shared.max_retries, shared.timeout
    own = get_llm("gpt-oss-120b", endpoint="mantle", manager=manager, max_retries=4, timeout=3)
    assert own.root_client is not shared and own.root_client._client is shared._client
    assert (own.root_client.max_retries, own.root_client.timeout) == (4, 3)
    assert (own.root_async_client.max_retries, own.root_async_client.timeout) == (4, 3)
    assert (shared.max_retries, shared.timeout) == before
    assert own.invoke("hi there").content == REPLY


@pytest.mark.parametrize("model", MODELS)
def test_a_model_pickles_and_is_rebuilt_on_the_manager(emu: BedrockEmulator, model: str) -> None:
    pytest.importorskip("langchain_anthropic" if "sonnet" in model else "langchain_openai")
    with emu.manager(allow_pickle_secrets=True) as manager:
        llm = get_llm(model, endpoint="mantle", manager=manager, max_tokens=64)
        again = pickle.loads(pickle.dumps(llm))
        assert base_class(again) == MODELS[model][0] and again.max_tokens == 64
        assert again.invoke("hi there").content == REPLY
        # Rebuilt on the manager it arrived with, sharing that manager's clients.
        rebuilt = get_llm(model, endpoint="mantle", manager=again._mantle_spec.manager)
        shared = ("_client", "_async_client") if "sonnet" in model else ("root_client",)
        for name in shared:
            assert getattr(again, name) is getattr(rebuilt, name)


@pytest.mark.parametrize(
    "given",
    [{"api": "invoke"}, {"api": "converse"}, {"service_tier": "flex"}, {"project": "p"}],
)
def test_runtime_only_options_are_refused_on_mantle(
    manager: BedrockClientManager, given: dict[str, Any]
) -> None:
    with pytest.raises(ConfigurationError, match=f"takes no {next(iter(given))}"):
        get_llm("sonnet-5", endpoint="mantle", manager=manager, **given)


def test_a_model_off_mantle_and_an_unknown_endpoint_are_refused(
    manager: BedrockClientManager,
) -> None:
    with pytest.raises(ModelNotAvailableError, match="not at all"):
        get_llm("claude-sonnet-4-5", endpoint="mantle", manager=manager)
    with pytest.raises(ConfigurationError, match="'runtime', 'mantle'"):
        get_llm("sonnet-5", endpoint="elsewhere", manager=manager)  # type: ignore[call-overload]


def test_a_run_across_role_expiries_never_sends_expired_credentials_or_keys() -> None:
    """5-second role credentials: both Mantle models keep answering across two refreshes,
    and the emulator (which refuses expired credentials and keys) never has to."""
    pytest.importorskip("langchain_anthropic")
    pytest.importorskip("langchain_openai")
    with (
        BedrockEmulator(tls=True, assume_role_duration=5) as emu,
        emu.manager(role_arn=ROLE) as manager,
    ):
        models = [get_llm(m, endpoint="mantle", manager=manager) for m in MODELS]

        def step() -> None:
            for llm in models:
                llm.invoke("hi there")
                "".join(str(chunk.content) for chunk in llm.stream("hi there"))

        across_refreshes(emu, step)
        check_fresh(mantle_calls(emu))


# -- get_pydantic_ai_model(endpoint="mantle") ------------------------------------------------


def pydantic_ai_agent(manager: BedrockClientManager, model: str = "gpt-oss-120b") -> Any:
    agent_module = pytest.importorskip("pydantic_ai")
    pytest.importorskip("pydantic_ai.providers.bedrock_mantle")
    agent = agent_module.Agent(get_pydantic_ai_model(model, endpoint="mantle", manager=manager))
    agent.tool_plain(get_weather)
    return agent


async def test_pydantic_ai_runs_streams_and_calls_a_tool_on_mantle(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    since = len(emu.requests)
    agent = pydantic_ai_agent(manager)
    assert (await agent.run("hi there")).output == REPLY
    # Streamed on the Responses API and, for the model pydantic-ai sends there, Chat Completions.
    chat = pydantic_ai_agent(manager, "openai.gpt-oss-safeguard-120b")
    for streaming in (agent, chat):
        async with streaming.run_stream("hi there") as run:
            assert "".join([piece async for piece in run.stream_text(delta=True)]) == REPLY
    result = await agent.run("What is the weather in Paris? Use get_weather.")
    calls = [p for m in result.all_messages() for p in m.parts if p.part_kind == "tool-call"]
    assert [c.tool_name for c in calls] == ["get_weather"]
    assert "sunny in" in result.output
    seen = mantle_calls(emu, since)
    assert [(c.status, c.auth_scheme, c.path) for c in seen] == [
        (200, "bearer", "/v1/responses"),
        (200, "bearer", "/v1/responses"),
        (200, "bearer", "/v1/chat/completions"),
        (200, "bearer", "/v1/responses"),
        (200, "bearer", "/v1/responses"),
    ]


def test_pydantic_ai_models_share_the_managers_client(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    """One client per (manager, Region) under every model's provider: the provider's own
    with_options() copies share its connections and leave it unchanged."""
    from bedrock_auth._pydantic_ai_mantle import _shared_client

    agents = [pydantic_ai_agent(manager, m) for m in ("gpt-oss-120b", "openai.gpt-5.5")]
    shared = _shared_client(manager, manager.region)
    origin = str(shared.base_url)
    for agent in agents:
        assert agent.model.client._client is shared._client
        assert agent.run_sync("hi there").output == REPLY
    assert str(shared.base_url) == origin
    manager.close()
    assert shared.is_closed()
    assert _shared_client(manager, manager.region) is not shared


def test_pydantic_ai_refuses_a_model_mantle_serves_only_to_anthropic(
    manager: BedrockClientManager,
) -> None:
    pytest.importorskip("pydantic_ai.providers.bedrock_mantle")
    with pytest.raises(ModelNotAvailableError, match="only at /anthropic"):
        get_pydantic_ai_model("sonnet-5", endpoint="mantle", manager=manager)
    with pytest.raises(ModelNotAvailableError, match="not at all"):
        get_pydantic_ai_model("claude-sonnet-4-5", endpoint="mantle", manager=manager)
    with pytest.raises(ModelNotAvailableError, match="OpenAI models"):
        get_pydantic_ai_model("mistral.unknown-model", endpoint="mantle", manager=manager)


def test_pydantic_ai_across_role_expiries() -> None:
    """5-second role credentials: the agent keeps answering across two refreshes with keys
    minted from each credentials in turn, never an expired one."""
    with (
        BedrockEmulator(tls=True, assume_role_duration=5) as emu,
        emu.manager(role_arn=ROLE) as manager,
    ):
        agent = pydantic_ai_agent(manager)
        across_refreshes(emu, lambda: agent.run_sync("hi there"))
        check_fresh(mantle_calls(emu), signed=False)


def test_the_emulator_streams_responses_as_the_openai_sdk_reads_them(
    manager: BedrockClientManager,
) -> None:
    """Text and a function call, each as the Responses API's events (the SDK assembles them)."""
    pytest.importorskip("openai")
    client = get_openai_client(endpoint="mantle", manager=manager)
    with client.responses.stream(model="gpt-oss-120b", input="hi there") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == REPLY and final.usage is not None
    tool = {
        "type": "function",
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    with client.responses.stream(
        model="gpt-oss-120b", input="weather?", tools=[tool], tool_choice="required"
    ) as stream:
        called = stream.get_final_response().output[-1]
    assert called.type == "function_call" and called.name == "get_weather"


def test_the_models_take_the_managers_timeouts_and_retries(emu: BedrockEmulator) -> None:
    pytest.importorskip("langchain_anthropic")
    pytest.importorskip("langchain_openai")
    with emu.manager(read_timeout=7, max_retries=1) as manager:
        claude = get_llm("sonnet-5", endpoint="mantle", manager=manager)
        gpt = get_llm("gpt-oss-120b", endpoint="mantle", manager=manager)
        assert (claude._client.max_retries, claude._client.timeout.read) == (1, 7)
        assert (gpt.max_retries, gpt.request_timeout.read) == (1, 7)
        own = get_llm("sonnet-5", endpoint="mantle", manager=manager, max_retries=4, timeout=3)
        assert (own._client.max_retries, own._client.timeout) == (4, 3)
        assert own._client.manager is manager and claude._client.max_retries == 1


@pytest.mark.parametrize("model", MODELS)
def test_a_throttled_region_fails_over_to_the_next(emu: BedrockEmulator, model: str) -> None:
    """One throttled call each (429, no SDK retry): the model answers from its fallback."""
    pytest.importorskip("langchain_anthropic" if "sonnet" in model else "langchain_openai")
    # The emulator's one Mantle listener is in its own Region: a key minted for us-west-2 is
    # refused there, so the OpenAI model (bearer only) runs on the emulator's Region-less key.
    keys = {"api_key": emu.api_key} if MODELS[model][1] == "bearer" else {}
    with emu.manager(max_retries=0, **keys) as manager:
        llm = get_llm(model, endpoint="mantle", manager=manager, fallback_regions=["us-west-2"])
        since = len(emu.requests)
        calls = (
            lambda: llm.invoke("hi there").content,
            lambda: "".join(str(chunk.content) for chunk in llm.stream("hi there")),
            # One loop for both async calls: the model's async client stays on its loop.
            lambda: loop.run_until_complete(llm.ainvoke("hi there")).content,
            lambda: loop.run_until_complete(_astreamed(llm)),
        )
        with contextlib.closing(asyncio.new_event_loop()) as loop:
            for call in calls:
                emu.fail("ThrottlingException", status=429)
                assert call() == REPLY
        tried = [(c.region, c.status) for c in mantle_calls(emu, since)]
    if MODELS[model][1] == "sigv4":  # signed for each model's own Region
        assert tried == [("us-east-1", 429), ("us-west-2", 200)] * len(calls)
    else:
        assert [status for _, status in tried] == [429, 200] * len(calls)


async def _astreamed(llm: Any) -> str:
    return "".join([str(chunk.content) async for chunk in llm.astream("hi there")])
