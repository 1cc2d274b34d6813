"""Resolving options once: keyword arguments, then the environment, then `.env`, then the profile.

This is the one place that reads the environment. `.env` is loaded with python-dotenv into
``os.environ`` without overriding anything already set (the one process-wide effect this library
allows itself), so botocore's own providers see it exactly as a shell export. Which names came
from `.env` is remembered so that error messages can say where a bad value came from.

:func:`resolve_settings` returns a complete, frozen :class:`Settings`: every later step reads
its answers there, and none reads ``os.environ`` again.

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
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

import botocore.session

from bedrock_auth._shapes import check_role_kwargs, check_role_options, duration_range
from bedrock_auth._state import ForkSafeLock, register
from bedrock_auth.errors import ConfigurationError
from bedrock_auth.regions import check_region

if TYPE_CHECKING:
    from botocore.config import Config

logger = logging.getLogger("bedrock_auth")

#: Where credentials come from; one class per mode in :mod:`bedrock_auth.sources`.
Mode = Literal[
    "auto", "profile", "env", "static", "assume_role", "web_identity", "api_key", "custom"
]
MODES: tuple[str, ...] = get_args(Mode)
RetryMode = Literal["standard", "adaptive", "legacy"]
RETRY_MODES: tuple[str, ...] = get_args(RetryMode)
DEFAULT_REGION = "us-east-1"
DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_MODE: RetryMode = "standard"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 300.0
# Enough for 64 threads on one manager without urllib3's "Connection pool is full".
DEFAULT_MAX_POOL_CONNECTIONS = 128
# STS and SSO calls (validation, AssumeRole, SSO role credentials) are short: a hung endpoint
# must fail in well under a minute, not after Bedrock's long read timeout.
DEFAULT_STS_CONNECT_TIMEOUT = 5.0
DEFAULT_STS_READ_TIMEOUT = 10.0
DEFAULT_STS_MAX_ATTEMPTS = 2
# A credential_process gets this long before it is stopped and reported (botocore waits forever).
DEFAULT_CREDENTIAL_PROCESS_TIMEOUT = 30.0
BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"
#: Options whose values are secrets: never shown in a message or ``repr``.
SECRET_OPTIONS = frozenset({"secret_access_key", "session_token", "external_id", "api_key"})

_ROLE_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")


@dataclass(frozen=True)
class CredentialValues:
    """What a ``credential_provider`` callable returns (a mapping with these keys also works).

    ``expiration`` must be timezone-aware; without it the credentials are used until the
    process ends. Secrets are left out of ``repr``.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiration: datetime | None = None


CredentialProvider = Callable[[], "CredentialValues | Mapping[str, Any]"]


@dataclass(frozen=True)
class AuthConfig:
    """Every option of :class:`~bedrock_auth.BedrockClientManager`, as one frozen value.

    Secrets are left out of ``repr``.

    >>> AuthConfig(region="us-west-2", secret_access_key="s3cr3t")
    AuthConfig(region='us-west-2', ...)
    """

    region: str | None = None
    profile: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    role_arn: str | None = None
    external_id: str | None = field(default=None, repr=False)
    role_session_name: str | None = None
    duration_seconds: int | None = None
    mfa_serial: str | None = None
    mfa_token_provider: Callable[[], str] | None = field(default=None, repr=False)
    web_identity_token_file: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: Mode | None = None
    endpoint_url: str | Mapping[str, str] | None = None
    verify: bool | str | None = None
    max_retries: int | None = None
    retry_mode: RetryMode | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_pool_connections: int | None = None
    sts_connect_timeout: float | None = None
    sts_read_timeout: float | None = None
    credential_process_timeout: float | None = None
    fallback_regions: Sequence[str] | None = None
    client_config: Config | None = None
    assume_role_kwargs: Mapping[str, Any] | None = None
    credential_provider: CredentialProvider | None = field(default=None, repr=False)
    #: Resolve model ids against what Bedrock lists for the account (None: BEDROCK_LIVE_CATALOG,
    #: else on).
    live_catalog: bool | None = None
    allow_pickle_secrets: bool = False
    validate: bool = True
    load_dotenv: bool = True

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.repr and getattr(self, f.name) not in (None, f.default)
        )
        return f"AuthConfig({shown}, ...)" if shown else "AuthConfig()"

    def secrets_given(self) -> list[str]:
        """The options given here that are secrets, or keys that come with one."""
        given = [name for name in sorted(SECRET_OPTIONS) if getattr(self, name)]
        return ["access_key_id", *given] if self.access_key_id else given

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


AUTH_CONFIG_FIELDS = frozenset(f.name for f in fields(AuthConfig))


def make_config(options: Mapping[str, Any]) -> AuthConfig:
    """Build an :class:`AuthConfig`, rejecting unknown names with a close-match hint."""
    import difflib

    unknown = sorted(set(options) - AUTH_CONFIG_FIELDS)
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, AUTH_CONFIG_FIELDS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigurationError(
            f"Unknown option '{name}'.{hint} "
            f"Accepted options: {', '.join(sorted(AUTH_CONFIG_FIELDS))}."
        )
    return AuthConfig(**options)


@dataclass(frozen=True)
class Settings:
    """The options after resolution: everything the manager and the helpers read.

    Complete by construction: the region is always set, retries are the values botocore will
    use, and each option's origin is known for error messages.
    """

    mode: Mode
    region: str
    region_source: str
    profile: str | None
    #: True when the profile was named as an argument or by ``mode="profile"``: botocore then
    #: skips env keys, which is what a pinned profile means. ``AWS_PROFILE`` alone does not.
    profile_pinned: bool
    access_key_id: str | None
    secret_access_key: str | None = field(repr=False)
    session_token: str | None = field(repr=False)
    role_arn: str | None
    external_id: str | None = field(repr=False)
    role_session_name: str | None
    duration_seconds: int | None
    mfa_serial: str | None
    mfa_token_provider: Callable[[], str] | None = field(repr=False)
    web_identity_token_file: str | None
    assume_role_kwargs: Mapping[str, Any]
    credential_provider: CredentialProvider | None = field(repr=False)
    api_key: str | None = field(repr=False)
    bearer_env_present: bool
    #: The names among AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY that are set and non-empty.
    env_key_names: frozenset[str]
    endpoint_url: str | Mapping[str, str] | None
    verify: bool | str | None
    retry_mode: RetryMode
    #: Attempts in all, the first included (botocore's ``total_max_attempts``).
    max_attempts: int
    #: Where the retry settings came from: an option, ``BEDROCK_*``, ``AWS_*``/profile, default.
    retry_source: str
    connect_timeout: float
    read_timeout: float
    max_pool_connections: int
    #: Timeouts and attempts of the STS/SSO calls that validate or fetch credentials.
    sts_connect_timeout: float
    sts_read_timeout: float
    sts_max_attempts: int
    #: Seconds the profile's ``credential_process`` may run.
    credential_process_timeout: float
    client_config: Config | None
    #: Regions to try, in order, after the primary one (``BEDROCK_FALLBACK_REGIONS``).
    fallback_regions: tuple[str, ...] = ()
    #: ``BEDROCK_MODEL_ID``: the model ``get_llm()`` and the helpers use when given none.
    model_id: str | None = None
    #: ``BEDROCK_AGENT_ID`` / ``BEDROCK_AGENT_ALIAS_ID``: the agent the agent helpers call.
    agent_id: str | None = None
    agent_alias_id: str | None = None
    #: Model ids follow the live catalog (``live_catalog=``, else ``BEDROCK_LIVE_CATALOG``).
    live_catalog: bool = True
    validate: bool = True
    dotenv_path: str | None = None
    dotenv_keys: frozenset[str] = frozenset()

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt (``BEDROCK_MAX_RETRIES`` counts these)."""
        return self.max_attempts - 1

    def origin_of(self, name: str) -> str:
        """Where an environment variable came from: `.env` (with its path) or the shell."""
        if name in self.dotenv_keys:
            return f".env ({self.dotenv_path})"
        return "the shell environment"


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


# -- option types: one table, checked before anything else ---------------------------------

_TEXT = ((str,), "a string")
_INT = ((int,), "an integer")
_NUMBER = ((int, float), "a number of seconds")


def _config_type() -> type:
    from botocore.config import Config

    return Config  # type: ignore[no-any-return]


# option -> (accepted types, what is expected). bool is refused where a number is expected.
_OPTION_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    **{
        name: _TEXT
        for name in (
            "region", "profile", "access_key_id", "secret_access_key", "session_token",
            "role_arn", "external_id", "role_session_name", "mfa_serial",
            "web_identity_token_file", "api_key", "mode", "retry_mode",
        )
    },
    "duration_seconds": _INT,
    "max_retries": _INT,
    "max_pool_connections": _INT,
    "connect_timeout": _NUMBER,
    "read_timeout": _NUMBER,
    "sts_connect_timeout": _NUMBER,
    "sts_read_timeout": _NUMBER,
    "credential_process_timeout": _NUMBER,
    "endpoint_url": ((str, Mapping), "a URL such as 'https://host:8443' or {service: URL}"),
    "verify": ((bool, str), "True, False or the path of a CA bundle"),
    "fallback_regions": ((list, tuple), "a list of region names"),
    "assume_role_kwargs": ((Mapping,), "a dict of extra STS AssumeRole parameters"),
    "validate": ((bool,), "True or False"),
    "live_catalog": ((bool,), "True or False"),
    "allow_pickle_secrets": ((bool,), "True or False"),
    "load_dotenv": ((bool,), "True or False"),
}  # fmt: skip
_CALLABLES = ("mfa_token_provider", "credential_provider")


def _type_error(name: str, value: Any, expected: str) -> ConfigurationError:
    shown = "<hidden>" if name in SECRET_OPTIONS else repr(value)
    kind = type(value).__name__
    article = "an" if kind[0] in "aeiou" else "a"
    return ConfigurationError(f"{name}={shown} is {article} {kind}; expected {expected}.")


def _check_types(config: AuthConfig) -> None:
    """Every option of the wrong type is refused here, named, before any other check."""
    for name, (types, expected) in _OPTION_TYPES.items():
        value = getattr(config, name)
        if value is None:
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise _type_error(name, value, expected)
    for name in _CALLABLES:
        value = getattr(config, name)
        if value is not None and not callable(value):
            raise _type_error(name, value, "a function taking no arguments")
    if config.client_config is not None and not isinstance(config.client_config, _config_type()):
        raise _type_error("client_config", config.client_config, "a botocore.config.Config")
    for region in config.fallback_regions or ():
        if not isinstance(region, str):
            raise _type_error("fallback_regions", region, "region names (strings)")


# -- values ---------------------------------------------------------------------------------


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise ConfigurationError(
            f"{name}={value!r} is out of range. Accepted: {low:g} to {high:g}."
        )


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


def _check_choice(name: str, value: str | None, accepted: tuple[str, ...]) -> None:
    import difflib

    if value is None or value in accepted:
        return
    close = difflib.get_close_matches(value, accepted, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigurationError(
        f"{name}={value!r} is not accepted.{hint} Accepted: {', '.join(accepted)}."
    )


def _check_values(o: dict[str, Any], named: Callable[[str], str]) -> None:
    """Checks on the merged values (arguments, environment and `.env`), each run once."""
    profile = o["profile"]
    if profile is not None and not profile.strip():
        raise ConfigurationError(
            f"{named('profile')}={profile!r} is empty. Pass a profile name, or None for the "
            "default chain."
        )
    role_arn = o["role_arn"]
    if role_arn is not None and not _ROLE_ARN_RE.fullmatch(role_arn):
        raise ConfigurationError(
            f"{named('role_arn')}={role_arn!r} is not an IAM role ARN. Accepted: "
            "'arn:aws:iam::<12-digit account>:role/<name>'."
        )
    if o["duration_seconds"] is not None:
        _check_range("duration_seconds", o["duration_seconds"], *duration_range("AssumeRole"))
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
    _check_choice("mode", o["mode"], MODES)
    _check_choice(named("retry_mode"), o["retry_mode"], RETRY_MODES)
    _check_range(named("max_retries"), o["max_retries"], 0, 50)
    _check_range(named("max_pool_connections"), o["max_pool_connections"], 1, 10000)
    _check_range(named("connect_timeout"), o["connect_timeout"], 0.1, 3600)
    _check_range(named("read_timeout"), o["read_timeout"], 0.1, 3600)
    _check_range(named("sts_connect_timeout"), o["sts_connect_timeout"], 0.1, 300)
    _check_range(named("sts_read_timeout"), o["sts_read_timeout"], 0.1, 300)
    _check_range(
        named("credential_process_timeout"), o["credential_process_timeout"], 0.1, 3600
    )
    _check_endpoints(o["endpoint_url"])
    for region in o["fallback_regions"]:
        check_region(region, named("fallback_regions"))


# -- reading the environment -----------------------------------------------------------------

#: The variable that switches an app to Bedrock (Claude Code's name for it).
USE_BEDROCK_ENV = "CLAUDE_CODE_USE_BEDROCK"
#: How the Anthropic API side is configured: (client argument, environment variable).
ANTHROPIC_CREDENTIALS = (("api_key", "ANTHROPIC_API_KEY"), ("auth_token", "ANTHROPIC_AUTH_TOKEN"))
#: Where an app names its model, first wins.
MODEL_VARIABLES = ("ANTHROPIC_MODEL", "BEDROCK_MODEL_ID")


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


# Options that fall back to an environment variable: option -> (variable, reader).
_ENV_OPTIONS: dict[str, tuple[str, Callable[[Mapping[str, str], str], Any]]] = {
    "profile": ("AWS_PROFILE", _env_text),
    "external_id": ("BEDROCK_EXTERNAL_ID", _env_text),
    "role_session_name": ("BEDROCK_ROLE_SESSION_NAME", _env_text),
    "retry_mode": ("BEDROCK_RETRY_MODE", _env_text),
    "max_retries": ("BEDROCK_MAX_RETRIES", lambda e, n: _env_number(e, n, int)),
    "connect_timeout": ("BEDROCK_CONNECT_TIMEOUT", lambda e, n: _env_number(e, n, float)),
    "read_timeout": ("BEDROCK_READ_TIMEOUT", lambda e, n: _env_number(e, n, float)),
    "sts_connect_timeout": (
        "BEDROCK_STS_CONNECT_TIMEOUT",
        lambda e, n: _env_number(e, n, float),
    ),
    "sts_read_timeout": ("BEDROCK_STS_READ_TIMEOUT", lambda e, n: _env_number(e, n, float)),
    "credential_process_timeout": (
        "BEDROCK_CREDENTIAL_PROCESS_TIMEOUT",
        lambda e, n: _env_number(e, n, float),
    ),
    "max_pool_connections": (
        "BEDROCK_MAX_POOL_CONNECTIONS",
        lambda e, n: _env_number(e, n, int),
    ),
    "fallback_regions": ("BEDROCK_FALLBACK_REGIONS", _env_list),
    "live_catalog": ("BEDROCK_LIVE_CATALOG", _env_flag),
}


def _merge_environment(
    config: AuthConfig, environ: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each option from its argument, else its environment variable; and where it came from."""
    options = {f.name: getattr(config, f.name) for f in fields(config)}
    origins: dict[str, str] = {}
    wants_web_identity = config.mode == "web_identity" or bool(config.web_identity_token_file)
    env_options = {
        **_ENV_OPTIONS,
        # AWS_ROLE_ARN belongs to web identity (botocore's meaning); other roles use ours.
        "role_arn": ("AWS_ROLE_ARN" if wants_web_identity else "BEDROCK_ROLE_ARN", _env_text),
    }
    if wants_web_identity:
        env_options["web_identity_token_file"] = ("AWS_WEB_IDENTITY_TOKEN_FILE", _env_text)
    for name, (variable, read) in env_options.items():
        if options[name] is None:
            value = read(environ, variable)
            if value is not None:
                options[name], origins[name] = value, variable
    options["fallback_regions"] = tuple(dict.fromkeys(options["fallback_regions"] or ()))
    return options, origins


def _api_key(config: AuthConfig, environ: Mapping[str, str]) -> str | None:
    """The API key: given, or from the environment only when the user opted into bearer auth."""
    auth_mode = environ.get("BEDROCK_AUTH_MODE", "iam").strip().lower() or "iam"
    _check_choice("BEDROCK_AUTH_MODE", auth_mode, ("iam", "api_key"))
    opted_in = config.mode == "api_key" or auth_mode == "api_key"
    return config.api_key or (environ.get(BEARER_ENV) or None if opted_in else None)


# Options that only mean something for a role: option -> the STS parameter it fills.
_ROLE_OPTIONS = {
    "role_session_name": "RoleSessionName",
    "external_id": "ExternalId",
    "mfa_serial": "SerialNumber",
    "duration_seconds": "DurationSeconds",
    "mfa_token_provider": "",
    "assume_role_kwargs": "",
}


def _check_role_options(o: Mapping[str, Any], origins: Mapping[str, str], mode: str) -> None:
    """Role options are checked against STS's shape for a role, and refused without one."""
    if mode not in ("assume_role", "web_identity"):
        given = [n for n in _ROLE_OPTIONS if o[n] is not None and n not in origins]
        if given:
            raise ConfigurationError(
                f"{given[0]}= only applies when a role is assumed; mode is '{mode}'. Pass "
                "role_arn= (or BEDROCK_ROLE_ARN) too, or drop it."
            )
        return
    operation = "AssumeRoleWithWebIdentity" if mode == "web_identity" else "AssumeRole"
    check_role_options({p: o[n] for n, p in _ROLE_OPTIONS.items() if p}, operation)
    if o["assume_role_kwargs"]:
        check_role_kwargs(o["assume_role_kwargs"], operation)


def _infer_mode(o: Mapping[str, Any], profile_argument: str | None) -> Mode:
    """The mode that follows from what is given, most specific first.

    Only a profile passed as an argument pins it: ``AWS_PROFILE`` keeps botocore's whole
    chain, env keys first, as it does for boto3.
    """
    rules: tuple[tuple[bool, Mode], ...] = (
        (bool(o["api_key"]), "api_key"),
        (bool(o["web_identity_token_file"] and o["role_arn"]), "web_identity"),
        (bool(o["role_arn"]), "assume_role"),
        (o["credential_provider"] is not None, "custom"),
        (bool(o["access_key_id"]), "static"),
        (bool(profile_argument), "profile"),
    )
    return next((mode for given, mode in rules if given), "auto")


# -- botocore's own view: the profile ---------------------------------------------------------


def base_session(profile: str | None) -> botocore.session.Session:
    """The one botocore session a manager builds; a missing profile fails here, offline."""
    session = botocore.session.Session(profile=profile)
    session.get_scoped_config()
    return session


def session_for(settings: Settings) -> botocore.session.Session:
    """A new base session for resolved ``settings`` (after a fork, the old one is not safe)."""
    session = base_session(settings.profile if settings.profile_pinned else None)
    session.set_config_variable("region", settings.region)
    return session


def _resolve_region(
    given: str | None, environ: Mapping[str, str], session: botocore.session.Session
) -> tuple[str, str]:
    for value, source in (
        (given, "region"),
        (environ.get("AWS_REGION"), "AWS_REGION"),
        (environ.get("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"),
    ):
        if value:
            return check_region(value, source), "argument" if source == "region" else source
    from_profile = session.get_scoped_config().get("region")
    if from_profile:
        profile = session.profile or "default"
        return check_region(from_profile, f"region in profile '{profile}'"), "profile"
    logger.warning(
        "No AWS region configured (AWS_REGION, AWS_DEFAULT_REGION or the profile); "
        "using %s. Set AWS_REGION to choose one.",
        DEFAULT_REGION,
    )
    return DEFAULT_REGION, "default"


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
) -> tuple[RetryMode, int, str, int]:
    """``BEDROCK_*`` or arguments win; else AWS_MAX_ATTEMPTS/AWS_RETRY_MODE/the profile; else ours.

    AWS_MAX_ATTEMPTS counts the first try; BEDROCK_MAX_RETRIES (``max_retries``) does not.
    Also returns the attempts for STS/SSO calls: the user's AWS value if set, else ours.
    """
    sources = []
    aws = _aws_setting(session, environ, "max_attempts")
    if aws is not None:
        _check_range(aws[1], int(aws[0]), 1, 51)
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
        _check_choice(origin, mode, RETRY_MODES)
        sources.append(origin)
    else:
        mode = DEFAULT_RETRY_MODE
    return mode, attempts, ", ".join(sources) or "default", sts_attempts


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
    """
    dotenv_path, dotenv_keys = None, frozenset[str]()
    if environ is None:
        if config.load_dotenv:
            dotenv_path, dotenv_keys = load_dotenv_file()
        environ = os.environ
    _check_types(config)
    options, origins = _merge_environment(config, environ)
    options["api_key"] = _api_key(config, environ)

    def named(name: str) -> str:
        return origins.get(name, name)

    _check_values(options, named)
    mode = config.mode or _infer_mode(options, config.profile)
    _check_role_options(options, origins, mode)
    pinned = config.profile is not None or mode == "profile"
    session = base_session(options["profile"] if pinned else None)
    region, region_source = _resolve_region(config.region, environ, session)
    session.set_config_variable("region", region)
    retry_mode, max_attempts, retry_source, sts_attempts = _resolve_retries(
        options, origins, session, environ
    )
    settings = Settings(
        mode=mode,
        region=region,
        region_source=region_source,
        profile=options["profile"],
        profile_pinned=pinned,
        access_key_id=options["access_key_id"],
        secret_access_key=options["secret_access_key"],
        session_token=options["session_token"],
        role_arn=options["role_arn"],
        external_id=options["external_id"],
        role_session_name=options["role_session_name"],
        duration_seconds=options["duration_seconds"],
        mfa_serial=options["mfa_serial"],
        mfa_token_provider=options["mfa_token_provider"],
        web_identity_token_file=options["web_identity_token_file"],
        assume_role_kwargs=dict(options["assume_role_kwargs"] or {}),
        credential_provider=options["credential_provider"],
        api_key=options["api_key"],
        bearer_env_present=bool(environ.get(BEARER_ENV)),
        env_key_names=frozenset(
            n for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if environ.get(n)
        ),
        endpoint_url=options["endpoint_url"],
        verify=options["verify"],
        retry_mode=retry_mode,
        max_attempts=max_attempts,
        retry_source=retry_source,
        connect_timeout=_first(options["connect_timeout"], DEFAULT_CONNECT_TIMEOUT),
        read_timeout=_first(options["read_timeout"], DEFAULT_READ_TIMEOUT),
        max_pool_connections=_first(
            options["max_pool_connections"], DEFAULT_MAX_POOL_CONNECTIONS
        ),
        sts_connect_timeout=_first(options["sts_connect_timeout"], DEFAULT_STS_CONNECT_TIMEOUT),
        sts_read_timeout=_first(options["sts_read_timeout"], DEFAULT_STS_READ_TIMEOUT),
        sts_max_attempts=sts_attempts,
        credential_process_timeout=_first(
            options["credential_process_timeout"], DEFAULT_CREDENTIAL_PROCESS_TIMEOUT
        ),
        client_config=options["client_config"],
        fallback_regions=options["fallback_regions"],
        model_id=_env_text(environ, "BEDROCK_MODEL_ID"),
        agent_id=_env_text(environ, "BEDROCK_AGENT_ID"),
        agent_alias_id=_env_text(environ, "BEDROCK_AGENT_ALIAS_ID"),
        live_catalog=_first(options["live_catalog"], True),
        validate=config.validate,
        dotenv_path=dotenv_path,
        dotenv_keys=dotenv_keys,
    )
    return settings, session


def _first(value: Any, default: Any) -> Any:
    return default if value is None else value
