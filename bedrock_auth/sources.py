"""One class per credential source, in the manner of botocore's providers.

Each source describes itself: when it applies (:meth:`CredentialSource.applies`), the
environment variables that fill its options (``ENV``, read when it is wanted), what it cannot
work without (``NEEDS``; a pinned mode never falls back to another source), the STS operation
that makes its credentials, its display name, and what ``doctor`` says and checks for it. It
puts its credentials on the manager's one botocore session and names its
``credential_source``. Settings picks one by walking :data:`SOURCES` in order; the manager and
``doctor`` hold the object and ask it. Nothing else compares mode strings.

>>> from bedrock_auth.settings import AuthConfig, resolve_settings
>>> settings = resolve_settings(AuthConfig(region="us-east-1", profile="dev"), environ={})
... # doctest: +SKIP
>>> type(source_for(settings)).__name__                                  # doctest: +SKIP
'ProfileSource'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials, EnvProvider

from bedrock_auth._options import MODES, Mode, Settings
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

__all__ = [
    "AUTH_MODES",
    "AUTH_MODE_ENV",
    "BEARER_ENV",
    "COMMAND_LINE_MODES",
    "SOURCES",
    "SOURCE_CLASSES",
    "SOURCE_NAMES",
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

#: The Bedrock API key botocore itself reads (and signs bedrock clients with when it is set).
BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"
#: Which auth the app opts into: ``iam`` (the default) or ``api_key`` (``BEARER_ENV`` is used).
AUTH_MODE_ENV = "BEDROCK_AUTH_MODE"
AUTH_MODES = ("iam", "api_key")

# What botocore's providers are, by their METHOD: the names of the chain in messages.
_BOTOCORE_SOURCE_NAMES = {
    "env": "environment variables (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
    "assume-role": "assume-role profile (role_arn + source_profile in ~/.aws/config)",
    "assume-role-with-web-identity": "web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)",
    "sso": "SSO profile (aws sso login)",
    "login": "aws login session (login_session in ~/.aws/config; aws login)",
    "shared-credentials-file": "shared credentials file (~/.aws/credentials)",
    "custom-process": "credential_process in ~/.aws/config",
    "config-file": "keys in ~/.aws/config",
    "ec2-credentials-file": "legacy EC2 credentials file",
    "boto-config": "legacy boto config file",
    "container-role": "container credentials (ECS task role, EKS Pod Identity)",
    "iam-role": "EC2 instance metadata (IMDS instance profile)",
}


class CredentialSource:
    """Where a manager's credentials come from. Subclasses set the class attributes."""

    #: The mode that selects this source.
    METHOD: ClassVar[Mode]
    #: The ``credential_source`` it reports; ``None``: botocore's provider name (env, sso, ...).
    CREDENTIAL_SOURCE: ClassVar[str | None] = None
    #: How messages and ``doctor`` name that ``credential_source``; ``None``: botocore's
    #: provider of the same name describes it (:data:`SOURCE_NAMES`).
    DISPLAY_NAME: ClassVar[str | None] = None
    #: (Settings attribute, how a user sets it) for each thing the source cannot work without.
    NEEDS: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: Option -> the environment variable that fills it, read when the source is wanted.
    ENV: ClassVar[Mapping[str, str]] = MappingProxyType({})
    #: The STS operation that turns base credentials into this source's; ``None``: no role.
    STS_OPERATION: ClassVar[str | None] = None
    #: True when choosing it pins the profile: botocore then skips env keys.
    PINS_PROFILE: ClassVar[bool] = False
    #: True for botocore's whole chain: ``doctor`` names configured sources it never reaches.
    IS_CHAIN: ClassVar[bool] = False
    #: False when it needs a function in code, so the command line cannot pin it.
    FROM_COMMAND_LINE: ClassVar[bool] = True
    #: False for a source with no IAM identity to validate (a Bedrock API key).
    has_iam_identity: ClassVar[bool] = True
    #: True when bedrock clients sign with a bearer token instead of SigV4.
    signs_with_bearer: ClassVar[bool] = False
    #: False when reading the source again cannot give other credentials (keys in code).
    rereadable: ClassVar[bool] = True
    #: For a role: the source of the credentials it is assumed with.
    base: CredentialSource | None = None

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        missing = self.missing()
        if missing:
            raise ConfigurationError(
                f"mode='{self.METHOD}' needs {' and '.join(missing)}; not set."
            )

    @classmethod
    def applies(cls, options: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
        """Whether the merged ``options`` select this source when no mode is pinned.

        ``given`` holds only the arguments: a profile named there pins it, ``AWS_PROFILE``
        does not. :data:`SOURCES` is walked in order; the first that applies wins.
        """
        return False

    @classmethod
    def wanted(cls, given: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
        """Whether the arguments ask for this source before the environment is read: then
        its ``ENV`` variables fill the options not given."""
        return given.get("mode") == cls.METHOD

    def missing(self) -> list[str]:
        """What the source needs but the settings lack, as the user would set it."""
        return [how for attribute, how in self.NEEDS if not getattr(self.settings, attribute)]

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        """Put this source's credentials on ``session``. The default: botocore's chain, with
        refresh windows sized to each lifetime and a time limit on ``credential_process``."""
        use_chain(session, self.settings.credential_process_timeout)

    def describe(self) -> str | None:
        """What ``doctor``'s credentials step says when it does not load credentials for this
        source; ``None``: it loads them (the base ones, for a role) and names where they came
        from."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AutoChainSource(CredentialSource):
    """botocore's default chain: env, web identity, SSO, files, process, container, IMDS."""

    METHOD = "auto"
    IS_CHAIN = True

    @classmethod
    def applies(cls, options: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
        return True  # the last resort


class ProfileSource(CredentialSource):
    """A named profile, pinned: env keys are not consulted."""

    METHOD = "profile"
    NEEDS = (("profile", "profile (or AWS_PROFILE)"),)
    PINS_PROFILE = True

    @classmethod
    def applies(cls, options: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
        # Only a profile passed as an argument pins it: AWS_PROFILE keeps botocore's whole
        # chain, env keys first, as it does for boto3.
        return bool(given.get("profile"))


class EnvSource(CredentialSource):
    """Only AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, through botocore.

    Only a pinned mode selects it: unpinned, the chain reads these variables first anyway.
    """

    METHOD = "env"
    #: The variables it needs, both set and non-empty (``AWS_SESSION_TOKEN`` is optional).
    VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")

    def missing(self) -> list[str]:
        return [name for name in self.VARIABLES if name not in self.settings.env_key_names]

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        use_only(session, EnvProvider())


class StaticKeysSource(CredentialSource):
    """Keys passed as arguments."""

    METHOD = "static"
    CREDENTIAL_SOURCE = "explicit"
    DISPLAY_NAME = "keys given in code"
    rereadable = False
    NEEDS = (("access_key_id", "access_key_id"), ("secret_access_key", "secret_access_key"))

    @classmethod
    def applies(cls, options: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
        return bool(options["access_key_id"])

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        s = self.settings
        assert s.access_key_id and s.secret_access_key
        keys = Credentials(s.access_key_id, s.secret_access_key, s.session_token, method="explicit")
        use_only(session, ResolvedProvider("explicit", keys))


class CustomSource(CredentialSource):
    """Credentials from the user's ``credential_provider`` callable, refreshed before expiry."""

    METHOD = "custom"
    CREDENTIAL_SOURCE = "custom"
    DISPLAY_NAME = "credential_provider="
    NEEDS = (("credential_provider", "credential_provider"),)
    FROM_COMMAND_LINE = False

    @classmethod
    def applies(cls, options: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
        return options["credential_provider"] is not None

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
    # botocore's names: AWS_ROLE_ARN belongs to web identity, other roles use BEDROCK_ROLE_ARN.
    ENV = MappingProxyType(
        {"role_arn": "AWS_ROLE_ARN", "web_identity_token_file": "AWS_WEB_IDENTITY_TOKEN_FILE"}
    )
    STS_OPERATION = "AssumeRoleWithWebIdentity"

    @classmethod
    def applies(cls, options: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
        return bool(options["web_identity_token_file"] and options["role_arn"])

    @classmethod
    def wanted(cls, given: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
        # A token file in the environment alone is botocore's chain's business (EKS IRSA).
        return super().wanted(given, environ) or bool(given.get("web_identity_token_file"))

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        create = client_creator(session, self.settings, client_config)
        credentials = web_identity_credentials(self.settings, create)
        use_only(session, ResolvedProvider(self.CREDENTIAL_SOURCE or "", credentials))

    def describe(self) -> str:
        token_file = self.settings.web_identity_token_file
        return f"web identity token file {token_file} (checked in 'role')"


class AssumeRoleSource(CredentialSource):
    """A role assumed on top of base credentials (keys, custom, a profile or the chain).

    The base credentials stay inside botocore's fetcher and sign only AssumeRole.
    """

    METHOD = "assume_role"
    CREDENTIAL_SOURCE = "assume-role"
    NEEDS = (("role_arn", "role_arn (or BEDROCK_ROLE_ARN)"),)
    ENV = MappingProxyType({"role_arn": "BEDROCK_ROLE_ARN"})
    STS_OPERATION = "AssumeRole"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.base = _base_source(settings)

    @classmethod
    def applies(cls, options: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
        return bool(options["role_arn"])

    @classmethod
    def wanted(cls, given: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
        return True  # BEDROCK_ROLE_ARN alone assumes that role

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        assert self.base is not None
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
    DISPLAY_NAME = (
        f"a Bedrock API key (api_key= or {BEARER_ENV} with {AUTH_MODE_ENV}=api_key)"
    )
    NEEDS = (("api_key", f"api_key (or {BEARER_ENV})"),)
    ENV = MappingProxyType({"api_key": BEARER_ENV})
    has_iam_identity = False
    signs_with_bearer = True
    rereadable = False

    @classmethod
    def applies(cls, options: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
        return bool(options["api_key"])

    @classmethod
    def wanted(cls, given: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
        # botocore would use the key whenever it is set; here only an app that opted in does.
        opted_in = environ.get(AUTH_MODE_ENV, "").strip().lower() == "api_key"
        return super().wanted(given, environ) or opted_in

    def configure(self, session: botocore.session.Session, client_config: Config) -> None:
        assert self.settings.api_key
        super().configure(session, client_config)
        session.register_component("token_provider", ApiKeyTokenProvider(self.settings.api_key))

    def describe(self) -> str:
        return f"{self.DISPLAY_NAME} signs bedrock and bedrock-runtime requests"


#: Every source, in the order settings tries them when no mode is pinned: the most specific
#: first, botocore's chain last. The environment variables of a wanted source also follow
#: this order (web identity's AWS_ROLE_ARN before BEDROCK_ROLE_ARN).
SOURCES: tuple[type[CredentialSource], ...] = (
    ApiKeySource,
    WebIdentitySource,
    AssumeRoleSource,
    CustomSource,
    StaticKeysSource,
    ProfileSource,
    EnvSource,
    AutoChainSource,
)
#: The source class of each mode.
SOURCE_CLASSES: Mapping[str, type[CredentialSource]] = MappingProxyType(
    {cls.METHOD: cls for cls in SOURCES}
)
#: The modes ``--mode`` accepts on the command line, in :data:`MODES` order.
COMMAND_LINE_MODES = tuple(mode for mode in MODES if SOURCE_CLASSES[mode].FROM_COMMAND_LINE)
#: What each ``credential_source`` means, for messages and ``doctor``: botocore's providers,
#: then the library's own.
SOURCE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        **_BOTOCORE_SOURCE_NAMES,
        **{
            cls.CREDENTIAL_SOURCE: cls.DISPLAY_NAME
            for cls in SOURCES
            if cls.CREDENTIAL_SOURCE and cls.DISPLAY_NAME
        },
    }
)


def _base_source(settings: Settings) -> CredentialSource:
    """What a role is assumed with: the given keys or provider, else the profile or chain."""
    if settings.credential_provider is not None:
        return CustomSource(settings)
    if settings.access_key_id:
        return StaticKeysSource(settings)
    return ProfileSource(settings) if settings.profile_pinned else AutoChainSource(settings)


def source_for(settings: Settings) -> CredentialSource:
    """The source for ``settings.mode``; raises :class:`ConfigurationError` if it lacks a need."""
    return SOURCE_CLASSES[settings.mode](settings)
