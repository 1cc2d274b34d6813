"""The failover loop: a call, or a stream that has yielded nothing yet, moves on to the next
region when it fails for capacity or reachability (``FAILOVER_ERRORS``, or the SDK classes a
caller names), never on auth, access, model or input errors, which another region would only
repeat.

One home for every caller: the helpers' calls (:mod:`._calls`), and the LangChain models of
:func:`~bedrock_auth.get_llm` on bedrock-runtime and bedrock-mantle. Sync and async loops
share what they log and raise (:class:`_Failover`).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from bedrock_auth.errors import FAILOVER_ERRORS, BedrockAuthError

__all__ = [
    "Retryable",
    "astream_with_failover",
    "awith_failover",
    "by_region",
    "stream_with_failover",
    "with_failover",
]

logger = logging.getLogger("bedrock_auth")

T = TypeVar("T")
#: The loop's region names: checked Regions, or the regions of get_llm's models.
K = TypeVar("K", bound=str)


class _FailsOver(Protocol):
    _fallbacks: list[Any]


F = TypeVar("F", bound=_FailsOver)


class _Failover:
    """One run of the failover loop: the regions to try, what each returned, what to raise.

    The sync and async loops below differ only in how they run an attempt; which errors move
    on, what is logged and the final error all live here.
    """

    def __init__(self, regions: Sequence[str], what: str) -> None:
        self.regions = regions
        self.what = what
        self.failures: list[tuple[str, BaseException]] = []

    def failed(self, region: str, error: BaseException) -> None:
        """Record a capacity failure in ``region`` and log the move to the next one, if any."""
        self.failures.append((region, error))
        index = len(self.failures)
        if index < len(self.regions):
            logger.warning(
                "%s failed in %s (%s); failing over to %s",
                self.what,
                region,
                type(error).__name__,
                self.regions[index],
            )

    def error(self) -> BaseException:
        """What to raise once every region failed: the one error, or a summary of each.

        An SDK's error (a Mantle model's) is raised as it is: its class needs the response to
        be built again, and callers catch it by that class."""
        last = self.failures[-1][1]
        if len(self.failures) == 1 or not isinstance(last, BedrockAuthError):
            return last
        summary = "\n".join(
            f"  {r}: {type(e).__name__}: {str(e).splitlines()[0]}" for r, e in self.failures
        )
        error = type(last)(f"{self.what} failed in every region tried:\n{summary}")
        error.__cause__ = last
        return error


#: The errors a call fails over on, unless its caller names others (an SDK's own classes).
Retryable = tuple[type[BaseException], ...]


def with_failover(
    regions: Sequence[K], call: Callable[[K], T], what: str, on: Retryable = FAILOVER_ERRORS
) -> T:
    """Run ``call(region)`` in each region until one succeeds or fails for a non-capacity reason
    (an error not in ``on``).

    Each move is logged as a warning; when every region fails, the error lists what each one
    returned.
    """
    run = _Failover(regions, what)
    for region in regions:
        try:
            return call(region)
        except on as error:
            run.failed(region, error)
    raise run.error()


async def awith_failover(
    regions: Sequence[K],
    call: Callable[[K], Awaitable[T]],
    what: str,
    on: Retryable = FAILOVER_ERRORS,
) -> T:
    """:func:`with_failover` for attempts that are awaited: the same rules, logs and errors."""
    run = _Failover(regions, what)
    for region in regions:
        try:
            return await call(region)
        except on as error:
            run.failed(region, error)
    raise run.error()


def stream_with_failover(
    regions: Sequence[K],
    stream: Callable[[K], Iterator[T]],
    what: str,
    on: Retryable = FAILOVER_ERRORS,
) -> Iterator[T]:
    """The items of ``stream(region)`` from the first region whose stream starts: one that
    fails before its first item (nothing has reached the caller yet) moves on as a call does;
    a failure after it is the caller's. Items are never None."""

    def started(region: K) -> tuple[T | None, Iterator[T]]:
        items = stream(region)
        return next(items, None), items

    first, rest = with_failover(regions, started, what, on)
    try:
        if first is not None:
            yield first
        yield from rest
    finally:
        close = getattr(rest, "close", None)  # a generator's HTTP stream, if left early
        if close is not None:
            close()


async def astream_with_failover(
    regions: Sequence[K],
    stream: Callable[[K], AsyncIterator[T]],
    what: str,
    on: Retryable = FAILOVER_ERRORS,
) -> AsyncIterator[T]:
    """:func:`stream_with_failover` for async streams (read on the loop, as their SDK does)."""

    async def started(region: K) -> tuple[T | None, AsyncIterator[T]]:
        items = stream(region)
        return await anext(items, None), items

    first, rest = await awith_failover(regions, started, what, on)
    try:
        if first is not None:
            yield first
        async for item in rest:
            yield item
    finally:
        close = getattr(rest, "aclose", None)  # an async generator's HTTP stream, if left early
        if close is not None:
            await close()


def by_region(model: F, region: Callable[[F], str]) -> dict[str, F]:
    """A LangChain model and its ``_fallbacks`` (the same model in other regions) by region.

    ``model`` takes part as a copy without fallbacks, so the calls LangChain makes back into
    the model (``_generate`` streaming through ``_stream``) stay in their region instead of
    failing over twice.
    """
    if not model._fallbacks:
        return {region(model): model}
    alone = copy.copy(model)
    alone._fallbacks = []
    return {region(each): each for each in (alone, *model._fallbacks)}
