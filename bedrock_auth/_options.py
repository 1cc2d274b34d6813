"""What an option is (:class:`Option`) and what options resolve into (:class:`Settings`).

The option table itself is :class:`bedrock_auth.settings.AuthConfig`: one field per option,
written with :func:`option`. These pieces live apart from :mod:`bedrock_auth.settings` because
settings walks the source classes to pick one, and those classes (and the credential adapters
under them) hold a resolved :class:`Settings`: with it here, the imports go one way only
(settings -> sources -> credentials -> here). Nothing here reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import BuiltinFunctionType, FunctionType, UnionType
from typing import Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

from botocore.config import Config

from bedrock_auth.errors import ConfigurationError

#: Where credentials come from; one class per mode in :mod:`bedrock_auth.sources`.
Mode = Literal[
    "auto", "profile", "env", "static", "assume_role", "web_identity", "api_key", "custom"
]
MODES: tuple[str, ...] = get_args(Mode)
RetryMode = Literal["standard", "adaptive", "legacy"]
RETRY_MODES: tuple[str, ...] = get_args(RetryMode)


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
class Settings:
    """The options after resolution: everything the manager and the helpers read.

    Complete by construction: the region is always set, retries are the values botocore will
    use, and each option's origin is known for error messages. Options keep their
    :class:`~bedrock_auth.settings.AuthConfig` names; the defaults come from its table.
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
    #: The bedrock-mantle endpoint (``AWS_ENDPOINT_URL_BEDROCK_MANTLE``); None: AWS's.
    mantle_endpoint_url: str | None = None
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


# -- describing an option --------------------------------------------------------------------

# A type in an annotation -> (the run-time types it accepts, how it is described).
# A string is a Sequence too, but never a list of region names: lists and tuples only.
_RUNTIME: dict[Any, tuple[tuple[type, ...], str]] = {
    str: ((str,), "a string"),
    int: ((int,), "an integer"),
    float: ((int, float), "a number"),
    bool: ((bool,), "True or False"),
    Mapping: ((Mapping,), "a mapping"),
    Sequence: ((list, tuple), "a list"),
    Config: ((Config,), "a botocore.config.Config"),
}


@dataclass(frozen=True)
class Option:
    """Every fact about one option. Written as an ``AuthConfig`` field with :func:`option`;
    the rest follows from the field's annotation (:meth:`completed`)."""

    name: str = ""
    #: The environment variable it falls back to. An option whose variable depends on the
    #: source (``role_arn``, ``web_identity_token_file``, ``api_key``) gets it from that
    #: source's ``ENV`` instead (:mod:`bedrock_auth.sources`).
    env: str | None = None
    #: The value when neither given nor set in the environment (``None``: none, or computed).
    default: Any = None
    #: (lowest, highest) accepted, both included.
    limits: tuple[float, float] | None = None
    #: Never shown in a message or ``repr``; pickled only with ``allow_pickle_secrets=True``.
    secret: bool = False
    #: Pickled only with ``allow_pickle_secrets=True`` (secrets, and the key id beside one).
    needs_pickle_consent: bool = False
    #: For an option that is no secret but whose value may hold one (a proxy password, a
    #: function's data): what secret a value holds, or ``None``. A value that holds one is
    #: pickled only with ``allow_pickle_secrets=True``, as a secret is.
    holds_secret: Callable[[Any], str | None] | None = None
    #: How a value of the wrong type is described; empty: as its annotation says.
    expected: str = ""
    #: Applied to the value given, read or defaulted.
    convert: Callable[[Any], Any] | None = None
    # -- from the annotation --
    #: The run-time types accepted (``bool`` only where the annotation says ``bool``).
    types: tuple[type, ...] = ()
    #: The first type of the annotation (``str`` for a ``Literal``): how a variable is read.
    kind: Any = None
    #: The words accepted, for a ``Literal``.
    choices: tuple[str, ...] = ()
    #: A function the user passes: it cannot be read from the environment or keyed.
    is_callable: bool = False
    #: The type of each item, for a list.
    items: type | None = None

    def completed(self, name: str, hint: Any) -> Option:
        """This option, named, with what its annotation ``hint`` says."""
        types: list[type] = []
        described: list[str] = []
        derived: dict[str, Any] = {}
        for member in _members(hint):
            origin = get_origin(member) or member
            if origin is Literal:
                derived["choices"], origin = get_args(member), str
            if origin is Callable:
                derived["is_callable"] = True
                derived["holds_secret"] = self.holds_secret or function_data
                described.append("a function taking no arguments")
                continue
            if origin is Sequence:
                derived["items"] = get_args(member)[0]
            accepts, text = _RUNTIME[origin]
            types.extend(accepts)
            described.append(text)
            derived.setdefault("kind", origin)
        expected = self.expected or " or ".join(described)
        return replace(self, name=name, types=tuple(types), expected=expected, **derived)

    def pickle_consent(self, value: Any) -> str | None:
        """Why ``value`` may be pickled only with ``allow_pickle_secrets=True``; ``None``: it
        may always be. A secret needs consent, and so does a value holding one."""
        if not value:  # unset, empty or off
            return None
        if self.needs_pickle_consent:
            return self.name
        held = self.holds_secret(value) if self.holds_secret else None
        return f"{self.name} ({held})" if held else None

    def check_type(self, value: Any) -> None:
        """Raise :class:`ConfigurationError` unless ``value`` (not ``None``) has this type."""
        if self.is_callable:
            accepted = callable(value)
        else:  # bool is an int to isinstance; it is refused where a number is expected
            bools = bool in self.types or not isinstance(value, bool)
            accepted = isinstance(value, self.types) and bools
        if not accepted:
            raise self._type_error(value, self.expected)
        items = self.items
        if items is None:
            return
        for item in value:
            if not isinstance(item, items):
                raise self._type_error(item, f"{self.expected} (each {_RUNTIME[items][1]})")

    def _type_error(self, value: Any, expected: str) -> ConfigurationError:
        shown = "<hidden>" if self.secret else repr(value)
        kind = type(value).__name__
        article = "an" if kind[0] in "aeiou" else "a"
        return ConfigurationError(f"{self.name}={shown} is {article} {kind}; expected {expected}.")


def _members(hint: Any) -> tuple[Any, ...]:
    """The types of an annotation, ``None`` left out: ``str | None`` -> ``(str,)``."""
    if get_origin(hint) in (Union, UnionType):
        return tuple(member for member in get_args(hint) if member is not type(None))
    return (hint,)


def option(
    *,
    env: str | None = None,
    default: Any = None,
    limits: tuple[float, float] | None = None,
    secret: bool = False,
    needs_pickle_consent: bool = False,
    holds_secret: Callable[[Any], str | None] | None = None,
    expected: str = "",
    convert: Callable[[Any], Any] | None = None,
) -> Any:
    """An ``AuthConfig`` field: unset (``None``) unless given; see :class:`Option`."""
    spec = Option(
        env=env,
        default=default,
        limits=limits,
        secret=secret,
        needs_pickle_consent=needs_pickle_consent or secret,
        holds_secret=holds_secret,
        expected=expected,
        convert=convert,
    )
    return field(default=None, repr=not secret, metadata={"option": spec})


def timeout(env: str, default: float, longest: float) -> Any:
    """An ``AuthConfig`` timeout in seconds, read from ``env``: every timeout accepts a tenth
    of a second up to ``longest``."""
    return option(env=env, default=default, limits=(0.1, longest))


def flag(default: bool) -> Any:
    """An ``AuthConfig`` switch that is never unset: ``default`` unless given."""
    return field(default=default, metadata={"option": Option(default=default)})


# -- checking a value ------------------------------------------------------------------------


def check_range(name: str, value: float | None, low: float, high: float) -> None:
    """Raise unless ``value`` is ``None`` or within ``low``..``high``; ``name`` says where it
    came from (the option, or the variable it was read from)."""
    if value is not None and not low <= value <= high:
        raise ConfigurationError(
            f"{name}={value!r} is out of range. Accepted: {low:g} to {high:g}."
        )


def check_choice(name: str, value: str | None, accepted: tuple[str, ...]) -> None:
    """Raise unless ``value`` is ``None`` or one of ``accepted``, suggesting the closest."""
    import difflib

    if value is None or value in accepted:
        return
    close = difflib.get_close_matches(value, accepted, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigurationError(
        f"{name}={value!r} is not accepted.{hint} Accepted: {', '.join(accepted)}."
    )


# -- values that hold a secret ---------------------------------------------------------------

# STS AssumeRole parameters whose values are credentials: an MFA code, a signed context
# assertion (trusted identity propagation).
_SECRET_ROLE_PARAMETERS = ("TokenCode", "ProvidedContexts")


def _has_userinfo(url: Any) -> bool:
    return isinstance(url, str) and "@" in urlsplit(url).netloc


def url_userinfo(value: Any) -> str | None:
    """``endpoint_url``: a URL (or one in a mapping) with ``user:password@``."""
    urls = value.values() if isinstance(value, Mapping) else [value]
    return "a URL with a user name or password" if any(map(_has_userinfo, urls)) else None


def proxy_userinfo(config: Any) -> str | None:
    """``client_config``: a botocore ``Config`` whose proxies carry ``user:password@``."""
    proxies = getattr(config, "proxies", None) or {}
    return "a proxy URL with a password" if any(map(_has_userinfo, proxies.values())) else None


def role_parameter_secrets(parameters: Any) -> str | None:
    """``assume_role_kwargs``: STS parameters whose values are credentials."""
    found = [name for name in _SECRET_ROLE_PARAMETERS if name in (parameters or {})]
    return " and ".join(found) if found else None


def function_data(function: Any) -> str | None:
    """A function option: pickle stores a module-level function (or class) by its name, and
    anything else (a ``functools.partial``, a bound method, a callable object) with the data
    it holds, which may be a secret."""
    by_name = isinstance(function, (FunctionType, BuiltinFunctionType, type))
    if by_name and "<" not in getattr(function, "__qualname__", "<"):
        return None
    return f"a {type(function).__name__}, pickled with the data it holds"
