"""Resolving options once: keyword arguments, then the environment, then `.env`, then the profile.

This is the one place that reads the environment. `.env` is loaded with python-dotenv into
``os.environ`` without overriding anything already set (the one process-wide effect this library
allows itself), so botocore's own providers see it exactly as a shell export. Which names came
from `.env` is remembered so that error messages can say where a bad value came from.

Every option is written once, as a field of :class:`AuthConfig`: its annotation is its type,
and :func:`option` holds the rest (environment variable, default, range, secret). The type
checks, the environment merge, the defaults of :class:`Settings`, the pickling rule and the
functions ``get_manager`` cannot key all follow from that table (:data:`OPTIONS`).

:func:`resolve_settings` returns a complete, frozen :class:`Settings`: every later step reads
its answers there, and none reads ``os.environ`` again. The credential source is picked by
walking :data:`bedrock_auth.sources.SOURCES`.

>>> s = resolve_settings(AuthConfig(region="eu-west-1", load_dotenv=False), environ={})
>>> s.region, s.mode
('eu-west-1', 'auto')
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import partial
from types import MappingProxyType
from typing import Any, get_type_hints

import botocore.session
from botocore.config import Config

from bedrock_auth._loader import use_shared_loader
from bedrock_auth._options import (
    MODES,
    RETRY_MODES,
    CredentialProvider,
    CredentialValues,
    Mode,
    Option,
    RetryMode,
    Settings,
    check_choice,
    check_range,
    flag,
    option,
    proxy_userinfo,
    role_parameter_secrets,
    timeout,
    url_userinfo,
)
from bedrock_auth._shapes import check_role_kwargs, check_role_options, duration_range
from bedrock_auth._state import ForkSafeLock, register
from bedrock_auth.errors import ConfigurationError
from bedrock_auth.regions import check_region
from bedrock_auth.sources import (
    AUTH_MODE_ENV,
    AUTH_MODES,
    BEARER_ENV,
    SOURCE_CLASSES,
    SOURCES,
    CredentialSource,
    EnvSource,
)

__all__ = [
    "AUTH_CONFIG_FIELDS",
    "BEARER_ENV",
    "CALLABLE_OPTIONS",
    "DEFAULT_REGION",
    "MODES",
    "OPTIONS",
    "RETRY_MODES",
    "SECRET_OPTIONS",
    "AppEnvironment",
    "AuthConfig",
    "CredentialProvider",
    "CredentialValues",
    "Mode",
    "Option",
    "RetryMode",
    "Settings",
    "base_session",
    "check_endpoint_url",
    "clear_dotenv_cache",
    "environment_without",
    "load_dotenv_file",
    "make_config",
    "read_app_environment",
    "reload_dotenv_file",
    "resolve",
    "resolve_settings",
    "session_for",
]

logger = logging.getLogger("bedrock_auth")

DEFAULT_REGION = "us-east-1"
DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_MODE: RetryMode = "standard"
DEFAULT_STS_MAX_ATTEMPTS = 2

# Matched with re's own cache of compiled patterns: compiled only when a role is configured.
_ROLE_ARN = r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}"


# -- the option table ------------------------------------------------------------------------


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class AuthConfig:
    """Every option of :class:`~bedrock_auth.BedrockClientManager`, as one frozen value.

    Secrets are left out of ``repr``.

    >>> AuthConfig(region="us-west-2", secret_access_key="s3cr3t")
    AuthConfig(region='us-west-2', ...)
    """

    # Checked as a region name; resolved from AWS_REGION/AWS_DEFAULT_REGION/the profile.
    region: str | None = option()
    profile: str | None = option(env="AWS_PROFILE")
    access_key_id: str | None = option(needs_pickle_consent=True)
    secret_access_key: str | None = option(secret=True)
    session_token: str | None = option(secret=True)
    role_arn: str | None = option()  # BEDROCK_ROLE_ARN, or AWS_ROLE_ARN for web identity
    external_id: str | None = option(env="BEDROCK_EXTERNAL_ID", secret=True)
    role_session_name: str | None = option(env="BEDROCK_ROLE_SESSION_NAME")
    duration_seconds: int | None = option()  # range: STS's own shape
    mfa_serial: str | None = option()
    mfa_token_provider: Callable[[], str] | None = option()
    web_identity_token_file: str | None = option()  # AWS_WEB_IDENTITY_TOKEN_FILE if wanted
    api_key: str | None = option(secret=True)  # AWS_BEARER_TOKEN_BEDROCK if opted in
    mode: Mode | None = option()
    endpoint_url: str | Mapping[str, str] | None = option(
        expected="a URL such as 'https://host:8443' or {service: URL}", holds_secret=url_userinfo
    )
    # bedrock-mantle (OpenAI-compatible APIs) has no botocore model: its endpoint is ours to
    # read, under the name AWS gives a service's endpoint variable.
    mantle_endpoint_url: str | None = option(
        env="AWS_ENDPOINT_URL_BEDROCK_MANTLE", expected="a URL such as 'https://host:8443'"
    )
    verify: bool | str | None = option(expected="True, False or the path of a CA bundle")
    # Retries: BEDROCK_*, else AWS_MAX_ATTEMPTS/AWS_RETRY_MODE/the profile, else ours.
    max_retries: int | None = option(env="BEDROCK_MAX_RETRIES", limits=(0, 50))
    retry_mode: RetryMode | None = option(env="BEDROCK_RETRY_MODE")
    connect_timeout: float | None = timeout("BEDROCK_CONNECT_TIMEOUT", 10.0, longest=3600)
    read_timeout: float | None = timeout("BEDROCK_READ_TIMEOUT", 300.0, longest=3600)
    # 128: enough for 64 threads on one manager without urllib3's "Connection pool is full".
    max_pool_connections: int | None = option(
        env="BEDROCK_MAX_POOL_CONNECTIONS", default=128, limits=(1, 10000)
    )
    # STS and SSO calls (validation, AssumeRole, SSO role credentials) are short: a hung
    # endpoint must fail in well under a minute, not after Bedrock's long read timeout.
    sts_connect_timeout: float | None = timeout("BEDROCK_STS_CONNECT_TIMEOUT", 5.0, longest=300)
    sts_read_timeout: float | None = timeout("BEDROCK_STS_READ_TIMEOUT", 10.0, longest=300)
    # A credential_process is stopped and reported after this long (botocore waits forever).
    credential_process_timeout: float | None = timeout(
        "BEDROCK_CREDENTIAL_PROCESS_TIMEOUT", 30.0, longest=3600
    )
    fallback_regions: Sequence[str] | None = option(
        env="BEDROCK_FALLBACK_REGIONS",
        default=(),
        expected="a list of region names",
        convert=_unique,
    )
    client_config: Config | None = option(holds_secret=proxy_userinfo)
    assume_role_kwargs: Mapping[str, Any] | None = option(
        default=MappingProxyType({}),
        holds_secret=role_parameter_secrets,
        expected="a dict of extra STS AssumeRole parameters",
        convert=dict,
    )
    credential_provider: CredentialProvider | None = option()
    #: Resolve model ids against what Bedrock lists for the account (None: BEDROCK_LIVE_CATALOG,
    #: else on).
    live_catalog: bool | None = option(env="BEDROCK_LIVE_CATALOG", default=True)
    allow_pickle_secrets: bool = flag(False)
    validate: bool = flag(True)
    load_dotenv: bool = flag(True)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.repr and getattr(self, f.name) not in (None, f.default)
        )
        return f"AuthConfig({shown}, ...)" if shown else "AuthConfig()"

    def secrets_given(self) -> list[str]:
        """The options given here that are secrets, come with one or hold one (the table's
        ``needs_pickle_consent`` and ``holds_secret``), each with what it holds."""
        held = (o.pickle_consent(getattr(self, o.name)) for o in OPTIONS)
        return [why for why in held if why]

    def __getstate__(self) -> dict[str, Any]:
        # A pickle travels (task queues, object stores, logs of failed tasks): secrets given in
        # code go with it only when the user said so.
        secrets = self.secrets_given()
        if secrets and not self.allow_pickle_secrets:
            raise ConfigurationError(
                f"Refusing to pickle a configuration holding {', '.join(secrets)}: the pickle "
                "would carry them to every worker and anywhere it is stored. Let each worker "
                "find its own credentials (environment, profile, role: pickling those carries "
                "no secret), or pass allow_pickle_secrets=True to accept the copy."
            )
        return dict(self.__dict__)

    def cache_key(self) -> tuple[Any, ...]:
        """A hashable key: equal configurations give equal keys (used by ``get_manager``)."""
        return tuple(_hashable(getattr(self, f.name)) for f in fields(self))


def _hashable(value: Any) -> Any:
    # botocore's Config compares by identity; what the user set is its _user_provided_options
    # (no public accessor), so equal Configs give equal keys.
    provided = getattr(value, "_user_provided_options", None)
    if isinstance(provided, dict):
        return ("Config", _hashable(provided))
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


# -- reading the environment -----------------------------------------------------------------


def _env_number(environ: Mapping[str, str], name: str, kind: type[int] | type[float]) -> Any:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise ConfigurationError(
            f"{name}={raw!r} is not a number. "
            f"Accepted: {'an integer' if kind is int else 'a number'}"
            f", e.g. {name}={'5' if kind is int else '60'}."
        ) from None


def _env_list(environ: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    raw = environ.get(name, "")
    return tuple(r.strip() for r in raw.split(",") if r.strip()) or None


def _env_text(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name, "").strip() or None


_FLAGS = dict.fromkeys(("1", "true", "yes", "on"), True) | dict.fromkeys(
    ("0", "false", "no", "off"), False
)


def _env_flag(environ: Mapping[str, str], name: str) -> bool | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    if raw.lower() not in _FLAGS:
        raise ConfigurationError(
            f"{name}={raw!r} is not accepted. Accepted: 1/true/yes/on or 0/false/no/off, "
            f"e.g. {name}=0."
        )
    return _FLAGS[raw.lower()]


# How a variable's text becomes a value of the option's type.
_ENV_READERS: dict[Any, Callable[[Mapping[str, str], str], Any]] = {
    str: _env_text,
    int: partial(_env_number, kind=int),
    float: partial(_env_number, kind=float),
    bool: _env_flag,
    Sequence: _env_list,
}


def _table() -> tuple[Option, ...]:
    hints = get_type_hints(AuthConfig)
    return tuple(f.metadata["option"].completed(f.name, hints[f.name]) for f in fields(AuthConfig))


#: The option table, in :class:`AuthConfig` order.
OPTIONS: tuple[Option, ...] = _table()
_BY_NAME: Mapping[str, Option] = MappingProxyType({o.name: o for o in OPTIONS})
AUTH_CONFIG_FIELDS = frozenset(_BY_NAME)
#: Options whose values are secrets: never shown in a message or ``repr``.
SECRET_OPTIONS = frozenset(o.name for o in OPTIONS if o.secret)
#: Options holding a function: ``get_manager`` cannot key a manager on them.
CALLABLE_OPTIONS = tuple(o.name for o in OPTIONS if o.is_callable)
# The options Settings carries as they were given, read or defaulted.
_SETTINGS_FIELDS = frozenset(f.name for f in fields(Settings))


def make_config(options: Mapping[str, Any]) -> AuthConfig:
    """Build an :class:`AuthConfig`, rejecting unknown names with a close-match hint."""
    unknown = sorted(set(options) - AUTH_CONFIG_FIELDS)
    if unknown:
        import difflib  # a misspelt option only: every manager is built through here

        name = unknown[0]
        close = difflib.get_close_matches(name, AUTH_CONFIG_FIELDS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigurationError(
            f"Unknown option '{name}'.{hint} "
            f"Accepted options: {', '.join(sorted(AUTH_CONFIG_FIELDS))}."
        )
    return AuthConfig(**options)


#: The variable that switches an app to Bedrock (Claude Code's name for it).
USE_BEDROCK_ENV = "CLAUDE_CODE_USE_BEDROCK"
#: How the Anthropic API side is configured: (client argument, environment variable).
ANTHROPIC_CREDENTIALS = (("api_key", "ANTHROPIC_API_KEY"), ("auth_token", "ANTHROPIC_AUTH_TOKEN"))
#: Where an app names its model, first wins.
MODEL_VARIABLES = ("ANTHROPIC_MODEL", "BEDROCK_MODEL_ID")
# Settings read only from the environment: Settings field -> variable.
_ENV_SETTINGS = {
    "model_id": "BEDROCK_MODEL_ID",
    "agent_id": "BEDROCK_AGENT_ID",
    "agent_alias_id": "BEDROCK_AGENT_ALIAS_ID",
}


@dataclass(frozen=True)
class AppEnvironment:
    """The app-level variables the Anthropic adapters read: Bedrock or the Anthropic API, and
    which model. Never the key's value, only whether one is set."""

    use_bedrock: str | None
    has_anthropic_key: bool
    model: str | None


def read_app_environment(
    load_dotenv: bool = True, environ: Mapping[str, str] | None = None
) -> AppEnvironment:
    """Read them now (after loading `.env` unless ``load_dotenv=False``)."""
    if load_dotenv:
        load_dotenv_file()
    env = os.environ if environ is None else environ
    return AppEnvironment(
        use_bedrock=env.get(USE_BEDROCK_ENV),
        has_anthropic_key=any(env.get(var) for _, var in ANTHROPIC_CREDENTIALS),
        model=next((env[var] for var in MODEL_VARIABLES if env.get(var)), None),
    )


def environment_without(prefixes: tuple[str, ...]) -> dict[str, str]:
    """A copy of this process's environment without the variables named ``prefix...``, for a
    child process that must not depend on the shell (``bedrock-auth demo``). Nothing here
    changes this process's own environment."""
    return {name: value for name, value in os.environ.items() if not name.startswith(prefixes)}


def _environment_facts(environ: Mapping[str, str]) -> dict[str, Any]:
    """What Settings records about the environment itself, beside the options."""
    return {
        **{name: _env_text(environ, variable) for name, variable in _ENV_SETTINGS.items()},
        "bearer_env_present": bool(environ.get(BEARER_ENV)),
        "env_key_names": frozenset(n for n in EnvSource.VARIABLES if environ.get(n)),
    }


def _merge_environment(
    config: AuthConfig, environ: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each option from its argument, else its environment variable, else its default; and
    which variable each one read came from."""
    options = {o.name: getattr(config, o.name) for o in OPTIONS}
    origins: dict[str, str] = {}
    for name, variable in _variables(options, environ).items():
        if options[name] is None:
            value = _ENV_READERS[_BY_NAME[name].kind](environ, variable)
            if value is not None:
                options[name], origins[name] = value, variable
    for o in OPTIONS:
        value = o.default if options[o.name] is None else options[o.name]
        options[o.name] = o.convert(value) if o.convert and value is not None else value
    return options, origins


def _variables(given: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Each option's variable: the table's, then those of the sources the arguments want, in
    :data:`~bedrock_auth.sources.SOURCES` order (web identity's AWS_ROLE_ARN first)."""
    variables = {o.name: o.env for o in OPTIONS if o.env}
    for source in SOURCES:
        if source.wanted(given, environ):
            for name, variable in source.ENV.items():
                variables.setdefault(name, variable)
    return variables


# -- .env ----------------------------------------------------------------------------------

_dotenv_lock = ForkSafeLock()


@dataclass
class _LoadedDotenv:
    """What this library set from one `.env` file, to reload it without touching the shell's."""

    values: dict[str, str]
    mtime_ns: int


_dotenv_loaded: dict[str, _LoadedDotenv] = {}


def _mtime_ns(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _find_dotenv() -> str:
    """``dotenv.find_dotenv(usecwd=True)``: the first `.env` (file or FIFO) from the working
    directory up to the root, or "". Searching here means python-dotenv (about 10 ms to
    import) is loaded only when there is a file to read."""
    current = os.path.abspath(os.getcwd())
    while True:
        candidate = os.path.join(current, ".env")
        with contextlib.suppress(OSError):
            mode = os.stat(candidate).st_mode
            if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
                return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return ""
        current = parent


def load_dotenv_file() -> tuple[str | None, frozenset[str]]:
    """Load `.env` (``BEDROCK_DOTENV_PATH`` or found upwards from the working directory) once.

    Returns the path and the names it set. Values already in the environment win.
    """
    path = os.environ.get("BEDROCK_DOTENV_PATH") or _find_dotenv()
    if not path:
        return None, frozenset()
    with _dotenv_lock:
        if path not in _dotenv_loaded:
            mtime = _mtime_ns(path)
            values = _read_dotenv(path)
            ours = {k: v for k, v in values.items() if v is not None and k not in os.environ}
            os.environ.update(ours)
            _dotenv_loaded[path] = _LoadedDotenv(ours, mtime)
            logger.debug("loaded %d variables from %s", len(ours), path)
        return path, frozenset(_dotenv_loaded[path].values)


def _read_dotenv(path: str) -> dict[str, str | None]:
    """The values in a `.env` file; an unreadable or non-UTF-8 file is a ConfigurationError."""
    import dotenv

    try:
        values = dict(dotenv.dotenv_values(path, encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"The .env file {path} cannot be read ({type(exc).__name__}): save it as UTF-8 "
            "text, fix its permissions, or set BEDROCK_DOTENV_PATH / load_dotenv=False."
        ) from None
    # The environment cannot hold NUL characters; python-dotenv passes them through.
    bad = sorted(k for k, v in values.items() if "\0" in k or (v is not None and "\0" in v))
    if bad:
        raise ConfigurationError(f"The .env file {path} has a NUL character in {bad[0]!r}.")
    return values


def reload_dotenv_file(path: str | None) -> bool:
    """Re-read `.env` if it changed since it was loaded; True if a value changed.

    Only names this library set from that file are updated, and only while they still hold
    the value it set: anything the shell or the application set is never overridden.
    """

    if path is None:
        return False
    with _dotenv_lock:
        loaded = _dotenv_loaded.get(path)
        mtime = _mtime_ns(path)
        if loaded is None or mtime == loaded.mtime_ns:
            return False
        loaded.mtime_ns = mtime
        changed = False
        for name, value in _read_dotenv(path).items():
            ours = name in loaded.values and os.environ.get(name) == loaded.values[name]
            free = ours or name not in os.environ
            if value is not None and free and loaded.values.get(name) != value:
                os.environ[name] = loaded.values[name] = value
                changed = True
        return changed


def clear_dotenv_cache() -> None:
    """Forget which `.env` files were loaded (their values stay in the environment)."""
    with _dotenv_lock:
        _dotenv_loaded.clear()


register(__name__, reset=clear_dotenv_cache)


# -- types, then values: refused before any network call -------------------------------------


def _check_types(config: AuthConfig) -> None:
    """Every option of the wrong type is refused here, named, before any other check."""
    for o in OPTIONS:
        value = getattr(config, o.name)
        if value is not None:
            o.check_type(value)


def check_endpoint_url(url: str, name: str = "endpoint_url") -> None:
    """Raise unless ``url`` is an http(s) URL with a host: botocore would fail later, vaguely."""
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{name}={url!r} is not a URL. Accepted: 'https://host[:port]' or "
            "'http://127.0.0.1:port', with the scheme."
        )


def _check_endpoints(endpoint_url: str | Mapping[str, str] | None) -> None:
    if isinstance(endpoint_url, Mapping):
        for service, url in endpoint_url.items():
            check_endpoint_url(url, f"endpoint_url[{service!r}]")
    elif endpoint_url is not None:
        check_endpoint_url(endpoint_url)


def _check_values(o: dict[str, Any], origins: Mapping[str, str]) -> None:
    """Checks on the merged values (arguments, environment and `.env`), each run once."""

    def named(name: str) -> str:
        return origins.get(name, name)

    profile = o["profile"]
    if profile is not None and not profile.strip():
        raise ConfigurationError(
            f"{named('profile')}={profile!r} is empty. Pass a profile name, or None for the "
            "default chain."
        )
    role_arn = o["role_arn"]
    if role_arn is not None and not re.fullmatch(_ROLE_ARN, role_arn):
        raise ConfigurationError(
            f"{named('role_arn')}={role_arn!r} is not an IAM role ARN. Accepted: "
            "'arn:aws:iam::<12-digit account>:role/<name>'."
        )
    if o["duration_seconds"] is not None:
        check_range("duration_seconds", o["duration_seconds"], *duration_range("AssumeRole"))
    _check_combinations(o)
    for spec in OPTIONS:
        if spec.choices:
            check_choice(named(spec.name), o[spec.name], spec.choices)
        if spec.limits:
            check_range(named(spec.name), o[spec.name], *spec.limits)
    _check_endpoints(o["endpoint_url"])
    if o["mantle_endpoint_url"] is not None:
        check_endpoint_url(o["mantle_endpoint_url"], named("mantle_endpoint_url"))
    for region in o["fallback_regions"]:
        check_region(region, named("fallback_regions"))


def _check_combinations(o: Mapping[str, Any]) -> None:
    """Options that exclude or need one another."""
    if o["api_key"] is not None and (o["access_key_id"] or o["secret_access_key"]):
        raise ConfigurationError(
            "api_key cannot be combined with access_key_id/secret_access_key. Accepted: a Bedrock "
            "API key alone (bearer auth), or IAM keys alone."
        )
    if o["credential_provider"] is not None and (o["access_key_id"] or o["api_key"]):
        raise ConfigurationError(
            "credential_provider cannot be combined with access_key_id or api_key: it is the "
            "source of the keys. Pass one of them."
        )
    if bool(o["access_key_id"]) != bool(o["secret_access_key"]):
        missing = "secret_access_key" if o["access_key_id"] else "access_key_id"
        raise ConfigurationError(
            f"Static keys need both access_key_id and secret_access_key; {missing} is missing."
        )


# -- the source ------------------------------------------------------------------------------

# Options that only mean something for a role: option -> the STS parameter it fills.
_ROLE_OPTIONS = {
    "role_session_name": "RoleSessionName",
    "external_id": "ExternalId",
    "mfa_serial": "SerialNumber",
    "duration_seconds": "DurationSeconds",
    "mfa_token_provider": "",
    "assume_role_kwargs": "",
}


def _pick_source(config: AuthConfig, options: Mapping[str, Any]) -> type[CredentialSource]:
    """The pinned mode's source, else the first source in order that the options select."""
    if config.mode is not None:
        return SOURCE_CLASSES[config.mode]
    given = {o.name: getattr(config, o.name) for o in OPTIONS}
    return next(source for source in SOURCES if source.applies(options, given))


def _check_role_options(
    config: AuthConfig, o: Mapping[str, Any], source: type[CredentialSource]
) -> None:
    """Role options are checked against the STS operation's shape, and refused (when given as
    arguments) for a source that assumes no role."""
    operation = source.STS_OPERATION
    if operation is None:
        given = [name for name in _ROLE_OPTIONS if getattr(config, name) is not None]
        if given:
            raise ConfigurationError(
                f"{given[0]}= only applies when a role is assumed; mode is '{source.METHOD}'. "
                "Pass role_arn= (or BEDROCK_ROLE_ARN) too, or drop it."
            )
        return
    check_role_options({p: o[n] for n, p in _ROLE_OPTIONS.items() if p}, operation)
    if o["assume_role_kwargs"]:
        check_role_kwargs(o["assume_role_kwargs"], operation)


# -- botocore's own view: the profile ---------------------------------------------------------


def base_session(profile: str | None) -> botocore.session.Session:
    """The one botocore session a manager builds; a missing profile fails here, offline.

    Its data loader is the process's shared one (see :mod:`bedrock_auth._loader`)."""
    session = botocore.session.Session(profile=profile)
    session.get_scoped_config()
    use_shared_loader(session)
    return session


def session_for(settings: Settings) -> botocore.session.Session:
    """A new base session for resolved ``settings`` (after a fork, the old one is not safe)."""
    session = base_session(settings.profile if settings.profile_pinned else None)
    session.set_config_variable("region", settings.region)
    return session


def _resolve_region(
    given: str | None, environ: Mapping[str, str], session: botocore.session.Session
) -> dict[str, str]:
    for value, source in (
        (given, "region"),
        (environ.get("AWS_REGION"), "AWS_REGION"),
        (environ.get("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"),
    ):
        if value:
            origin = "argument" if source == "region" else source
            return {"region": check_region(value, source), "region_source": origin}
    from_profile = session.get_scoped_config().get("region")
    if from_profile:
        profile = session.profile or "default"
        region = check_region(from_profile, f"region in profile '{profile}'")
        return {"region": region, "region_source": "profile"}
    # Warned about by the manager when a call uses it: a call given its own region does not.
    return {"region": DEFAULT_REGION, "region_source": "default"}


def _aws_setting(
    session: botocore.session.Session, environ: Mapping[str, str], logical: str
) -> tuple[Any, str] | None:
    """A botocore setting the user set (env or profile), typed as botocore types it.

    botocore's own variable map names the env variable and the profile key, so both are read
    exactly as botocore reads them; botocore's defaults are not "set by the user".
    """
    config_key, env_name, _default, _cast = session.session_var_map[logical]
    env_names = env_name if isinstance(env_name, list) else [env_name]
    set_in = [name for name in env_names if environ.get(name)]
    if set_in:
        origin = set_in[0]
    elif config_key in session.get_scoped_config():
        origin = f"{config_key} in profile '{session.profile or 'default'}'"
    else:
        return None
    try:
        return session.get_config_variable(logical), origin
    except ValueError:
        raise ConfigurationError(
            f"{origin} is not valid for botocore's {logical}. Accepted: "
            f"{'an integer, e.g. 5' if logical == 'max_attempts' else ', '.join(RETRY_MODES)}."
        ) from None


def _resolve_retries(
    o: Mapping[str, Any],
    origins: Mapping[str, str],
    session: botocore.session.Session,
    environ: Mapping[str, str],
) -> dict[str, Any]:
    """``BEDROCK_*`` or arguments win; else AWS_MAX_ATTEMPTS/AWS_RETRY_MODE/the profile; else ours.

    AWS_MAX_ATTEMPTS counts the first try; BEDROCK_MAX_RETRIES (``max_retries``) does not.
    Also gives the attempts for STS/SSO calls: the user's AWS value if set, else ours.
    """
    sources = []
    aws = _aws_setting(session, environ, "max_attempts")
    if aws is not None:
        check_range(aws[1], int(aws[0]), 1, 51)
    sts_attempts = int(aws[0]) if aws is not None else DEFAULT_STS_MAX_ATTEMPTS
    if o["max_retries"] is not None:
        attempts = o["max_retries"] + 1
        sources.append(origins.get("max_retries", "max_retries"))
    elif aws is not None:
        attempts = int(aws[0])
        sources.append(aws[1])
    else:
        attempts = DEFAULT_MAX_RETRIES + 1
    if o["retry_mode"] is not None:
        mode = o["retry_mode"]
        sources.append(origins.get("retry_mode", "retry_mode"))
    elif (aws_mode := _aws_setting(session, environ, "retry_mode")) is not None:
        mode, origin = aws_mode
        check_choice(origin, mode, RETRY_MODES)
        sources.append(origin)
    else:
        mode = DEFAULT_RETRY_MODE
    return {
        "retry_mode": mode,
        "max_attempts": attempts,
        "retry_source": ", ".join(sources) or "default",
        "sts_max_attempts": sts_attempts,
    }


# -- resolution ------------------------------------------------------------------------------


def resolve_settings(config: AuthConfig, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve ``config`` against the environment (and `.env`) and the profile.

    Raises :class:`ConfigurationError` before any network call when a value is wrong.
    """
    return resolve(config, environ)[0]


def resolve(
    config: AuthConfig, environ: Mapping[str, str] | None = None
) -> tuple[Settings, botocore.session.Session]:
    """:func:`resolve_settings`, plus the botocore session it read the profile from.

    The manager builds its credentials on that same session, so a profile is read once.
    What is computed here: the source, whether the profile is pinned, the region and the
    retries; every other option is carried over as merged (argument, variable, default).
    """
    dotenv: dict[str, Any] = {}
    if environ is None:
        if config.load_dotenv:
            dotenv["dotenv_path"], dotenv["dotenv_keys"] = load_dotenv_file()
        environ = os.environ
    _check_types(config)
    auth_mode = (_env_text(environ, AUTH_MODE_ENV) or AUTH_MODES[0]).lower()
    check_choice(AUTH_MODE_ENV, auth_mode, AUTH_MODES)
    options, origins = _merge_environment(config, environ)
    _check_values(options, origins)
    source = _pick_source(config, options)
    _check_role_options(config, options, source)
    pinned = config.profile is not None or source.PINS_PROFILE
    session = base_session(options["profile"] if pinned else None)
    region = _resolve_region(config.region, environ, session)
    session.set_config_variable("region", region["region"])
    computed = {
        "mode": source.METHOD,
        "profile_pinned": pinned,
        **region,
        **_resolve_retries(options, origins, session, environ),
        **_environment_facts(environ),
        **dotenv,
    }
    carried = {name: value for name, value in options.items() if name in _SETTINGS_FIELDS}
    return Settings(**(carried | computed)), session
