"""Anthropic's Messages API on bedrock-mantle: the emulator's ``/anthropic/v1`` paths on the wire,
and ``get_anthropic_client(endpoint="mantle")`` through the real anthropic SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from test_emulator_openai import error_type, send

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
