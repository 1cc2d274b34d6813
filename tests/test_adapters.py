"""The Anthropic SDK, pydantic-ai and LangChain embeddings on a manager, against the emulator."""

from __future__ import annotations

import asyncio
import http.client
import http.server
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import botocore.credentials
import pytest
from botocore.config import Config
from pydantic_ai import Agent

import bedrock_auth
from bedrock_auth import (
    AccessDeniedError,
    BedrockClientManager,
    ConfigurationError,
    ExpiredCredentialsError,
    InvalidCredentialsError,
    anthropic_client_from_env,
    anthropic_model_from_env,
    get_anthropic_client,
    get_embeddings,
    get_pydantic_ai_model,
)
from bedrock_auth._anthropic import ManagedAnthropicBedrock, ManagedAsyncAnthropicBedrock
from bedrock_auth.adapters import DEFAULT_EMBEDDINGS_MODEL
from bedrock_auth.testing import BedrockEmulator

SONNET = "us.anthropic.claude-sonnet-4-6"
HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
ROLE = "arn:aws:iam::210987654321:role/bedrock-user"
HI = [{"role": "user", "content": "hi"}]
WEATHER_TOOL: Any = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
APP_VARIABLES = (
    "CLAUDE_CODE_USE_BEDROCK",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_BEDROCK_BASE_URL",
)


@pytest.fixture(autouse=True)
def no_app_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in APP_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def manager(emu: BedrockEmulator) -> BedrockClientManager:
    emu.clear()
    return emu.manager(max_retries=1)


def runtime_calls(emu: BedrockEmulator) -> list[Any]:
    return [r for r in emu.requests if r.service == "bedrock-runtime"]


def attempts(client: anthropic.AnthropicBedrock, status: int) -> int:
    """Requests the client sends for a reply with ``status``: which statuses it retries is the
    installed anthropic SDK's policy (its own ``_should_retry``), how often the manager's."""
    import httpx2  # the HTTP library anthropic 2.x is built on

    return 1 + client.max_retries * bool(client._should_retry(httpx2.Response(status)))


# -- AnthropicBedrock: create, stream, tool use --------------------------------------------------


def test_create_signs_with_the_manager_and_maps_the_model(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    client = get_anthropic_client(manager=manager)
    assert isinstance(client, anthropic.AnthropicBedrock)
    message = client.messages.create(model="sonnet", max_tokens=50, messages=HI)
    assert message.content[0].type == "text" and message.content[0].text == "Emulated reply to: hi"
    [call] = runtime_calls(emu)
    assert call.operation == "InvokeModel" and call.model_id == SONNET
    assert call.auth_scheme == "sigv4" and call.access_key_id == emu.access_key_id
    assert call.signing_service == "bedrock" and call.region == "us-east-1"
    assert "model" not in call.body


def test_stream(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    emu.reply("one two three")
    client = get_anthropic_client(manager=manager)
    with client.messages.stream(model="haiku", max_tokens=50, messages=HI) as stream:
        assert "".join(stream.text_stream) == "one two three"
    [call] = runtime_calls(emu)
    assert call.operation == "InvokeModelWithResponseStream" and call.model_id == HAIKU


def _tool_round_trip(client: anthropic.AnthropicBedrock) -> tuple[Any, Any]:
    ask: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=ask, tools=[WEATHER_TOOL]
    )
    use = next(block for block in first.content if block.type == "tool_use")
    ask += [
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}],
        },
    ]
    return first, client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=ask, tools=[WEATHER_TOOL]
    )


def test_tool_use_round_trip(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    emu.reply(tool_use={"name": "get_weather", "input": {"city": "Paris"}})
    emu.reply("Sunny in Paris.")
    first, second = _tool_round_trip(get_anthropic_client(manager=manager))
    assert first.stop_reason == "tool_use"
    assert second.content[0].type == "text" and second.content[0].text == "Sunny in Paris."
    sent = runtime_calls(emu)[1].body["messages"][-1]["content"][0]
    assert sent["type"] == "tool_result" and sent["content"] == "sunny"


def test_async_create_stream_and_tool_round_trip(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    client = get_anthropic_client(manager=manager, async_=True)
    assert isinstance(client, anthropic.AsyncAnthropicBedrock)

    async def run() -> list[str]:
        created = await client.messages.create(model="sonnet", max_tokens=50, messages=HI)
        emu.reply("streamed words here")
        async with client.messages.stream(model="haiku", max_tokens=50, messages=HI) as stream:
            streamed = "".join([text async for text in stream.text_stream])
        emu.reply(tool_use={"name": "get_weather", "input": {"city": "Oslo"}})
        emu.reply("Snow in Oslo.")
        ask: list[Any] = [{"role": "user", "content": "Weather in Oslo?"}]
        first = await client.messages.create(
            model="haiku", max_tokens=100, messages=ask, tools=[WEATHER_TOOL]
        )
        use = next(block for block in first.content if block.type == "tool_use")
        ask += [
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id}]},
        ]
        second = await client.messages.create(
            model="haiku", max_tokens=100, messages=ask, tools=[WEATHER_TOOL]
        )
        texts = [created.content[0], second.content[0]]
        return [streamed, *(t.text for t in texts if t.type == "text")]

    assert asyncio.run(run()) == ["streamed words here", "Emulated reply to: hi", "Snow in Oslo."]
    assert {c.access_key_id for c in runtime_calls(emu)} == {emu.access_key_id}
    assert [c.model_id for c in runtime_calls(emu)] == [SONNET, HAIKU, HAIKU, HAIKU]


# -- credentials for the client's whole life ----------------------------------------------------


def test_one_client_across_two_role_refreshes(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore refreshes 15 (advisory) and 10 (mandatory) minutes before expiry; scaled down
    # here to the emulator's 3-second role credentials so that each set signs a few requests.
    refreshable = botocore.credentials.RefreshableCredentials
    monkeypatch.setattr(refreshable, "_advisory_refresh_timeout", 1.5)
    monkeypatch.setattr(refreshable, "_mandatory_refresh_timeout", 1)
    with BedrockEmulator(assume_role_duration=3) as emu:
        client = get_anthropic_client(manager=emu.manager(role_arn=ROLE))

        def assumed() -> int:
            return sum(r.operation == "AssumeRole" for r in emu.requests)

        first, deadline = assumed(), time.monotonic() + 30
        while assumed() < first + 2 and time.monotonic() < deadline:
            client.messages.create(model="haiku", max_tokens=20, messages=HI)
            time.sleep(0.1)
        client.messages.create(model="haiku", max_tokens=20, messages=HI)
        calls = runtime_calls(emu)
        assert assumed() == first + 2
        # No request was signed with expired credentials: the emulator would have refused it.
        assert {c.status for c in calls} == {200}
        keys = list(dict.fromkeys(c.access_key_id for c in calls))
        assert len(keys) == 3 and all(k.startswith("ASIA") for k in keys)
        assert emu.access_key_id not in keys  # the base keys only sign AssumeRole


def test_role_refresh_denied_is_an_access_denied_error() -> None:
    with BedrockEmulator() as emu:
        client = get_anthropic_client(manager=emu.manager(role_arn=ROLE, validate=False))
        # Every AssumeRole: the live catalog's listing tries first (and falls back), then the call.
        emu.fail(
            "AccessDenied", operation="AssumeRole", message="not authorized to assume", times=None
        )
        with pytest.raises(AccessDeniedError, match="sts:AssumeRole") as denied:
            client.messages.create(model="haiku", max_tokens=20, messages=HI)
        assert "not authorized to assume" in str(denied.value)
        assert runtime_calls(emu) == []


@pytest.mark.parametrize(
    ("code", "kind", "says"),
    [
        ("AccessDeniedException", AccessDeniedError, '"bedrock:InvokeModel"'),
        ("ExpiredTokenException", ExpiredCredentialsError, "have expired"),
        ("UnrecognizedClientException", InvalidCredentialsError, "AWS_SECRET_ACCESS_KEY"),
    ],
)
def test_credential_failures_are_typed_errors(
    emu: BedrockEmulator,
    manager: BedrockClientManager,
    code: str,
    kind: type[Exception],
    says: str,
) -> None:
    emu.fail(code, status=403)
    client = get_anthropic_client(manager=manager)
    with pytest.raises(kind, match=says) as caught:
        client.messages.create(model="sonnet", max_tokens=20, messages=HI)
    assert SONNET in str(caught.value)
    cause = caught.value.__cause__
    assert isinstance(cause, anthropic.APIStatusError) and cause.status_code == 403
    assert len(runtime_calls(emu)) == attempts(client, 403)  # 1: the SDK does not retry a 403


def test_streaming_credential_failure_is_typed(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.fail("AccessDeniedException")
    client = get_anthropic_client(manager=manager, async_=True)

    async def run() -> None:
        async with client.messages.stream(model="haiku", max_tokens=20, messages=HI) as stream:
            await stream.get_final_text()

    with pytest.raises(AccessDeniedError, match="bedrock:InvokeModelWithResponseStream"):
        asyncio.run(run())


def test_other_failures_stay_the_sdk_errors(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.fail("ThrottlingException", times=2)
    client = get_anthropic_client(manager=manager)
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model="haiku", max_tokens=20, messages=HI)
    # Two, the manager's max_retries=1, as the SDK retries a 429.
    assert [c.status for c in runtime_calls(emu)] == [429] * attempts(client, 429)


@pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
def test_retired_models_fail_before_sending(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    client = get_anthropic_client(manager=manager)
    with pytest.raises(bedrock_auth.ModelNotAvailableError, match="claude-opus-4"):
        client.messages.create(model="claude-3-opus-20240229", max_tokens=20, messages=HI)
    assert runtime_calls(emu) == []


# -- configuration from the manager --------------------------------------------------------------


def test_timeouts_retries_and_endpoint_come_from_the_manager(emu: BedrockEmulator) -> None:
    manager = emu.manager(read_timeout=42, connect_timeout=3, max_retries=5)
    client = get_anthropic_client(manager=manager)
    assert isinstance(client.timeout, anthropic.Timeout)
    assert (client.timeout.read, client.timeout.connect) == (42, 3)
    assert client.max_retries == 5
    assert str(client.base_url).rstrip("/") == emu.endpoint_url
    assert get_anthropic_client(manager=manager, max_retries=0, timeout=7).max_retries == 0


def test_endpoint_from_aws_endpoint_url_bedrock_runtime(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.clear()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.endpoint_url)
    manager = emu.manager(endpoint_url={"sts": emu.endpoint_url})
    client = get_anthropic_client(manager=manager)
    assert str(client.base_url).rstrip("/") == emu.endpoint_url
    client.messages.create(model="haiku", max_tokens=20, messages=HI)
    assert len(runtime_calls(emu)) == 1


def test_copies_keep_the_manager_and_follow_a_new_region(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    client = get_anthropic_client(manager=manager)
    faster = client.with_options(timeout=5)
    assert isinstance(faster, ManagedAnthropicBedrock) and faster.manager is manager
    seen: list[str] = []

    def spy(request: anthropic.APIRequest, call_next: anthropic.CallNext) -> Any:
        assert isinstance(request.json, dict)
        seen.append(request.json["model"])
        return call_next(request)

    eu = client.copy(aws_region="eu-west-1", middleware=[spy])
    eu.messages.create(model="sonnet", max_tokens=20, messages=HI)
    assert seen == ["eu.anthropic.claude-sonnet-4-6"]  # ours runs first, then the user's
    call = runtime_calls(emu)[-1]
    assert call.region == "eu-west-1" and call.model_id == "eu.anthropic.claude-sonnet-4-6"
    assert isinstance(
        get_anthropic_client(manager=manager, async_=True).with_options(max_retries=0),
        ManagedAsyncAnthropicBedrock,
    )


def test_iam_mode_never_uses_the_bearer_variable(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.clear()
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSK-from-the-environment")
    client = get_anthropic_client(manager=emu.manager())
    copied = client.with_options(max_retries=0)
    assert client.api_key is None and copied.api_key is None
    copied.messages.create(model="haiku", max_tokens=20, messages=HI)
    [call] = runtime_calls(emu)
    assert call.auth_scheme == "sigv4"


def test_api_key_mode_sends_the_key_to_this_client_only() -> None:
    with BedrockEmulator(tls=True) as emu:
        manager = emu.manager(api_key="ABSK-example-not-a-real-key", validate=False)
        client = get_anthropic_client(manager=manager)
        assert client.api_key == "ABSK-example-not-a-real-key"
        client.with_options(timeout=9).messages.create(model="haiku", max_tokens=20, messages=HI)
        [call] = runtime_calls(emu)
        assert call.auth_scheme == "bearer" and call.headers["authorization"] == "Bearer ***"


@pytest.mark.parametrize(
    "given",
    [
        {"aws_access_key": "AKIA0000", "aws_secret_key": "x"},
        {"aws_profile": "dev"},
        {"api_key": "ABSK-other"},
    ],
)
def test_own_credentials_are_refused(manager: BedrockClientManager, given: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(given))):
        get_anthropic_client(manager=manager, **given)


def test_ca_bundle_reaches_the_http_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    with BedrockEmulator(tls=True) as emu:
        assert emu.ca_bundle is not None
        monkeypatch.setenv("AWS_CA_BUNDLE", emu.ca_bundle)
        client = get_anthropic_client(manager=emu.manager(verify=None))  # AWS_CA_BUNDLE only
        client.messages.create(model="haiku", max_tokens=20, messages=HI)
        assert [c.status for c in runtime_calls(emu)] == [200]


class _ForwardProxy(http.server.ThreadingHTTPServer):
    """A plain-HTTP forward proxy on 127.0.0.1 that records the URLs it forwarded."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                proxy.seen.append(self.path)
                target = urllib.parse.urlsplit(self.path)
                upstream = http.client.HTTPConnection(target.netloc, timeout=10)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                upstream.request("POST", self.path, body, dict(self.headers))
                reply = upstream.getresponse()
                payload = reply.read()
                self.send_response(reply.status)
                for name, value in reply.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def forward_proxy() -> Iterator[_ForwardProxy]:
    server = _ForwardProxy()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_proxies_in_client_config_reach_the_http_transport(
    emu: BedrockEmulator, forward_proxy: _ForwardProxy
) -> None:
    emu.clear()
    proxy_url = f"http://127.0.0.1:{forward_proxy.server_address[1]}"
    manager = emu.manager(client_config=Config(proxies={"http": proxy_url}))
    get_anthropic_client(manager=manager).messages.create(model="haiku", max_tokens=20, messages=HI)
    assert f"{emu.endpoint_url}/model/{HAIKU}/invoke" in forward_proxy.seen
    assert [c.status for c in runtime_calls(emu)] == [200]


# -- the app-level switch -----------------------------------------------------------------------


@pytest.fixture
def emulator_env(emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> BedrockEmulator:
    emu.clear()
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    return emu


@pytest.mark.parametrize("async_", [False, True])
def test_switch_on_gives_the_bedrock_client(
    emulator_env: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, async_: bool
) -> None:
    monkeypatch.setenv("CLAUDE_CODE_USE_BEDROCK", "1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-not-used")
    client = anthropic_client_from_env(async_=async_)
    expected = ManagedAsyncAnthropicBedrock if async_ else ManagedAnthropicBedrock
    assert type(client) is expected
    assert client.aws_region == "us-east-1"  # type: ignore[union-attr]


@pytest.mark.parametrize("async_", [False, True])
def test_switch_off_gives_the_anthropic_api_client(
    monkeypatch: pytest.MonkeyPatch, async_: bool
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    client = anthropic_client_from_env(async_=async_, max_retries=0)
    assert type(client) is (anthropic.AsyncAnthropic if async_ else anthropic.Anthropic)
    assert client.api_key == "sk-ant-test" and client.max_retries == 0


def test_use_bedrock_argument_overrides_the_variable(
    emulator_env: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CODE_USE_BEDROCK", "0")
    assert isinstance(anthropic_client_from_env(use_bedrock=True), ManagedAnthropicBedrock)
    monkeypatch.setenv("CLAUDE_CODE_USE_BEDROCK", "1")
    client = anthropic_client_from_env(use_bedrock=False, api_key="sk-ant-given")
    assert type(client) is anthropic.Anthropic and client.api_key == "sk-ant-given"


@pytest.mark.parametrize(
    ("switch", "says"),
    [(None, "CLAUDE_CODE_USE_BEDROCK is not set"), ("0", "CLAUDE_CODE_USE_BEDROCK is off")],
)
def test_neither_side_configured_lists_both(
    monkeypatch: pytest.MonkeyPatch, switch: str | None, says: str
) -> None:
    if switch is not None:
        monkeypatch.setenv("CLAUDE_CODE_USE_BEDROCK", switch)
    with pytest.raises(ConfigurationError) as caught:
        anthropic_client_from_env()
    message = str(caught.value)
    assert says in message and "CLAUDE_CODE_USE_BEDROCK=1" in message
    assert "ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN is not set" in message
    with pytest.raises(ConfigurationError, match="use_bedrock=False was passed"):
        anthropic_client_from_env(use_bedrock=False)


def test_unreadable_switch_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CODE_USE_BEDROCK", "maybe")
    with pytest.raises(ConfigurationError, match="'maybe' is not accepted"):
        anthropic_client_from_env()


def test_switch_and_key_from_dotenv(clean_aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_aws_env / ".env").write_text("ANTHROPIC_API_KEY=sk-ant-from-dotenv\n")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)  # undone after the test
    client = anthropic_client_from_env()
    assert type(client) is anthropic.Anthropic and client.api_key == "sk-ant-from-dotenv"


def test_anthropic_model_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_MODEL_ID", "haiku")
    assert anthropic_model_from_env(use_bedrock=False) == "haiku"
    monkeypatch.setenv("ANTHROPIC_MODEL", "claude-sonnet-4-6")
    assert anthropic_model_from_env(use_bedrock=False) == "claude-sonnet-4-6"
    on_bedrock = anthropic_model_from_env(use_bedrock=True, region="eu-west-1")
    assert on_bedrock == "eu.anthropic.claude-sonnet-4-6"
    monkeypatch.setenv("CLAUDE_CODE_USE_BEDROCK", "1")
    opus = anthropic_model_from_env("opus-4.1", region="us-west-2")
    assert opus.startswith("us.anthropic.claude-opus-4-1")
    monkeypatch.delenv("ANTHROPIC_MODEL")
    monkeypatch.delenv("BEDROCK_MODEL_ID")
    assert anthropic_model_from_env(default="haiku", region="us-east-1") == HAIKU
    with pytest.raises(ConfigurationError, match="ANTHROPIC_MODEL nor BEDROCK_MODEL_ID"):
        anthropic_model_from_env(region="us-east-1")


def test_model_from_env_is_now_anthropic_model_from_env() -> None:
    """One name per function: the old, never released name is gone, not an alias."""
    import bedrock_auth
    import bedrock_auth.adapters
    import bedrock_auth.llm

    for module in (bedrock_auth, bedrock_auth.adapters, bedrock_auth.llm):
        assert not hasattr(module, "model_from_env")


# -- pydantic-ai ------------------------------------------------------------------------------


def test_pydantic_ai_agent_prompt_stream_and_tool(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    model = get_pydantic_ai_model("haiku", manager=manager, temperature=0)
    assert model.model_name == HAIKU and model.client is manager.client()
    assert model.settings == {"temperature": 0}
    agent = Agent(model)
    assert agent.run_sync("hello").output == "Emulated reply to: hello"

    emu.reply("streamed by pydantic ai")

    async def stream() -> str:
        async with agent.run_stream("stream it") as result:
            return "".join([delta async for delta in result.stream_text(delta=True)])

    assert asyncio.run(stream()) == "streamed by pydantic ai"

    cities: list[str] = []
    tooled = Agent(model)

    @tooled.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        cities.append(city)
        return "sunny"

    emu.reply(tool_use={"name": "get_weather", "input": {"city": "Paris"}})
    emu.reply("It is sunny in Paris.")
    assert tooled.run_sync("Weather in Paris?").output == "It is sunny in Paris."
    assert cities == ["Paris"]
    assert {c.model_id for c in runtime_calls(emu)} == {HAIKU}
    assert {c.access_key_id for c in runtime_calls(emu)} == {emu.access_key_id}


def test_pydantic_ai_model_from_bedrock_model_id(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="BEDROCK_MODEL_ID"):
        get_pydantic_ai_model(manager=emu.manager())
    monkeypatch.setenv("BEDROCK_MODEL_ID", "sonnet")
    model = get_pydantic_ai_model(manager=emu.manager(), region="eu-west-1")
    assert model.model_name == "eu.anthropic.claude-sonnet-4-6"


# -- LangChain embeddings --------------------------------------------------------------------------


def test_embeddings_on_the_shared_client(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    embeddings = get_embeddings(manager=manager)
    assert embeddings.client is manager.client() and embeddings.model_id == DEFAULT_EMBEDDINGS_MODEL
    vectors = embeddings.embed_documents(["one", "two"])
    assert len(vectors) == 2 and len(embeddings.embed_query("three")) == len(vectors[0])
    assert {c.model_id for c in runtime_calls(emu)} == {DEFAULT_EMBEDDINGS_MODEL}
    other = get_embeddings("amazon.titan-embed-text-v1", manager=manager, region="us-west-2")
    assert other.client is manager.client("bedrock-runtime", "us-west-2")


# -- packaging ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocked", "call", "extra"),
    [
        ("anthropic", lambda m: get_anthropic_client(manager=m), "anthropic"),
        ("anthropic", lambda m: anthropic_client_from_env(api_key="k"), "anthropic"),
        ("pydantic_ai", lambda m: get_pydantic_ai_model("haiku", manager=m), "pydantic-ai"),
        ("langchain_aws", lambda m: get_embeddings(manager=m), "langchain"),
    ],
)
def test_missing_extra_says_what_to_install(
    manager: BedrockClientManager,
    monkeypatch: pytest.MonkeyPatch,
    blocked: str,
    call: Any,
    extra: str,
) -> None:
    for name in [m for m in sys.modules if m == blocked or m.startswith(f"{blocked}.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, blocked, None)
    monkeypatch.delitem(sys.modules, "bedrock_auth._anthropic", raising=False)
    with pytest.raises(ImportError, match=rf'pip install "bedrock-auth\[{extra}\]"'):
        call(manager)


def test_import_loads_no_sdk() -> None:
    code = (
        "import sys, bedrock_auth\n"
        "assert callable(bedrock_auth.get_anthropic_client)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('anthropic', 'pydantic_ai', 'langchain_aws', 'langchain_core')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
