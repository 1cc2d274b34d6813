"""One class per credential source, in the manner of botocore's providers.

Each source says what it needs (a pinned mode never falls back to another source), puts its
credentials on the manager's one botocore session, names its ``credential_source``, and says
whether it has an IAM identity and whether it signs with a bearer token. The manager holds one
source object and asks it; nothing else compares mode strings.

>>> from bedrock_auth.settings import AuthConfig, resolve_settings
>>> settings = resolve_settings(AuthConfig(region="us-east-1", profile="dev"), environ={})
... # doctest: +SKIP
>>> type(source_for(settings)).__name__                                  # doctest: +SKIP
'ProfileSource'
"""

from __future__ import annotations

from typing import ClassVar

import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials, EnvProvider

from bedrock_auth.credentials import (
    ApiKeyTokenProvider,
    ResolvedProvider,
    assume_role_credentials,
    client_creator,
    custom_credentials,
    use_chain,
    use_only,
    web_identity_credentials,
)
from bedrock_auth.errors import ConfigurationError
from bedrock_auth.settings import BEARER_ENV, Mode, Settings

__all__ = [
    "ApiKeySource",
    "AssumeRoleSource",
    "AutoChainSource",
    "CredentialSource",
    "CustomSource",
    "EnvSource",
    "ProfileSource",
    "StaticKeysSource",
    "WebIdentitySource",
    "source_for",
]

class CredentialSource:
    """Where a manager's credentials come from. Subclasses set the class attributes."""

    #: The mode that selects this source.
    METHOD: ClassVar[Mode]
    #: The ``credential_source`` it reports; ``None``: botocore's provider name (env, sso, ...).
    CREDENTIAL_SOURCE: ClassVar[str | None] = None
    #: (Settings attribute, how a user sets it) for each thing the source cannot work without.
    NEEDS: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: False for a source with no IAM identity to validate (a Bedrock API key).
    has_iam_identity: ClassVar[bool] = True
    #: True when bedrock clients sign with a bearer token instead of SigV4.
    signs_with_bearer: ClassVar[bool] = False
    #: False when reading the source again cannot give other credentials (keys in code).
    rereadable: ClassVar[bool] = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        missing = self.missing()
        if missing:
            raise ConfigurationError(
                f"mode='{self.METHOD}' needs {' and '.join(missing)}; not set."
            )

    def missing(self) -> list[str]:
        """What the source needs but the settings lack, as the user would set it."""
        return [how for attribute, how in self.NEEDS if not getattr(self.settings, attribute)]

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        """Put this source's credentials on ``session``. The default: botocore's chain, with
        refresh windows sized to each lifetime and a time limit on ``credential_process``."""
        use_chain(session, self.settings.credential_process_timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AutoChainSource(CredentialSource):
    """botocore's default chain: env, web identity, SSO, files, process, container, IMDS."""

    METHOD = "auto"


class ProfileSource(CredentialSource):
    """A named profile, pinned: env keys are not consulted."""

    METHOD = "profile"
    NEEDS = (("profile", "profile (or AWS_PROFILE)"),)


class EnvSource(CredentialSource):
    """Only AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, through botocore."""

    METHOD = "env"

    def missing(self) -> list[str]:
        names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        return [name for name in names if name not in self.settings.env_key_names]

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        use_only(session, EnvProvider())


class StaticKeysSource(CredentialSource):
    """Keys passed as arguments."""

    METHOD = "static"
    CREDENTIAL_SOURCE = "explicit"
    rereadable = False
    NEEDS = (("access_key_id", "access_key_id"), ("secret_access_key", "secret_access_key"))

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        s = self.settings
        assert s.access_key_id and s.secret_access_key
        keys = Credentials(s.access_key_id, s.secret_access_key, s.session_token, method="explicit")
        use_only(session, ResolvedProvider("explicit", keys))


class CustomSource(CredentialSource):
    """Credentials from the user's ``credential_provider`` callable, refreshed before expiry."""

    METHOD = "custom"
    CREDENTIAL_SOURCE = "custom"
    NEEDS = (("credential_provider", "credential_provider"),)

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        assert self.settings.credential_provider is not None
        credentials = custom_credentials(self.settings.credential_provider)
        use_only(session, ResolvedProvider("custom", credentials))


class WebIdentitySource(CredentialSource):
    """AssumeRoleWithWebIdentity from a token file (EKS IRSA, GitHub OIDC, ...)."""

    METHOD = "web_identity"
    CREDENTIAL_SOURCE = "assume-role-with-web-identity"
    NEEDS = (
        ("web_identity_token_file", "web_identity_token_file (or AWS_WEB_IDENTITY_TOKEN_FILE)"),
        ("role_arn", "role_arn (or AWS_ROLE_ARN)"),
    )

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        create = client_creator(session, self.settings, client_config)
        credentials = web_identity_credentials(self.settings, create)
        use_only(session, ResolvedProvider(self.CREDENTIAL_SOURCE or "", credentials))


class AssumeRoleSource(CredentialSource):
    """A role assumed on top of base credentials (keys, custom, a profile or the chain).

    The base credentials stay inside botocore's fetcher and sign only AssumeRole.
    """

    METHOD = "assume_role"
    CREDENTIAL_SOURCE = "assume-role"
    NEEDS = (("role_arn", "role_arn (or BEDROCK_ROLE_ARN)"),)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.base = _base_source(settings)

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        self.base.configure(session, client_config)
        # Loaded from the resolver directly, so the session does not cache the base
        # credentials as its own; with none, the manager reports the chain it tried.
        source = session.get_component("credential_provider").load_credentials()
        if source is None:
            return
        create = client_creator(session, self.settings, client_config)
        credentials = assume_role_credentials(self.settings, create, source)
        use_only(session, ResolvedProvider("assume-role", credentials))

    def __repr__(self) -> str:
        return f"AssumeRoleSource(base={self.base!r})"


class ApiKeySource(CredentialSource):
    """A Bedrock API key (bearer) for bedrock and bedrock-runtime; the chain for the rest."""

    METHOD = "api_key"
    CREDENTIAL_SOURCE = "api-key"
    NEEDS = (("api_key", f"api_key (or {BEARER_ENV})"),)
    has_iam_identity = False
    signs_with_bearer = True
    rereadable = False

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        assert self.settings.api_key
        super().configure(session, client_config)
        session.register_component("token_provider", ApiKeyTokenProvider(self.settings.api_key))


SOURCES: dict[str, type[CredentialSource]] = {
    cls.METHOD: cls
    for cls in (
        AutoChainSource,
        ProfileSource,
        EnvSource,
        StaticKeysSource,
        AssumeRoleSource,
        WebIdentitySource,
        ApiKeySource,
        CustomSource,
    )
}


def _base_source(settings: Settings) -> CredentialSource:
    """What a role is assumed with: the given keys or provider, else the profile or chain."""
    if settings.credential_provider is not None:
        return CustomSource(settings)
    if settings.access_key_id:
        return StaticKeysSource(settings)
    return ProfileSource(settings) if settings.profile_pinned else AutoChainSource(settings)


def source_for(settings: Settings) -> CredentialSource:
    """The source for ``settings.mode``; raises :class:`ConfigurationError` if it lacks a need."""
    return SOURCES[settings.mode](settings)
