"""Short-term Bedrock API keys minted from a manager's current credentials, and their cache.

A short-term key is a SigV4 presign of ``CallWithBearerToken``, made locally (no network
call) by AWS's ``aws-bedrock-token-generator``: ``bedrock-api-key-`` and the base64 of the
presigned URL. It is bound to one Region and lives at most 12 hours, and never longer than the
session that signed it, which the generator does not check: the life asked for is capped here
by the credentials' remaining life. Every key made is registered as a secret (never in a
message, log record, ``repr`` or pickle).

:class:`ApiKeyProvider` hands out one cached key per (credentials, Region, life asked) and
mints a new one before it expires; the cache is process state (:mod:`bedrock_auth._state`),
emptied by ``bedrock_auth.reset()``.

Imported by the manager; the generator itself is imported on the first mint, so that
``import bedrock_auth`` does not need it.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from concurrent.futures import Executor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bedrock_auth._redact import redact_exception, remember_secrets
from bedrock_auth._refresh import refresh_windows
from bedrock_auth._state import SingleFlightCache
from bedrock_auth._translate import ErrorContext, cause_of, translate_error
from bedrock_auth.errors import BedrockAuthError, ConfigurationError, CredentialsNotFoundError
from bedrock_auth.regions import check_region

if TYPE_CHECKING:
    import botocore.session
    from botocore.credentials import Credentials, ReadOnlyCredentials

    from bedrock_auth._options import Settings
    from bedrock_auth.sources import CredentialSource

__all__ = ["MAX_KEY_SECONDS", "ApiKeyProvider", "key_seconds", "mint_api_key"]

#: The longest a short-term key may live: AWS's limit (the generator's ``TOKEN_DURATION``).
MAX_KEY_SECONDS = 12 * 60 * 60
#: The generator's expiry is whole seconds; a key must live at least this long.
_MIN_KEY_SECONDS = 1
#: Credentials closer than this to expiry sign no key: with the signing time rounded down,
#: a key signed now is then valid for at least a second.
_MIN_SIGNING_SECONDS = 2
#: The package that makes the keys (AWS's), and the extra that installs it.
_GENERATOR = "aws_bedrock_token_generator"
_EXTRA = 'pip install "bedrock-auth[openai]"  (or: pip install aws-bedrock-token-generator)'

class BedrockClientManager(Protocol):
    """What minting needs of :class:`bedrock_auth.BedrockClientManager` (which imports this
    module, so it is described here rather than imported)."""

    @property
    def session(self) -> botocore.session.Session: ...
    @property
    def profile(self) -> str | None: ...
    @property
    def region(self) -> str: ...
    @property
    def source(self) -> CredentialSource: ...
    @property
    def settings(self) -> Settings: ...
    def executor(self) -> Executor: ...


# Keys by (credential fingerprint, Region, life asked). Each is kept until its refresh window
# (a quarter of its life, at most 15 minutes, as credentials are) before it expires.
_keys: SingleFlightCache[tuple[str, str, float | None], str] = SingleFlightCache(__name__)


def key_seconds(expires_in: float | timedelta | None) -> float | None:
    """``expires_in`` as seconds (``None``: as long as allowed), checked.

    >>> key_seconds(timedelta(minutes=5))
    300.0
    >>> key_seconds(13 * 3600)
    Traceback (most recent call last):
    ...
    bedrock_auth.errors.ConfigurationError: expires_in=46800 asks for more than 12 hours...
    """
    if expires_in is None:
        return None
    if isinstance(expires_in, timedelta):
        seconds = expires_in.total_seconds()
    elif isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        seconds = float(expires_in)
    else:
        raise ConfigurationError(
            f"expires_in={expires_in!r} is a {type(expires_in).__name__}; expected seconds "
            "(an int or float) or a datetime.timedelta."
        )
    if not math.isfinite(seconds) or seconds < _MIN_KEY_SECONDS:
        raise ConfigurationError(
            f"expires_in={expires_in!r} is too short; a key lives at least "
            f"{_MIN_KEY_SECONDS} second."
        )
    if seconds > MAX_KEY_SECONDS:
        raise ConfigurationError(
            f"expires_in={expires_in!r} asks for more than 12 hours ({MAX_KEY_SECONDS} s), the "
            "longest a short-term Bedrock API key lives. Ask for less; the key is also never "
            "valid longer than the credentials that sign it."
        )
    return seconds


def _generator() -> Any:
    import importlib

    try:
        return importlib.import_module(_GENERATOR)
    except ImportError as exc:
        raise ImportError(
            f"Short-term Bedrock API keys need aws-bedrock-token-generator: {_EXTRA}"
        ) from exc


def _expiry(credentials: Credentials) -> float | None:
    """When refreshable credentials expire (epoch seconds); ``None`` for static ones."""
    expiry = getattr(credentials, "_expiry_time", None)  # botocore's RefreshableCredentials
    return None if expiry is None else float(expiry.timestamp())


def current_credentials(
    manager: BedrockClientManager, region: str
) -> tuple[ReadOnlyCredentials, float | None]:
    """The manager's credentials now (refreshed first if due) and when they expire.

    The expiry is read on both sides of the freeze: a refresh by another thread in between
    would pair the new expiry with the old keys, so the read is repeated until they agree.
    """
    try:
        credentials = manager.session.get_credentials()
        if credentials is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        for _ in range(3):
            before = _expiry(credentials)
            frozen = credentials.get_frozen_credentials()
            if _expiry(credentials) == before:
                break
    except BedrockAuthError as error:
        redact_exception(error)  # e.g. a credential_provider's error chained under ours
        raise
    except Exception as exc:
        ctx = ErrorContext(service="sts", region=region, profile=manager.profile or "")
        raise translate_error(exc, ctx) from cause_of(exc)
    remember_secrets(frozen.secret_key, frozen.token)
    return frozen, _expiry(credentials)


def _fingerprint(frozen: ReadOnlyCredentials) -> str:
    whole = f"{frozen.access_key}\0{frozen.secret_key}\0{frozen.token or ''}"
    return hashlib.sha256(whole.encode()).hexdigest()


class _Loaded:
    """What the generator's ``aws_credentials_provider`` must be: an object with ``load()``."""

    def __init__(self, frozen: ReadOnlyCredentials) -> None:
        self._frozen = frozen

    def load(self) -> Credentials:
        from botocore.credentials import Credentials

        f = self._frozen
        return Credentials(f.access_key, f.secret_key, f.token)


def _mint(frozen: ReadOnlyCredentials, region: str, seconds: int) -> str:
    generator = _generator()
    key: str = generator.provide_token(
        region, aws_credentials_provider=_Loaded(frozen), expiry=timedelta(seconds=seconds)
    )
    remember_secrets(key)
    return key


def _signed(
    frozen: ReadOnlyCredentials, region: str, asked: float | None, expiry: float | None
) -> tuple[str, int, float]:
    """(key, its life, when it stops being valid): the life is the least of what was asked,
    12 h and what the credentials have left, in whole seconds, rounded down."""
    now = time.time()
    left = None if expiry is None else expiry - now
    life = int(min(s for s in (asked, left, float(MAX_KEY_SECONDS)) if s is not None))
    # The key's signing time is whole seconds too (rounded down): it ends at floor(now) + life.
    return _mint(frozen, region, life), life, math.floor(now) + life


def _margin(life: int) -> float:
    """How long before a key expires it is no longer handed out: its refresh window, sized to
    its life as credentials' windows are (a quarter, at most 15 minutes), and at least a
    second (half the life of the shortest keys), for the request it signs to arrive in time."""
    return max(refresh_windows(life)[0], min(1.0, life / 2))


def _usable_credentials(
    manager: BedrockClientManager, region: str
) -> tuple[ReadOnlyCredentials, float | None]:
    """Credentials that can sign a key still valid for a second or more, and their expiry."""
    frozen, expiry = current_credentials(manager, region)
    if expiry is not None and expiry - time.time() < _MIN_SIGNING_SECONDS:
        # Only credentials living a few seconds get here: botocore refreshes longer-lived ones
        # earlier. Wait for them to expire (under two seconds), then take the new ones.
        time.sleep(max(expiry - time.time(), 0.0) + 0.05)
        frozen, expiry = current_credentials(manager, region)
    if expiry is not None and expiry - time.time() < _MIN_SIGNING_SECONDS:
        raise CredentialsNotFoundError(
            f"The credentials for {region} expire in under {_MIN_SIGNING_SECONDS} seconds and "
            "were not refreshed; no API key can be signed with them. Check the credential "
            "source's lifetime."
        )
    return frozen, expiry


def mint_api_key(
    manager: BedrockClientManager,
    region: str | None = None,
    expires_in: float | timedelta | None = None,
) -> str:
    """A new short-term key (see :meth:`BedrockClientManager.api_key`)."""
    asked = key_seconds(expires_in)
    chosen = check_region(region or manager.region)
    if manager.source.signs_with_bearer:
        return str(manager.settings.api_key)
    _generator()  # a missing package fails before any credentials are read
    frozen, expiry = _usable_credentials(manager, chosen)
    return _signed(frozen, chosen, asked, expiry)[0]


class ApiKeyProvider:
    """A callable giving a valid key for one Region, minted again before it expires.

    Thread-safe: concurrent callers that find no fresh key mint one between them. ``await
    provider.aget()`` never blocks the event loop: a fresh key is answered from the cache, a
    new one is minted on the manager's executor. In API-key mode it gives the configured key.
    """

    def __init__(
        self,
        manager: BedrockClientManager,
        region: str | None = None,
        expires_in: float | timedelta | None = None,
    ) -> None:
        self._manager = manager
        self.region = check_region(region or manager.region)
        self._asked = key_seconds(expires_in)
        self._last: tuple[str, str, float | None] | None = None  # the cache key, not the key

    def cached(self) -> str | None:
        """The key this provider last handed out while it is fresh, else None; never blocks."""
        if self._manager.source.signs_with_bearer:
            return str(self._manager.settings.api_key)
        last = self._last
        return _keys.get(last) if last is not None else None

    def __call__(self) -> str:
        known = self.cached()
        if known is not None:
            return known
        _generator()
        frozen, expiry = _usable_credentials(self._manager, self.region)
        cache_key = (_fingerprint(frozen), self.region, self._asked)

        def load() -> tuple[str, float]:
            key, life, until = _signed(frozen, self.region, self._asked, expiry)
            return key, max(until - time.time() - _margin(life), 0.0)

        key = _keys.fetch(cache_key, load)
        self._last = cache_key
        return key

    def invalidate(self) -> None:
        """Forget the key handed out last: the next call reads the credentials again (and
        mints a key if they changed, e.g. after AWS rejected the old ones)."""
        self._last = None

    async def aget(self) -> str:
        """The key, for async code: minted off the event loop when a new one is needed."""
        known = self.cached()
        if known is not None:
            return known
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._manager.executor(), self)

    def __repr__(self) -> str:
        return f"ApiKeyProvider(region={self.region!r})"

    def __reduce__(self) -> Any:
        raise TypeError(
            "An ApiKeyProvider does not pickle: it hands out secrets. Pickle the manager and "
            "call manager.api_key_provider() in the worker."
        )
