"""Resolving options from keyword arguments, then the environment, then `.env`.

`.env` is loaded with python-dotenv into ``os.environ`` without overriding anything already
set (the one process-wide effect this library allows itself), so botocore's own providers see
it exactly as a shell export. Which names came from `.env` is remembered so that error
messages can say where a bad value came from.

>>> s = resolve_settings(AuthConfig(region="eu-west-1", load_dotenv=False), environ={})
>>> s.region, s.mode
('eu-west-1', 'auto')
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from bedrock_auth import regions
from bedrock_auth.errors import ConfigurationError

logger = logging.getLogger("bedrock_auth")

MODES: tuple[str, ...] = (
    "auto",
    "profile",
    "env",
    "static",
    "assume_role",
    "web_identity",
    "api_key",
)
RETRY_MODES = ("standard", "adaptive", "legacy")
DEFAULT_REGION = "us-east-1"
DEFAULT_MAX_RETRIES = 3
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 300.0
DEFAULT_MAX_POOL_CONNECTIONS = 50
BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"

_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


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
    mode: str | None = None
    endpoint_url: str | Mapping[str, str] | None = None
    verify: bool | str | None = None
    max_retries: int | None = None
    retry_mode: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_pool_connections: int | None = None
    fallback_regions: Sequence[str] | None = None
    validate: bool = True
    load_dotenv: bool = True

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.repr and getattr(self, f.name) not in (None, f.default)
        )
        return f"AuthConfig({shown}, ...)" if shown else "AuthConfig()"

    def cache_key(self) -> tuple[Any, ...]:
        """A hashable key: equal configurations give equal keys (used by ``get_manager``)."""
        values = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = tuple(sorted(value.items()))
            elif isinstance(value, list):
                value = tuple(value)
            values.append(value)
        return tuple(values)


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
    """The options after resolution: what the manager actually uses."""

    config: AuthConfig
    mode: str
    region: str
    region_source: str
    profile: str | None
    role_arn: str | None
    external_id: str | None = field(repr=False)
    role_session_name: str | None
    web_identity_token_file: str | None
    api_key: str | None = field(repr=False)
    bearer_env_present: bool
    max_retries: int
    retry_mode: str
    connect_timeout: float
    read_timeout: float
    max_pool_connections: int
    #: Regions to try, in order, after the primary one (``BEDROCK_FALLBACK_REGIONS``).
    fallback_regions: tuple[str, ...] = ()
    #: ``BEDROCK_MODEL_ID``: the model ``get_llm()`` and the helpers use when given none.
    model_id: str | None = None
    #: ``BEDROCK_AGENT_ID`` / ``BEDROCK_AGENT_ALIAS_ID``: the agent the agent helpers call.
    agent_id: str | None = None
    agent_alias_id: str | None = None
    dotenv_path: str | None = None
    dotenv_keys: frozenset[str] = frozenset()

    def origin_of(self, name: str) -> str:
        """Where an environment variable came from: `.env` (with its path) or the shell."""
        if name in self.dotenv_keys:
            return f".env ({self.dotenv_path})"
        return "the shell environment"


_dotenv_lock = threading.Lock()
_dotenv_loaded: dict[str, frozenset[str]] = {}


def load_dotenv_file() -> tuple[str | None, frozenset[str]]:
    """Load `.env` (``BEDROCK_DOTENV_PATH`` or found upwards from the working directory) once.

    Returns the path and the names it set. Values already in the environment win.
    """
    import dotenv

    path = os.environ.get("BEDROCK_DOTENV_PATH") or dotenv.find_dotenv(usecwd=True)
    if not path:
        return None, frozenset()
    with _dotenv_lock:
        if path not in _dotenv_loaded:
            values = dotenv.dotenv_values(path)
            _dotenv_loaded[path] = frozenset(
                k for k, v in values.items() if v is not None and k not in os.environ
            )
            dotenv.load_dotenv(path, override=False)
            logger.debug("loaded %d variables from %s", len(_dotenv_loaded[path]), path)
        return path, _dotenv_loaded[path]


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


def _pick(value: Any, environ: Mapping[str, str], *names: str) -> Any:
    if value is not None:
        return value
    for name in names:
        if environ.get(name):
            return environ[name]
    return None


def check_region(region: str, name: str = "region") -> None:
    """Raise :class:`ConfigurationError` unless ``region`` is an AWS region name (see regions)."""
    regions.check_region(region, name)


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise ConfigurationError(
            f"{name}={value!r} is out of range. Accepted: {low:g} to {high:g}."
        )


def _validate_config(c: AuthConfig) -> None:
    if c.profile is not None and not c.profile.strip():
        raise ConfigurationError(
            "profile='' is empty. Pass a profile name, or None for the default chain."
        )
    if c.region is not None:
        check_region(c.region)
    if c.role_arn is not None and not _ROLE_ARN_RE.match(c.role_arn):
        raise ConfigurationError(
            f"role_arn={c.role_arn!r} is not an IAM role ARN. Accepted: "
            "'arn:aws:iam::<12-digit account>:role/<name>'."
        )
    _check_range("duration_seconds", c.duration_seconds, 900, 43200)
    if c.api_key is not None and (c.access_key_id or c.secret_access_key):
        raise ConfigurationError(
            "api_key cannot be combined with access_key_id/secret_access_key. Accepted: a Bedrock "
            "API key alone (bearer auth), or IAM keys alone."
        )
    if bool(c.access_key_id) != bool(c.secret_access_key):
        missing = "secret_access_key" if c.access_key_id else "access_key_id"
        raise ConfigurationError(
            f"Static keys need both access_key_id and secret_access_key; {missing} is missing."
        )
    if c.mode is not None and c.mode not in MODES:
        raise ConfigurationError(f"mode={c.mode!r} is not a mode. Accepted: {', '.join(MODES)}.")
    if c.retry_mode is not None and c.retry_mode not in RETRY_MODES:
        raise ConfigurationError(
            f"retry_mode={c.retry_mode!r}. Accepted: {', '.join(RETRY_MODES)}."
        )
    _check_range("max_retries", c.max_retries, 0, 50)
    _check_range("max_pool_connections", c.max_pool_connections, 1, 10000)
    _check_range("connect_timeout", c.connect_timeout, 0.1, 3600)
    _check_range("read_timeout", c.read_timeout, 0.1, 3600)


def _infer_mode(
    c: AuthConfig, api_key: str | None, web_identity_file: str | None, role_arn: str | None
) -> str:
    if api_key:
        return "api_key"
    if c.web_identity_token_file and role_arn:
        return "web_identity"
    if role_arn:
        return "assume_role"
    if c.access_key_id:
        return "static"
    if c.profile:
        return "profile"
    return "auto"


def _require(mode: str, **needed: Any) -> None:
    missing = [name for name, value in needed.items() if not value]
    if missing:
        raise ConfigurationError(f"mode='{mode}' needs {' and '.join(missing)}; not set.")


def _check_mode(mode: str, c: AuthConfig, s: dict[str, Any], environ: Mapping[str, str]) -> None:
    """A pinned mode must have what it needs; it never falls back to another source."""
    if mode == "static":
        _require(mode, access_key_id=c.access_key_id, secret_access_key=c.secret_access_key)
    elif mode == "profile":
        _require(mode, **{"profile (or AWS_PROFILE)": s["profile"]})
    elif mode == "env":
        _require(
            mode,
            AWS_ACCESS_KEY_ID=environ.get("AWS_ACCESS_KEY_ID"),
            AWS_SECRET_ACCESS_KEY=environ.get("AWS_SECRET_ACCESS_KEY"),
        )
    elif mode == "assume_role":
        _require(mode, **{"role_arn (or BEDROCK_ROLE_ARN)": s["role_arn"]})
    elif mode == "web_identity":
        _require(
            mode,
            **{
                "web_identity_token_file (or AWS_WEB_IDENTITY_TOKEN_FILE)": s[
                    "web_identity_token_file"
                ],
                "role_arn (or AWS_ROLE_ARN)": s["role_arn"],
            },
        )
    elif mode == "api_key":
        _require(mode, **{f"api_key (or {BEARER_ENV})": s["api_key"]})


def resolve_settings(config: AuthConfig, environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve ``config`` against the environment (and `.env`), validating every value.

    Raises :class:`ConfigurationError` before any network call when a value is wrong.
    """
    dotenv_path, dotenv_keys = None, frozenset[str]()
    if environ is None:
        if config.load_dotenv:
            dotenv_path, dotenv_keys = load_dotenv_file()
        environ = os.environ
    _validate_config(config)

    auth_mode = environ.get("BEDROCK_AUTH_MODE", "iam").strip().lower() or "iam"
    if auth_mode not in ("iam", "api_key"):
        raise ConfigurationError(f"BEDROCK_AUTH_MODE={auth_mode!r}. Accepted: iam, api_key.")
    bearer_env = environ.get(BEARER_ENV) or None
    pinned_api_key = config.mode == "api_key" or auth_mode == "api_key"
    api_key = config.api_key or (bearer_env if pinned_api_key else None)

    wants_web_identity = config.mode == "web_identity" or bool(config.web_identity_token_file)
    role_env = ("AWS_ROLE_ARN",) if wants_web_identity else ("BEDROCK_ROLE_ARN",)
    resolved: dict[str, Any] = {
        "profile": _pick(config.profile, environ, "AWS_PROFILE"),
        "role_arn": _pick(config.role_arn, environ, *role_env),
        "external_id": _pick(config.external_id, environ, "BEDROCK_EXTERNAL_ID"),
        "role_session_name": _pick(config.role_session_name, environ, "BEDROCK_ROLE_SESSION_NAME"),
        "web_identity_token_file": _pick(
            config.web_identity_token_file, environ, "AWS_WEB_IDENTITY_TOKEN_FILE"
        )
        if wants_web_identity
        else None,
        "api_key": api_key,
    }
    mode = config.mode or _infer_mode(
        config, api_key, resolved["web_identity_token_file"], resolved["role_arn"]
    )
    _check_mode(mode, config, resolved, environ)
    retry_mode = _pick(config.retry_mode, environ, "BEDROCK_RETRY_MODE") or "standard"
    numbers = {
        name: _coalesce(getattr(config, name), _env_number(environ, variable, kind), default)
        for name, variable, kind, default in _NUMBERS
    }
    # Values from the environment get the same checks as keyword arguments.
    _validate_config(
        replace(config, role_arn=resolved["role_arn"], retry_mode=retry_mode, **numbers)
    )
    region, region_source = _resolve_region(config.region, environ)
    return Settings(
        config=config,
        mode=mode,
        region=region,
        region_source=region_source,
        bearer_env_present=bearer_env is not None,
        retry_mode=retry_mode,
        fallback_regions=_fallback_regions(config.fallback_regions, environ),
        model_id=environ.get("BEDROCK_MODEL_ID", "").strip() or None,
        agent_id=environ.get("BEDROCK_AGENT_ID", "").strip() or None,
        agent_alias_id=environ.get("BEDROCK_AGENT_ALIAS_ID", "").strip() or None,
        dotenv_path=dotenv_path,
        dotenv_keys=dotenv_keys,
        **resolved,
        **numbers,
    )


# Numeric options: (option, environment variable, type, default).
_NUMBERS: tuple[tuple[str, str, type[int] | type[float], float], ...] = (
    ("max_retries", "BEDROCK_MAX_RETRIES", int, DEFAULT_MAX_RETRIES),
    ("connect_timeout", "BEDROCK_CONNECT_TIMEOUT", float, DEFAULT_CONNECT_TIMEOUT),
    ("read_timeout", "BEDROCK_READ_TIMEOUT", float, DEFAULT_READ_TIMEOUT),
    ("max_pool_connections", "BEDROCK_MAX_POOL_CONNECTIONS", int, DEFAULT_MAX_POOL_CONNECTIONS),
)


def _coalesce(*values: Any) -> Any:
    return next(v for v in values if v is not None)


def _resolve_region(region: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """Region from the kwarg or the environment; ``("", "")`` means "ask the profile next"."""
    for value, source in (
        (region, "argument"),
        (environ.get("AWS_REGION"), "AWS_REGION"),
        (environ.get("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"),
    ):
        if value:
            check_region(value, "region" if source == "argument" else source)
            return value, source
    return "", ""


def _fallback_regions(given: Sequence[str] | None, environ: Mapping[str, str]) -> tuple[str, ...]:
    if given is None:
        given = [r.strip() for r in environ.get("BEDROCK_FALLBACK_REGIONS", "").split(",")]
        name = "BEDROCK_FALLBACK_REGIONS"
    else:
        name = "fallback_regions"
    regions = tuple(dict.fromkeys(r for r in given if r))
    for region in regions:
        check_region(region, name)
    return regions
