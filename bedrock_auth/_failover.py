"""Region failover: which regions a call tries, and the one loop that tries them.

Shared by the invoke helpers and the LangChain models of :func:`~bedrock_auth.get_llm`, so both
choose regions and fail over the same way: to the next region only when botocore's own retries
end in throttling, unavailability or an unreachable endpoint (``FAILOVER_ERRORS``); never on
auth, access, model or input errors, which another region would only repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from bedrock_auth.errors import FAILOVER_ERRORS, BedrockAuthError, ConfigurationError
from bedrock_auth.regions import check_region

if TYPE_CHECKING:
    from bedrock_auth.manager import BedrockClientManager

logger = logging.getLogger("bedrock_auth")

T = TypeVar("T")


def region_names(regions: Sequence[str], name: str) -> tuple[str, ...]:
    """``regions`` checked one by one; a bare string is refused (it would be split into letters)."""
    if isinstance(regions, str):
        raise ConfigurationError(
            f"{name}={regions!r} is a string. Accepted: a list of region names, "
            f"e.g. {name}=[{regions!r}]."
        )
    for region in regions:
        check_region(region, name)
    return tuple(regions)


def regions_to_try(
    manager: BedrockClientManager, region: str | None, fallback_regions: Sequence[str] | None
) -> list[str]:
    """``region`` (default: the manager's), then ``fallback_regions``, duplicates dropped.

    ``fallback_regions=None`` takes the manager's ``settings.fallback_regions`` (its own
    ``fallback_regions=`` or ``BEDROCK_FALLBACK_REGIONS``); ``[]`` means no failover at all.
    """
    if region is not None:
        check_region(region)
    extra = (
        manager.settings.fallback_regions
        if fallback_regions is None
        else region_names(fallback_regions, "fallback_regions")
    )
    return list(dict.fromkeys([region or manager.region, *extra]))


class _Failover:
    """One run of the failover loop: the regions to try, what each returned, what to raise.

    The sync and async loops below differ only in how they run an attempt; which errors move
    on, what is logged and the final error all live here.
    """

    def __init__(self, regions: Sequence[str], what: str) -> None:
        self.regions = regions
        self.what = what
        self.failures: list[tuple[str, BedrockAuthError]] = []

    def failed(self, region: str, error: BedrockAuthError) -> None:
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

    def error(self) -> BedrockAuthError:
        """What to raise once every region failed: the one error, or a summary of each."""
        if len(self.failures) == 1:
            return self.failures[0][1]
        last = self.failures[-1][1]
        summary = "\n".join(
            f"  {r}: {type(e).__name__}: {str(e).splitlines()[0]}" for r, e in self.failures
        )
        error = type(last)(f"{self.what} failed in every region tried:\n{summary}")
        error.__cause__ = last
        return error


def with_failover(regions: Sequence[str], call: Callable[[str], T], what: str) -> T:
    """Run ``call(region)`` in each region until one succeeds or fails for a non-capacity reason.

    Each move is logged as a warning; when every region fails, the error lists what each one
    returned.
    """
    run = _Failover(regions, what)
    for region in regions:
        try:
            return call(region)
        except FAILOVER_ERRORS as error:
            run.failed(region, error)
    raise run.error()


async def awith_failover(
    regions: Sequence[str], call: Callable[[str], Awaitable[T]], what: str
) -> T:
    """:func:`with_failover` for attempts that are awaited: the same rules, logs and errors."""
    run = _Failover(regions, what)
    for region in regions:
        try:
            return await call(region)
        except FAILOVER_ERRORS as error:
            run.failed(region, error)
    raise run.error()
