"""One AssumeRole per expiry per process, however many managers assume the same role.

Managers that assume the same role, as the same base identity, with the same AssumeRole
arguments and the same STS endpoint, share what STS returned: the first to need credentials
calls STS (the others wait for it and share its reply, or its error: single-flight per key),
and the rest reuse the reply until it is due for refresh. Each manager keeps its own botocore
refreshable credentials; only the fetch behind them is shared, so a manager's refresh lock,
windows and fork handling are unchanged.

botocore's ``AssumeRoleCredentialFetcher`` has a cache, but its key is the role and the
AssumeRole arguments only: it leaves out the base credentials, so two callers with different
base identities would share role credentials. botocore has nothing that shares fetches across
credential objects, so this small cache is written here. Its key is a digest that includes the
base credentials (never the values themselves), so a repr or a dump of it shows no secret.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from botocore.utils import parse_timestamp

from bedrock_auth._refresh import Metadata, refresh_windows
from bedrock_auth._state import SingleFlightCache

__all__ = ["SHARED_ROLES", "role_key", "shared_fetch"]


def role_key(base: Any, role_arn: str, arguments: Mapping[str, Any], sts_route: str) -> str:
    """The sharing key: base credentials (frozen), role, AssumeRole arguments, STS endpoint."""
    material = [base.access_key, base.secret_key, base.token, role_arn, sts_route, arguments]
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


#: Role credentials fetched in this process, by :func:`role_key`. Emptied by
#: ``bedrock_auth.reset()`` and when AWS rejects credentials in use.
SHARED_ROLES: SingleFlightCache[str, Metadata] = SingleFlightCache(__name__)


def shared_fetch(key: str, fetch: Callable[[], Metadata]) -> Metadata:
    """What STS last returned for ``key`` until it is due for refresh; else ``fetch()`` once
    for every caller of ``key``."""

    def load() -> tuple[Metadata, float]:
        fetched_at = _now()
        data = fetch()
        return data, _seconds_until_due(data, fetched_at)

    return SHARED_ROLES.fetch(key, load)


def _seconds_until_due(data: Metadata, fetched_at: datetime) -> float:
    """Until the advisory refresh window its own lifetime gives (see _refresh)."""
    expiry: datetime = parse_timestamp(data["expiry_time"])
    advisory, _ = refresh_windows((expiry - fetched_at).total_seconds())
    return (expiry - _now()).total_seconds() - advisory


def _now() -> datetime:
    return datetime.now(timezone.utc)
