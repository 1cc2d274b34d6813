"""The botocore adapters the credential sources are built from.

Everything here is botocore's own machinery: ``CredentialResolver`` with one provider or
botocore's default chain, ``AssumeRoleCredentialFetcher`` /
``AssumeRoleWithWebIdentityCredentialFetcher`` with ``DeferredRefreshableCredentials``
(refreshed before expiry, single-flight under botocore's refresh lock, windows sized to the
credentials' lifetime by :mod:`bedrock_auth._refresh`, one AssumeRole per process for managers
assuming the same role as the same caller by :mod:`bedrock_auth._shared_roles`), and a token
provider for Bedrock API keys. Nothing is copied out of the environment into static
credentials, so env keys keep honouring ``AWS_CREDENTIAL_EXPIRATION`` and roles keep refreshing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    AssumeRoleWithWebIdentityCredentialFetcher,
    CredentialProvider,
    Credentials,
    ProcessProvider,
)
from botocore.tokens import FrozenAuthToken
from botocore.utils import FileWebIdentityTokenLoader

from bedrock_auth._clock import watch as watch_clock
from bedrock_auth._options import CredentialValues, Settings
from bedrock_auth._process import TimedProcessProvider, time_source_profiles
from bedrock_auth._redact import redact, remember_secrets
from bedrock_auth._refresh import Metadata, ScaledRefreshableCredentials, ScalingResolver
from bedrock_auth._shared_roles import role_key, shared_fetch
from bedrock_auth.errors import ConfigurationError, CredentialsNotFoundError

logger = logging.getLogger("bedrock_auth")

#: Services whose requests a Bedrock API key (bearer token) can sign.
BEARER_SERVICES = frozenset({"bedrock", "bedrock-runtime"})
#: Services called to validate or fetch credentials (short timeouts, few attempts), by the
#: name messages give them.
CREDENTIAL_SERVICES: Mapping[str, str] = MappingProxyType(
    {"sts": "STS", "sso": "SSO", "sso-oidc": "SSO OIDC"}
)

ClientFactory = Callable[..., Any]

# The role fetchers' own cache answers a fetch while more than this is left of the credentials
# it holds. Longer than any STS session (12 hours), it never answers: the credentials object
# fetches only when its windows, sized to the lifetime, say so, and then STS is really called.
_FETCHER_NEVER_CACHES = 24 * 60 * 60


class ResolvedProvider(CredentialProvider):  # type: ignore[misc]
    """A provider that hands botocore credentials we built, under the method name we give."""

    def __init__(self, method: str, credentials: Credentials) -> None:
        super().__init__()
        self.METHOD = method
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


class ApiKeyTokenProvider:
    """Gives this session's Bedrock API key to bedrock clients only, never to os.environ."""

    METHOD = "bedrock-auth-api-key"

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def load_token(self, **kwargs: Any) -> FrozenAuthToken | None:
        if kwargs.get("signing_name") in (None, "bedrock"):
            return FrozenAuthToken(self._api_key)
        return None

    def __repr__(self) -> str:
        return "ApiKeyTokenProvider(api_key='***')"


def endpoint_for(endpoint_url: str | Mapping[str, str] | None, service: str) -> str | None:
    """The endpoint to pass for ``service``; ``None`` lets botocore honour AWS_ENDPOINT_URL_*.

    A plain string is the bedrock-runtime endpoint (the usual VPC interface endpoint), so STS
    validation still goes to STS; a mapping names the endpoint of each service.
    """
    if isinstance(endpoint_url, Mapping):
        return endpoint_url.get(service)
    return endpoint_url if service == "bedrock-runtime" else None


def use_only(session: botocore.session.Session, provider: CredentialProvider) -> None:
    """Make ``provider`` the session's only credential source (see :func:`use_chain` for what
    the resolver adds)."""
    session.register_component("credential_provider", ScalingResolver([provider]))
    watch_clock(session)


def use_chain(session: botocore.session.Session, process_timeout: float) -> None:
    """botocore's default chain for ``session``, with these changes.

    Refreshable credentials get refresh windows sized to their lifetime (see
    :mod:`bedrock_auth._refresh`), and what a source hands over is checked, its failures
    typed and named (:mod:`bedrock_auth._fetched`). Every ``credential_process`` (the
    profile's, and those of the profiles ``source_profile`` reaches) runs under
    :class:`~bedrock_auth._process.TimedProcessProvider` with ``process_timeout`` seconds.
    STS and SSO replies measure the clock (:mod:`bedrock_auth._clock`). Provider names and
    order stay botocore's, so ``credential_source`` and the sources named in errors do not
    change.
    """
    resolver = session.get_component("credential_provider")
    providers = list(resolver.providers)
    load_config = lambda: session.full_config  # noqa: E731  # as botocore's providers do
    timed = TimedProcessProvider(
        session.get_config_variable("profile") or "default",  # as botocore names it
        load_config,
        process_timeout,
    )
    providers[providers.index(resolver.get_provider(ProcessProvider.METHOD))] = timed
    time_source_profiles(providers, load_config, process_timeout)
    session.register_component("credential_provider", ScalingResolver(providers))
    watch_clock(session)


def client_creator(
    session: botocore.session.Session, settings: Settings, base_config: Config
) -> ClientFactory:
    """What botocore's role fetchers call to make their STS client: our region, endpoint, config.

    The fetchers pass the source credentials explicitly, so the STS client never signs with
    the role credentials it is fetching.
    """

    def create(service_name: str, **kwargs: Any) -> Any:
        config = kwargs.pop("config", None)
        merged = base_config.merge(config) if config is not None else base_config
        client = session.create_client(
            service_name,
            region_name=settings.region,
            endpoint_url=endpoint_for(settings.endpoint_url, service_name),
            verify=settings.verify,
            config=merged,
            **kwargs,
        )
        client.meta.events.register("after-call-error", _name_the_operation)
        return client

    return create


def _name_the_operation(
    exception: BaseException | None = None, event_name: str = "", **_: Any
) -> None:
    """Name the STS operation on a network error from a role fetcher's client.

    botocore's ClientErrors carry ``operation_name``, its connection and read-timeout errors do
    not; without it an unreachable STS during AssumeRole would be reported as the call that
    needed the credentials. The event is ``after-call-error.<service>.<Operation>``.
    """
    if exception is not None and not getattr(exception, "operation_name", None):
        exception.operation_name = event_name.rsplit(".", 1)[-1]  # type: ignore[attr-defined]


def _role_extra(settings: Settings) -> dict[str, Any]:
    extra: dict[str, Any] = {
        **settings.assume_role_kwargs,
        "RoleSessionName": settings.role_session_name or f"bedrock-auth-{int(time.time())}",
    }
    if settings.duration_seconds:
        extra["DurationSeconds"] = settings.duration_seconds
    return extra


def assume_role_credentials(
    settings: Settings, create_client: ClientFactory, source: Credentials
) -> ScaledRefreshableCredentials:
    """botocore's refreshing AssumeRole credentials on top of ``source``."""
    assert settings.role_arn
    extra = _role_extra(settings)
    if settings.external_id:
        extra["ExternalId"] = settings.external_id
    if settings.mfa_serial:
        extra["SerialNumber"] = settings.mfa_serial
    mfa = settings.mfa_token_provider
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=create_client,
        source_credentials=source,
        role_arn=settings.role_arn,
        extra_args=extra,
        mfa_prompter=_remembering(mfa) if mfa else None,
        expiry_window_seconds=_FETCHER_NEVER_CACHES,
    )
    # The default session name carries the time it was made: it does not tell callers apart.
    named = settings.role_session_name
    shared = {k: v for k, v in extra.items() if k != "RoleSessionName" or named}
    route = f"{settings.region} {endpoint_for(settings.endpoint_url, 'sts')}"
    role_arn = settings.role_arn

    def fetch() -> Metadata:
        key = role_key(source.get_frozen_credentials(), role_arn, shared, route)
        return shared_fetch(key, fetcher.fetch_credentials)

    return ScaledRefreshableCredentials(fetch, "assume-role", source=f"the role {role_arn}")


def _remembering(mfa: Callable[[], str]) -> Callable[[str], str]:
    """botocore's MFA prompter, registering each code so no message or traceback shows it.

    A callback that raises, or returns anything but a string, is named in a typed error:
    botocore would pass its exception on as it is, and STS would get the wrong value.
    """
    name = getattr(mfa, "__qualname__", type(mfa).__name__)
    fix = "Fix: call it by hand; it must return the current code of the MFA device as a string."

    def prompt(_prompt: str) -> str:
        try:
            code = mfa()
        except Exception as exc:
            raise CredentialsNotFoundError(
                f"mfa_token_provider {name} raised {type(exc).__name__} when AssumeRole asked "
                f"for an MFA code: {redact(str(exc)) or 'no message'}\n{fix}"
            ) from exc
        if not isinstance(code, str) or not code.strip():
            got = f"a {type(code).__name__}" if code else "nothing"
            raise CredentialsNotFoundError(
                f"mfa_token_provider {name} returned {got} when AssumeRole asked for an MFA "
                f"code.\n{fix}"
            )
        remember_secrets(code)
        return code

    return prompt


def _remembered_token(path: str) -> Callable[[], str]:
    """botocore's token-file loader, registering each token so no message or traceback shows it
    (a JWT's signature part has no AWS secret shape)."""
    load = FileWebIdentityTokenLoader(path)

    def token() -> str:
        value = str(load())
        remember_secrets(value)
        return value

    return token


def web_identity_credentials(
    settings: Settings, create_client: ClientFactory
) -> ScaledRefreshableCredentials:
    """botocore's refreshing AssumeRoleWithWebIdentity credentials from the token file."""
    assert settings.web_identity_token_file and settings.role_arn
    fetcher = AssumeRoleWithWebIdentityCredentialFetcher(
        client_creator=create_client,
        web_identity_token_loader=_remembered_token(settings.web_identity_token_file),
        role_arn=settings.role_arn,
        extra_args=_role_extra(settings),
        expiry_window_seconds=_FETCHER_NEVER_CACHES,
    )
    source = f"web identity (token file {settings.web_identity_token_file}, {settings.role_arn})"
    return ScaledRefreshableCredentials(
        fetcher.fetch_credentials, "assume-role-with-web-identity", source=source
    )


# Credentials a custom provider returns without an expiry are used for the process's life.
_NEVER = datetime(9999, 1, 1, tzinfo=timezone.utc)
_CUSTOM_FIELDS = ("access_key_id", "secret_access_key", "session_token", "expiration")


def _custom_values(reply: Any, name: str) -> CredentialValues:
    """Check what a ``credential_provider`` returned; a message never shows a value."""
    if isinstance(reply, Mapping):
        unknown = sorted(set(reply) - set(_CUSTOM_FIELDS))
        if unknown:
            raise ConfigurationError(
                f"credential_provider {name} returned unknown keys {unknown}. "
                f"Accepted: {', '.join(_CUSTOM_FIELDS)}."
            )
        missing = [k for k in _CUSTOM_FIELDS[:2] if not reply.get(k)]
        if missing:
            raise ConfigurationError(
                f"credential_provider {name} returned no {' and no '.join(missing)}."
            )
        reply = CredentialValues(**reply)
    if not isinstance(reply, CredentialValues):
        raise ConfigurationError(
            f"credential_provider {name} returned a {type(reply).__name__}. Accepted: a "
            "mapping or a bedrock_auth.CredentialValues with access_key_id, "
            "secret_access_key, and optional session_token and expiration."
        )
    expiration = reply.expiration
    if expiration is not None and (
        not isinstance(expiration, datetime) or expiration.utcoffset() is None
    ):
        raise ConfigurationError(
            f"credential_provider {name} returned an expiration that is not a timezone-aware "
            "datetime. Use e.g. datetime.now(timezone.utc) + timedelta(hours=1)."
        )
    return reply


def custom_credentials(provider: Callable[[], Any]) -> ScaledRefreshableCredentials:
    """Credentials from a user's callable, called again before they expire, like a role's.

    botocore's refreshable credentials make the refresh single-flight: under many threads
    only one calls the provider, once per lifetime of what it returned.
    """
    name = getattr(provider, "__qualname__", type(provider).__name__)

    def fetch() -> dict[str, Any]:
        try:
            reply = provider()
        except Exception as exc:
            raise CredentialsNotFoundError(
                f"credential_provider {name} failed: {type(exc).__name__}: {redact(str(exc))}\n"
                "Fix: call it by hand to see why; it must return access_key_id, "
                "secret_access_key and optionally session_token and expiration."
            ) from exc
        values = _custom_values(reply, name)
        expiry = values.expiration or _NEVER
        logger.debug("credential_provider %s returned credentials until %s", name, expiry)
        return {
            "access_key": values.access_key_id,
            "secret_key": values.secret_access_key,
            "token": values.session_token,
            "expiry_time": expiry.astimezone(timezone.utc).isoformat(),
        }

    return ScaledRefreshableCredentials(fetch, "custom", source=f"credential_provider {name}")


def chain_sources(session: botocore.session.Session) -> list[str]:
    """The provider names botocore will try, in order, for error messages."""
    return _provider_names(session.get_component("credential_provider"))


def _provider_names(resolver: Any) -> list[str]:
    names: list[str] = []
    for provider in getattr(resolver, "providers", []):
        inner = getattr(provider, "resolver", None)  # the manager's swappable wrapper
        names += _provider_names(inner) if inner is not None else [str(provider.METHOD)]
    return names


__all__ = [
    "BEARER_SERVICES",
    "ApiKeyTokenProvider",
    "ResolvedProvider",
    "assume_role_credentials",
    "chain_sources",
    "client_creator",
    "custom_credentials",
    "endpoint_for",
    "use_chain",
    "use_only",
    "web_identity_credentials",
]
