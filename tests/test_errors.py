"""Each botocore failure becomes one typed error that says what to do next."""

from __future__ import annotations

import json
import os
import time
import traceback
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from botocore import exceptions as bx
from botocore.credentials import RefreshableCredentials

from bedrock_auth import _redact, errors
from bedrock_auth._redact import redact, redact_exception
from bedrock_auth._translate import ErrorContext, translate_error
from bedrock_auth.errors import FAILOVER_ERRORS


def client_error(
    code: str,
    message: str = "boom",
    operation: str = "Converse",
    *,
    status: int = 400,
    retries: int | None = None,
    headers: dict[str, str] | None = None,
) -> bx.ClientError:
    metadata: dict[str, Any] = {"HTTPStatusCode": status, "HTTPHeaders": headers or {}}
    if retries is not None:
        metadata["RetryAttempts"] = retries
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata}
    return bx.ClientError(response, operation)  # type: ignore[arg-type]


CTX = ErrorContext(
    service="bedrock-runtime",
    operation="Converse",
    region="us-east-1",
    model_id="anthropic.claude-3-haiku-20240307-v1:0",
    profile="dev",
)


@pytest.mark.parametrize(
    ("exc", "kind", "says"),
    [
        (bx.NoCredentialsError(), errors.CredentialsNotFoundError, "aws sso login --profile"),
        (
            bx.SSOTokenLoadError(error_msg="gone"),
            errors.SSOLoginRequiredError,
            "aws sso login --profile dev",
        ),
        (
            bx.UnauthorizedSSOTokenError(),
            errors.SSOLoginRequiredError,
            "aws sso login --profile dev",
        ),
        (
            bx.TokenRetrievalError(provider="sso", error_msg="x"),
            errors.SSOLoginRequiredError,
            "aws sso login --profile dev",
        ),
        (
            bx.CredentialRetrievalError(provider="container-role", error_msg="401"),
            errors.CredentialsNotFoundError,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        ),
        (client_error("ExpiredToken"), errors.ExpiredCredentialsError, "have expired"),
        (client_error("ExpiredTokenException"), errors.ExpiredCredentialsError, "have expired"),
        (client_error("RequestExpired"), errors.ExpiredCredentialsError, "have expired"),
        (
            client_error("InvalidClientTokenId"),
            errors.InvalidCredentialsError,
            "AWS_SECRET_ACCESS_KEY",
        ),
        (client_error("SignatureDoesNotMatch"), errors.InvalidCredentialsError, "rejected"),
        (client_error("UnrecognizedClientException"), errors.InvalidCredentialsError, "rejected"),
        (client_error("AccessDeniedException"), errors.AccessDeniedError, '"bedrock:InvokeModel"'),
        (client_error("AccessDenied"), errors.AccessDeniedError, "model access for"),
        (
            bx.EndpointConnectionError(endpoint_url="https://x"),
            errors.EndpointUnreachableError,
            "VPC interface endpoint",
        ),
        (
            bx.ConnectTimeoutError(endpoint_url="https://x"),
            errors.EndpointUnreachableError,
            "private DNS",
        ),
        (client_error("ThrottlingException"), errors.ThrottlingError, "BEDROCK_MAX_RETRIES"),
        (bx.ReadTimeoutError(endpoint_url="https://x"), errors.EndpointUnreachableError,
         "BEDROCK_READ_TIMEOUT"),
        (
            client_error("ResourceNotFoundException"),
            errors.ModelNotAvailableError,
            "list-foundation-models",
        ),
        (
            client_error(
                "ValidationException",
                "Invocation of model ID x with on-demand throughput "
                "isn't supported. Retry your request with the ID or ARN of an inference "
                "profile that contains this model.",
            ),
            errors.ModelNotAvailableError,
            "use us.anthropic.claude-3-haiku",
        ),
        (client_error("ServiceUnavailableException"), errors.ServiceUnavailableError, "fallback"),
        (client_error("ValidationException"), errors.ServiceError, "ValidationException"),
    ],
)
def test_translation(exc: Exception, kind: type[errors.BedrockAuthError], says: str) -> None:
    translated = translate_error(exc, CTX)
    assert type(translated) is kind
    assert says in str(translated)


def test_no_credentials_lists_sources_in_order() -> None:
    ctx = ErrorContext(sources_tried=("env", "sso", "iam-role"))
    message = str(translate_error(bx.NoCredentialsError(), ctx))
    assert message.index("1. environment variables") < message.index("2. SSO profile")
    assert message.index("2. SSO profile") < message.index("3. EC2 instance metadata")
    assert "aws configure" in message and "AWS_PROFILE" in message


def test_profile_not_found_lists_existing_profiles() -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text("[profile alpha]\n[profile beta]\n")
    message = str(translate_error(bx.ProfileNotFound(profile="gamma"), CTX))
    assert "'gamma'" in message and "alpha, beta" in message
    assert isinstance(translate_error(bx.ProfileNotFound(profile="g")), errors.ConfigurationError)


def test_partial_credentials_names_variable_and_origin() -> None:
    exc = bx.PartialCredentialsError(provider="env", cred_var="secret_key")
    ctx = ErrorContext(partial_env={"AWS_ACCESS_KEY_ID": ".env (/app/.env)"})
    message = str(translate_error(exc, ctx))
    assert isinstance(translate_error(exc, ctx), errors.ConfigurationError)
    assert "AWS_SECRET_ACCESS_KEY is missing" in message
    assert "AWS_ACCESS_KEY_ID is set (from .env (/app/.env))" in message
    assert "from the shell environment" in str(translate_error(exc, ErrorContext()))


def test_access_denied_shows_a_policy_statement() -> None:
    message = str(translate_error(client_error("AccessDeniedException"), CTX))
    policy: dict[str, Any] = json.loads(message[message.index("{") :])
    statement = policy["Statement"][0]
    assert statement["Action"] == ["bedrock:InvokeModel"]
    assert statement["Resource"] == [
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
    ]


def test_cause_is_kept_when_raised_from() -> None:
    original = client_error("ThrottlingException")
    with pytest.raises(errors.ThrottlingError) as info:
        try:
            raise original
        except bx.ClientError as exc:
            raise translate_error(exc, CTX) from exc
    assert info.value.__cause__ is original


def test_translated_errors_pass_through_unchanged() -> None:
    error = errors.ThrottlingError("x")
    assert translate_error(error) is error


@pytest.mark.parametrize(
    "secret",
    [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
        "IQoJb3JpZ2luX2VjE" + "A" * 120,
    ],
)
def test_redact_masks_secret_shapes(secret: str) -> None:
    assert secret not in redact(f"value={secret} and Bearer {secret}")
    assert secret not in redact(f"echo {secret}.")


def test_redact_masks_given_secrets_and_keeps_normal_text() -> None:
    assert redact("token abc-123 used", ["abc-123"]) == "token *** used"
    endpoint = "https://bedrock-runtime.us-east-1.amazonaws.com/"
    plain = str(bx.EndpointConnectionError(endpoint_url=endpoint))  # botocore's own wording
    assert redact(plain) == plain


# -- what failed, and the fix --------------------------------------------------------------

STS_DENIAL = (
    "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole "
    "on resource: arn:aws:iam::210987654321:role/bedrock-user"
)


@pytest.mark.parametrize(
    ("exc", "kind", "says"),
    [
        (client_error("BadGatewayException", status=502), errors.ServiceUnavailableError,
         "fallback regions"),
        (client_error("502", "Bad Gateway", status=502), errors.ServiceUnavailableError,
         "(HTTP 502)"),
        (client_error("GatewayTimeout", status=504), errors.ServiceUnavailableError, "retry later"),
        (client_error("ModelTimeoutException", status=408), errors.ModelTimeoutError,
         "BEDROCK_READ_TIMEOUT"),
        (client_error("ModelErrorException", status=424), errors.ModelError, "inside the model"),
        (client_error("RequestTimeTooSkewed"), errors.ClockSkewError, "clock is off"),
        (
            client_error(
                "InvalidSignatureException",
                "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z "
                "(20260101T001000Z - 5 min.)",
            ),
            errors.ClockSkewError,
            "timedatectl set-ntp true",
        ),
        (
            client_error(
                "SignatureDoesNotMatch",
                "Signature not yet current: 20260101T010000Z is still later than "
                "20260101T001500Z (20260101T000000Z + 15 min.)",
                "GetCallerIdentity",
            ),
            errors.ClockSkewError,
            "Signature not yet current",
        ),
    ],
)
def test_bedrock_failures_get_their_own_class_and_hint(
    exc: Exception, kind: type[errors.BedrockAuthError], says: str
) -> None:
    translated = translate_error(exc, CTX)
    assert type(translated) is kind
    assert says in str(translated)


def test_new_classes_sit_where_callers_already_catch() -> None:
    assert issubclass(errors.ClockSkewError, errors.InvalidCredentialsError)
    for kind in (errors.CredentialServiceError, errors.ModelTimeoutError, errors.ModelError):
        assert issubclass(kind, errors.ServiceError)
        assert not issubclass(kind, FAILOVER_ERRORS)


def test_skew_is_measured_against_the_reply_date() -> None:
    an_hour_ahead = formatdate(time.time() + 3600, usegmt=True)
    exc = client_error(
        "SignatureDoesNotMatch", "Signature expired: ...", "GetCallerIdentity",
        headers={"date": an_hour_ahead},
    )
    message = str(translate_error(exc, ErrorContext(service="sts")))
    assert "This machine's clock is about 1 h behind AWS's" in message
    assert an_hour_ahead in message


@pytest.mark.parametrize("code", ["Throttling", "ServiceUnavailable", "InternalFailure"])
def test_sts_failing_under_a_bedrock_call_is_sts_and_never_a_failover(code: str) -> None:
    # botocore refreshes role credentials while it signs the Bedrock call: the STS error
    # surfaces from converse() with the caller's Bedrock context.
    exc = client_error(code, "Rate exceeded", "AssumeRole", status=503, retries=1)
    translated = translate_error(exc, CTX)
    assert type(translated) is errors.CredentialServiceError
    assert not isinstance(translated, FAILOVER_ERRORS)
    message = str(translated)
    assert message.startswith("STS ")
    assert "sts AssumeRole in us-east-1, fetching credentials for bedrock-runtime Converse" in (
        message
    )
    assert "after 1 retry" in message
    assert "inference profile" not in message


def test_assume_role_denied_under_a_bedrock_call_names_sts_and_the_trust_policy() -> None:
    message = str(translate_error(client_error("AccessDenied", STS_DENIAL, "AssumeRole"), CTX))
    assert message.startswith("Access denied for sts AssumeRole in us-east-1")
    assert "model access" not in message and "bedrock:InvokeModel" not in message
    statement = json.loads(message[message.index("{") : message.rindex("}") + 1])["Statement"][0]
    assert statement["Action"] == ["sts:AssumeRole"]
    assert statement["Resource"] == ["arn:aws:iam::210987654321:role/bedrock-user"]
    assert "trust policy must name arn:aws:iam::123456789012:user/alice" in message
    assert "sts:ExternalId needs external_id=" in message and "mfa_serial=" in message
    assert "aws iam get-role --role-name bedrock-user" in message


def test_web_identity_denied_points_at_the_trust_policy_only() -> None:
    exc = client_error(
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        "AssumeRoleWithWebIdentity",
    )
    message = str(translate_error(exc, ErrorContext(service="sts", operation="GetCallerIdentity")))
    assert message.startswith("Access denied for sts AssumeRoleWithWebIdentity")
    assert "Federated principal" in message and "AWS_WEB_IDENTITY_TOKEN_FILE" in message


def test_sts_network_failure_under_a_bedrock_call_names_sts() -> None:
    exc = bx.EndpointConnectionError(endpoint_url="https://sts.us-east-1.amazonaws.com/")
    message = str(translate_error(exc, CTX))
    assert message.startswith("STS did not answer for sts in us-east-1, fetching credentials for")
    assert "AWS_ENDPOINT_URL_STS" in message


def test_retries_are_claimed_only_when_botocore_made_them() -> None:
    retried = client_error("ThrottlingException", retries=3, status=429)
    assert "after 3 retries" in str(translate_error(retried, CTX))
    # An exception event read mid-stream was never retried and carries no retry count.
    streamed = bx.EventStreamError(
        {"Error": {"Code": "throttlingException", "Message": "slow down"}}, "ConverseStream"
    )
    message = str(translate_error(streamed, CTX))
    assert "Bedrock throttled" in message and "retr" not in message.splitlines()[0]


def _expired_on_arrival() -> RuntimeError:
    """What botocore raises (a plain RuntimeError, in its own words) when a refresh hands it
    credentials that are already expired."""
    expired = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    metadata = {"access_key": "AKIAEXPIRED000000001", "secret_key": "s" * 40, "token": "t",
                "expiry_time": expired}
    credentials = RefreshableCredentials.create_from_metadata(metadata, lambda: metadata, "test")
    with pytest.raises(RuntimeError) as info:
        credentials.get_frozen_credentials()
    return info.value


def test_expired_on_arrival_blames_the_clock_only_when_replies_measured_it() -> None:
    from bedrock_auth import _clock

    exc = _expired_on_arrival()
    unmeasured = translate_error(exc, CTX)
    assert type(unmeasured) is errors.ExpiredCredentialsError
    assert "No reply from AWS has measured this machine's clock yet" in str(unmeasured)
    _clock._measured.add(-601.0, -599.0)  # an STS reply: AWS's clock 10 minutes behind
    translated = translate_error(exc, CTX)
    assert type(translated) is errors.ClockSkewError
    assert "already expired when they arrived, by this machine's clock" in str(translated)
    assert "about 10 min ahead of AWS's" in str(translated)


# -- redaction ----------------------------------------------------------------------------

TOKEN = "IQoJb3JpZ2luX2VjE" + "A" * 120


@pytest.mark.parametrize(
    "text",
    [
        "Bearer authorization requires an HTTPS endpoint",
        "Pass external_id= / BEDROCK_EXTERNAL_ID, or session_token= / AWS_SESSION_TOKEN.",
        "The security token included in the request is invalid.",
        "maxTokens: 4096 is above the model's limit",
        "assume_role_kwargs must not set ExternalId: pass external_id= instead.",
    ],
)
def test_redact_keeps_words(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Bearer abc123def456", "Bearer ***"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "Authorization: Bearer ***"),
        ("<SessionToken>short-token</SessionToken>", "<SessionToken>***</SessionToken>"),
        (
            "{'ExternalId': 'partner-7', 'TokenCode': '123456'}",
            "{'ExternalId': '***', 'TokenCode': '***'}",
        ),
        (
            "RoleArn=x&ExternalId=partner-7&TokenCode=123456",
            "RoleArn=x&ExternalId=***&TokenCode=***",
        ),
        ("aws_secret_access_key = hunter2hunter2", "aws_secret_access_key = ***"),
        ('{"apiKey": "k-1"}', '{"apiKey": "***"}'),
        ("x-api-key: 'k-1'", "x-api-key: '***'"),
        ("token:abc-1 password=hunter2", "token:*** password=***"),
    ],
)
def test_redact_masks_values_named_secret(text: str, masked: str) -> None:
    assert redact(text) == masked


def test_known_secrets_are_masked_with_or_without_their_newline() -> None:
    _redact.remember_secrets("partner-external-id\n", "314159", None, "abc")
    try:
        assert redact("id partner-external-id, repr 'partner-external-id\\n'") == (
            "id ***, repr '***\\n'"
        )
        # Short values only as whole words: an MFA code also occurs inside account ids.
        assert redact("code 314159 for 3141592653") == "code *** for 3141592653"
        assert redact("abc") == "abc"  # too short to register
        assert "partner" not in repr(_redact._known) and "known secret" in repr(_redact._known)
    finally:
        _redact.forget_secrets()
    assert redact("id partner-external-id") == "id partner-external-id"


def test_redact_exception_masks_the_whole_chain_in_place() -> None:
    def raise_chain() -> None:
        try:
            try:
                raise ValueError(f"Invalid header value b'{TOKEN}\\n'")
            except ValueError as inner:
                raise bx.HTTPClientError(error=inner) from None
        except bx.HTTPClientError as http:
            http.add_note(f"token={TOKEN}")
            raise bx.CredentialRetrievalError(provider="p", error_msg=TOKEN) from http

    with pytest.raises(bx.CredentialRetrievalError) as info:
        raise_chain()
    original = info.value
    assert redact_exception(original) is original
    text = "".join(traceback.format_exception(original))
    assert TOKEN not in text and bx.HTTPClientError.__name__ in text
    assert "Invalid header value" in text
    assert TOKEN not in repr(original.kwargs)
    assert original.__cause__ is not None and original.__cause__.__traceback__ is not None


def test_translated_cause_keeps_its_redacted_response() -> None:
    exc = client_error("ValidationException", f"bad token={TOKEN}")
    error = translate_error(exc, CTX)
    assert exc.response["Error"]["Message"].startswith("bad ")
    assert error.__cause__ is None  # translate_error does not raise; the caller chains it
    for text in (exc.response["Error"]["Message"], str(exc), str(error)):
        assert TOKEN not in text
