"""Refresh windows sized to the lifetime, on botocore's own refreshable credentials.

A fake clock is botocore's ``time_fetcher`` argument; the refresh functions count their calls.
The chain tests (``tests/chain/test_refresh.py``) check the same over real sockets and threads.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.credentials import Credentials, RefreshableCredentials
from installed_botocore import ADVISORY_WINDOW, MANDATORY_WINDOW

from bedrock_auth._refresh import (
    ScaledRefreshableCredentials,
    ScalingResolver,
    adopt,
    refresh_windows,
)
from bedrock_auth.credentials import ResolvedProvider

START = datetime(2030, 1, 1, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Issuer:
    """A refresh function handing out ``lifetime``-second credentials, numbered."""

    def __init__(self, clock: Clock, lifetime: float) -> None:
        self.clock, self.lifetime, self.calls = clock, lifetime, 0

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        expiry = self.clock() + timedelta(seconds=self.lifetime)
        return {"access_key": f"AKIA{self.calls:016d}", "secret_key": "s" * 40,
                "token": f"token-{self.calls}", "expiry_time": expiry.isoformat()}


def capped(advisory: float, mandatory: float) -> tuple[float, float]:
    """Windows capped at the installed botocore's own (15 and 10 minutes in 1.44)."""
    return min(ADVISORY_WINDOW, advisory), min(MANDATORY_WINDOW, mandatory)


@pytest.mark.parametrize(("lifetime", "windows"), [
    (900, capped(225, 150)),
    (600, capped(150, 100)),
    (3600, capped(900, 600)),
    (12 * 3600, capped(3 * 3600, 2 * 3600)),
    (-5, (0, 0)),
])
def test_windows_are_a_quarter_and_a_sixth_capped_at_botocores(
        lifetime: float, windows: tuple[float, float]) -> None:
    assert refresh_windows(lifetime) == windows


def test_each_refresh_sizes_the_windows_to_its_own_lifetime() -> None:
    clock = Clock()
    lifetimes = iter([900, 3 * 3600])
    issuer = Issuer(clock, 0)

    def refresh() -> dict[str, str]:
        issuer.lifetime = next(lifetimes)
        return issuer()

    credentials = ScaledRefreshableCredentials(refresh, "assume-role", time_fetcher=clock)
    assert credentials.get_frozen_credentials().access_key == "AKIA0000000000000001"
    assert credentials.refresh_needed() is False
    clock.advance(900 - capped(225, 150)[0])  # refreshed once less than the window is left
    assert credentials.refresh_needed() is False
    clock.advance(1)
    assert credentials.refresh_needed() is True
    assert credentials.get_frozen_credentials().access_key == "AKIA0000000000000002"
    clock.advance(3 * 3600 - capped(2700, 1800)[0])  # 3-hour credentials: botocore's window
    assert credentials.refresh_needed() is False
    clock.advance(1)
    assert credentials.refresh_needed() is True


def _botocore_credentials(clock: Clock, issuer: Issuer, method: str) -> RefreshableCredentials:
    """Credentials as botocore's container or process provider returns them: fetched."""
    first = issuer()
    return RefreshableCredentials(
        first["access_key"], first["secret_key"], first["token"],
        datetime.fromisoformat(first["expiry_time"]), issuer, method, time_fetcher=clock)


def test_adopted_credentials_keep_what_botocore_fetched() -> None:
    clock = Clock()
    issuer = Issuer(clock, 600)
    original = _botocore_credentials(clock, issuer, "container-role")
    adopted = adopt(original)
    assert isinstance(adopted, ScaledRefreshableCredentials)
    assert adopted.method == "container-role"
    assert adopted.get_frozen_credentials().access_key == "AKIA0000000000000001"
    assert issuer.calls == 1  # botocore's own windows would have fetched again: 10 < 15 min
    clock.advance(600 - capped(150, 100)[0] + 1)
    assert adopted.get_frozen_credentials().access_key == "AKIA0000000000000002"


def test_adopting_expired_credentials_fetches_on_first_use() -> None:
    """botocore's login provider hands out its cached credentials even when expired."""
    clock = Clock()
    issuer = Issuer(clock, 600)
    original = _botocore_credentials(clock, issuer, "login")
    clock.advance(601)
    adopted = adopt(original)
    assert adopted is not None
    assert adopted.get_frozen_credentials().access_key == "AKIA0000000000000002"


def test_static_imds_and_scaled_credentials_are_left_alone() -> None:
    clock = Clock()
    static = Credentials("AKIASTATIC0000000001", "s" * 40)
    imds = _botocore_credentials(clock, Issuer(clock, 600), "iam-role")
    scaled = ScaledRefreshableCredentials(Issuer(clock, 600), "custom")
    for credentials in (None, static, imds, scaled):
        assert adopt(credentials) is credentials


def test_scaling_resolver_adopts_what_its_providers_return() -> None:
    clock = Clock()
    original = _botocore_credentials(clock, Issuer(clock, 600), "container-role")
    resolver = ScalingResolver([ResolvedProvider("container-role", original)])
    assert isinstance(resolver.load_credentials(), ScaledRefreshableCredentials)
    assert [p.METHOD for p in resolver.providers] == ["container-role"]
