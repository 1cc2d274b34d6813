"""Injected faults surface as botocore would see them from AWS, and retry as botocore decides."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EventStreamError,
    ReadTimeoutError,
)
from botocore.retries.standard import ExponentialBackoff
from installed_botocore import modelled_status, retried

from bedrock_auth.testing import BedrockEmulator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hello world"}]}]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's retry decisions but skip its sleeps, so the suite stays fast."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture
def emu() -> Iterator[BedrockEmulator]:
    """A fresh emulator per test (overrides conftest's shared one): these tests count requests
    and change keys, identities and profiles, so they must not see each other's state."""
    with BedrockEmulator() as emulator:
        yield emulator


def _runtime(emu: BedrockEmulator, attempts: int, region: str | None = None, **config: Any) -> Any:
    retries = Config(retries={"mode": "standard", "total_max_attempts": attempts}, **config)
    return emu.client("bedrock-runtime", region=region, config=retries)


def _attempts(emu: BedrockEmulator, operation: str = "Converse") -> int:
    return sum(1 for r in emu.requests if r.operation == operation)


@pytest.mark.parametrize(
    ("code", "unmodelled_status"),
    [
        ("ThrottlingException", None),  # None: the status botocore's bedrock-runtime model gives
        ("ServiceUnavailableException", None),
        ("InternalServerException", None),
        ("ModelNotReadyException", None),  # modelled as retryable (not throttling)
        ("AccessDeniedException", None),
        ("ValidationException", None),
        ("ResourceNotFoundException", None),
        ("ModelTimeoutException", None),
        ("ExpiredTokenException", 403),  # not in the model: the emulator's own table
    ],
)
def test_fault_codes_statuses_and_retry_policy(
    emu: BedrockEmulator, code: str, unmodelled_status: int | None
) -> None:
    status = unmodelled_status or modelled_status("bedrock-runtime", code)
    assert status is not None, f"botocore's bedrock-runtime model has no {code}"
    emu.fail(code, times=None)

    with pytest.raises(ClientError) as info:
        _runtime(emu, attempts=3).converse(modelId=HAIKU, messages=MESSAGES)

    error = info.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error["Error"]["Message"]
    assert _attempts(emu) == (3 if retried(code, status) else 1)  # as botocore's policy says
    assert {r.error_code for r in emu.requests} == {code}


def test_transient_fault_recovers_within_max_attempts(emu: BedrockEmulator) -> None:
    emu.fail("ThrottlingException", times=2)

    response = _runtime(emu, attempts=3).converse(modelId=HAIKU, messages=MESSAGES)

    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert [r.status for r in emu.requests] == [429, 429, 200]


def test_custom_status_and_message(emu: BedrockEmulator) -> None:
    emu.fail("ServiceQuotaExceededException", status=400, message="Too many tokens today")
    with pytest.raises(ClientError) as info:
        _runtime(emu, attempts=1).invoke_model(
            modelId=HAIKU,
            body=json.dumps({"anthropic_version": "x", "max_tokens": 1, "messages": MESSAGES}),
        )
    assert info.value.response["Error"] == {
        "Code": "ServiceQuotaExceededException",
        "Message": "Too many tokens today",
    }


def test_region_scoped_fault_only_hits_that_region(emu: BedrockEmulator) -> None:
    emu.fail("ServiceUnavailableException", region="us-east-1", times=None)

    with pytest.raises(ClientError):
        _runtime(emu, attempts=2, region="us-east-1").converse(modelId=HAIKU, messages=MESSAGES)
    _runtime(emu, attempts=2, region="us-west-2").converse(modelId=HAIKU, messages=MESSAGES)

    assert [(r.region, r.status) for r in emu.requests] == [
        ("us-east-1", 503),
        ("us-east-1", 503),
        ("us-west-2", 200),
    ]


def test_operation_and_model_scoped_faults(emu: BedrockEmulator) -> None:
    emu.fail("AccessDeniedException", operation="InvokeModel")
    emu.fail("ResourceNotFoundException", model="amazon.nova-lite-v1:0")
    runtime = _runtime(emu, attempts=1)

    runtime.converse(modelId=HAIKU, messages=MESSAGES)
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId="us.amazon.nova-lite-v1:0", messages=MESSAGES)

    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert [r.error_code for r in emu.requests] == [None, "ResourceNotFoundException"]


def test_faults_skip_sts_unless_aimed_at_it(emu: BedrockEmulator) -> None:
    emu.fail("ThrottlingException")
    sts = emu.client("sts", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    sts.get_caller_identity()  # untouched: the default scope is the data plane

    emu.clear()
    emu.fail("AccessDenied", operation="AssumeRole", message="not authorized to assume")
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="session")
    assert info.value.response["Error"] == {
        "Type": "Sender",
        "Code": "AccessDenied",
        "Message": "not authorized to assume",
    }
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_service_scoped_fault_hits_control_plane(emu: BedrockEmulator) -> None:
    emu.fail("ThrottlingException", service="bedrock", times=None)
    bedrock = emu.client(
        "bedrock", config=Config(retries={"mode": "standard", "total_max_attempts": 2})
    )
    with pytest.raises(ClientError):
        bedrock.list_foundation_models()
    throttled = retried("ThrottlingException", 429, "ListFoundationModels", "bedrock")
    assert _attempts(emu, "ListFoundationModels") == (2 if throttled else 1)


def test_clear_disarms_faults(emu: BedrockEmulator) -> None:
    emu.fail("ThrottlingException", times=None)
    emu.clear()
    _runtime(emu, attempts=1).converse(modelId=HAIKU, messages=MESSAGES)
    assert [r.status for r in emu.requests] == [200]


def test_times_must_be_positive(emu: BedrockEmulator) -> None:
    with pytest.raises(ValueError, match="times"):
        emu.fail("ThrottlingException", times=0)


# -- mid-stream failures ----------------------------------------------------------------------


def test_converse_stream_fails_after_n_events(emu: BedrockEmulator) -> None:
    emu.reply("one two three four five six")
    emu.fail("ThrottlingException", after_chunks=3)
    received: list[Any] = []

    stream = _runtime(emu, attempts=3).converse_stream(modelId=HAIKU, messages=MESSAGES)
    with pytest.raises(EventStreamError) as info:
        for event in stream["stream"]:
            received.append(event)

    assert info.value.response["Error"]["Code"] == "throttlingException"
    assert info.value.response["Error"]["Message"] == (
        "Too many requests, please wait before trying again."
    )
    assert [next(iter(e)) for e in received] == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
    ]
    assert _attempts(emu, "ConverseStream") == 1  # a broken stream is not retried by botocore
    assert emu.requests[-1].error_code == "ThrottlingException"


def test_invoke_stream_model_stream_error(emu: BedrockEmulator) -> None:
    emu.fail("ModelStreamErrorException", after_chunks=1)
    body = json.dumps({"inputText": "hi there"})
    response = _runtime(emu, attempts=1).invoke_model_with_response_stream(
        modelId="amazon.titan-text-express-v1", body=body
    )
    events = iter(response["body"])
    assert "chunk" in next(events)
    with pytest.raises(EventStreamError) as info:
        next(events)
    assert info.value.response["Error"]["Code"] == "modelStreamErrorException"


def test_stream_faults_do_not_affect_unary_calls(emu: BedrockEmulator) -> None:
    emu.fail("ThrottlingException", after_chunks=0)
    runtime = _runtime(emu, attempts=1)
    runtime.converse(modelId=HAIKU, messages=MESSAGES)
    with pytest.raises(EventStreamError):
        list(runtime.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"])


def test_dropped_connection_mid_stream(emu: BedrockEmulator) -> None:
    emu.fail(None, after_chunks=2, drop_connection=True)
    stream = _runtime(emu, attempts=1).converse_stream(modelId=HAIKU, messages=MESSAGES)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        list(stream["stream"])


def test_agent_stream_fault(emu: BedrockEmulator) -> None:
    emu.fail("DependencyFailedException", after_chunks=1)
    agent = emu.client("bedrock-agent-runtime")
    response = agent.invoke_agent(
        agentId="AGENT", agentAliasId="ALIAS", sessionId="session", inputText="x y z"
    )
    with pytest.raises(EventStreamError) as info:
        list(response["completion"])
    assert info.value.response["Error"]["Code"] == "dependencyFailedException"


# -- timing and connection faults -------------------------------------------------------------


def test_delay_causes_read_timeout(emu: BedrockEmulator) -> None:
    emu.fail(None, delay=120)  # ended by emu.clear() below, never waited out
    runtime = _runtime(emu, attempts=1, read_timeout=0.3)
    start = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        runtime.converse(modelId=HAIKU, messages=MESSAGES)
    # The client gave up after its 0.3 s, not after the server's 120 s: a bound far from both.
    assert time.monotonic() - start < 30
    emu.clear()


def test_delay_without_code_answers_late_but_normally(emu: BedrockEmulator) -> None:
    emu.fail(None, delay=0.2)
    start = time.monotonic()
    response = _runtime(emu, attempts=1).converse(modelId=HAIKU, messages=MESSAGES)
    assert time.monotonic() - start >= 0.2
    assert response["stopReason"] == "end_turn"


def test_read_timeout_is_retried_then_succeeds(emu: BedrockEmulator) -> None:
    emu.fail(None, delay=1, times=1)
    response = _runtime(emu, attempts=2, read_timeout=0.3).converse(
        modelId=HAIKU, messages=MESSAGES
    )
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_dropped_connection_is_connection_error(emu: BedrockEmulator) -> None:
    emu.fail(None, drop_connection=True, times=None)
    with pytest.raises(ConnectionClosedError):
        _runtime(emu, attempts=2).converse(modelId=HAIKU, messages=MESSAGES)
    assert _attempts(emu) == 2
    assert {r.error_code for r in emu.requests} == {"ConnectionDropped"}


def test_dropped_connection_once_is_retried(emu: BedrockEmulator) -> None:
    emu.fail(None, drop_connection=True)
    response = _runtime(emu, attempts=2).converse(modelId=HAIKU, messages=MESSAGES)
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_stream_that_stalls_mid_way_hits_the_read_timeout(emu: BedrockEmulator) -> None:
    emu.fail(None, after_chunks=2, delay=2)
    stream = _runtime(emu, attempts=1, read_timeout=0.3).converse_stream(
        modelId=HAIKU, messages=MESSAGES
    )
    events = iter(stream["stream"])
    assert "messageStart" in next(events)
    assert "contentBlockDelta" in next(events)
    # botocore does not wrap errors raised while iterating a stream: urllib3's surface as is.
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        next(events)


def test_default_fault_status_comes_from_the_service_botocore_models() -> None:
    from bedrock_auth.testing.faults import default_status

    # 429 in bedrock-runtime's model, 424 in bedrock-agent-runtime's, 409 (botocore 1.44).
    runtime = modelled_status("bedrock-runtime", "ModelNotReadyException")
    agent = modelled_status("bedrock-agent-runtime", "ModelNotReadyException")
    conflict = modelled_status("bedrock-agent-runtime", "ConflictException")
    assert None not in (runtime, agent, conflict)
    assert default_status("ModelNotReadyException") == runtime
    assert default_status("ModelNotReadyException", "bedrock-agent-runtime") == agent
    assert default_status("ConflictException", "bedrock-agent-runtime") == conflict
    assert default_status("ExpiredToken") == 403  # STS spelling, from the emulator's table
    assert default_status("SomethingNew") == 400
