"""Process-wide state in one registry: what ``bedrock_auth.reset()`` empties, and what a forked
child renews.

Every module that keeps state for the whole process (a cache, a once-per-process warning, the
lock that guards either) declares it here when it is imported, so no cache can be left out of
``reset()`` or out of the fork handling:

- :func:`register` takes a module's own ``reset`` and ``after_fork`` functions;
- :class:`OnceSet` and a :class:`SingleFlightCache` given an ``owner`` register their own
  ``clear``;
- every :class:`ForkSafeLock` and :class:`SingleFlightCache` renews itself in a forked child.

Why a child renews anything: a lock another thread held at fork time stays held forever in the
child (that thread does not exist there), and so does a load in flight, whose waiters would
wait for ever. Cached values are plain data and are kept.

Hooks run in the order they were registered, which is import order: a module's hooks run after
those of the modules it imports. ``bedrock_auth.manager`` relies on it: its reset registers the
secrets of managers still in use after :mod:`bedrock_auth._redact` forgot every secret.

>>> cache: SingleFlightCache[str, int] = SingleFlightCache()
>>> cache.fetch("answer", lambda: (42, 60.0)), cache.fetch("answer", lambda: (0, 60.0))
(42, 42)
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, NamedTuple, Protocol, TypeVar

__all__ = [
    "ForkSafeLock",
    "Hooks",
    "OnceSet",
    "SingleFlightCache",
    "hooks",
    "register",
    "reset_all",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Hooks(NamedTuple):
    """What one module does on ``bedrock_auth.reset()`` and in a forked child. (A named tuple:
    the record classes loaded with the package are cheaper to define so than as dataclasses.)"""

    owner: str  # the module's __name__
    reset: Callable[[], None] | None = None
    after_fork: Callable[[], None] | None = None


class _Renewable(Protocol):
    def after_fork(self) -> None: ...


_hooks: list[Hooks] = []
# Locks and caches, module-level or held by a manager: each renews itself in a forked child.
_renewable: weakref.WeakSet[_Renewable] = weakref.WeakSet()


def register(
    owner: str,
    *,
    reset: Callable[[], None] | None = None,
    after_fork: Callable[[], None] | None = None,
) -> None:
    """Declare a module's process-wide state: ``reset`` empties it, ``after_fork`` runs in a
    forked child (after every lock and cache renewed itself)."""
    _hooks.append(Hooks(owner, reset, after_fork))


def hooks() -> tuple[Hooks, ...]:
    """Everything registered so far, in order."""
    return tuple(_hooks)


def reset_all() -> None:
    """Run every registered reset, in registration order (``bedrock_auth.reset()``)."""
    for hook in list(_hooks):
        if hook.reset is not None:
            hook.reset()


def _after_fork_in_child() -> None:
    for renewable in list(_renewable):
        renewable.after_fork()
    for hook in list(_hooks):
        if hook.after_fork is not None:
            hook.after_fork()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


class ForkSafeLock:
    """A ``threading.Lock`` that a forked child replaces with a new, free one.

    >>> lock = ForkSafeLock()
    >>> with lock:
    ...     pass
    """

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        _renewable.add(self)

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()

    def after_fork(self) -> None:
        self._lock = threading.Lock()


class OnceSet:
    """Keys seen once per process, for warnings given once (per Region, per model);
    ``bedrock_auth.reset()`` forgets them.

    ``first(key)`` is True the first time, then False until the next reset.
    """

    def __init__(self, owner: str) -> None:
        self._lock = ForkSafeLock()
        self._seen: set[Hashable] = set()
        register(owner, reset=self.clear)

    def first(self, key: Hashable) -> bool:
        """True the first time ``key`` is seen (since the last reset), False after that."""
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._seen

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class SingleFlightCache(Generic[K, V]):
    """Values by key, each kept for the seconds its load said; concurrent misses make one load.

    ``fetch(key, load)`` returns the fresh value, else calls ``load()`` (which returns the value
    and how many seconds to keep it; 0 keeps it from no later caller). Callers that miss while
    a load of the same flight runs wait for it and share its value or its exception. The lock
    is never held during a load: other keys, and other flights, never wait.

    With an ``owner`` the cache is process-wide and ``bedrock_auth.reset()`` empties it. Its
    ``repr`` shows only how many entries it holds: keys may be derived from credentials.
    """

    def __init__(self, owner: str | None = None) -> None:
        self._lock = ForkSafeLock()
        self.entries: dict[K, tuple[V, float]] = {}  # key -> (value, monotonic deadline)
        self._flights: dict[Hashable, Future[V]] = {}
        self.clock: Callable[[], float] = time.monotonic
        _renewable.add(self)
        if owner is not None:
            register(owner, reset=self.clear)

    def fetch(
        self, key: K, load: Callable[[], tuple[V, float]], *, flight: Hashable | None = None
    ) -> V:
        """The fresh value for ``key``, else ``load()``'s, loaded once per ``flight``.

        ``flight`` (``key`` when omitted) says which callers may share a load: callers that
        reach the same value by different routes (another endpoint) load on their own.
        """
        flight = key if flight is None else flight
        with self._lock:
            known = self._fresh(key)
            if known is not None:
                return known[0]
            pending = self._flights.get(flight)
            owner = pending is None
            if pending is None:
                pending = self._flights[flight] = Future()
        if not owner:
            return pending.result()
        try:
            value, seconds = load()
        except BaseException as exc:
            with self._lock:
                self._flights.pop(flight, None)
            pending.set_exception(exc)
            raise
        with self._lock:  # stored and no longer in flight in one step: no second load
            self._store(key, value, seconds)
            self._flights.pop(flight, None)
        pending.set_result(value)
        return value

    def get(self, key: K) -> V | None:
        """The fresh value for ``key``, or None."""
        with self._lock:
            known = self._fresh(key)
        return None if known is None else known[0]

    def put(self, key: K, value: V, seconds: float) -> None:
        """Keep ``value`` for ``key`` for ``seconds``."""
        with self._lock:
            self._store(key, value, seconds)

    def clear(self) -> None:
        """Forget every value (loads in flight still complete and store theirs)."""
        with self._lock:
            self.entries.clear()

    def after_fork(self) -> None:
        # The loads in flight belong to the parent's threads: a child caller loads anew.
        self._flights = {}

    def _fresh(self, key: K) -> tuple[V, float] | None:
        """The entry (value, deadline) for ``key`` while fresh; an expired one is dropped."""
        entry = self.entries.get(key)
        if entry is not None and entry[1] <= self.clock():
            del self.entries[key]
            return None
        return entry

    def _store(self, key: K, value: V, seconds: float) -> None:
        now = self.clock()
        for stale in [k for k, (_, until) in self.entries.items() if until <= now]:
            del self.entries[stale]
        self.entries[key] = (value, now + seconds)

    def __repr__(self) -> str:
        return f"<SingleFlightCache: {len(self.entries)} entries>"
