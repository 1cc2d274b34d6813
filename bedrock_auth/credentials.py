"""Turning resolved settings into one botocore session with the right credentials.

Everything here is botocore's own machinery: the default provider chain, ``EnvProvider``,
``AssumeRoleCredentialFetcher`` / ``AssumeRoleWithWebIdentityCredentialFetcher`` with
``DeferredRefreshableCredentials`` (refreshed before expiry), and a token provider for
Bedrock API keys. Nothing is copied out of the environment into static credentials, so
env keys keep honouring ``AWS_CREDENTIAL_EXPIRATION`` and roles keep refreshing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    AssumeRoleWithWebIdentityCredentialFetcher,
    CredentialProvider,
    CredentialResolver,
    Credentials,
    DeferredRefreshableCredentials,
    EnvProvider,
)
from botocore.tokens import FrozenAuthToken
from botocore.utils import FileWebIdentityTokenLoader

from bedrock_auth.settings import DEFAULT_REGION, Settings

logger = logging.getLogger("bedrock_auth")

#: Services whose requests a Bedrock API key (bearer token) can sign.
BEARER_SERVICES = frozenset({"bedrock", "bedrock-runtime"})

ClientFactory = Callable[..., Any]


class _ResolvedProvider(CredentialProvider):  # type: ignore[misc]
    """A provider that hands botocore credentials we built, under the method name we give."""

    def __init__(self, method: str, credentials: Credentials) -> None:
        super().__init__()
        self.METHOD = method
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


class _ApiKeyTokenProvider:
    """Gives this session's Bedrock API key to bedrock clients only, never to os.environ."""

    METHOD = "bedrock-auth-api-key"

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def load_token(self, **kwargs: Any) -> FrozenAuthToken | None:
        if kwargs.get("signing_name") in (None, "bedrock"):
            return FrozenAuthToken(self._api_key)
        return None

    def __repr__(self) -> str:
        return "_ApiKeyTokenProvider(api_key='***')"


def endpoint_for(endpoint_url: str | Mapping[str, str] | None, service: str) -> str | None:
    """The endpoint to pass for ``service``; ``None`` lets botocore honour AWS_ENDPOINT_URL_*.

    A plain string is the bedrock-runtime endpoint (the usual VPC interface endpoint), so STS
    validation still goes to STS; a mapping names the endpoint of each service.
    """
    if isinstance(endpoint_url, Mapping):
        return endpoint_url.get(service)
    return endpoint_url if service == "bedrock-runtime" else None


def _use_only(session: botocore.session.Session, provider: CredentialProvider) -> None:
    session.register_component("credential_provider", CredentialResolver([provider]))


def _client_creator(
    session: botocore.session.Session, settings: Settings, base_config: Config
) -> ClientFactory:
    """What botocore's role fetchers call to make their STS client: our region, endpoint, config."""

    def create(service_name: str, **kwargs: Any) -> Any:
        config = kwargs.pop("config", None)
        merged = base_config.merge(config) if config is not None else base_config
        return session.create_client(
            service_name,
            region_name=settings.region,
            endpoint_url=endpoint_for(settings.config.endpoint_url, service_name),
            verify=settings.config.verify,
            config=merged,
            **kwargs,
        )

    return create


def _base_session(settings: Settings) -> botocore.session.Session:
    """The session holding the base credentials: a profile, static keys, env only, or the chain."""
    c = settings.config
    # An explicit profile makes botocore skip env keys, which is what a pinned profile means.
    session = botocore.session.Session(
        profile=settings.profile if c.profile or settings.mode == "profile" else None
    )
    if settings.profile:
        session.get_scoped_config()  # a missing profile fails here, before any network call
    if settings.region:
        session.set_config_variable("region", settings.region)
    if c.access_key_id and c.secret_access_key:
        _use_only(
            session,
            _ResolvedProvider(
                "explicit",
                Credentials(
                    c.access_key_id, c.secret_access_key, c.session_token, method="explicit"
                ),
            ),
        )
    elif settings.mode == "env":
        _use_only(session, EnvProvider())
    return session


def with_region(settings: Settings) -> Settings:
    """Fill in the region from the signing profile, else ``us-east-1`` with one warning.

    botocore's internal STS/SSO clients get this region too, so an assume-role profile works
    when only ``AWS_REGION`` is set.
    """
    if settings.region:
        return settings
    region = _base_session(settings).get_config_variable("region")
    if region:
        return replace(settings, region=str(region), region_source="profile")
    logger.warning(
        "No AWS region configured (AWS_REGION, AWS_DEFAULT_REGION or the profile); "
        "using %s. Set AWS_REGION to choose one.",
        DEFAULT_REGION,
    )
    return replace(settings, region=DEFAULT_REGION, region_source="default")


def _role_credentials(
    settings: Settings, create_client: ClientFactory, source: Credentials | None
) -> DeferredRefreshableCredentials:
    extra: dict[str, Any] = {
        "RoleSessionName": settings.role_session_name or f"bedrock-auth-{int(time.time())}"
    }
    if settings.config.duration_seconds:
        extra["DurationSeconds"] = settings.config.duration_seconds
    if settings.mode == "web_identity":
        assert settings.web_identity_token_file and settings.role_arn
        web_fetcher = AssumeRoleWithWebIdentityCredentialFetcher(
            client_creator=create_client,
            web_identity_token_loader=FileWebIdentityTokenLoader(settings.web_identity_token_file),
            role_arn=settings.role_arn,
            extra_args=extra,
        )
        return DeferredRefreshableCredentials(
            method="assume-role-with-web-identity", refresh_using=web_fetcher.fetch_credentials
        )
    if settings.external_id:
        extra["ExternalId"] = settings.external_id
    mfa_provider = settings.config.mfa_token_provider
    if settings.config.mfa_serial:
        extra["SerialNumber"] = settings.config.mfa_serial
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=create_client,
        source_credentials=source,
        role_arn=settings.role_arn,
        extra_args=extra,
        mfa_prompter=(lambda _prompt: mfa_provider()) if mfa_provider else None,
    )
    return DeferredRefreshableCredentials(
        method="assume-role", refresh_using=fetcher.fetch_credentials
    )


def build_session(settings: Settings, base_config: Config) -> botocore.session.Session:
    """One botocore session whose credentials follow ``settings.mode``.

    For roles the session's credentials are botocore's refreshing role credentials; the base
    credentials (chain, profile or keys) stay inside the fetcher and sign only AssumeRole.
    """
    session = _base_session(settings)
    if settings.mode in ("assume_role", "web_identity"):
        create_client = _client_creator(session, settings, base_config)
        source = session.get_credentials() if settings.mode == "assume_role" else None
        if settings.mode == "assume_role" and source is None:
            return session  # the manager reports "no credentials" with the chain it tried
        role_session = botocore.session.Session()
        role_session.set_config_variable("region", settings.region)
        _use_only(
            role_session,
            _ResolvedProvider(
                "assume-role"
                if settings.mode == "assume_role"
                else "assume-role-with-web-identity",
                _role_credentials(settings, create_client, source),
            ),
        )
        session = role_session
    if settings.api_key:
        session.register_component("token_provider", _ApiKeyTokenProvider(settings.api_key))
    return session


def chain_sources(session: botocore.session.Session) -> list[str]:
    """The provider names botocore will try, in order, for error messages."""
    resolver = session.get_component("credential_provider")
    return [str(p.METHOD) for p in getattr(resolver, "providers", [])]
