"""Everything an error carries, as text: what the scans for planted secrets read.

A message and a formatted traceback are not all an error carries. Error reporters (Sentry,
structured loggers) serialise its ``args`` and attributes, the chained causes and contexts
and their attributes (botocore's signed ``request``, a ``JSONDecodeError``'s ``doc``), or
pickle it. :func:`texts` walks all of that; :func:`assert_no_secret` fails on any planted
secret found there.
"""

from __future__ import annotations

import contextlib
import pickle
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

_MAX_DEPTH = 10


def texts(value: Any, seen: set[int] | None = None, depth: int = 0) -> Iterator[str]:
    """Every string reachable from ``value``: args, attributes (objects' too), notes, chained
    causes and contexts, and the pickle of each exception that pickles."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > _MAX_DEPTH:
        return
    seen.add(id(value))
    if isinstance(value, str):
        yield value
    elif isinstance(value, (bytes, bytearray)):
        yield bytes(value).decode("latin-1")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts(key, seen, depth + 1)
            yield from texts(item, seen, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from texts(item, seen, depth + 1)
    else:
        if isinstance(value, BaseException):
            yield str(value)
            with contextlib.suppress(Exception):  # what an error reporter would ship
                yield pickle.dumps(value).decode("latin-1")
            for part in (value.args, value.__cause__, value.__context__):
                yield from texts(part, seen, depth + 1)
        yield from texts(getattr(value, "__dict__", None) or {}, seen, depth + 1)


def assert_no_secret(error: BaseException, secrets: Iterable[str]) -> None:
    """No secret in ``error``'s traceback, nor anywhere :func:`texts` reaches from it."""
    found = [*texts(error), "".join(traceback.format_exception(error))]
    for secret in secrets:
        leaks = [text[:200] for text in found if secret in text]
        assert not leaks, f"{secret!r} leaked into: {leaks}"
