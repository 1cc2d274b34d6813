"""The exceptions this library raises: classes only. The hierarchy::

    BedrockAuthError
    ├── ConfigurationError (also a ValueError)      bad option, env value or .env entry
    │   └── ProfileNotFoundError                    the named profile does not exist
    ├── CredentialsNotFoundError                    no source produced credentials
    ├── SSOLoginRequiredError                       SSO token missing or expired
    ├── ExpiredCredentialsError                     credentials were valid once
    ├── InvalidCredentialsError                     AWS does not accept the key or signature
    │   └── ClockSkewError                          this machine's clock is off
    ├── AccessDeniedError                           valid identity, missing permission
    ├── ModelNotAvailableError                      model id not usable here
    ├── ThrottlingError                             Bedrock throttled            (failover)
    ├── EndpointUnreachableError                    network, VPC endpoint, DNS   (failover)
    └── ServiceError                                anything else the service returned
        ├── ServiceUnavailableError                 Bedrock unavailable, 5xx     (failover)
        ├── CredentialServiceError                  STS/SSO throttled or unavailable
        │   └── CredentialEndpointUnreachableError  STS/SSO could not be reached
        ├── ModelTimeoutError                       the model ran out of time (408)
        └── ModelError                              the model itself failed (424)

One warning class: ``LegacyModelWarning`` (a ``UserWarning``), issued once per model per
process when Bedrock lists the resolved model as LEGACY.

:data:`FAILOVER_ERRORS` is the tuple of the classes marked ``(failover)``.

Turning botocore errors into these classes is :mod:`bedrock_auth._translate`'s job
(``bedrock_auth.translate_error``). No message ever contains a secret: every message passes
through :mod:`bedrock_auth._redact`, which also masks the botocore exceptions chained to an
error as its cause.

>>> from bedrock_auth.errors import BedrockAuthError, ThrottlingError
>>> issubclass(ThrottlingError, BedrockAuthError)
True
"""

from __future__ import annotations

from bedrock_auth import _redact

__all__ = [
    "FAILOVER_ERRORS",
    "AccessDeniedError",
    "BedrockAuthError",
    "ClockSkewError",
    "ConfigurationError",
    "CredentialEndpointUnreachableError",
    "CredentialServiceError",
    "CredentialsNotFoundError",
    "EndpointUnreachableError",
    "ExpiredCredentialsError",
    "InvalidCredentialsError",
    "LegacyModelWarning",
    "ModelError",
    "ModelNotAvailableError",
    "ModelTimeoutError",
    "ProfileNotFoundError",
    "SSOLoginRequiredError",
    "ServiceError",
    "ServiceUnavailableError",
    "ThrottlingError",
]


class BedrockAuthError(Exception):
    """Base class of every error this library raises.

    ``partial_text`` holds what a stream had already delivered when it failed mid-way
    (empty otherwise), so a caller can keep the partial answer.
    """

    partial_text: str = ""

    def __init__(self, message: str) -> None:
        super().__init__(_redact.redact(message))
        if hasattr(self, "add_note"):  # Python 3.11+: shown under the traceback, not in str()
            self.add_note(f"Cause and fix: {self.help}")

    @property
    def help(self) -> str:
        """The command that prints this error's cause and fix from help shipped in the package.

        >>> ThrottlingError("slow down").help
        'bedrock-auth explain ThrottlingError'
        """
        return f"bedrock-auth explain {type(self).__name__}"


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


class ClockSkewError(InvalidCredentialsError):
    """AWS rejected the request's timestamp, or fresh credentials looked expired on arrival:
    this machine's clock is off."""


class AccessDeniedError(BedrockAuthError):
    """The identity is valid but lacks permission for the action."""


class ModelNotAvailableError(BedrockAuthError):
    """The model id cannot be used in this region, or model access is not enabled."""


class ThrottlingError(BedrockAuthError):
    """Bedrock throttled the call (after botocore's retries, when any were made)."""


class EndpointUnreachableError(BedrockAuthError):
    """The service endpoint could not be reached (network, VPC endpoint, DNS)."""


class ServiceError(BedrockAuthError):
    """Any other error returned by the service (validation, conflict, ...)."""


class ServiceUnavailableError(ServiceError):
    """Bedrock was unavailable (502, 503, 504), failed internally or the model was not ready."""


class CredentialServiceError(ServiceError):
    """STS or SSO, which issue and check credentials, throttled or failed (5xx).

    Not a failover error: another Bedrock region uses the same credentials from the same STS.
    """


class CredentialEndpointUnreachableError(CredentialServiceError):
    """STS or SSO could not be reached, or did not answer in time, while credentials were
    checked or fetched (DNS, proxy, VPC endpoint, a hung endpoint).

    Not a failover error, like its parent: another Bedrock region would fetch its credentials
    from the same endpoint.
    """


class ModelTimeoutError(ServiceError):
    """The model did not finish in time (``ModelTimeoutException``, HTTP 408)."""


class ModelError(ServiceError):
    """The model itself failed while processing the request (``ModelErrorException``, 424)."""


class LegacyModelWarning(UserWarning):
    """Bedrock lists the model as LEGACY: it still answers, but AWS will retire it.

    Issued once per model per process; filter it with
    ``warnings.filterwarnings("ignore", category=LegacyModelWarning)``.
    """


#: Errors worth moving to another region for: capacity and reachability, never auth or input.
FAILOVER_ERRORS: tuple[type[BedrockAuthError], ...] = (
    ThrottlingError,
    ServiceUnavailableError,
    EndpointUnreachableError,
)
