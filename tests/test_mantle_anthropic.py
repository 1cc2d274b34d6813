"""Anthropic's Messages API on bedrock-mantle: the emulator's ``/anthropic/v1`` paths on the wire,
and ``get_anthropic_client(endpoint="mantle")`` through the real anthropic SDK."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_emulator_openai import error_type, send

from bedrock_auth import ConfigurationError, ModelNotAvailableError, get_anthropic_client
from bedrock_auth.models import get_model_info
from bedrock_auth.testing import BedrockEmulator

anthropic = pytest.importorskip("anthropic")

#: A Claude model the model data serves on Mantle (and whose Bedrock CountTokens is refused).
MODEL = "anthropic.claude-sonnet-5"
ASK: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi there"}],
}
VERSION = {"anthropic-version": "2023-06-01"}
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture(scope="module")
def emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        yield emulator


def messages_url(base: str) -> str:
    return f"{base}/anthropic/v1/messages"


# -- the emulator ----------------------------------------------------------------------------


def test_the_model_data_serves_the_model_on_mantles_anthropic_path() -> None:
    info = get_model_info(MODEL)
    assert info is not None and info.mantle is not None
    assert (info.mantle.model_id, info.mantle.path) == (MODEL, "/anthropic")


def test_each_listener_takes_its_own_service_name(emu: BedrockEmulator) -> None:
    mantle, runtime = messages_url(emu.mantle_url), messages_url(emu.endpoint_url)
    status, _, body = send(mantle, ASK, service="bedrock-mantle", headers=VERSION)
    assert status == 200
    assert json.loads(body)["content"] == [{"type": "text", "text": "Emulated reply to: hi there"}]
    assert send(runtime, ASK, service="bedrock", headers=VERSION)[0] == 200
    for url, wrong in ((mantle, "bedrock"), (runtime, "bedrock-mantle")):
        status, headers, _ = send(url, ASK, service=wrong, headers=VERSION)
        assert (status, error_type(headers)) == (403, "InvalidSignatureException")


def test_a_request_is_checked_as_anthropic_checks_it(emu: BedrockEmulator) -> None:
    url = messages_url(emu.mantle_url)
    assert send(url, ASK, service="bedrock-mantle")[0] == 400  # no anthropic-version header
    missing = {k: v for k, v in ASK.items() if k != "max_tokens"}
    status, _, body = send(url, missing, service="bedrock-mantle", headers=VERSION)
    assert status == 400 and b"max_tokens" in body
    runtime_id = {**ASK, "model": "anthropic.claude-sonnet-4-5-20250929-v1:0"}
    status, _, body = send(url, runtime_id, service="bedrock-mantle", headers=VERSION)
    assert status == 404 and b"does not exist on bedrock-mantle" in body


def test_messages_stream_as_anthropic_events(emu: BedrockEmulator) -> None:
    url = messages_url(emu.mantle_url)
    status, headers, body = send(
        url, {**ASK, "stream": True}, service="bedrock-mantle", headers=VERSION
    )
    assert status == 200 and headers["Content-Type"] == "text/event-stream"
    frames = [f for f in body.decode().split("\n\n") if f]
    names = [f.split("\n")[0].removeprefix("event: ") for f in frames]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    events = [json.loads(f.split("\n")[1].removeprefix("data: ")) for f in frames]
    assert [e["type"] for e in events] == names
    assert all("amazon-bedrock-invocationMetrics" not in e for e in events)


def test_count_tokens_answers_for_a_model_bedrocks_count_tokens_refuses(
    emu: BedrockEmulator,
) -> None:
    info = get_model_info(MODEL)
    assert info is not None and not info.capabilities.count_tokens
    url = messages_url(emu.mantle_url) + "/count_tokens"
    ask = {k: v for k, v in ASK.items() if k != "max_tokens"}
    status, _, body = send(url, ask, service="bedrock-mantle", headers=VERSION)
    assert status == 200 and json.loads(body)["input_tokens"] > 0


@pytest.fixture
def tls_emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(tls=True) as emulator:
        yield emulator


def test_api_keys_are_checked_on_the_anthropic_paths(tls_emu: BedrockEmulator) -> None:
    emu, ca = tls_emu, tls_emu.ca_bundle
    url = messages_url(emu.mantle_url)
    assert send(url, ASK, bearer=emu.api_key, ca_bundle=ca, headers=VERSION)[0] == 200
    status, headers, _ = send(url, ASK, bearer="ABSK" + "x" * 40, ca_bundle=ca, headers=VERSION)
    assert status == 403 and error_type(headers) == "UnrecognizedClientException"


def test_the_sdks_own_mantle_client_runs_against_the_emulator(emu: BedrockEmulator) -> None:
    """Static keys through anthropic's AnthropicBedrockMantle: create, stream, a tool call."""
    client = anthropic.AnthropicBedrockMantle(
        aws_access_key="AKIAEMULATOR00000000",
        aws_secret_key="emulator/secret/key/not/a/real/one/00000",
        aws_region="us-east-1",
        base_url=f"{emu.mantle_url}/anthropic",
        max_retries=0,
    )
    assert client.messages.create(**ASK).content[0].text == "Emulated reply to: hi there"
    with client.messages.stream(**ASK) as stream:
        assert "".join(stream.text_stream) == "Emulated reply to: hi there"
    called = client.messages.create(**ASK, tools=[WEATHER], tool_choice={"type": "any"})
    assert called.stop_reason == "tool_use" and called.content[-1].name == "get_weather"
    assert emu.requests[-1].signing_service == "bedrock-mantle"


# -- get_anthropic_client(endpoint="mantle") -------------------------------------------------

ROLE = "arn:aws:iam::210987654321:role/anthropic-mantle-user"


def mantle_calls(emu: BedrockEmulator, since: int = 0) -> list[Any]:
    return [
        r for r in emu.requests[since:] if r.operation in ("CreateMessage", "CountMessageTokens")
    ]


@pytest.fixture(scope="module")
def tls() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(tls=True) as emulator:
        yield emulator


def test_the_mantle_client_is_the_sdks_mantle_client_on_the_managers_url(
    tls: BedrockEmulator,
) -> None:
    with tls.manager() as manager:
        client = get_anthropic_client(endpoint="mantle", manager=manager)
        assert isinstance(client, anthropic.AnthropicBedrockMantle)
        assert str(client.base_url).rstrip("/") == f"{tls.mantle_url}/anthropic"
        asynchronous = get_anthropic_client(endpoint="mantle", async_=True, manager=manager)
        assert isinstance(asynchronous, anthropic.AsyncAnthropicBedrockMantle)
        assert isinstance(get_anthropic_client(manager=manager), anthropic.AnthropicBedrock)
        copied = client.with_options(max_retries=1)
        assert str(copied.base_url) == str(client.base_url) and copied.manager is manager


@pytest.fixture
def client(tls: BedrockEmulator) -> Iterator[Any]:
    """A Mantle client on a manager of the TLS emulator's test keys."""
    with tls.manager() as manager:
        yield get_anthropic_client(endpoint="mantle", manager=manager)


def test_create_stream_tools_and_count_tokens_sign_for_bedrock_mantle(
    tls: BedrockEmulator, client: Any
) -> None:
    since = len(tls.requests)
    ask = {**ASK, "model": "sonnet-5"}  # an alias: mapped to Mantle's id
    assert client.messages.create(**ask).content[0].text == "Emulated reply to: hi there"
    with client.messages.stream(**ask) as stream:
        assert "".join(stream.text_stream) == "Emulated reply to: hi there"
    called = client.messages.create(**ask, tools=[WEATHER], tool_choice={"type": "any"})
    assert called.stop_reason == "tool_use" and called.content[-1].name == "get_weather"
    counted = client.messages.count_tokens(model="sonnet-5", messages=ASK["messages"])
    assert counted.input_tokens > 0
    calls = mantle_calls(tls, since)
    assert len(calls) == 4 and {(c.status, c.signing_service) for c in calls} == {
        (200, "bedrock-mantle")
    }
    assert {c.body["model"] for c in calls} == {MODEL}


def test_the_async_mantle_client_streams_and_calls_tools(tls: BedrockEmulator) -> None:
    async def run() -> tuple[str, str]:
        with tls.manager() as manager:
            client = get_anthropic_client(endpoint="mantle", async_=True, manager=manager)
            async with client.messages.stream(**ASK) as stream:
                text = "".join([t async for t in stream.text_stream])
            called = await client.messages.create(
                **ASK, tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"}
            )
            await client.close()
        return text, called.content[-1].name

    assert asyncio.run(run()) == ("Emulated reply to: hi there", "get_weather")


def test_api_key_mode_sends_the_managers_key(tls: BedrockEmulator) -> None:
    since = len(tls.requests)
    with tls.manager(api_key=tls.api_key) as manager:
        client = get_anthropic_client(endpoint="mantle", manager=manager)
        assert client.messages.create(**ASK).content[0].text == "Emulated reply to: hi there"
    (call,) = mantle_calls(tls, since)
    assert call.auth_scheme == "bearer" and call.status == 200


def test_a_key_is_never_sent_to_mantle_over_plain_http(emu: BedrockEmulator) -> None:
    manager = emu.manager(api_key="ABSK-example-not-a-real-key", validate=False)
    with manager, pytest.raises(ConfigurationError, match="mantle_endpoint_url="):
        get_anthropic_client(endpoint="mantle", manager=manager)


def test_a_model_the_data_keeps_off_mantle_is_refused_before_sending(
    tls: BedrockEmulator, client: Any
) -> None:
    since = len(tls.requests)
    with pytest.raises(ModelNotAvailableError, match="endpoint='runtime'"):
        client.messages.create(**{**ASK, "model": "gpt-oss-120b"})
    assert mantle_calls(tls, since) == []


def test_an_unknown_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="runtime, mantle"):
        get_anthropic_client(endpoint="elsewhere")  # type: ignore[call-overload]


def across_refreshes(emu: BedrockEmulator, step: Callable[[], object]) -> None:
    """Run ``step`` until the emulator's 5-second role has been assumed twice more, then once
    with the third credentials."""

    def assumed() -> int:
        return sum(r.operation == "AssumeRole" for r in emu.requests)

    first, deadline = assumed(), time.monotonic() + 90
    while assumed() < first + 2:
        assert time.monotonic() < deadline, "the role was not refreshed twice in 90 s"
        step()
    step()


def check_fresh(calls: list[Any], *, signed: bool = True, keyed: bool = True) -> None:
    """Every call answered, signed by three or more role credentials and sent three or more
    keys: new ones after each expiry, never an expired one."""
    assert {(c.status, c.error_code) for c in calls} == {(200, None)}
    signers = {c.access_key_id for c in calls if c.auth_scheme == "sigv4"}
    keys = {c.masked["headers.authorization"] for c in calls if c.auth_scheme == "bearer"}
    assert not signed or (len(signers) >= 3 and all(k and k.startswith("ASIA") for k in signers))
    assert not keyed or len(keys) >= 3


def test_a_run_across_role_expiries_never_sends_expired_credentials_or_keys() -> None:
    """5-second role credentials: SigV4 and API-key clients keep answering across two
    refreshes, and the emulator (which refuses expired credentials and keys) never has to."""
    pytest.importorskip("aws_bedrock_token_generator")
    with (
        BedrockEmulator(tls=True, assume_role_duration=5) as emu,
        emu.manager(role_arn=ROLE) as manager,
    ):
        signed = get_anthropic_client(endpoint="mantle", manager=manager)
        keys = manager.api_key_provider()

        def step() -> None:
            signed.messages.create(**ASK)
            with signed.messages.stream(**ASK) as stream:
                stream.until_done()
            bearer_call(emu, keys())

        across_refreshes(emu, step)
        check_fresh(mantle_calls(emu))


def bearer_call(emu: BedrockEmulator, key: str) -> None:
    status = send(
        messages_url(emu.mantle_url), ASK, bearer=key, ca_bundle=emu.ca_bundle, headers=VERSION
    )[0]
    assert status == 200
