"""The exceptions this library raises, and the redaction every message goes through.

This module holds only classes and :func:`redact`; turning botocore errors into these classes
is :mod:`bedrock_auth._translate`'s job. The hierarchy::

    BedrockAuthError
    ├── ConfigurationError (also a ValueError)      bad option, env value or .env entry
    │   └── ProfileNotFoundError                    the named profile does not exist
    ├── CredentialsNotFoundError                    no source produced credentials
    ├── SSOLoginRequiredError                       SSO token missing or expired
    ├── ExpiredCredentialsError                     credentials were valid once
    ├── InvalidCredentialsError                     AWS does not accept the key or signature
    ├── AccessDeniedError                           valid identity, missing permission
    ├── ModelNotAvailableError                      model id not usable here
    ├── ThrottlingError                             throttled after retries      (failover)
    ├── EndpointUnreachableError                    network, VPC endpoint, DNS   (failover)
    └── ServiceError                                anything else the service returned
        └── ServiceUnavailableError                 unavailable after retries    (failover)

No message ever contains a secret: every message passes through :func:`redact`.

>>> from bedrock_auth.errors import BedrockAuthError, ThrottlingError
>>> issubclass(ThrottlingError, BedrockAuthError)
True
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from importlib import import_module
from typing import Any

__all__ = [
    "FAILOVER_ERRORS",
    "AccessDeniedError",
    "BedrockAuthError",
    "ConfigurationError",
    "CredentialsNotFoundError",
    "EndpointUnreachableError",
    "ExpiredCredentialsError",
    "InvalidCredentialsError",
    "ModelNotAvailableError",
    "ProfileNotFoundError",
    "SSOLoginRequiredError",
    "ServiceError",
    "ServiceUnavailableError",
    "ThrottlingError",
    "redact",
]

class BedrockAuthError(Exception):
    """Base class of every error this library raises.

    ``partial_text`` holds what a stream had already delivered when it failed mid-way
    (empty otherwise), so a caller can keep the partial answer.
    """

    partial_text: str = ""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class ConfigurationError(BedrockAuthError, ValueError):
    """A bad argument, environment value or `.env` entry, found before any network call."""


class CredentialsNotFoundError(BedrockAuthError):
    """No source in the credential chain produced credentials."""


class ProfileNotFoundError(ConfigurationError):
    """The named AWS profile is not in ``~/.aws/config`` or ``~/.aws/credentials``."""


class SSOLoginRequiredError(BedrockAuthError):
    """The SSO token is missing or expired: run ``aws sso login``."""


class ExpiredCredentialsError(BedrockAuthError):
    """The credentials were valid once but have expired."""


class InvalidCredentialsError(BedrockAuthError):
    """AWS does not recognise the access key, or the signature is wrong."""


class AccessDeniedError(BedrockAuthError):
    """The identity is valid but lacks permission for the action."""


class ModelNotAvailableError(BedrockAuthError):
    """The model id cannot be used in this region, or model access is not enabled."""


class ThrottlingError(BedrockAuthError):
    """Bedrock kept throttling after botocore's retries were spent."""


class EndpointUnreachableError(BedrockAuthError):
    """The service endpoint could not be reached (network, VPC endpoint, DNS)."""


class ServiceError(BedrockAuthError):
    """Any other error returned by the service (validation, conflict, ...)."""


class ServiceUnavailableError(ServiceError):
    """Bedrock was unavailable, failed internally or the model was not ready, after retries."""


#: Errors worth moving to another region for: capacity and reachability, never auth or input.
FAILOVER_ERRORS: tuple[type[BedrockAuthError], ...] = (
    ThrottlingError,
    ServiceUnavailableError,
    EndpointUnreachableError,
)


# Secrets have recognisable shapes: a 40-character secret access key, a long session token,
# a Bedrock API key (ABSK...), a bearer header. Text from AWS or botocore may echo any of them.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?<![A-Za-z0-9])ABSK[A-Za-z0-9+/=]{8,}"),
    re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+=]{100,}"),
    re.compile(
        r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+=]*[a-z])(?=[A-Za-z0-9/+=]*[/+0-9])"
        r"[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
    ),
    re.compile(r"(?i)((?:secret|token|signature|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask known secrets and anything shaped like an AWS secret in ``text``.

    >>> redact("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked")
    'key *** leaked'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


# Deprecated aliases, kept for one release: translation moved to bedrock_auth._translate and is
# public as bedrock_auth.translate_error / bedrock_auth.ErrorContext. Resolved on access, so
# this module imports nothing from the package.
_MOVED = {"translate_error", "ErrorContext"}


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module 'bedrock_auth.errors' has no attribute {name!r}")
    warnings.warn(
        f"bedrock_auth.errors.{name} moved: import it from bedrock_auth "
        f"(`from bedrock_auth import {name}`); the old name goes in the next release.",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(import_module("bedrock_auth._translate"), name)
