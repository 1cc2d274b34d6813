"""One AssumeRole per expiry per process, however many managers assume the same role.

Managers that assume the same role, as the same base identity, with the same AssumeRole
arguments and the same STS endpoint, share what STS returned: the first to need credentials
calls STS (the others wait for it: single-flight per key), and the rest reuse the reply until
it is due for refresh. Each manager keeps its own botocore refreshable credentials; only the
fetch behind them is shared, so a manager's refresh lock, windows and fork handling are
unchanged.

botocore's ``AssumeRoleCredentialFetcher`` has a cache, but its key is the role and the
AssumeRole arguments only: it leaves out the base credentials, so two callers with different
base identities would share role credentials. botocore has nothing that shares fetches across
credential objects, so this small cache is written here. Its key is a digest that includes the
base credentials (never the values themselves), so a repr or a dump of it shows no secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from botocore.utils import parse_timestamp

from bedrock_auth._refresh import Metadata, refresh_windows

__all__ = ["SHARED_ROLES", "SharedRoleFetches", "role_key"]


def role_key(base: Any, role_arn: str, arguments: Mapping[str, Any], sts_route: str) -> str:
    """The sharing key: base credentials (frozen), role, AssumeRole arguments, STS endpoint."""
    material = [base.access_key, base.secret_key, base.token, role_arn, sts_route, arguments]
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class _Entry:
    data: Metadata
    fetched_at: datetime

    def fresh_at(self, now: datetime) -> bool:
        """Not yet due for refresh by the windows its own lifetime gives (see _refresh)."""
        expiry: datetime = parse_timestamp(self.data["expiry_time"])
        advisory, _ = refresh_windows((expiry - self.fetched_at).total_seconds())
        return (expiry - now).total_seconds() > advisory


class SharedRoleFetches:
    """Role credentials fetched in this process, by :func:`role_key`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the two dicts only; never held during a fetch
        self._entries: dict[str, _Entry] = {}
        self._flights: dict[str, threading.Lock] = {}

    def fetch(self, key: str, fetch: Callable[[], Metadata]) -> Metadata:
        """What STS last returned for ``key`` while fresh; else ``fetch()`` once for all."""
        entry = self._fresh(key)
        if entry is not None:
            return entry.data
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # one key's callers wait for its one fetch; other keys do not
            entry = self._fresh(key)
            if entry is not None:
                return entry.data
            fetched_at = _now()
            data = fetch()
            with self._lock:
                self._prune(fetched_at)
                self._entries[key] = _Entry(data, fetched_at)
            return data

    def _fresh(self, key: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
        return entry if entry is not None and entry.fresh_at(_now()) else None

    def _prune(self, now: datetime) -> None:
        for key in [k for k, e in self._entries.items() if not e.fresh_at(now)]:
            del self._entries[key]
            self._flights.pop(key, None)

    def clear(self) -> None:
        """Forget every shared reply (``reset()``, and AWS rejecting credentials in use)."""
        with self._lock:
            self._entries.clear()

    def after_fork(self) -> None:
        # Another thread may have held a lock at fork time; the replies are plain data.
        self._lock = threading.Lock()
        self._flights = {}

    def __repr__(self) -> str:
        return f"SharedRoleFetches({len(self._entries)} role credential(s))"


def _now() -> datetime:
    return datetime.now(timezone.utc)


#: The process's one cache.
SHARED_ROLES = SharedRoleFetches()

if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=SHARED_ROLES.after_fork)
