"""Credentials as a source hands them over: checked, and every failure typed and named.

botocore trusts what a credential source returns. A ``credential_process`` that prints
``"AccessKeyId": null`` fails much later, inside the signing of some call, as a bare
``TypeError``; a garbled ``Expiration`` as a ``ValueError``; a token file that is not there
as a ``FileNotFoundError``; an expiry in the past as botocore's ``RuntimeError`` "refreshed
credentials are still expired". Here every fetch is checked where it arrives
(:func:`checked`), an unexpected exception from a source becomes a
:class:`~bedrock_auth.errors.CredentialsNotFoundError` naming that source
(:func:`fetch_failed`), and credentials that arrive expired are told apart as a clock that is
ahead or credentials that expired in transit, by what AWS's replies measured
(:func:`expired_on_arrival`, :mod:`bedrock_auth._clock`).

Errors botocore raises itself (:data:`PASSED_ON`: an STS refusal, an SSO token that expired,
an unreachable endpoint) pass through unchanged: the error translation names them with the
call's context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.utils import parse_timestamp

from bedrock_auth._clock import CLOCK_FIX, aws_minus_local, span
from bedrock_auth._redact import redact
from bedrock_auth.errors import (
    BedrockAuthError,
    ClockSkewError,
    CredentialsNotFoundError,
    ExpiredCredentialsError,
)

__all__ = [
    "PASSED_ON",
    "checked",
    "expired_on_arrival",
    "expiry_of",
    "fetch_failed",
    "source_name",
]

#: Errors that are typed elsewhere, with the context of the call: passed on as they are.
PASSED_ON = (BedrockAuthError, BotoCoreError, ClientError)

# botocore's refresh metadata keys, by the names AWS gives them (STS, credential_process and
# container endpoints all say AccessKeyId, ...), and whether the source must give one.
_FIELDS = (
    ("access_key", "AccessKeyId", True),
    ("secret_key", "SecretAccessKey", True),
    ("token", "SessionToken", False),
)
_FORMAT_FIX = (
    "the source must give AccessKeyId and SecretAccessKey as non-empty strings, and "
    "optionally SessionToken and an ISO 8601 Expiration with a time zone"
)
# Below this, a clock difference measured from Date headers is transit time and rounding.
_CLOCK_TOLERANCE = 5.0


def source_name(method: str) -> str:
    """How messages name a source by its method: the word ``credential_source`` reports
    (botocore's provider names; their descriptions are :data:`bedrock_auth.sources.SOURCE_NAMES`,
    which imports this module's users)."""
    return f"the {method} credential source"


def _json_kind(value: Any) -> str:
    """What a value is, in JSON's words, never the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "empty"
    return "a list" if isinstance(value, (list, tuple)) else f"a {type(value).__name__}"


def checked(data: Mapping[str, Any], source: str, fix: str = _FORMAT_FIX) -> datetime | None:
    """Check a fetch's values (botocore's refresh metadata); return its expiry, if any.

    Raises :class:`CredentialsNotFoundError` "``source`` gave an AccessKeyId that is null",
    naming the field and what it was, never its value.
    """
    for key, name, required in _FIELDS:
        value = data.get(key)
        if value is None and not required:
            continue
        if not isinstance(value, str) or not value.strip():
            article = "an" if name[0] in "AEIOU" else "a"
            raise _bad(source, f"gave {article} {name} that is {_json_kind(value)}", fix)
    return _expiry(data.get("expiry_time"), source, fix)


def expiry_of(data: Mapping[str, Any], source: str) -> datetime:
    """:func:`checked` for a refresh, which must give an expiry (botocore refreshes by it)."""
    expiry = checked(data, source)
    if expiry is None:
        what = "gave no Expiration, though its earlier credentials had one"
        raise _bad(source, what, _FORMAT_FIX)
    return expiry


def _expiry(value: Any, source: str, fix: str) -> datetime | None:
    if value is None:
        return None
    parsed: datetime | None = None
    if isinstance(value, str):
        # Raised below, outside this block: the parser's error would be chained to ours.
        with contextlib.suppress(ValueError):
            parsed = parse_timestamp(value)
    if parsed is None or parsed.tzinfo is None:
        shown = "without a time zone" if parsed is not None else "that is not a timestamp"
        raise _bad(source, f"gave an Expiration {shown} (e.g. 2030-01-01T00:00:00Z)", fix)
    return parsed


def _bad(source: str, what: str, fix: str) -> CredentialsNotFoundError:
    return CredentialsNotFoundError(f"{source} {what}.\nFix: {fix}.")


def fetch_failed(exc: BaseException, source: str) -> CredentialsNotFoundError:
    """The typed error for ``source`` failing with ``exc``; raise it ``from exc``."""
    if isinstance(exc, OSError) and exc.filename:
        what = f"the file {exc.filename} could not be read ({exc.strerror or type(exc).__name__})"
        fix = (
            "check that the file exists and that this process may read it; a token file "
            "mounted into a pod or container (AWS_WEB_IDENTITY_TOKEN_FILE, "
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) exists only where it is mounted"
        )
    else:
        what = f"{type(exc).__name__}: {redact(str(exc)) or 'no message'}"
        fix = f"this failed on this machine, not at AWS: check the source's set-up; {_FORMAT_FIX}"
    return CredentialsNotFoundError(
        f"Credentials from {source} could not be fetched: {what}.\nFix: {fix}."
    )


def expired_on_arrival(
    credentials: str,
    now: datetime,
    expiry: datetime | None = None,
    fetched_at: datetime | None = None,
) -> BedrockAuthError:
    """Why ``credentials`` ("The credentials from ...") had expired by ``now``, on arrival.

    A :class:`ClockSkewError` only when AWS's replies measured this clock ahead of AWS's by
    more than a few seconds and the credentials are still valid by AWS's time; otherwise an
    :class:`ExpiredCredentialsError` saying what is known: how long the fetch took, and
    whether the clock was measured.
    """
    bounds = aws_minus_local()
    # Expired before they were even asked for: the source hands out stale credentials.
    stale = expiry is not None and fetched_at is not None and expiry <= fetched_at
    if (
        bounds is not None
        and bounds[1] < -_CLOCK_TOLERANCE  # ahead, however long the replies took
        and (expiry is None or expiry.timestamp() > now.timestamp() + bounds[1])
    ):
        stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return ClockSkewError(
            f"{credentials} were already expired when they arrived, by this machine's clock "
            f"({stamp}), but not by AWS's: AWS's replies put this machine's clock about "
            f"{span(-sum(bounds) / 2)} ahead of AWS's.\n{CLOCK_FIX}"
        )
    cause = _cause(bounds[0] if bounds else None, stale)
    return ExpiredCredentialsError(
        f"{credentials} had expired by the time they arrived{_timing(now, expiry, fetched_at)}"
        f".\n{cause}\nFix: ask for credentials that live longer (a role's "
        "duration_seconds= or DurationSeconds, 900 s or more; a credential_process's "
        "Expiration) or fetch them where the machine is less loaded; then retry."
    )


def _timing(now: datetime, expiry: datetime | None, fetched_at: datetime | None) -> str:
    if expiry is None or fetched_at is None:
        return ""
    left, took = (expiry - fetched_at).total_seconds(), (now - fetched_at).total_seconds()
    if left <= 0:
        stamp = expiry.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        ago = f"{_seconds(-left)} " if -left < 86400 else ""
        return f": they expired at {stamp}, {ago}before the fetch began"
    lived = f"they had {_seconds(left)} to live when the fetch began"
    return f": {lived}, and the fetch took {_seconds(took)}"


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else span(value)


def _cause(least: float | None, stale: bool) -> str:
    """``least``: AWS's clock minus this one is at least this (from recent replies)."""
    if least is not None:
        why = (
            "The source handed out credentials that had already expired."
            if stale
            else "They expired in transit: they live too briefly for how long fetching them "
            "takes here (a loaded machine, a slow network or credential source)."
        )
        return (
            "This machine's clock is not the cause: AWS's replies show it is not ahead of "
            f"AWS's by more than {span(max(-least, 0.0) + 1)}. {why}"
        )
    return (
        "No reply from AWS has measured this machine's clock yet. Either they expired in "
        "transit (they live too briefly for how long fetching them takes here), or the "
        "source hands out expired credentials, or this machine's clock is ahead of AWS's "
        "(check it: `date -u` against https://time.is/UTC)."
    )
