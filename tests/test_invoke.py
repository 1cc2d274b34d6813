"""Direct helpers against the emulator: converse, streams, invoke_model, agents, failover."""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_auth import (
    AccessDeniedError,
    BedrockClientManager,
    ConfigurationError,
    ServiceError,
    ServiceUnavailableError,
    ThrottlingError,
    converse,
    converse_stream,
    invoke_agent,
    invoke_agent_stream,
    invoke_model,
    invoke_model_stream,
)
from bedrock_auth.testing import BedrockEmulator


@pytest.fixture
def manager(emu: BedrockEmulator) -> BedrockClientManager:
    emu.clear()
    return emu.manager(max_retries=2)


def requests_for(emu: BedrockEmulator, operation: str) -> list[Any]:
    return [r for r in emu.requests if r.operation == operation]


def test_converse_with_prompt(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    emu.reply(text="Bonjour")
    result = converse(
        "nova-lite",
        "Say hi in French",
        system="Be brief",
        manager=manager,
        max_tokens=20,
        temperature=0,
    )
    assert (result.text, result.stop_reason) == ("Bonjour", "end_turn")
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens > 0
    assert result.model_id == "amazon.nova-lite-v1:0" and result.region == "us-east-1"
    assert result.latency_ms >= 0 and "output" in result.raw
    body = requests_for(emu, "Converse")[-1].body
    assert body["system"] == [{"text": "Be brief"}]
    assert body["inferenceConfig"] == {"maxTokens": 20, "temperature": 0}


def test_converse_with_messages(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    messages = [
        {"role": "user", "content": [{"text": "a"}]},
        {"role": "assistant", "content": [{"text": "b"}]},
        {"role": "user", "content": [{"text": "c"}]},
    ]
    emu.reply(text="d")
    assert converse("claude-haiku-4-5", messages, manager=manager).text == "d"
    assert requests_for(emu, "Converse")[-1].body["messages"] == messages


def test_converse_stream_yields_text_then_final_values(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.reply(text="one two three four")
    stream = converse_stream("claude-sonnet-4-5", "count", manager=manager)
    deltas = list(stream)
    assert len(deltas) > 1 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == stream.text == "one two three four"
    assert stream.stop_reason == "end_turn" and stream.usage.output_tokens > 0


def test_stream_failure_midway_carries_partial_text(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.reply(text="alpha beta gamma delta epsilon")
    emu.fail("ThrottlingException", after_chunks=3)  # frames: messageStart + two text deltas
    stream = converse_stream("claude-sonnet-4-5", "count", manager=manager)
    seen: list[str] = []
    with pytest.raises(ThrottlingError) as info:
        for delta in stream:
            seen.append(delta)
    assert len(seen) == 2
    assert info.value.partial_text == "".join(seen) != ""
    assert "partial answer" in str(info.value)


@pytest.mark.parametrize(
    ("model", "body", "text"),
    [
        (
            "claude-haiku-4-5",
            {"max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]},
            "anthropic says",
        ),
        (
            "nova-pro",
            {
                "messages": [{"role": "user", "content": [{"text": "hi"}]}],
                "inferenceConfig": {"maxTokens": 50},
            },
            "nova says",
        ),
        ("amazon.titan-text-express-v1", {"inputText": "hi"}, "titan says"),
    ],
)
def test_invoke_model_native_bodies(
    emu: BedrockEmulator, manager: BedrockClientManager, model: str, body: dict[str, Any], text: str
) -> None:
    emu.reply(text=text)
    assert invoke_model(model, body, manager=manager).text == text
    emu.reply(text=text + " streamed")
    stream = invoke_model_stream(model, body, manager=manager)
    assert "".join(stream) == text + " streamed" and stream.events


def test_anthropic_version_is_filled_in(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    invoke_model(
        "claude-haiku-4-5",
        {"max_tokens": 10, "messages": [{"role": "user", "content": "x"}]},
        manager=manager,
    )
    assert requests_for(emu, "InvokeModel")[-1].body["anthropic_version"] == "bedrock-2023-05-31"


def test_invoke_agent_assembles_chunks(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    emu.reply(text="Refunds within thirty days")
    answer = invoke_agent(
        "Refund policy?",
        agent_id="AGENT12345",
        alias_id="ALIAS12345",
        session_id="session-1",
        enable_trace=True,
        manager=manager,
    )
    assert answer.text == "Refunds within thirty days"
    assert answer.session_id == "session-1" and answer.trace
    fresh = invoke_agent("again", agent_id="AGENT12345", alias_id="ALIAS12345", manager=manager)
    assert fresh.session_id and fresh.session_id != "session-1"


def test_invoke_agent_stream_and_env_ids(
    emu: BedrockEmulator, manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_AGENT_ID", "AGENTENV01")
    monkeypatch.setenv("BEDROCK_AGENT_ALIAS_ID", "ALIASENV01")
    emu.reply(text="streamed agent answer here")
    stream = invoke_agent_stream("hi", manager=manager)
    assert "".join(stream) == "streamed agent answer here"
    assert (
        "/agents/AGENTENV01/agentAliases/ALIASENV01/" in requests_for(emu, "InvokeAgent")[-1].path
    )


def test_missing_agent_ids_name_the_variables(manager: BedrockClientManager) -> None:
    with pytest.raises(ConfigurationError, match=r"BEDROCK_AGENT_ID.*BEDROCK_AGENT_ALIAS_ID"):
        invoke_agent("hi", manager=manager)


def test_agent_errors_say_what_to_check(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.fail("ResourceNotFoundException", operation="InvokeAgent")
    with pytest.raises(ServiceError, match="alias is deployed"):
        invoke_agent("hi", agent_id="NOPE", alias_id="NOPE", manager=manager)
    emu.fail("AccessDeniedException", operation="InvokeAgent")
    with pytest.raises(AccessDeniedError, match="bedrock:InvokeAgent"):
        invoke_agent("hi", agent_id="A1", alias_id="B1", manager=manager)


def test_failover_to_next_region_after_retries(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.fail("ServiceUnavailableException", status=503, times=100, region="us-east-1")
    emu.reply(text="from eu")
    result = converse(
        "claude-sonnet-4-5", "hi", regions=["us-east-1", "eu-west-1"], manager=manager
    )
    assert result.text == "from eu" and result.region == "eu-west-1"
    assert result.model_id.startswith("eu.anthropic.")
    per_region = [r.region for r in requests_for(emu, "Converse")]
    assert per_region == ["us-east-1"] * 3 + ["eu-west-1"]  # 1 try + 2 retries, then eu


def test_failover_from_environment(
    emu: BedrockEmulator, manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_FALLBACK_REGIONS", "us-west-2")
    emu.fail("ThrottlingException", times=100, region="us-east-1")
    assert converse("nova-lite", "hi", manager=manager).region == "us-west-2"


def test_no_failover_on_access_denied(emu: BedrockEmulator, manager: BedrockClientManager) -> None:
    emu.fail("AccessDeniedException", times=100, region="us-east-1")
    with pytest.raises(AccessDeniedError):
        converse("nova-lite", "hi", regions=["us-east-1", "us-west-2"], manager=manager)
    assert len(requests_for(emu, "Converse")) == 1


def test_every_region_failing_lists_each(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.fail("ServiceUnavailableException", status=503, times=100, region="us-east-1")
    emu.fail("ThrottlingException", times=100, region="us-west-2")
    with pytest.raises(ThrottlingError) as info:
        converse("nova-lite", "hi", regions=["us-east-1", "us-west-2"], manager=manager)
    message = str(info.value)
    assert "us-east-1: ServiceUnavailableError" in message
    assert "us-west-2: ThrottlingError" in message
    assert isinstance(info.value.__cause__, ThrottlingError)
    assert ServiceUnavailableError.__name__ in message


def test_region_and_regions_together_is_an_error(manager: BedrockClientManager) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        converse("nova-lite", "hi", region="us-east-1", regions=["us-west-2"], manager=manager)


def test_dropped_connection_mid_stream_is_typed(emu: BedrockEmulator,
                                                manager: BedrockClientManager) -> None:
    from bedrock_auth import BedrockAuthError

    emu.reply(text="alpha beta gamma delta")
    emu.fail(None, after_chunks=3, drop_connection=True)
    with pytest.raises(BedrockAuthError) as info:
        list(converse_stream("nova-lite", "hi", manager=manager))
    assert info.value.partial_text and info.value.__cause__ is not None
