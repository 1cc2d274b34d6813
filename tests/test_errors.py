"""Each botocore failure becomes one typed error that says what to do next."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from botocore import exceptions as bx

from bedrock_auth import errors
from bedrock_auth._translate import ErrorContext, translate_error
from bedrock_auth.errors import redact


def client_error(code: str, message: str = "boom", operation: str = "Converse") -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": code, "Message": message}}, operation)


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
        (client_error("AccessDenied"), errors.AccessDeniedError, "enable model access"),
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
    plain = (
        "Could not connect to the endpoint URL: https://bedrock-runtime.us-east-1.amazonaws.com/"
    )
    assert redact(plain) == plain
