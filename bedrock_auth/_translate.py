"""Turning botocore and AWS errors into this library's typed errors.

Every message says what failed, what was tried and the exact next step. "What failed" is the
call botocore names: a role's credentials are refreshed inside botocore while it signs another
call, so an STS error can surface from a Bedrock call, and it is reported as STS's. Text from
botocore or AWS is redacted, and so is the botocore exception itself
(:func:`~bedrock_auth._redact.redact_exception`): it becomes the typed error's ``__cause__``.

>>> from botocore.exceptions import NoCredentialsError
>>> type(translate_error(NoCredentialsError())).__name__
'CredentialsNotFoundError'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from bedrock_auth import _login
from bedrock_auth._clock import CLOCK_FIX, span
from bedrock_auth._fetched import expired_on_arrival
from bedrock_auth._redact import redact, redact_exception
from bedrock_auth.credentials import CREDENTIAL_SERVICES
from bedrock_auth.errors import (
    AccessDeniedError,
    BedrockAuthError,
    ClockSkewError,
    ConfigurationError,
    CredentialEndpointUnreachableError,
    CredentialServiceError,
    CredentialsNotFoundError,
    EndpointUnreachableError,
    ExpiredCredentialsError,
    InvalidCredentialsError,
    ModelError,
    ModelNotAvailableError,
    ModelTimeoutError,
    ProfileNotFoundError,
    ServiceError,
    ServiceUnavailableError,
    SSOLoginRequiredError,
    ThrottlingError,
)
from bedrock_auth.settings import DEFAULT_REGION
from bedrock_auth.sources import SOURCE_NAMES

# bedrock_auth.models and .policy are imported in the error handlers that use them: importing
# bedrock_auth (which loads this module) then costs neither the model table's code nor policies.
__all__ = ["DEFAULT_CHAIN_SOURCES", "SOURCE_NAMES", "ErrorContext", "cause_of", "translate_error"]


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
    #: The call credentials were being fetched for, when the failure is the fetch's own
    #: (set by :func:`translate_error` when botocore names an STS/SSO operation).
    during: str = ""


_CHAIN_FIXES = """Fix it with one of:
  aws configure                          # long-lived keys in ~/.aws/credentials
  aws sso login --profile <name>         # then AWS_PROFILE=<name>
  export AWS_PROFILE=<name>              # pick an existing profile
  export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
  or attach an IAM role to the host (EC2 instance profile, ECS task role, EKS IRSA/Pod Identity)."""

#: botocore's default chain, as a user would recognise it (names: sources.SOURCE_NAMES).
DEFAULT_CHAIN_SOURCES = tuple(
    SOURCE_NAMES[name]
    for name in (
        "env",
        "assume-role-with-web-identity",
        "sso",
        "shared-credentials-file",
        *(("login",) if _login.botocore_knows_login() else ()),
        "custom-process",
        "config-file",
        "container-role",
        "iam-role",
    )
)


# -- reading botocore's exception ------------------------------------------------------------


def _error(exc: BaseException) -> dict[str, Any]:
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    return error if isinstance(error, dict) else {}


def _error_code(exc: BaseException) -> str:
    return str(_error(exc).get("Code", ""))


def _error_message(exc: BaseException) -> str:
    return str(_error(exc).get("Message", "")) or str(exc)


def _metadata(exc: BaseException) -> dict[str, Any]:
    response = getattr(exc, "response", None)
    metadata = response.get("ResponseMetadata") if isinstance(response, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _status(exc: BaseException) -> int:
    return int(_metadata(exc).get("HTTPStatusCode") or 0)


def _code_text(exc: BaseException) -> str:
    """The error code; the HTTP status when a gateway answered with a bare number or nothing."""
    code = _error_code(exc)
    if code and not code.isdigit():
        return code
    status = _status(exc) or code
    return f"HTTP {status}" if status else type(exc).__name__


def _retried(exc: BaseException) -> str:
    """", after N retries" when botocore says it retried. Nothing otherwise: an error read from
    an event stream, mid-answer, was never retried, and its reply carries no retry count."""
    retries = int(_metadata(exc).get("RetryAttempts") or 0)
    return f", after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""


# -- which call failed ---------------------------------------------------------------------

# Host labels of the credential services' endpoints (sts.us-east-1.amazonaws.com,
# vpce-1.sts.<region>.vpce..., portal.sso.<region>..., oidc.<region>...), for network errors
# that carry only a URL.
_HOST_LABELS = {"sts": "sts", "portal": "sso", "oidc": "sso-oidc"}


@cache
def _operations(service: str) -> frozenset[str]:
    """A service's operation names, from botocore's own model (read on the error path only)."""
    from bedrock_auth._loader import shared_loader

    return frozenset(shared_loader(None).load_service_model(service, "service-2")["operations"])


def _credential_service_of(exc: BaseException) -> str:
    operation = str(getattr(exc, "operation_name", "") or "")
    if operation:
        return next((s for s in CREDENTIAL_SERVICES if operation in _operations(s)), "")
    url = str(getattr(exc, "kwargs", {}).get("endpoint_url") or "")
    labels = (urlsplit(url).hostname or "").split(".")
    return next((_HOST_LABELS[label] for label in labels if label in _HOST_LABELS), "")


def _call_name(ctx: ErrorContext) -> str:
    return f"{ctx.service} {ctx.operation}".strip() if ctx.operation else ctx.during


def _failed_call(exc: BaseException, ctx: ErrorContext) -> ErrorContext:
    """The context of the call that failed, which botocore's exception names.

    Role credentials are refreshed inside botocore while it signs a Bedrock call, so the STS
    AssumeRole that failed surfaces from ``converse``; the caller's context then describes the
    Bedrock call, and the STS operation must win.
    """
    operation = str(getattr(exc, "operation_name", "") or "")
    service = _credential_service_of(exc)
    if not service:
        return ctx if ctx.operation or not operation else replace(ctx, operation=operation)
    if service == ctx.service and operation in ("", ctx.operation):
        return ctx
    return replace(ctx, service=service, operation=operation, model_id="", during=_call_name(ctx))


def _where(ctx: ErrorContext) -> str:
    parts = [p for p in (ctx.service, ctx.operation) if p]
    text = " ".join(parts) or "the request"
    if ctx.region:
        text += f" in {ctx.region}"
    if ctx.model_id:
        text += f" (model {ctx.model_id})"
    if ctx.during:
        text += f", fetching credentials for {ctx.during}"
    return text


# What a message template may name (see _Message); each is worked out only if named.
_FIELDS: dict[str, Callable[[BaseException, ErrorContext], str]] = {
    "where": lambda exc, ctx: _where(ctx),
    "code": lambda exc, ctx: _error_code(exc),
    # The code, or the HTTP status when a gateway answered with a bare number.
    "code_text": lambda exc, ctx: _code_text(exc),
    "retried": lambda exc, ctx: _retried(exc),
    "detail": lambda exc, ctx: _detail(exc),  # AWS's words, redacted
    "text": lambda exc, ctx: redact(str(exc)),  # the exception's own words, redacted
    "skew": lambda exc, ctx: _skew_seen(exc),
}


class _Fields(dict[str, str]):
    def __init__(self, exc: BaseException, ctx: ErrorContext) -> None:
        super().__init__()
        self.exc, self.ctx = exc, ctx

    def __missing__(self, name: str) -> str:
        return _FIELDS[name](self.exc, self.ctx)


@dataclass(frozen=True)
class _Message:
    """A handler that fills in one message template (its fields: :data:`_FIELDS`)."""

    error: type[BedrockAuthError]
    template: str

    def __call__(self, exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
        return self.error(self.template.format_map(_Fields(exc, ctx)))


# -- the credential chain ------------------------------------------------------------------


def _profile_named(ctx: ErrorContext) -> str:
    """The profile in use: the caller's, if it knows it; otherwise the one botocore picked."""
    import botocore.session

    return ctx.profile or botocore.session.Session().profile or "default"


def _sso_error(exc: BaseException, ctx: ErrorContext) -> SSOLoginRequiredError:
    profile = _profile_named(ctx)
    return SSOLoginRequiredError(
        f"The SSO session for profile '{profile}' is missing or expired ({type(exc).__name__}).\n"
        f"Run:  aws sso login --profile {profile}"
    )


def _not_found(exc: BaseException, ctx: ErrorContext) -> CredentialsNotFoundError:
    too_old = _login_unknown(ctx)
    if too_old is not None:
        return too_old
    tried = [SOURCE_NAMES.get(s, s) for s in ctx.sources_tried] or DEFAULT_CHAIN_SOURCES
    listing = "\n".join(f"  {i}. {s}" for i, s in enumerate(tried, 1))
    return CredentialsNotFoundError(
        f"No AWS credentials were found. Sources tried, in order:\n{listing}\n{_CHAIN_FIXES}"
    )


# -- aws login profiles (botocore's ``login`` provider) ----------------------------------------


def _login_unknown(ctx: ErrorContext) -> CredentialsNotFoundError | None:
    """For a ``login_session`` profile on a botocore without the ``login`` provider (which then
    finds no credentials at all): the upgrade it needs. ``None`` for anything else."""
    import botocore

    profile = _profile_named(ctx)
    if _login.botocore_knows_login() or _login.login_session_of(profile) is None:
        return None
    return CredentialsNotFoundError(
        f"Profile '{profile}' signs in with aws login (login_session), which botocore supports "
        f"from {_login.LOGIN_SINCE}; the installed botocore {botocore.__version__} does not "
        "know it, so it found no credentials.\n"
        f"Fix: pip install -U boto3 'botocore[crt]>={_login.LOGIN_SINCE}'"
    )


def _login_source(profile: str) -> str:
    session = _login.login_session_of(profile)
    named = f" (login_session {session})" if session else ""
    return f"aws login session of profile '{profile}'{named}"


class _LoginFailure(NamedTuple):
    """What one of botocore's login errors means: the error to raise, what happened (with
    ``{source}`` and ``{cache}``) and the fix (with ``{command}``, the one that signs in)."""

    error: type[BedrockAuthError]
    what: str
    fix: str = "Run:  {command}"


#: botocore's login errors by class name; ``LoginError``, their base, covers the rest (a
#: missing or unreadable session cache, a refused authorization code).
_LOGIN_FAILURES = {
    "LoginRefreshRequired": _LoginFailure(
        ExpiredCredentialsError,
        "The {source} has ended: AWS Sign-In would not refresh its credentials",
    ),
    "LoginInsufficientPermissions": _LoginFailure(
        AccessDeniedError,
        "AWS Sign-In refused to refresh the credentials of the {source}",
        "Fix: the identity you sign in as needs signin:CreateOAuth2Token; then run {command}",
    ),
    "LoginError": _LoginFailure(
        CredentialsNotFoundError, "No usable session for the {source} is cached in {cache}"
    ),
}


def _login_failed(exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
    names = [klass.__name__ for klass in type(exc).__mro__]
    failure = next(_LOGIN_FAILURES[name] for name in names if name in _LOGIN_FAILURES)
    profile = _profile_named(ctx)
    what = failure.what.format(source=_login_source(profile), cache=_login.cache_directory())
    fix = failure.fix.format(command=_login.login_command(profile))
    return failure.error(f"{what} ({type(exc).__name__}: {redact(str(exc))})\n{fix}")


def _missing_dependency(exc: BaseException, ctx: ErrorContext) -> ConfigurationError:
    # botocore raises it for its login provider (and for other optional awscrt features).
    what = "botocore needs an optional dependency"
    if "login" in str(exc):
        what = (
            f"Profile '{_profile_named(ctx)}' signs in with aws login (login_session), and "
            "botocore needs awscrt to refresh its credentials"
        )
    return ConfigurationError(
        f"{what} ({type(exc).__name__}: {redact(str(exc))})\nFix: {_login.CRT_FIX}"
    )


def _profile_not_found(exc: BaseException, ctx: ErrorContext) -> ProfileNotFoundError:
    import botocore.session

    profile = getattr(exc, "kwargs", {}).get("profile", ctx.profile) or ctx.profile
    try:
        known = sorted(botocore.session.Session().available_profiles)
    except Exception:
        known = []
    listing = ", ".join(known) if known else "(none: run `aws configure --profile <name>`)"
    import difflib  # a misspelt profile only: not worth its import otherwise

    close = difflib.get_close_matches(str(profile), known, n=1)
    meant = f"; did you mean '{close[0]}'?" if close else "."
    pick = f"export AWS_PROFILE={close[0]}" if close else "export AWS_PROFILE=<name>"
    return ProfileNotFoundError(
        f"AWS profile '{profile}' was not found in ~/.aws/config or ~/.aws/credentials{meant}\n"
        f"Profiles that exist: {listing}\n"
        f"Fix: pick one ({pick}, or profile= / --profile), or create it with "
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


# -- the network -----------------------------------------------------------------------------


def _unreachable(exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
    if ctx.service in CREDENTIAL_SERVICES:
        return _credential_endpoint(exc, ctx)
    service = ctx.service or "bedrock-runtime"
    variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    return EndpointUnreachableError(
        f"Could not reach the endpoint for {_where(ctx)}: {redact(str(exc))}\n"
        "Check the network path: in a private subnet you need a VPC interface endpoint "
        f"(com.amazonaws.<region>.{service}) with private DNS enabled, or pass "
        f"endpoint_url=/{variable}. Check proxies (HTTPS_PROXY) and DNS."
    )


def _credential_endpoint(
    exc: BaseException, ctx: ErrorContext
) -> CredentialEndpointUnreachableError:
    name = CREDENTIAL_SERVICES[ctx.service]
    variable = "AWS_ENDPOINT_URL_" + ctx.service.upper().replace("-", "_")
    region = ctx.region or "<region>"
    return CredentialEndpointUnreachableError(
        f"{name} did not answer for {_where(ctx)}: {redact(str(exc))}\n"
        f"{name} is what checks and fetches your credentials. Check {variable} if you set it; "
        f"in a private subnet you need a VPC interface endpoint com.amazonaws.{region}."
        f"{ctx.service} with private DNS enabled; check proxies (HTTPS_PROXY) and DNS. If "
        f"{name} is only slow, raise sts_read_timeout= / BEDROCK_STS_READ_TIMEOUT (seconds)."
    )


def _connection_lost(exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
    if ctx.service in CREDENTIAL_SERVICES:
        return _credential_endpoint(exc, ctx)
    if ctx.service == "bedrock":  # the control plane: its timeout is fixed (LISTING_TIMEOUT)
        return _unreachable(exc, ctx)
    return EndpointUnreachableError(
        f"The connection for {_where(ctx)} was lost or timed out mid-response: "
        f"{redact(str(exc))}\nFix: retry; for long generations raise BEDROCK_READ_TIMEOUT "
        "(seconds), and check proxies or load balancers that cut idle connections."
    )


# -- errors AWS returned ---------------------------------------------------------------------

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
#: Codes that refuse the credentials or the signature, not the call.
CREDENTIAL_CODES = frozenset(_EXPIRED | _INVALID | {"RequestTimeTooSkewed"})
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
_KIND_BY_CODE = {
    **dict.fromkeys(_EXPIRED, "expired"),
    **dict.fromkeys(_INVALID, "invalid"),
    **dict.fromkeys(_DENIED, "denied"),
    **dict.fromkeys(_UNAVAILABLE, "unavailable"),
    **dict.fromkeys(_THROTTLED, "throttled"),
    "RequestTimeTooSkewed": "clock",
    "ModelTimeoutException": "model_timeout",
    "ModelErrorException": "model_error",
    "ResourceNotFoundException": "not_found",
    "ValidationException": "validation",
}
# Gateways and load balancers in front of Bedrock answer 502/504 with codes of their own.
_KIND_BY_STATUS = {502: "unavailable", 503: "unavailable", 504: "unavailable"}
# AWS reports a request signed too far from its own time as a bad signature, in these words.
_CLOCK_WORDS = ("Signature expired", "Signature not yet current")


def _kind(exc: BaseException) -> str:
    code = _error_code(exc)
    if code in _INVALID and any(words in _error_message(exc) for words in _CLOCK_WORDS):
        return "clock"
    return _KIND_BY_CODE.get(code) or _KIND_BY_STATUS.get(_status(exc), "other")


def _detail(exc: BaseException) -> str:
    return redact(_error_message(exc))


_expired = _Message(
    ExpiredCredentialsError,
    "The credentials used for {where} have expired ({code}).\n"
    "Fix: refresh them (`aws sso login --profile <name>`, new keys, or let the role "
    "refresh); temporary keys pasted into the environment cannot renew themselves.",
)
_invalid = _Message(
    InvalidCredentialsError,
    "AWS rejected the credentials for {where} ({code}): {detail}\n"
    "Fix: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (no stray spaces or quotes), "
    "that AWS_SESSION_TOKEN is set for temporary keys, and that the key is active "
    "(`aws iam list-access-keys`).",
)


def _skew_seen(exc: BaseException) -> str:
    """How far this machine's clock is from AWS's, measured as botocore does: against the
    reply's ``Date`` header."""
    date = _metadata(exc).get("HTTPHeaders", {}).get("date")
    try:
        server = parsedate_to_datetime(str(date))
    except (TypeError, ValueError):
        return "The reply had no Date header to measure the difference against."
    if server.tzinfo is None:  # "-0000": UTC, by RFC 5322
        server = server.replace(tzinfo=timezone.utc)
    skew = (datetime.now(timezone.utc) - server).total_seconds()
    direction = "ahead of" if skew > 0 else "behind"
    return (
        f"This machine's clock is about {span(abs(skew))} {direction} AWS's "
        f"(reply Date: {date})."
    )


_clock_skew = _Message(
    ClockSkewError,
    "AWS refused {where} because this machine's clock is off ({code}): {detail}\n"
    "{skew} AWS accepts a signed request only within minutes of its own time "
    "(5 for most services, 15 for STS).\n" + CLOCK_FIX,
)


def _expired_on_arrival(exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
    # botocore's own words, when a refresh outside this library's checks gave expired ones.
    credentials = f"The credentials fetched for {_where(ctx)}"
    return expired_on_arrival(credentials, datetime.now(timezone.utc))


def _access_denied(exc: BaseException, ctx: ErrorContext) -> AccessDeniedError:
    from bedrock_auth.models import foundation_model
    from bedrock_auth.policy import iam_action_for, policy_json

    action = iam_action_for(ctx.service, ctx.operation)
    hint = ""
    if ctx.model_id and ctx.service in ("bedrock-runtime", "bedrock"):
        base = foundation_model(ctx.model_id)
        # Model access is on by default now; what remains per account is Anthropic's use-case
        # form and the Marketplace subscription of third-party models (best-practices.md).
        hint = (
            f"If the policy already allows it, model access for {base} in "
            f"{ctx.region or 'this region'} is not set up for this account: for Anthropic "
            "models submit the one-time use-case form (Bedrock console, model catalog); for "
            "other third-party models the first call starts an AWS Marketplace subscription, "
            "which needs aws-marketplace:Subscribe and aws-marketplace:ViewSubscriptions.\n"
        )
    return AccessDeniedError(
        f"Access denied for {_where(ctx)}: {_detail(exc)}\n{hint}"
        f"The identity needs {action}. A minimal IAM policy statement:\n"
        f"{policy_json([action], model_id=ctx.model_id, region=ctx.region)}"
    )


# STS names both sides in its denial: "User: <caller> is not authorized to perform:
# sts:AssumeRole on resource: <role>".
# Searched with re's own cache of compiled patterns: compiled on the first such error only.
_CALLER = r"User: (arn:[\w+=,.@/:-]+)"
_ROLE = r"resource: (arn:[\w+=,.@/:-]+)"


def _arn(pattern: str, message: str) -> str:
    found = re.search(pattern, message)
    return found.group(1).rstrip(".,") if found else ""


def _trust_policy_command(role_arn: str) -> str:
    name = role_arn.rsplit("/", 1)[-1] if role_arn else "<role-name>"
    return f"  aws iam get-role --role-name {name} --query Role.AssumeRolePolicyDocument"


def _assume_role_denied(exc: BaseException, ctx: ErrorContext) -> AccessDeniedError:
    from bedrock_auth.policy import policy_json

    message = _error_message(exc)
    role = _arn(_ROLE, message)
    caller = _arn(_CALLER, message) or "the calling identity"
    return AccessDeniedError(
        f"Access denied for {_where(ctx)}: {_detail(exc)}\n"
        "Assuming a role needs two policies to agree:\n"
        f"1. {caller} needs sts:AssumeRole on the role. A minimal IAM policy statement:\n"
        f"{policy_json(['sts:AssumeRole'], resource=role)}\n"
        f"2. The role's trust policy must name {caller} (or its account) as a Principal, "
        "and its conditions must match what is sent: sts:ExternalId needs external_id= "
        "(BEDROCK_EXTERNAL_ID) with that value; aws:MultiFactorAuthPresent needs mfa_serial= "
        f"and mfa_token_provider=. Read it with:\n{_trust_policy_command(role)}"
    )


def _web_identity_denied(exc: BaseException, ctx: ErrorContext) -> AccessDeniedError:
    return AccessDeniedError(
        f"Access denied for {_where(ctx)}: {_detail(exc)}\n"
        "AssumeRoleWithWebIdentity is allowed by the role's trust policy alone: it must allow "
        "the token's issuer as a Federated principal (arn:aws:iam::<account>:oidc-provider/"
        "<issuer>) for sts:AssumeRoleWithWebIdentity, and its conditions on <issuer>:aud and "
        "<issuer>:sub must match the token in AWS_WEB_IDENTITY_TOKEN_FILE (on EKS: the "
        "service account's namespace and name). Read it with:\n"
        f"{_trust_policy_command(_arn(_ROLE, _error_message(exc)))}"
    )


_STS_DENIED = {"AssumeRole": _assume_role_denied, "AssumeRoleWithWebIdentity": _web_identity_denied}


def _credential_denied(exc: BaseException, ctx: ErrorContext) -> AccessDeniedError:
    return _STS_DENIED.get(ctx.operation, _access_denied)(exc, ctx)


def _credential_service(exc: BaseException, ctx: ErrorContext) -> CredentialServiceError:
    name = CREDENTIAL_SERVICES[ctx.service]
    what = "throttled" if _kind(exc) == "throttled" else "was unavailable for"
    return CredentialServiceError(
        f"{name} {what} {_where(ctx)}{_retried(exc)} ({_code_text(exc)}): {_detail(exc)}\n"
        f"{name} issues and checks the credentials; Bedrock did not fail, and another Bedrock "
        "region would get its credentials from the same place.\nFix: retry in a few seconds. "
        "If it persists: check the AWS Health Dashboard; when many processes fetch "
        "credentials at once, share one manager per process (get_manager()) so credentials "
        "are fetched once and reused until they expire; AWS_MAX_ATTEMPTS raises the attempts."
    )


_throttled = _Message(
    ThrottlingError,
    "Bedrock throttled {where}{retried} ({code_text}): {detail}\n"
    "Fix: raise BEDROCK_MAX_RETRIES, use a cross-region inference profile, add "
    "fallback regions, or request a quota increase in Service Quotas.",
)
_unavailable = _Message(
    ServiceUnavailableError,
    "Bedrock could not serve {where}{retried} ({code_text}): "
    "{detail}\nFix: retry later, add fallback regions (fallback_regions=[...] or "
    "BEDROCK_FALLBACK_REGIONS), or use a cross-region inference profile.",
)
_model_timeout = _Message(
    ModelTimeoutError,
    "The model did not finish {where} in time ({code_text}): {detail}\n"
    "Fix: stream the answer (converse_stream, invoke_model_stream, llm.stream()) so that "
    "text arrives as it is generated, ask for less (a lower max_tokens), or retry. If your "
    "client gives up first, raise read_timeout= / BEDROCK_READ_TIMEOUT (seconds).",
)
_model_error = _Message(
    ModelError,
    "The model failed while processing {where} ({code_text}): {detail}\n"
    "This is an error inside the model, not in your credentials or permissions. Fix: "
    "retry; if it repeats, the input is likely something this model cannot handle (size, "
    "format, content): try a smaller request or another model.",
)
_other = _Message(ServiceError, "{where} failed ({code_text}): {detail}")


def _model_not_found(exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
    if not ctx.model_id:
        return _other(exc, ctx)
    return ModelNotAvailableError(
        f"Model {ctx.model_id} was not found in {ctx.region or 'this region'}: {_detail(exc)}\n"
        "Fix: check the id with `aws bedrock list-foundation-models --region "
        f"{ctx.region or '<region>'}` or use a cross-region inference profile id."
    )


def _needs_profile(exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
    from bedrock_auth.models import profile_id_for

    if not (ctx.model_id and "inference profile" in _detail(exc)):
        return _other(exc, ctx)
    profile = profile_id_for(ctx.model_id, ctx.region or DEFAULT_REGION)
    return ModelNotAvailableError(
        f"Model {ctx.model_id} cannot be called on demand in {ctx.region}: {_detail(exc)}\n"
        f"Fix: use the inference profile id, e.g. use {profile}"
    )


Handler = Callable[[BaseException, ErrorContext], BedrockAuthError]

_BY_KIND: dict[str, Handler] = {
    "expired": _expired,
    "invalid": _invalid,
    "clock": _clock_skew,
    "denied": _access_denied,
    "throttled": _throttled,
    "unavailable": _unavailable,
    "model_timeout": _model_timeout,
    "model_error": _model_error,
    "not_found": _model_not_found,
    "validation": _needs_profile,
}
# STS/SSO failing is never Bedrock's capacity (no region failover) nor a model permission.
_CREDENTIAL_BY_KIND: dict[str, Handler] = {
    "denied": _credential_denied,
    "throttled": _credential_service,
    "unavailable": _credential_service,
}


def _client_error(exc: BaseException, ctx: ErrorContext) -> BedrockAuthError:
    kind = _kind(exc)
    special = _CREDENTIAL_BY_KIND if ctx.service in CREDENTIAL_SERVICES else {}
    return special.get(kind, _BY_KIND.get(kind, _other))(exc, ctx)


# -- translation -----------------------------------------------------------------------------

# botocore refuses before sending; the usual cause is a Bedrock API key (bearer) sent to a
# plain-http endpoint (a local emulator or proxy), which botocore never allows.
_endpoint_configuration = _Message(
    ConfigurationError,
    "botocore refused the endpoint for {where}: {text}\n"
    "Fix: a Bedrock API key (bearer auth) needs an https endpoint: check endpoint_url= / "
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME (for the local emulator, BedrockEmulator(tls=True) "
    "or `bedrock-auth emulator --tls`), or use IAM credentials, which also sign over http. "
    "Otherwise check the endpoint settings (use_fips_endpoint, use_dualstack_endpoint).",
)


_BY_CLASS_NAME: dict[str, Handler] = {
    "NoCredentialsError": _not_found,
    "ProfileNotFound": _profile_not_found,
    "SSOTokenLoadError": _sso_error,
    "UnauthorizedSSOTokenError": _sso_error,
    "TokenRetrievalError": _sso_error,
    "SSOError": _sso_error,
    **dict.fromkeys(_LOGIN_FAILURES, _login_failed),
    "MissingDependencyException": _missing_dependency,
    "PartialCredentialsError": _partial,
    "CredentialRetrievalError": _retrieval,
    "EndpointConnectionError": _unreachable,
    "ConnectTimeoutError": _unreachable,
    "ConnectionClosedError": _unreachable,
    "ProxyConnectionError": _unreachable,
    # urllib3 errors reach us unwrapped when a stream breaks while it is being read.
    "ReadTimeoutError": _connection_lost,
    "ProtocolError": _connection_lost,
    "InvalidEndpointConfigurationError": _endpoint_configuration,
}



_bad_header_value = _Message(
    ConfigurationError,
    "A request header for {where} has a line break or stray whitespace in its "
    "value, so it was not sent: {text}\n"
    "This is usually a session token or API key read from a file with its trailing "
    "newline. Fix: strip the value where it is read (value.strip()): session_token= / "
    "AWS_SESSION_TOKEN, api_key= / AWS_BEARER_TOKEN_BEDROCK.",
)


# Errors botocore raises as plain exceptions (or wraps as HTTPClientError), told apart by
# their words.
_BY_MESSAGE: dict[str, Handler] = {
    "refreshed credentials are still expired": _expired_on_arrival,
    "Invalid header value": _bad_header_value,
}


def cause_of(exc: BaseException) -> BaseException | None:
    """What ``raise translate_error(exc) from ...`` should chain: ``exc`` itself, or, when it is
    already one of ours (returned unchanged), its own cause, so it never becomes its own cause."""
    return exc.__cause__ if isinstance(exc, BedrockAuthError) else exc


def translate_error(exc: BaseException, ctx: ErrorContext | None = None) -> BedrockAuthError:
    """Return the :class:`BedrockAuthError` that explains ``exc``; raise it ``from exc``.

    ``exc`` and the exceptions chained to it are redacted in place, as they become the typed
    error's cause. Already-translated errors come back unchanged. Unknown errors become
    :class:`ServiceError` with the botocore message (redacted).
    """
    redact_exception(exc)
    if isinstance(exc, BedrockAuthError):
        return exc
    ctx = _failed_call(exc, ctx or ErrorContext())
    for klass in type(exc).__mro__:
        handler = _BY_CLASS_NAME.get(klass.__name__)
        if handler is not None:
            return handler(exc, ctx)
    if _error_code(exc):
        return _client_error(exc, ctx)
    text = str(exc)
    handler = next((h for words, h in _BY_MESSAGE.items() if words in text), None)
    if handler is not None:
        return handler(exc, ctx)
    return ServiceError(f"{_where(ctx)} failed ({type(exc).__name__}): {redact(text)}")
