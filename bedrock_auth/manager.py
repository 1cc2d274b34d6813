"""`BedrockClientManager`: credentials validated once, one cached client per (service, region).

>>> from bedrock_auth.testing import BedrockEmulator
>>> with BedrockEmulator() as emu:
...     manager = emu.manager()
...     manager.client() is manager.client("bedrock-runtime", manager.region)
True
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypedDict

from botocore.config import Config

from bedrock_auth._delegate import Delegated
from bedrock_auth._redact import redact_exception, remember_secrets
from bedrock_auth._reresolve import SwappableProvider, needs_retry_handler
from bedrock_auth._shared_roles import SHARED_ROLES
from bedrock_auth._state import ForkSafeLock, OnceSet, SingleFlightCache, register, reset_all
from bedrock_auth._translate import ErrorContext, cause_of, translate_error
from bedrock_auth._version import __version__
from bedrock_auth.credentials import (
    BEARER_SERVICES,
    CREDENTIAL_SERVICES,
    chain_sources,
    endpoint_for,
    use_only,
)
from bedrock_auth.errors import BedrockAuthError, ConfigurationError
from bedrock_auth.regions import check_region
from bedrock_auth.settings import (
    BEARER_ENV,
    CALLABLE_OPTIONS,
    DEFAULT_REGION,
    AuthConfig,
    CredentialProvider,
    Mode,
    RetryMode,
    Settings,
    make_config,
    reload_dotenv_file,
    resolve,
    session_for,
)
from bedrock_auth.sources import CredentialSource, source_for

if TYPE_CHECKING:
    from collections.abc import Callable

    import botocore.session
    from botocore.credentials import Credentials
    from typing_extensions import Unpack

    from bedrock_auth._api_keys import ApiKeyProvider
    from bedrock_auth._catalog import LiveCatalog

logger = logging.getLogger("bedrock_auth")

__all__ = ["AuthOptions", "BedrockClientManager", "CallerIdentity", "get_manager", "reset"]


class AuthOptions(TypedDict, total=False):
    """The keyword options of :class:`BedrockClientManager`: ``AuthConfig``'s, type for type."""

    region: str | None
    profile: str | None
    access_key_id: str | None
    secret_access_key: str | None
    session_token: str | None
    role_arn: str | None
    external_id: str | None
    role_session_name: str | None
    duration_seconds: int | None
    mfa_serial: str | None
    mfa_token_provider: Callable[[], str] | None
    web_identity_token_file: str | None
    api_key: str | None
    mode: Mode | None
    endpoint_url: str | Mapping[str, str] | None
    mantle_endpoint_url: str | None
    verify: bool | str | None
    max_retries: int | None
    retry_mode: RetryMode | None
    connect_timeout: float | None
    read_timeout: float | None
    max_pool_connections: int | None
    sts_connect_timeout: float | None
    sts_read_timeout: float | None
    credential_process_timeout: float | None
    fallback_regions: Sequence[str] | None
    client_config: Config | None
    assume_role_kwargs: Mapping[str, Any] | None
    credential_provider: CredentialProvider | None
    live_catalog: bool | None
    allow_pickle_secrets: bool
    validate: bool
    load_dotenv: bool


@dataclass(frozen=True)
class CallerIdentity:
    """Who the credentials belong to, as STS GetCallerIdentity says."""

    account: str
    arn: str
    user_id: str


# One GetCallerIdentity per distinct credential per process, for a while: an entry lives at
# most IDENTITY_TTL seconds and never past the credentials' own expiry, so a key revoked in IAM
# stops "validating" for new managers. The key is the access key id plus a hash of the whole
# credential, so the secret is never held here in clear.
IDENTITY_TTL = 15 * 60.0
# Threads whose calls failed together with the old credentials retry on the ones the first
# thread re-read, instead of each reading again.
REREAD_DEDUP_SECONDS = 1.0


def _identity_ttl(lifetime: float | None) -> float:
    """How long a validated identity is kept: never past the credentials' own expiry."""
    return IDENTITY_TTL if lifetime is None else min(IDENTITY_TTL, max(lifetime, 0.0))


# Concurrent validations of one credential over one route to STS make a single call.
_identities: SingleFlightCache[str, CallerIdentity] = SingleFlightCache(__name__)
_warned = OnceSet(__name__)  # warnings given once per process
# Every live manager, so that a forked child can give each one fresh connections and locks.
_live: weakref.WeakSet[BedrockClientManager] = weakref.WeakSet()


def _credential_key(access_key: str, secret_key: str, token: str | None) -> str:
    digest = hashlib.sha256(f"{access_key}\0{secret_key}\0{token or ''}".encode()).hexdigest()
    return f"{access_key}:{digest[:32]}"


def _seconds_left(credentials: Credentials) -> float | None:
    """Seconds until refreshable credentials expire; ``None`` for static ones."""
    expiry = getattr(credentials, "_expiry_time", None)  # botocore's RefreshableCredentials
    if expiry is None:
        return None
    return float((expiry - datetime.now(timezone.utc)).total_seconds())


def mask_key_id(access_key_id: str | None) -> str | None:
    """``AKIAIOSFODNN7EXAMPLE`` -> ``AKIA************MPLE``: enough to tell keys apart."""
    if not access_key_id:
        return None
    return access_key_id[:4] + "*" * max(len(access_key_id) - 8, 0) + access_key_id[-4:]


def _warn_default_region() -> None:
    if _warned.first("region"):
        logger.warning(
            "No AWS region configured (AWS_REGION, AWS_DEFAULT_REGION or the profile); "
            "using %s. Set AWS_REGION to choose one.",
            DEFAULT_REGION,
        )


def _warn_bearer_pinned() -> None:
    if not _warned.first(BEARER_ENV):
        return
    logger.warning(
        "%s is set, but BEDROCK_AUTH_MODE is 'iam': bedrock clients are pinned to SigV4 so the "
        "API key does not silently replace your IAM credentials. To use the key, set "
        "BEDROCK_AUTH_MODE=api_key or pass api_key=...",
        BEARER_ENV,
    )


class BedrockClientManager(AbstractContextManager["BedrockClientManager"]):
    """Resolves credentials once, validates them with STS, and caches botocore clients.

    Options come from keyword arguments, then the environment, then `.env`; see
    :class:`~bedrock_auth.settings.AuthConfig` for each one. Pass ``config=AuthConfig(...)`` to
    give them as one value (keyword arguments then override its fields).

    >>> manager = BedrockClientManager(region="us-west-2")          # doctest: +SKIP
    >>> manager.identity.arn                                          # doctest: +SKIP
    'arn:aws:sts::123456789012:assumed-role/Dev/alice'
    >>> manager.client().converse(modelId=..., messages=[...])      # doctest: +SKIP
    """

    def __init__(self, *, config: AuthConfig | None = None, **options: Unpack[AuthOptions]) -> None:
        self._build(_merge(config, options), validate_now=True)

    def _build(self, config: AuthConfig, *, validate_now: bool) -> None:
        """Everything ``__init__`` does; ``validate_now=False`` (an unpickled manager) leaves
        the STS validation the configuration asks for to the first client or ``identity``."""
        self._config = config
        self._lock = threading.Lock()  # the client cache
        self._session_lock = threading.Lock()  # rebuilding the session after a fork
        self._reresolve_lock = threading.Lock()
        self._last_reresolve = float("-inf")
        #: How often AWS rejected the credentials and they were read again (see _reresolve).
        self.reresolve_count = 0
        # (service, region), or (service, region, purpose) for a client with its own config.
        self._clients: dict[tuple[str, ...], Any] = {}
        self._executor: ThreadPoolExecutor | None = None  # the async helpers' threads
        self._executor_lock = threading.Lock()
        self._identity: CallerIdentity | None = None
        self._masked_key_id: str | None = None
        self._validation_lock = threading.Lock()
        self._validation_pending = False
        with self._translating(ErrorContext(service="sts", profile=self._config.profile or "")):
            self._settings, session = resolve(self._config)
            s = self._settings
            remember_secrets(s.secret_access_key, s.session_token, s.api_key, s.external_id)
            self._source: CredentialSource = source_for(self._settings)
            self._client_config = client_config_for(self._settings)
            self._credential_config = credential_config_for(self._settings)
            self._listing_config = listing_config_for(self._settings)
            self._session: botocore.session.Session | None = self._configure(session)
        # Imported here: the live catalog brings the model table's code, which importing
        # bedrock_auth need not pay for.
        from bedrock_auth._catalog import LiveCatalog

        self._catalog = LiveCatalog(
            self._listing_client,
            enabled=self._settings.live_catalog,
            profile=self._settings.profile or "",
        )
        _live.add(self)
        if self._settings.bearer_env_present and not self._source.signs_with_bearer:
            _warn_bearer_pinned()
        if self._settings.validate:
            if validate_now:
                self.validate()
            else:
                self._validation_pending = True

    def _configure(self, session: botocore.session.Session) -> botocore.session.Session:
        # botocore's own STS/SSO clients (assume-role profiles, SSO) take the session's default
        # config: short timeouts. Bedrock clients pass their own, long-read-timeout config.
        session.set_default_client_config(self._credential_config)
        self._source.configure(session, self._credential_config)
        resolver = session.get_component("credential_provider")
        self._chain_names = tuple(chain_sources(session))  # for "sources tried" messages
        self._swappable = SwappableProvider(resolver)
        use_only(session, self._swappable)
        return session

    def _fresh_credentials(self) -> Credentials | None:
        """The source resolved again on a new session: files, env, SSO cache, process re-read."""
        reload_dotenv_file(self._settings.dotenv_path)
        fresh = session_for(self._settings)
        fresh.set_default_client_config(self._credential_config)
        self._source.configure(fresh, self._credential_config)
        loaded: Credentials | None = fresh.get_component("credential_provider").load_credentials()
        return loaded

    def _reresolve(self) -> bool:
        """Read the credentials again after AWS rejected them; True if the call may retry.

        Single-flight: threads that fail together re-read once, then all retry.
        """
        current = self._swappable.current
        if not self._source.rereadable or current is None:
            return False
        with self._reresolve_lock:
            if time.monotonic() - self._last_reresolve < REREAD_DEDUP_SECONDS:
                return True  # another thread just swapped fresh credentials in
            # Role credentials other managers share may be the rejected ones: fetch anew.
            SHARED_ROLES.clear()
            try:
                fresh = self._fresh_credentials()
            except Exception as exc:
                logger.info("re-reading credentials failed (%s); not retrying", type(exc).__name__)
                return False
            if fresh is None:
                return False
            current.swap(fresh)
            self._last_reresolve = time.monotonic()
            self.reresolve_count += 1
        logger.info(
            "AWS rejected the credentials in use; re-read them from %s and retrying once "
            "(%d re-read(s) by this manager)",
            fresh.method,
            self.reresolve_count,
        )
        return True

    def _botocore_session(self) -> botocore.session.Session:
        """The session, rebuilt on first use in a forked child (see :func:`_after_fork`)."""
        session = self._session
        if session is None:
            with self._session_lock:
                session = self._session
                if session is None:
                    with self._translating(self._context("sts", "")):
                        session = self._session = self._configure(session_for(self._settings))
        return session

    def _after_fork(self) -> None:
        """In a forked child: nothing inherited from the parent is used again.

        Clients (their sockets are shared with the parent), locks (another thread may have held
        them at fork time) and credential objects (botocore's refresh lock) are all dropped;
        the session is rebuilt lazily, so the fork hook itself does no I/O.
        """
        self._lock = threading.Lock()
        self._session_lock = threading.Lock()
        self._reresolve_lock = threading.Lock()
        self._clients = {}
        self._session = None
        self._executor_lock = threading.Lock()
        self._executor = None  # its threads do not exist in the child

    # -- public properties -------------------------------------------------------------------

    region = Delegated[str]("_settings", "The default region for clients.")
    profile = Delegated[str | None](
        "_settings", "The AWS profile in use (argument or ``AWS_PROFILE``), if any."
    )
    mode = Delegated[Mode](
        "_settings",
        "The auth mode in use: ``auto``, ``profile``, ``env``, ``static``, ``assume_role``, ...",
    )

    @property
    def settings(self) -> Settings:
        """Every resolved option (kwargs > environment > `.env`), as one frozen value."""
        return self._settings

    @property
    def source(self) -> CredentialSource:
        """The credential source object behind :attr:`mode`."""
        return self._source

    @property
    def identity(self) -> CallerIdentity | None:
        """The STS caller identity; ``None`` until validated (and always in API-key mode)."""
        if self._validation_pending:
            self._validate_deferred()
        return self._identity

    @property
    def credential_source(self) -> str:
        """Where credentials came from: botocore's method name, ``explicit`` or ``api-key``."""
        fixed = self._source.CREDENTIAL_SOURCE
        return fixed or str(getattr(self._credentials(), "method", None) or "explicit")

    @property
    def catalog(self) -> LiveCatalog:
        """What Bedrock lists for this account, per region (``listing(region)``), cached for an
        hour; ``resolve_model_id(..., manager=...)`` and every helper read it."""
        return self._catalog

    @property
    def session(self) -> botocore.session.Session:
        """The botocore session behind every client (for code that needs one)."""
        return self._botocore_session()

    # -- validation -------------------------------------------------------------------------

    def _validate_deferred(self) -> None:
        """The validation an unpickled manager left for its first use; once, however many
        threads arrive. A failure leaves it pending, so the next use fails the same way."""
        with self._validation_lock:  # this manager's own lock, held while STS answers
            if not self._validation_pending:
                return
            self._validation_pending = False  # before validating: its STS client is a client
            try:
                self.validate()
            except BaseException:
                self._validation_pending = True
                raise

    def validate(self) -> CallerIdentity | None:
        """Check the credentials with STS GetCallerIdentity, once per credential per process.

        Skipped in API-key mode, where there is no IAM identity. Raises a
        :class:`~bedrock_auth.errors.BedrockAuthError` that says what to fix.
        """
        if not self._source.has_iam_identity:
            return None
        ctx = self._context("sts", "GetCallerIdentity")
        creds = self._credentials()
        if creds is None:
            return None
        with self._translating(ctx):
            frozen = creds.get_frozen_credentials()
        remember_secrets(frozen.secret_key, frozen.token)
        key = _credential_key(frozen.access_key, frozen.secret_key, frozen.token)

        def ask_sts() -> CallerIdentity:
            with self._translating(ctx):
                reply = self.client("sts").get_caller_identity()
            return CallerIdentity(reply["Account"], reply["Arn"], reply["UserId"])

        # Callers share a call only when they also share the route to STS (region and
        # endpoint): a hung endpoint must not hold up a manager that uses another one.
        route = f"{self.region} {endpoint_for(self._settings.endpoint_url, 'sts')}"
        ttl = _identity_ttl(_seconds_left(creds))
        identity = _identities.fetch(key, lambda: (ask_sts(), ttl), flight=(key, route))
        self._identity = identity
        self._masked_key_id = mask_key_id(frozen.access_key)
        logger.debug("validated %s credentials for %s", self.credential_source, identity.arn)
        return identity

    # -- clients ----------------------------------------------------------------------------

    def client(self, service_name: str = "bedrock-runtime", region: str | None = None) -> Any:
        """The cached botocore client for (service, region), created on first use.

        Thread-safe: concurrent callers get the same object.
        """
        region = region or self.region
        client = self._clients.get((service_name, region))  # every call: no closure built
        if client is not None:
            return client
        return self._cached(
            (service_name, region), lambda: self._create_client(service_name, region)
        )

    def _listing_client(self, region: str) -> Any:
        """The ``bedrock`` client of every control-plane call (listings, GetInferenceProfile):
        short timeouts, one attempt."""
        return self._cached(
            ("bedrock", region, "listing"),
            lambda: self._create_client("bedrock", region, self._listing_config),
        )

    def _cached(self, key: tuple[str, ...], create: Callable[[], Any]) -> Any:
        client = self._clients.get(key)
        if client is None:
            if self._validation_pending:
                self._validate_deferred()
            # One lock for creation: botocore sessions are not thread-safe to create clients from.
            with self._lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = create()
        return client

    def _create_client(self, service_name: str, region: str, config: Config | None = None) -> Any:
        if region != self.region:
            check_region(region)
        elif self._settings.region_source == "default" and service_name not in CREDENTIAL_SERVICES:
            _warn_default_region()  # only now: a call given a region of its own uses none
        if config is None:
            credential_service = service_name in CREDENTIAL_SERVICES
            config = self._credential_config if credential_service else self._client_config
        if service_name in BEARER_SERVICES:
            if self._source.signs_with_bearer:
                config = config.merge(Config(signature_version="bearer"))
            elif self._settings.bearer_env_present:
                config = config.merge(Config(auth_scheme_preference="sigv4"))
        elif self._source.signs_with_bearer and self._credentials() is None:
            raise ConfigurationError(
                f"{service_name} needs IAM credentials (SigV4); a Bedrock API key only works for "
                "bedrock and bedrock-runtime. Configure IAM credentials beside the key "
                "(AWS_PROFILE, "
                "keys or a role); Bedrock Agents need them."
            )
        logger.debug("creating %s client in %s", service_name, region)
        with self._translating(self._context(service_name, "", region)):
            client = self._botocore_session().create_client(
                service_name,
                region_name=region,
                endpoint_url=endpoint_for(self._settings.endpoint_url, service_name),
                verify=self._settings.verify,
                config=config,
            )
        # First in line: a rejected key is re-read once before botocore's own retry logic.
        client.meta.events.register_first("needs-retry", needs_retry_handler(self._reresolve))
        return client

    def executor(self) -> ThreadPoolExecutor:
        """The threads the async helpers and models run botocore calls on, created on first use.

        One thread per pooled connection (``max_pool_connections``): the event loop's default
        executor has ``min(32, cpus + 4)`` threads and would cap concurrency well below it.
        """
        executor = self._executor
        if executor is None:
            from bedrock_auth._executor import started_executor  # async helpers only

            with self._executor_lock:
                executor = self._executor
                if executor is None:
                    executor = self._executor = started_executor(
                        self._settings.max_pool_connections
                    )
        return executor

    # -- Bedrock API keys -------------------------------------------------------------------

    def api_key(
        self, region: str | None = None, *, expires_in: float | timedelta | None = None
    ) -> str:
        """A short-term Bedrock API key for ``region``, signed now with these credentials.

        It lives the least of ``expires_in`` (seconds or a ``timedelta``), 12 hours and the
        credentials' remaining life (they are refreshed first if due); more than 12 hours asked
        is a :class:`ConfigurationError`. In API-key mode it is the configured key. Needs
        ``aws-bedrock-token-generator`` (the ``openai`` extra). See docs/api-keys-and-openai.md.
        """
        from bedrock_auth._api_keys import mint_api_key

        return mint_api_key(self, region, expires_in)

    def api_key_provider(
        self, region: str | None = None, *, expires_in: float | timedelta | None = None
    ) -> ApiKeyProvider:
        """A thread-safe callable returning a valid key for ``region``: cached, and minted
        again before it (or the credentials behind it) expires. ``await provider.aget()``
        never blocks an event loop."""
        from bedrock_auth._api_keys import ApiKeyProvider

        return ApiKeyProvider(self, region, expires_in)

    # -- reporting --------------------------------------------------------------------------

    def auth_info(self) -> dict[str, Any]:
        """What this manager uses, safe to print or log: never a secret."""
        try:
            source: str | None = self.credential_source
        except BedrockAuthError:
            source = None
        identity = self._identity
        return {
            "source": source,
            "mode": self.mode,
            "region": self.region,
            "region_source": self._settings.region_source,
            "profile": self._settings.profile,
            "access_key_id": self._masked_key_id,
            "account": identity.account if identity else None,
            "arn": identity.arn if identity else None,
            "endpoint_url": endpoint_for(self._settings.endpoint_url, "bedrock-runtime"),
            "retries": {
                "mode": self._settings.retry_mode,
                "max_attempts": self._settings.max_attempts,
                "source": self._settings.retry_source,
            },
            "bearer_pinned_to_sigv4": (
                self._settings.bearer_env_present and not self._source.signs_with_bearer
            ),
        }

    def __repr__(self) -> str:
        # getattr: tracebacks repr a manager whose __init__ raised half-way.
        settings: Settings | None = getattr(self, "_settings", None)
        identity: CallerIdentity | None = getattr(self, "_identity", None)
        return (
            f"BedrockClientManager(mode={settings.mode if settings else None!r}, "
            f"region={settings.region if settings else None!r}, "
            f"account={identity.account if identity else None!r})"
        )

    __str__ = __repr__

    # -- pickling ---------------------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        """A manager pickles as its configuration: the worker resolves its own credentials.

        Unpickled, it is the worker's shared manager for that configuration, so N tasks in one
        worker validate once, on first use rather than inside ``pickle.loads``. Secrets given in
        code refuse to pickle unless ``allow_pickle_secrets=True`` (see
        :meth:`AuthConfig.__getstate__`).
        """
        # The resolved region travels too: a worker with another AWS_REGION (or none) must not
        # move EU traffic to a US inference profile.
        return (_unpickled_manager, (replace(self._config, region=self.region),))

    # -- closing ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close every cached client's connection pool and stop the executor's idle threads.

        Clients and the executor are built again if used.
        """
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)  # calls in flight finish on their threads

    # __enter__ is AbstractContextManager's: it returns the manager.
    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- helpers ----------------------------------------------------------------------------

    def _credentials(self) -> Credentials | None:
        with self._translating(self._context("sts", "")):
            creds: Credentials | None = self._botocore_session().get_credentials()
        if creds is None and self._source.has_iam_identity:
            from botocore.exceptions import NoCredentialsError

            ctx = replace(self._context("", ""), sources_tried=self._chain_names)
            missing = NoCredentialsError()
            raise translate_error(missing, ctx) from cause_of(missing)
        return creds

    def _context(self, service: str, operation: str, region: str | None = None) -> ErrorContext:
        s = self._settings
        return ErrorContext(
            service=service,
            operation=operation,
            region=region or s.region,
            profile=s.profile or "",
            partial_env={name: s.origin_of(name) for name in s.dotenv_keys},
        )

    @contextmanager
    def _translating(self, ctx: ErrorContext) -> Iterator[None]:
        try:
            yield
        except BedrockAuthError as error:
            redact_exception(error)  # e.g. a credential_provider's error chained under ours
            raise
        except Exception as exc:
            raise translate_error(exc, ctx) from cause_of(exc)


def _config(settings: Settings, attempts: int, connect: float, read: float) -> Config:
    """The library's client defaults, with the user's ``client_config`` merged over them."""
    config = Config(
        retries={"mode": settings.retry_mode, "total_max_attempts": attempts},
        connect_timeout=connect,
        read_timeout=read,
        max_pool_connections=settings.max_pool_connections,
        user_agent_extra=f"bedrock-auth/{__version__}",
    )
    return config.merge(settings.client_config) if settings.client_config else config


def credential_config_for(settings: Settings) -> Config:
    """Config for STS/SSO calls: short timeouts and at most ``sts_max_attempts`` attempts.

    A user's own ``AWS_MAX_ATTEMPTS``/profile ``max_attempts`` is already in
    ``sts_max_attempts``; a ``client_config`` (proxies, ...) applies here too.
    """
    return _config(
        settings, settings.sts_max_attempts, settings.sts_connect_timeout, settings.sts_read_timeout
    )


def client_config_for(settings: Settings) -> Config:
    """Config for Bedrock clients: the retries, timeouts and pool the settings resolved."""
    return _config(
        settings, settings.max_attempts, settings.connect_timeout, settings.read_timeout
    )


def listing_config_for(settings: Settings) -> Config:
    """Config for the live catalog's listings: one attempt, :data:`LISTING_TIMEOUT` seconds.

    A listing that fails is remembered and the static table answers, so waiting longer or
    retrying would only delay the first call (a private subnet without a bedrock endpoint).
    """
    from bedrock_auth._catalog import LISTING_TIMEOUT  # with the catalog, as in _build

    return _config(settings, 1, LISTING_TIMEOUT, LISTING_TIMEOUT)


def _merge(config: AuthConfig | None, options: Mapping[str, Any]) -> AuthConfig:
    if config is None:
        return make_config(options)
    make_config(options)  # rejects unknown names
    return replace(config, **options)


#: How many configurations get_manager() keeps; the least recently used is dropped first.
MAX_MANAGERS = 128
_managers_lock = ForkSafeLock()
_managers: OrderedDict[tuple[Any, ...], BedrockClientManager] = OrderedDict()
_building: dict[tuple[Any, ...], Future[BedrockClientManager]] = {}
_DEFAULT_KEY = AuthConfig().cache_key()


def get_manager(**options: Unpack[AuthOptions]) -> BedrockClientManager:
    """A process-wide manager: the same options give the same object (up to 128 configurations).

    The process-wide lock is never held during network I/O: concurrent calls for one
    configuration wait for a single build, and other configurations do not wait at all.
    Options holding a function cannot be keyed; build a :class:`BedrockClientManager` for them.

    >>> get_manager(region="us-east-1") is get_manager(region="us-east-1")   # doctest: +SKIP
    True
    """
    if not options:  # the helpers' default, on every call: no config, key or lock
        manager = _managers.get(_DEFAULT_KEY)  # one dict read, atomic: writers hold the lock
        if manager is not None:
            return manager
    given = [name for name in CALLABLE_OPTIONS if options.get(name) is not None]
    if given:
        raise ConfigurationError(
            f"get_manager() cannot cache a manager keyed on a function ({given[0]}=): every "
            f"new function would make a new manager. Build it once with "
            f"BedrockClientManager({given[0]}=...) and pass it on (manager=...)."
        )
    return _shared_manager(make_config(options))


def _unpickled_manager(config: AuthConfig) -> BedrockClientManager:
    """What a pickled manager becomes: the process's manager for ``config``. Built here, it
    validates on first use: STS trouble surfaces from the task's first call, not from inside
    ``pickle.loads`` (where Ray or multiprocessing would report it as a deserialisation error)."""
    return _shared_manager(config, validate_now=False)


def _shared_manager(config: AuthConfig, *, validate_now: bool = True) -> BedrockClientManager:
    """The process's manager for ``config``, built once."""
    key = config.cache_key()
    with _managers_lock:
        manager = _managers.get(key)
        if manager is not None:
            _managers.move_to_end(key)
            return manager
        pending = _building.get(key)
        owner = pending is None
        if pending is None:
            pending = _building[key] = Future()
    if not owner:
        return pending.result()
    try:
        manager = BedrockClientManager.__new__(BedrockClientManager)
        manager._build(config, validate_now=validate_now)
    except BaseException as exc:
        pending.set_exception(exc)
        with _managers_lock:
            del _building[key]
        raise
    with _managers_lock:
        _managers[key] = manager
        while len(_managers) > MAX_MANAGERS:
            _managers.popitem(last=False)
        del _building[key]
    pending.set_result(manager)
    return manager


def reset() -> None:
    """Empty every process-wide cache: managers, validated identities, shared role credentials,
    known secrets, one-time warnings, loaded `.env` files (every cache registered in
    :mod:`bedrock_auth._state`).

    For tests and notebooks; managers you hold keep working.
    """
    reset_all()


def _forget_managers() -> None:
    with _managers_lock:
        _managers.clear()
    # Runs after _redact forgot every secret (registered later): managers still in use keep
    # their secrets masked.
    for manager in list(_live):
        s = manager.settings
        remember_secrets(s.secret_access_key, s.session_token, s.api_key, s.external_id)


def _after_fork_in_child() -> None:
    global _building
    _building = {}  # the builds in flight belong to the parent's threads
    for manager in list(_live):
        manager._after_fork()


register(__name__, reset=_forget_managers, after_fork=_after_fork_in_child)
