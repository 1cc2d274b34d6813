"""Turning botocore and AWS errors into this library's typed errors.

Every message says what failed, what was tried and the exact next step. Text that comes from
botocore or AWS passes through :func:`~bedrock_auth.errors.redact` first.

>>> from botocore.exceptions import NoCredentialsError
>>> type(translate_error(NoCredentialsError())).__name__
'CredentialsNotFoundError'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bedrock_auth.errors import (
    AccessDeniedError,
    BedrockAuthError,
    ConfigurationError,
    CredentialsNotFoundError,
    EndpointUnreachableError,
    ExpiredCredentialsError,
    InvalidCredentialsError,
    ModelNotAvailableError,
    ProfileNotFoundError,
    ServiceError,
    ServiceUnavailableError,
    SSOLoginRequiredError,
    ThrottlingError,
    redact,
)
from bedrock_auth.models import base_model_from_arn, get_model_info, resolve_model_id
from bedrock_auth.policy import iam_action_for, policy_json

__all__ = ["DEFAULT_CHAIN_SOURCES", "SOURCE_NAMES", "ErrorContext", "translate_error"]


@dataclass(frozen=True)
class ErrorContext:
    """What the caller was doing when an error happened; it makes messages specific."""

    service: str = ""
    operation: str = ""
    region: str = ""
    model_id: str = ""
    profile: str = ""
    sources_tried: Sequence[str] = field(default_factory=tuple)
    partial_env: dict[str, str] = field(default_factory=dict)


_CHAIN_FIXES = """Fix it with one of:
  aws configure                          # long-lived keys in ~/.aws/credentials
  aws sso login --profile <name>         # then AWS_PROFILE=<name>
  export AWS_PROFILE=<name>              # pick an existing profile
  export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
  or attach an IAM role to the host (EC2 instance profile, ECS task role, EKS IRSA/Pod Identity)."""

#: botocore's provider names, as a user would recognise them.
SOURCE_NAMES = {
    "env": "environment variables (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
    "assume-role": "assume-role profile (role_arn + source_profile in ~/.aws/config)",
    "assume-role-with-web-identity": "web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)",
    "sso": "SSO profile (aws sso login)",
    "login": "aws login session",
    "shared-credentials-file": "shared credentials file (~/.aws/credentials)",
    "custom-process": "credential_process in ~/.aws/config",
    "config-file": "keys in ~/.aws/config",
    "ec2-credentials-file": "legacy EC2 credentials file",
    "boto-config": "legacy boto config file",
    "container-role": "container credentials (ECS task role, EKS Pod Identity)",
    "iam-role": "EC2 instance metadata (IMDS instance profile)",
}
DEFAULT_CHAIN_SOURCES = tuple(
    SOURCE_NAMES[name]
    for name in (
        "env",
        "assume-role-with-web-identity",
        "sso",
        "shared-credentials-file",
        "custom-process",
        "config-file",
        "container-role",
        "iam-role",
    )
)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message", "")) or str(exc)
    return str(exc)


_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_INVALID = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationTokenException",
    "InvalidAccessKeyId",
}
_DENIED = {"AccessDenied", "AccessDeniedException"}
_UNAVAILABLE = {
    "ServiceUnavailableException",
    "ServiceUnavailable",
    "InternalServerException",
    "InternalFailure",
    "ModelNotReadyException",
    "internalServerException",
    "serviceUnavailableException",
    "modelStreamErrorException",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceQuotaExceededException",
    "throttlingException",
}


def _where(ctx: ErrorContext) -> str:
    parts = [p for p in (ctx.service, ctx.operation) if p]
    text = " ".join(parts) or "the request"
    if ctx.region:
        text += f" in {ctx.region}"
    if ctx.model_id:
        text += f" (model {ctx.model_id})"
    return text


def _sso_error(exc: BaseException, ctx: ErrorContext) -> SSOLoginRequiredError:
    import botocore.session

    # A caller that knows the profile says so; otherwise it is the one botocore picked.
    profile = ctx.profile or botocore.session.Session().profile or "default"
    return SSOLoginRequiredError(
        f"The SSO session for profile '{profile}' is missing or expired ({type(exc).__name__}).\n"
        f"Run:  aws sso login --profile {profile}"
    )


def _not_found(exc: BaseException, ctx: ErrorContext) -> CredentialsNotFoundError:
    tried = [SOURCE_NAMES.get(s, s) for s in ctx.sources_tried] or DEFAULT_CHAIN_SOURCES
    listing = "\n".join(f"  {i}. {s}" for i, s in enumerate(tried, 1))
    return CredentialsNotFoundError(
        f"No AWS credentials were found. Sources tried, in order:\n{listing}\n{_CHAIN_FIXES}"
    )


def _profile_not_found(exc: BaseException, ctx: ErrorContext) -> ProfileNotFoundError:
    import botocore.session

    profile = getattr(exc, "kwargs", {}).get("profile", ctx.profile) or ctx.profile
    try:
        known = sorted(botocore.session.Session().available_profiles)
    except Exception:
        known = []
    listing = ", ".join(known) if known else "(none: run `aws configure --profile <name>`)"
    return ProfileNotFoundError(
        f"AWS profile '{profile}' was not found in ~/.aws/config or ~/.aws/credentials.\n"
        f"Profiles that exist: {listing}\n"
        f"Fix: pick one (export AWS_PROFILE=<name>), or create it with "
        f"`aws configure --profile {profile}` or `aws configure sso --profile {profile}`."
    )


def _partial(exc: BaseException, ctx: ErrorContext) -> ConfigurationError:
    provider = getattr(exc, "kwargs", {}).get("provider", "env")
    missing = getattr(exc, "kwargs", {}).get("cred_var", "")
    names = {
        "access_key": "AWS_ACCESS_KEY_ID",
        "secret_key": "AWS_SECRET_ACCESS_KEY",
        "token": "AWS_SESSION_TOKEN",
    }
    var = names.get(missing, missing)
    origin = ""
    if provider == "env":
        present = [v for v in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if v != var]
        where = {name: ctx.partial_env.get(name, "the shell environment") for name in present}
        origin = "; ".join(f"{name} is set (from {src})" for name, src in where.items())
        origin = f" {origin}, but {var} is empty or missing"
        if var in ctx.partial_env:
            origin += f": it is set to an empty value in {ctx.partial_env[var]}"
        origin += "."
    return ConfigurationError(
        f"Partial credentials from {provider}: {var} is missing.{origin}\n"
        f"Fix: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or remove both "
        f"(empty lines in .env are fine) to use the rest of the credential chain."
    )


def _retrieval(exc: BaseException, ctx: ErrorContext) -> CredentialsNotFoundError:
    provider = getattr(exc, "kwargs", {}).get("provider", "a credential provider")
    return CredentialsNotFoundError(
        f"Credentials could not be retrieved from {provider}: {redact(str(exc))}\n"
        "Fix: for container credentials check AWS_CONTAINER_CREDENTIALS_FULL_URI / "
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE); "
        "for credential_process run the command by hand; for a role check its trust policy."
    )


def _access_denied(exc: BaseException, ctx: ErrorContext) -> AccessDeniedError:
    # The denied call names itself: an AssumeRole inside a validation is not GetCallerIdentity.
    ctx = replace(ctx, operation=getattr(exc, "operation_name", "") or ctx.operation)
    action = iam_action_for(ctx.service, ctx.operation)
    detail = redact(_error_message(exc))
    hint = ""
    if ctx.model_id and ctx.service in ("bedrock-runtime", "bedrock"):
        hint = (
            f"If the policy already allows it, enable model access for {_base_model(ctx.model_id)} "
            f"in {ctx.region or 'this region'} (Bedrock console > Model access).\n"
        )
    return AccessDeniedError(
        f"Access denied for {_where(ctx)}: {detail}\n{hint}"
        f"The identity needs {action}. A minimal IAM policy statement:\n"
        f"{policy_json([action], model_id=ctx.model_id, region=ctx.region)}"
    )


def _unreachable(exc: BaseException, ctx: ErrorContext) -> EndpointUnreachableError:
    if ctx.service in _CREDENTIAL_SERVICES:
        return _credential_endpoint(exc, ctx)
    service = ctx.service or "bedrock-runtime"
    variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    return EndpointUnreachableError(
        f"Could not reach the endpoint for {_where(ctx)}: {redact(str(exc))}\n"
        "Check the network path: in a private subnet you need a VPC interface endpoint "
        f"(com.amazonaws.<region>.{service}) with private DNS enabled, or pass "
        f"endpoint_url=/{variable}. Check proxies (HTTPS_PROXY) and DNS."
    )


# Services called to validate or fetch credentials; their network failures name STS/SSO.
_CREDENTIAL_SERVICES = {"sts": "STS", "sso": "SSO", "sso-oidc": "SSO OIDC"}


def _credential_endpoint(exc: BaseException, ctx: ErrorContext) -> EndpointUnreachableError:
    name = _CREDENTIAL_SERVICES[ctx.service]
    variable = "AWS_ENDPOINT_URL_" + ctx.service.upper().replace("-", "_")
    region = ctx.region or "<region>"
    return EndpointUnreachableError(
        f"{name} did not answer for {_where(ctx)}: {redact(str(exc))}\n"
        f"{name} is what checks and fetches your credentials. Check {variable} if you set it; "
        f"in a private subnet you need a VPC interface endpoint com.amazonaws.{region}."
        f"{ctx.service} with private DNS enabled; check proxies (HTTPS_PROXY) and DNS. If "
        f"{name} is only slow, raise sts_read_timeout= / BEDROCK_STS_READ_TIMEOUT (seconds)."
    )


def _base_model(model_id: str) -> str:
    """The foundation model behind an id, profile id or ARN (model access is granted per model)."""
    info = get_model_info(model_id)
    return info.model_id if info else base_model_from_arn(model_id) or model_id


def _profile_id_for(ctx: ErrorContext) -> str:
    base = base_model_from_arn(ctx.model_id) or ctx.model_id
    try:
        return resolve_model_id(base, ctx.region or "us-east-1", prefer_profile=True)
    except BedrockAuthError:
        return f"us.{base}"


def _connection_lost(exc: BaseException, ctx: ErrorContext) -> EndpointUnreachableError:
    if ctx.service in _CREDENTIAL_SERVICES:
        return _credential_endpoint(exc, ctx)
    return EndpointUnreachableError(
        f"The connection for {_where(ctx)} was lost or timed out mid-response: "
        f"{redact(str(exc))}\nFix: retry; for long generations raise BEDROCK_READ_TIMEOUT "
        "(seconds), and check proxies or load balancers that cut idle connections."
    )


def _client_error(exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
    code = _error_code(exc)
    detail = redact(_error_message(exc))
    if code in _EXPIRED:
        return ExpiredCredentialsError(
            f"The credentials used for {_where(ctx)} have expired ({code}).\n"
            "Fix: refresh them (`aws sso login --profile <name>`, new keys, or let the role "
            "refresh); temporary keys pasted into the environment cannot renew themselves."
        )
    if code in _INVALID:
        return InvalidCredentialsError(
            f"AWS rejected the credentials for {_where(ctx)} ({code}): {detail}\n"
            "Fix: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (no stray spaces or quotes), "
            "that AWS_SESSION_TOKEN is set for temporary keys, and that the key is active "
            "(`aws iam list-access-keys`)."
        )
    if code in _DENIED:
        return _access_denied(exc, ctx)
    if code in _THROTTLED:
        return ThrottlingError(
            f"Bedrock throttled {_where(ctx)} ({code}) after botocore's retries: {detail}\n"
            "Fix: raise BEDROCK_MAX_RETRIES, use a cross-region inference profile, add "
            "fallback regions, or request a quota increase in Service Quotas."
        )
    if code in _UNAVAILABLE:
        return ServiceUnavailableError(
            f"Bedrock could not serve {_where(ctx)} ({code}) after botocore's retries: {detail}\n"
            "Fix: retry later, add fallback regions (regions=[...] or BEDROCK_FALLBACK_REGIONS), "
            "or use a cross-region inference profile."
        )
    if code == "ResourceNotFoundException" and ctx.model_id:
        return ModelNotAvailableError(
            f"Model {ctx.model_id} was not found in {ctx.region or 'this region'}: {detail}\n"
            "Fix: check the id with `aws bedrock list-foundation-models --region "
            f"{ctx.region or '<region>'}` or use a cross-region inference profile id."
        )
    if code == "ValidationException" and ctx.model_id and "inference profile" in detail:
        return ModelNotAvailableError(
            f"Model {ctx.model_id} cannot be called on demand in {ctx.region}: {detail}\n"
            f"Fix: use the inference profile id, e.g. use {_profile_id_for(ctx)}"
        )
    return ServiceError(f"{_where(ctx)} failed ({code or type(exc).__name__}): {detail}")


_BY_CLASS_NAME = {
    "NoCredentialsError": _not_found,
    "ProfileNotFound": _profile_not_found,
    "SSOTokenLoadError": _sso_error,
    "UnauthorizedSSOTokenError": _sso_error,
    "TokenRetrievalError": _sso_error,
    "SSOError": _sso_error,
    "PartialCredentialsError": _partial,
    "CredentialRetrievalError": _retrieval,
    "EndpointConnectionError": _unreachable,
    "ConnectTimeoutError": _unreachable,
    "ConnectionClosedError": _unreachable,
    "ProxyConnectionError": _unreachable,
    # urllib3 errors reach us unwrapped when a stream breaks while it is being read.
    "ReadTimeoutError": _connection_lost,
    "ProtocolError": _connection_lost,
}


def translate_error(exc: BaseException, ctx: ErrorContext | None = None) -> BedrockAuthError:
    """Return the :class:`BedrockAuthError` that explains ``exc``; raise it ``from exc``.

    Already-translated errors come back unchanged. Unknown errors become :class:`ServiceError`
    with the botocore message (redacted).
    """
    if isinstance(exc, BedrockAuthError):
        return exc
    ctx = ctx or ErrorContext()
    for klass in type(exc).__mro__:
        handler = _BY_CLASS_NAME.get(klass.__name__)
        if handler is not None:
            return handler(exc, ctx)
    if _error_code(exc):
        return _client_error(exc, ctx)
    return ServiceError(f"{_where(ctx)} failed ({type(exc).__name__}): {redact(str(exc))}")
