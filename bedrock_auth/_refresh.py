"""Refresh windows sized to the credentials' lifetime, on botocore's refreshable credentials.

botocore refreshes credentials when less than 15 minutes remain (advisory: one thread
refreshes, the others carry on with the current credentials) and makes every thread wait for
the refresh when less than 10 minutes remain (mandatory). Credentials that live 15 minutes or
less are due from the moment they arrive, so every access fetches again: 900-second role
credentials cost an AssumeRole per request. Here each refresh sizes both windows to that
refresh's lifetime (expiry minus the time of the fetch): a quarter and a sixth of it, capped
at botocore's 15 and 10 minutes. Credentials that live an hour or more refresh exactly as
botocore would; shorter ones once per lifetime, never used expired.

>>> refresh_windows(900)
(225.0, 150.0)
>>> from botocore.credentials import RefreshableCredentials as Botocore
>>> refresh_windows(12 * 3600) == (  # botocore's own: 15 and 10 minutes in 1.44
...     Botocore._advisory_refresh_timeout, Botocore._mandatory_refresh_timeout)
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore.credentials import (
    CredentialResolver,
    Credentials,
    DeferredRefreshableCredentials,
    InstanceMetadataProvider,
    RefreshableCredentials,
)

from bedrock_auth._fetched import (
    PASSED_ON,
    expired_on_arrival,
    expiry_of,
    fetch_failed,
    source_name,
)
from bedrock_auth._redact import remember_secrets

__all__ = [
    "ADVISORY_CAP",
    "MANDATORY_CAP",
    "Metadata",
    "ScaledRefreshableCredentials",
    "ScalingResolver",
    "adopt",
    "refresh_windows",
]

#: What a botocore refresh function returns: access_key, secret_key, token, expiry_time (ISO).
Metadata = Mapping[str, Any]

# botocore's own windows (RefreshableCredentials' class defaults) are the caps, so a future
# botocore default is followed.
ADVISORY_CAP = float(RefreshableCredentials._advisory_refresh_timeout)
MANDATORY_CAP = float(RefreshableCredentials._mandatory_refresh_timeout)


def refresh_windows(lifetime: float) -> tuple[float, float]:
    """(advisory, mandatory): seconds before expiry at which ``lifetime``-second credentials
    are refreshed by one thread, and at which every thread waits for the refresh."""
    lifetime = max(lifetime, 0.0)
    return min(ADVISORY_CAP, lifetime / 4), min(MANDATORY_CAP, lifetime / 6)


class ScaledRefreshableCredentials(DeferredRefreshableCredentials):  # type: ignore[misc]
    """botocore's deferred refreshable credentials, windows sized at each refresh.

    Everything else is botocore's: fetched on first use, refreshed single-flight under its
    refresh lock. ``fetched`` is a fetch a provider already made (its metadata and when it
    was made): the first refresh uses it instead of fetching again. ``time_fetcher`` is
    botocore's argument (its clock when ``None``).
    """

    def __init__(
        self,
        refresh_using: Callable[[], Metadata],
        method: str,
        *,
        fetched: tuple[Metadata, datetime] | None = None,
        time_fetcher: Callable[[], datetime] | None = None,
        source: str | None = None,
    ) -> None:
        clock = {} if time_fetcher is None else {"time_fetcher": time_fetcher}
        super().__init__(refresh_using=self._fetch_and_size, method=method, **clock)
        self._fetch = refresh_using
        self._fetched = fetched
        #: How messages name where the credentials come from.
        self.source = source or source_name(method)

    def _fetch_and_size(self) -> Metadata:
        # botocore calls this with its refresh lock held: no lock of our own.
        if self._fetched is not None:
            data, fetched_at = self._fetched
            self._fetched = None
        else:
            # The clock botocore's refresh checks read (its constructor's time_fetcher).
            fetched_at = self._time_fetcher()
            data = self._fetch_typed()
        expiry = expiry_of(data, self.source)
        # Every refresh's values, not only the first, stay out of messages and tracebacks.
        remember_secrets(data.get("secret_key"), data.get("token"))
        now = self._time_fetcher()
        if expiry <= now:  # botocore would raise a bare RuntimeError for it
            raise expired_on_arrival(f"The credentials from {self.source}", now, expiry, fetched_at)
        lifetime = (expiry - fetched_at).total_seconds()
        # botocore reads the two windows from the instance at every access, and its own
        # constructor sets these attributes from advisory_timeout=/mandatory_timeout=; those
        # arguments are fixed at construction, and the lifetime is known only at each refresh.
        self._advisory_refresh_timeout, self._mandatory_refresh_timeout = refresh_windows(lifetime)
        return data

    def _fetch_typed(self) -> Metadata:
        """A fetch; an exception nobody types further on becomes one that names the source."""
        try:
            return self._fetch()
        except PASSED_ON:
            raise
        except Exception as exc:
            raise fetch_failed(exc, self.source) from exc


def adopt(credentials: Credentials | None) -> Credentials | None:
    """Credentials a botocore provider made, as :class:`ScaledRefreshableCredentials`.

    Same method name, refresh function and clock, and the credentials it already holds are
    used first (their lifetime counted from now), so adopting fetches nothing. Static
    credentials, ``None`` and credentials already scaled are returned as they are, and so are
    instance-metadata (IMDS) credentials: when IMDS is unreachable botocore extends expiring
    ones by its 15-minute window plus jitter, an expiry sized for botocore's own windows; real
    instance credentials live for hours, so scaling would change nothing but that fallback.
    """
    if (
        not isinstance(credentials, RefreshableCredentials)
        or isinstance(credentials, ScaledRefreshableCredentials)
        or credentials.method == InstanceMetadataProvider.METHOD
    ):
        return credentials
    # botocore offers no public accessor for the refresh function, nor for the held
    # credentials and expiry that does not itself refresh by the unscaled windows (the very
    # fetch this avoids): hence the private attributes, all set by RefreshableCredentials.
    fetched = None
    if not credentials.refresh_needed(0):  # it holds credentials that have not expired
        held = credentials._frozen_credentials
        metadata = {
            "access_key": held.access_key,
            "secret_key": held.secret_key,
            "token": held.token,
            "account_id": held.account_id,
            "expiry_time": credentials._expiry_time.isoformat(),
        }
        fetched = (metadata, credentials._time_fetcher())
    return ScaledRefreshableCredentials(
        credentials._refresh_using,
        credentials.method,
        fetched=fetched,
        time_fetcher=credentials._time_fetcher,
    )


class ScalingResolver(CredentialResolver):  # type: ignore[misc]
    """botocore's resolver (same providers, names and order) whose refreshable credentials
    get windows sized to their lifetime (see :func:`adopt`), and whose providers' unexpected
    exceptions name the provider that raised them (botocore's loop, written out for that)."""

    def load_credentials(self) -> Credentials | None:
        for provider in self.providers:
            try:
                credentials = provider.load()
            except PASSED_ON:
                raise
            except Exception as exc:
                raise fetch_failed(exc, source_name(provider.METHOD)) from exc
            if credentials is not None:
                return adopt(credentials)
        return None
