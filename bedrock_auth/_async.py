"""Blocking botocore work run for the event loop on the manager's own executor.

botocore is synchronous, and its credential refresh (STS, SSO, a ``credential_process``) runs
inside the call that needs it, so every call, stream read and refresh happens on a thread of
:meth:`BedrockClientManager.executor`, never on the loop. That executor has one thread per
pooled connection; the loop's default executor (``min(32, cpus + 4)`` threads) would cap
concurrency far below it.
"""

from __future__ import annotations

# asyncio is imported inside the coroutines below, not here: they only run on a loop, which
# has loaded it already, and the sync helpers that import this module are spared its import
# (~17 ms of a cold start).
import concurrent.futures
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Generic, ParamSpec, TypeVar

if TYPE_CHECKING:
    from typing_extensions import Self

    from bedrock_auth.manager import BedrockClientManager

T = TypeVar("T")
P = ParamSpec("P")


def _submit(
    manager: BedrockClientManager, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> concurrent.futures.Future[T]:
    # The caller's context goes along, as asyncio.to_thread does: tracing and callback
    # context variables (LangChain's, OpenTelemetry's) stay visible inside the call.
    call = functools.partial(func, *args, **kwargs)
    return manager.executor().submit(contextvars.copy_context().run, call)


async def offload(
    manager: BedrockClientManager, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """``func(*args, **kwargs)`` on the manager's executor, awaited without blocking the loop."""
    import asyncio

    return await asyncio.wrap_future(_submit(manager, func, *args, **kwargs))


class ExecutorIterator(Generic[T]):
    """A blocking iterator read for the loop, one ``next()`` per ``await`` on the executor.

    ``close`` releases what the iterator holds (its HTTP connection). It is never run while a
    ``next()`` is in flight on another thread (botocore's stream parser is not thread-safe), but
    right after it: so a task cancelled mid-read gives its connection back as soon as the
    read returns, without blocking the loop. A cancelled read loses the item it was reading,
    so cancellation closes the iterator.
    """

    def __init__(
        self, manager: BedrockClientManager, items: Iterator[T], close: Callable[[], None]
    ) -> None:
        self._manager = manager
        self._items = items
        self._close = close
        self._reading: concurrent.futures.Future[T | None] | None = None
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        import asyncio

        if self._closed:
            raise StopAsyncIteration
        # None marks the end: no iterator read here yields None (deltas and chunks never are).
        self._reading = _submit(self._manager, next, self._items, None)
        try:
            item = await asyncio.wrap_future(self._reading)
        except asyncio.CancelledError:
            self.close()
            raise
        if item is None:
            self._closed = True
            raise StopAsyncIteration
        return item

    def close(self) -> None:
        """Release the iterator now, or right after the read in flight; safe to repeat."""
        if self._closed:
            return
        self._closed = True
        reading = self._reading
        if reading is None or reading.done():
            self._close()
        else:
            # Runs on the reading thread once next() returns (or at once if it was cancelled
            # before starting).
            reading.add_done_callback(lambda _: self._close())
