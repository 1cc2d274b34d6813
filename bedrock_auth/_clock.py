"""What AWS's replies say about this machine's clock, so that a clock is blamed only when
measured.

Credentials that arrive already expired have two usual causes: this machine's clock is ahead
of AWS's, or the credentials expired in transit (2-second role credentials on a loaded
machine, a slow ``credential_process``). Only a measurement tells them apart. botocore
measures the skew from a reply's ``Date`` header (for its retry TTL) but does not keep it; the
library does the same for the credential services' replies (STS, SSO), through botocore's
``before-call`` and ``after-call`` events, and keeps the recent measurements here,
process-wide: the clock is the machine's, not a manager's.

A ``Date`` header is AWS's time when it answered, in whole seconds. Read against this clock
when the request left (botocore's ``before-call``) and when the reply arrived, it bounds AWS's
clock minus this one: at least ``Date - arrived`` (the reply took time to arrive), at most
``Date + 1 s - sent`` (the request took time to get there, and the header is rounded down).
Time in transit widens the bounds but never moves the truth outside them, so a reply held up
on a loaded machine cannot make a right clock look wrong. Across recent replies the tightest
bounds are kept.

>>> span(42.4), span(3 * 3600 + 125)
('42 s', '3 h 2 min')
"""

from __future__ import annotations

import math
import time
from collections import deque
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any

from bedrock_auth._state import ForkSafeLock, register

__all__ = ["CLOCK_FIX", "aws_minus_local", "note_sent", "observe_reply", "span", "watch"]

#: How to put a clock right, for messages that blame it.
CLOCK_FIX = (
    "Fix: sync the clock with NTP: `sudo timedatectl set-ntp true` or `sudo chronyc makestep` "
    "(Linux), Date & Time > Set time automatically (macOS), `w32tm /resync` (Windows), "
    "`sudo hwclock -s` (WSL after sleep). A container has its host's clock."
)

# Measurements older than this are forgotten: a clock can be put right while a process runs.
_KEPT_SECONDS = 600.0
_KEPT_COUNT = 64
# The credential services, by botocore's event name (``after-call.<service id>``).
_SERVICES = ("sts", "sso")


class _Measurements:
    """The recent (monotonic time, at least, at most) bounds of AWS's clock minus this one;
    repr: the count."""

    def __init__(self) -> None:
        self._lock = ForkSafeLock()
        self._seen: deque[tuple[float, float, float]] = deque(maxlen=_KEPT_COUNT)

    def add(self, least: float, most: float) -> None:
        with self._lock:
            self._seen.append((time.monotonic(), least, most))

    def bounds(self) -> tuple[float, float] | None:
        since = time.monotonic() - _KEPT_SECONDS
        with self._lock:
            recent = [(least, most) for when, least, most in self._seen if when >= since]
        if not recent:
            return None
        return max(least for least, _ in recent), min(most for _, most in recent)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def __repr__(self) -> str:
        return f"<{len(self._seen)} clock measurements>"


_measured = _Measurements()
register(__name__, reset=_measured.clear)
# Where a call's context keeps the time its request left.
_SENT = "bedrock_auth_clock_sent"


def note_sent(context: Any = None, **_: Any) -> None:
    """botocore ``before-call`` handler: when the request leaves, by this clock."""
    if isinstance(context, dict):
        context[_SENT] = time.time()


def observe_reply(http_response: Any = None, context: Any = None, **_: Any) -> None:
    """botocore ``after-call`` handler: bound this clock against the reply's ``Date``."""
    headers = getattr(http_response, "headers", None)
    date = headers.get("Date") if headers is not None else None
    if not date:
        return
    try:
        server = parsedate_to_datetime(str(date))
    except (TypeError, ValueError):
        return  # a proxy's odd header tells nothing
    if server.tzinfo is None:  # "-0000": UTC, by RFC 5322
        server = server.replace(tzinfo=timezone.utc)
    answered = server.timestamp()
    sent = context.get(_SENT) if isinstance(context, dict) else None
    most = answered + 1 - sent if isinstance(sent, float) else math.inf
    _measured.add(answered - time.time(), most)


def watch(session: Any) -> None:
    """Measure the clock on every STS and SSO reply of clients ``session`` creates from now on."""
    for service in _SERVICES:
        for event, handler in (("before-call", note_sent), ("after-call", observe_reply)):
            name = f"{event}.{service}"
            session.register(name, handler, unique_id=f"bedrock-auth-clock-{name}")


def aws_minus_local() -> tuple[float, float] | None:
    """(at least, at most) seconds AWS's clock is ahead of this one (negative: behind), from
    the replies of the last ten minutes; ``None`` before any. At most is ``inf`` when no
    request's departure was seen."""
    return _measured.bounds()


def span(seconds: float) -> str:
    """A clock difference as people say it: the Date header has whole seconds, and the reply
    took time to arrive, so past two minutes the seconds are noise."""
    if seconds < 120:
        return f"{round(seconds)} s"
    hours, minutes = divmod(round(seconds / 60), 60)
    return " ".join(f"{n} {unit}" for n, unit in ((hours, "h"), (minutes, "min")) if n)
