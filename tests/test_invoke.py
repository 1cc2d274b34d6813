"""Direct helpers against the emulator: converse, streams, invoke_model, agents, failover."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from installed_botocore import retried

from bedrock_auth import (
    AccessDeniedError,
    BedrockAuthError,
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


@pytest.fixture
def quick(emu: BedrockEmulator) -> BedrockClientManager:
    """No botocore retries: a fault moves to the next region at once."""
    emu.clear()
    return emu.manager(max_retries=0)


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
    stream = invoke_model_stream(model, body, manager=manager, keep_events=True)
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
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.clear()
    monkeypatch.setenv("BEDROCK_AGENT_ID", "AGENTENV01")
    monkeypatch.setenv("BEDROCK_AGENT_ALIAS_ID", "ALIASENV01")
    manager = emu.manager()
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


# -- region failover ---------------------------------------------------------------------------

NOVA_BODY = {
    "messages": [{"role": "user", "content": [{"text": "hi"}]}],
    "inferenceConfig": {"maxTokens": 20},
}


def _converse(**options: Any) -> str:
    return converse("nova-lite", "hi", **options).region


def _converse_stream(**options: Any) -> str:
    stream = converse_stream("nova-lite", "hi", **options)
    "".join(stream)
    return stream.region


def _invoke_model(**options: Any) -> str:
    return invoke_model("nova-lite", NOVA_BODY, **options).region


def _invoke_model_stream(**options: Any) -> str:
    stream = invoke_model_stream("nova-lite", NOVA_BODY, **options)
    "".join(stream)
    return stream.region


# Each model helper by the operation it sends; each returns the region that answered.
HELPERS: dict[str, Callable[..., str]] = {
    "Converse": _converse,
    "ConverseStream": _converse_stream,
    "InvokeModel": _invoke_model,
    "InvokeModelWithResponseStream": _invoke_model_stream,
}


def regions_of(emu: BedrockEmulator, operation: str) -> list[str]:
    return [r.region for r in requests_for(emu, operation)]


@pytest.mark.parametrize("operation", HELPERS)
def test_each_helper_fails_over_on_throttling(
    emu: BedrockEmulator,
    quick: BedrockClientManager,
    operation: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emu.fail("ThrottlingException", times=100, region="us-east-1")
    with caplog.at_level(logging.WARNING, logger="bedrock_auth"):
        answered = HELPERS[operation](fallback_regions=["us-west-2"], manager=quick)
    assert answered == "us-west-2"
    assert regions_of(emu, operation) == ["us-east-1", "us-west-2"]
    assert (
        f"{operation} nova-lite failed in us-east-1 (ThrottlingError); failing over to us-west-2"
        in caplog.text
    )


@pytest.mark.parametrize("operation", HELPERS)
def test_each_helper_stays_put_on_access_denied(
    emu: BedrockEmulator, quick: BedrockClientManager, operation: str
) -> None:
    emu.fail("AccessDeniedException", times=100, region="us-east-1")
    with pytest.raises(AccessDeniedError):
        HELPERS[operation](fallback_regions=["us-west-2"], manager=quick)
    assert regions_of(emu, operation) == ["us-east-1"]


def test_failover_after_retries_resolves_the_model_for_each_region(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.fail("ServiceUnavailableException", status=503, times=100, region="us-east-1")
    emu.reply(text="from eu")
    result = converse("claude-sonnet-4-5", "hi", fallback_regions=["eu-west-1"], manager=manager)
    assert result.text == "from eu" and result.region == "eu-west-1"
    assert result.model_id.startswith("eu.anthropic.")
    tries = 3 if retried("ServiceUnavailableException", 503) else 1  # 1 try + 2 retries
    assert regions_of(emu, "Converse") == ["us-east-1"] * tries + ["eu-west-1"]


def test_stream_failing_on_its_first_event_fails_over(
    emu: BedrockEmulator, quick: BedrockClientManager
) -> None:
    emu.fail("ThrottlingException", after_chunks=0, region="us-east-1")
    stream = converse_stream("nova-lite", "hi", fallback_regions=["us-west-2"], manager=quick)
    assert "".join(stream) == "Emulated reply to: hi" and stream.region == "us-west-2"


def test_stream_that_yielded_does_not_fail_over(
    emu: BedrockEmulator, quick: BedrockClientManager
) -> None:
    emu.reply(text="alpha beta gamma delta")
    emu.fail("ThrottlingException", after_chunks=3, region="us-east-1")
    stream = converse_stream("nova-lite", "hi", fallback_regions=["us-west-2"], manager=quick)
    with pytest.raises(ThrottlingError) as info:
        list(stream)
    assert info.value.partial_text.strip() == "alpha beta"
    assert regions_of(emu, "ConverseStream") == ["us-east-1"]


@pytest.mark.parametrize("operation", HELPERS)
def test_the_old_regions_keyword_is_gone(
    emu: BedrockEmulator, quick: BedrockClientManager, operation: str
) -> None:
    """regions= (the whole ordered list) was never released: it is not a keyword any more.
    The Converse helpers pass unknown keywords to the API, whose own check refuses it."""
    with pytest.raises((TypeError, BedrockAuthError), match="regions"):
        HELPERS[operation](regions=["us-east-1", "us-west-2"], manager=quick)
    assert regions_of(emu, operation) == []


def test_fallback_regions_default_to_the_managers(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.clear()
    monkeypatch.setenv("BEDROCK_FALLBACK_REGIONS", "us-west-2")
    from_env = emu.manager(max_retries=0)
    from_keyword = emu.manager(max_retries=0, fallback_regions=["eu-west-1"])
    emu.fail("ThrottlingException", times=100, region="us-east-1")
    assert converse("nova-lite", "hi", manager=from_env).region == "us-west-2"
    assert converse("nova-lite", "hi", manager=from_keyword).region == "eu-west-1"


def test_empty_fallback_regions_means_no_failover(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.clear()
    monkeypatch.setenv("BEDROCK_FALLBACK_REGIONS", "us-west-2")
    manager = emu.manager(max_retries=0)
    emu.fail("ThrottlingException", times=100, region="us-east-1")
    with pytest.raises(ThrottlingError):
        converse("nova-lite", "hi", fallback_regions=[], manager=manager)
    assert regions_of(emu, "Converse") == ["us-east-1"]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"fallback_regions": ["us-west-2", "mars-1"]}, "fallback_regions='mars-1'"),
        ({"fallback_regions": "us-west-2"}, r"fallback_regions=\['us-west-2'\]"),
        ({"region": "US East"}, "region='US East'"),
    ],
)
def test_region_names_are_checked_before_any_call(
    emu: BedrockEmulator, manager: BedrockClientManager, options: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigurationError, match=says):
        converse("nova-lite", "hi", manager=manager, **options)
    assert requests_for(emu, "Converse") == []


def test_defaults_are_read_once_by_the_manager(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helpers take their defaults from manager.settings, never from os.environ."""
    emu.clear()
    monkeypatch.setenv("BEDROCK_FALLBACK_REGIONS", "us-west-2")
    monkeypatch.setenv("BEDROCK_AGENT_ID", "AGENTMGR01")
    monkeypatch.setenv("BEDROCK_AGENT_ALIAS_ID", "ALIASMGR01")
    manager = emu.manager(max_retries=0)
    monkeypatch.setenv("BEDROCK_FALLBACK_REGIONS", "eu-west-1")
    monkeypatch.setenv("BEDROCK_AGENT_ID", "AGENTENV99")
    monkeypatch.delenv("BEDROCK_AGENT_ALIAS_ID")
    emu.fail("ThrottlingException", times=100, region="us-east-1", operation="Converse")
    assert converse("nova-lite", "hi", manager=manager).region == "us-west-2"
    invoke_agent("hi", manager=manager)
    agent_path = requests_for(emu, "InvokeAgent")[-1].path
    assert "/agents/AGENTMGR01/agentAliases/ALIASMGR01/" in agent_path


def test_every_region_failing_lists_each(emu: BedrockEmulator, quick: BedrockClientManager) -> None:
    emu.fail("ServiceUnavailableException", status=503, times=100, region="us-east-1")
    emu.fail("ThrottlingException", times=100, region="us-west-2")
    with pytest.raises(ThrottlingError) as info:
        converse("nova-lite", "hi", fallback_regions=["us-west-2"], manager=quick)
    message = str(info.value)
    assert "us-east-1: ServiceUnavailableError" in message
    assert "us-west-2: ThrottlingError" in message
    assert isinstance(info.value.__cause__, ThrottlingError)
    assert ServiceUnavailableError.__name__ in message


def test_dropped_connection_mid_stream_is_typed(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.reply(text="alpha beta gamma delta")
    emu.fail(None, after_chunks=3, drop_connection=True)
    with pytest.raises(BedrockAuthError) as info:
        list(converse_stream("nova-lite", "hi", manager=manager))
    assert info.value.partial_text and info.value.__cause__ is not None


def test_streams_keep_events_only_when_asked(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.reply("one two three")
    kept = converse_stream("nova-lite", "hi", manager=manager, keep_events=True)
    assert "".join(kept) == "one two three"
    assert any("contentBlockDelta" in event for event in kept.raw_events)
    emu.reply("one two three")
    plain = converse_stream("nova-lite", "hi", manager=manager)
    assert "".join(plain) == plain.text == "one two three" and plain.usage.output_tokens == 3
    with pytest.raises(AttributeError, match=r"raw_events .*keep_events=True"):
        _ = plain.raw_events
    assert not hasattr(plain, "raw_events")
    emu.reply("one two")
    body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    chunks = invoke_model_stream("nova-lite", body, manager=manager)
    assert "".join(chunks) == "one two"
    with pytest.raises(AttributeError, match=r"InvokeStream\.events .*keep_events=True"):
        _ = chunks.events


def test_a_finished_stream_holds_its_text_not_its_deltas(
    emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    emu.reply("w " * 2000)
    stream = converse_stream("nova-lite", "hi", manager=manager)
    assert sum(1 for _ in stream) == 2000
    assert stream._parts == [stream.text] and stream.text == "w " * 2000
