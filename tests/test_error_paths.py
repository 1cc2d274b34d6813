"""Failures over real sockets name the call that failed and the fix that applies to it.

A role's credentials are refreshed by botocore while it signs a later call, so STS failures
can surface from a Bedrock call; they must still be reported as STS's, and never trigger a
region failover.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from installed_botocore import retried

from bedrock_auth import (
    AccessDeniedError,
    BedrockClientManager,
    ClockSkewError,
    ConfigurationError,
    CredentialEndpointUnreachableError,
    CredentialServiceError,
    ModelError,
    ModelTimeoutError,
    ServiceError,
    ServiceUnavailableError,
    converse,
    converse_stream,
)
from bedrock_auth.errors import FAILOVER_ERRORS
from bedrock_auth.testing import BedrockEmulator

ROLE = "arn:aws:iam::210987654321:role/bedrock-user"
DENIED = (
    "User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: "
    f"sts:AssumeRole on resource: {ROLE}"
)


@pytest.fixture
def clean(emu: BedrockEmulator) -> Iterator[BedrockEmulator]:
    emu.clear()
    yield emu
    emu.clear()
    emu.assume_role_duration = None
    emu.clock_skew = 0.0


@pytest.fixture
def refreshing(clean: BedrockEmulator) -> BedrockClientManager:
    """A role whose credentials live 2 s and have expired: the next call fetches new ones.

    2 s, not 1: STS stamps expiry in whole seconds, so 1-second credentials can arrive expired.
    The live catalog is off: these tests count STS calls, and its listing would fetch
    credentials first (tests/test_live_catalog.py covers that path).
    """
    clean.assume_role_duration = 2
    manager = clean.manager(role_arn=ROLE, max_retries=0, live_catalog=False)
    time.sleep(2.2)
    return manager


def assume_role_calls(emu: BedrockEmulator) -> int:
    return sum(r.operation == "AssumeRole" for r in emu.requests)


def test_assume_role_denied_at_start_names_assume_role_and_the_trust_policy(
    clean: BedrockEmulator,
) -> None:
    clean.fail("AccessDenied", operation="AssumeRole", message=DENIED)
    with pytest.raises(AccessDeniedError) as info:
        clean.manager(role_arn=ROLE, external_id="partner-7")
    message = str(info.value)
    assert message.startswith("Access denied for sts AssumeRole in us-east-1")
    assert '"sts:AssumeRole"' in message and f'"{ROLE}"' in message
    assert "sts:GetCallerIdentity" not in message
    assert "trust policy" in message and "sts:ExternalId" in message


def test_assume_role_denied_during_a_refresh_is_not_a_model_access_problem(
    clean: BedrockEmulator, refreshing: BedrockClientManager
) -> None:
    clean.fail("AccessDenied", operation="AssumeRole", message=DENIED)
    with pytest.raises(AccessDeniedError) as info:
        converse("nova-lite", "hi", manager=refreshing)
    message = str(info.value)
    assert message.startswith(
        "Access denied for sts AssumeRole in us-east-1, fetching credentials for "
        "bedrock-runtime Converse"
    )
    assert "model access" not in message and "bedrock:InvokeModel" not in message
    assert '"sts:AssumeRole"' in message and "trust policy" in message


@pytest.mark.parametrize(("code", "status"), [("ServiceUnavailable", 503), ("Throttling", 400)])
def test_sts_trouble_during_a_refresh_is_sts_and_no_failover(
    clean: BedrockEmulator, refreshing: BedrockClientManager, code: str, status: int
) -> None:
    clean.fail(code, status=status, operation="AssumeRole", times=None)
    before = assume_role_calls(clean)
    with pytest.raises(CredentialServiceError) as info:
        converse(
            "nova-lite", "hi", manager=refreshing, region="us-east-1",
            fallback_regions=["us-west-2"],
        )
    assert not isinstance(info.value, FAILOVER_ERRORS)
    message = str(info.value)
    assert message.startswith("STS ") and "fetching credentials for bedrock-runtime" in message
    assert "inference profile" not in message and "fallback regions" not in message
    # Two STS attempts (the credential calls' default) where botocore retries the reply, in
    # one region: no failover.
    attempts = 2 if retried(code, status, "AssumeRole", "sts") else 1
    assert assume_role_calls(clean) - before == attempts
    assert not [r for r in clean.requests if r.operation == "Converse"]


def test_unreachable_sts_at_start_names_assume_role(clean: BedrockEmulator) -> None:
    clean.fail(None, operation="AssumeRole", drop_connection=True, times=None)
    with pytest.raises(CredentialEndpointUnreachableError) as info:
        clean.manager(role_arn=ROLE)
    message = str(info.value)
    assert message.startswith(
        "STS did not answer for sts AssumeRole in us-east-1, fetching credentials for "
        "sts GetCallerIdentity"
    ), message
    assert "AWS_ENDPOINT_URL_STS" in message and "bedrock-runtime" not in message


@pytest.mark.parametrize("trouble", [{"drop_connection": True}, {"delay": 3.0}])
def test_unreachable_sts_during_a_refresh_is_sts_and_no_failover(
    clean: BedrockEmulator, trouble: dict[str, object]
) -> None:
    clean.assume_role_duration = 2
    manager = clean.manager(role_arn=ROLE, max_retries=0, sts_read_timeout=0.5)
    time.sleep(2.2)
    clean.fail(None, operation="AssumeRole", times=None, **trouble)  # type: ignore[arg-type]
    with pytest.raises(CredentialEndpointUnreachableError) as info:
        converse(
            "nova-lite", "hi", manager=manager, region="us-east-1", fallback_regions=["us-west-2"]
        )
    assert not isinstance(info.value, FAILOVER_ERRORS)
    assert isinstance(info.value, CredentialServiceError)
    message = str(info.value)
    assert message.startswith(
        "STS did not answer for sts AssumeRole in us-east-1, fetching credentials for "
        "bedrock-runtime Converse"
    ), message
    assert not [r for r in clean.requests if r.operation == "Converse"]


def test_every_refresh_is_kept_out_of_tracebacks(clean: BedrockEmulator) -> None:
    """Credentials from the second fetch on are masked too, even with no AWS secret shape."""
    import traceback
    from datetime import datetime, timedelta, timezone

    from bedrock_auth import CredentialValues

    fetches: list[str] = []

    def provider() -> CredentialValues:
        fetches.append(f"plain-words-secret-{len(fetches) + 1}")
        # The first lives 2 s, the second an hour: however slow this machine is at building
        # the manager, the call below is made with the second.
        life = timedelta(seconds=2) if len(fetches) == 1 else timedelta(hours=1)
        expiry = datetime.now(timezone.utc) + life
        return CredentialValues("AKIAREFRESHED0000001", fetches[-1], expiration=expiry)

    manager = clean.manager(credential_provider=provider, max_retries=0)
    time.sleep(2.2)  # the first has expired: the next call fetches plain-words-secret-2
    clean.fail("ValidationException", message="signed with plain-words-secret-2")
    with pytest.raises(ServiceError) as info:
        converse("nova-lite", "hi", manager=manager)
    assert fetches == ["plain-words-secret-1", "plain-words-secret-2"]
    shown = "".join(traceback.format_exception(info.value))
    assert "plain-words-secret-2" not in shown, shown


@pytest.mark.parametrize(
    ("code", "status", "kind", "says"),
    [
        ("BadGatewayException", 502, ServiceUnavailableError, "fallback regions"),
        ("ServiceUnavailableException", 503, ServiceUnavailableError, "fallback regions"),
        ("GatewayTimeoutException", 504, ServiceUnavailableError, "fallback regions"),
        ("ModelTimeoutException", 408, ModelTimeoutError, "BEDROCK_READ_TIMEOUT"),
        ("ModelErrorException", 424, ModelError, "inside the model"),
    ],
)
def test_bedrock_status_codes_get_their_class_and_hint(
    clean: BedrockEmulator, code: str, status: int, kind: type[Exception], says: str
) -> None:
    manager = clean.manager(max_retries=2)
    clean.fail(code, status=status, times=None)
    with pytest.raises(kind) as info:
        converse("nova-lite", "hi", manager=manager)
    assert says in str(info.value)
    assert ("after 2 retries" in str(info.value)) is retried(code, status)
    assert isinstance(info.value, FAILOVER_ERRORS) is (kind is ServiceUnavailableError)


def test_a_stream_that_breaks_does_not_claim_retries(clean: BedrockEmulator) -> None:
    manager = clean.manager()
    clean.fail("ServiceUnavailableException", after_chunks=2)
    stream = converse_stream("nova-lite", "one two three four five", manager=manager)
    with pytest.raises(ServiceUnavailableError) as info:
        list(stream)
    first_line = str(info.value).splitlines()[0]
    assert "Bedrock could not serve bedrock-runtime ConverseStream" in first_line
    assert "retr" not in first_line
    assert info.value.partial_text


def test_a_clock_behind_aws_is_named_at_start(clean: BedrockEmulator) -> None:
    clean.clock_skew = 3600  # AWS's clock is an hour ahead of this machine's
    with pytest.raises(ClockSkewError) as info:
        clean.manager()
    message = str(info.value)
    assert "sts GetCallerIdentity" in message and "Signature expired" in message
    assert "This machine's clock is about 1 h behind AWS's" in message
    assert "timedatectl" in message


def test_a_clock_ahead_of_aws_is_named_on_a_bedrock_call(clean: BedrockEmulator) -> None:
    # Within STS's 15 minutes, beyond Bedrock's 5: the manager starts, the model call fails.
    manager = clean.manager()
    clean.clock_skew = -600
    with pytest.raises(ClockSkewError) as info:
        converse("nova-lite", "hi", manager=manager)
    message = str(info.value)
    assert "InvalidSignatureException" in message and "Signature not yet current" in message
    assert "This machine's clock is about 10 min ahead of AWS's" in message


def test_credentials_expired_on_arrival_are_about_the_clock(clean: BedrockEmulator) -> None:
    # 14 minutes ahead: STS still accepts the signature, but its 10-minute credentials are
    # already past their expiry by this machine's clock.
    clean.clock_skew = -14 * 60
    clean.assume_role_duration = 600
    with pytest.raises(ClockSkewError) as info:
        clean.manager(role_arn=ROLE)
    assert "already expired when they arrived, by this machine's clock" in str(info.value)


def test_a_token_with_its_trailing_newline_is_a_configuration_error(
    clean: BedrockEmulator,
) -> None:
    with pytest.raises(ConfigurationError) as info:
        clean.manager(session_token="IQoJb3JpZ2luX2VjE" + "A" * 120 + "\n")
    message = str(info.value)
    assert "line break" in message and "AWS_SESSION_TOKEN" in message
    assert "A" * 120 not in message
