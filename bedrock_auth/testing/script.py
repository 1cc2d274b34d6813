"""What a test scripts into the emulator (replies) and what it records (requests).

Faults live in :mod:`.faults`.

Everything here is shared between the test thread and the server's handler threads, so each
container guards its state with a lock and hands out copies.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from . import ids
from .auth import fingerprint

#: How generated Converse tool-use ids start, as on Bedrock.
TOOL_USE_ID_PREFIX = "tooluse_"

T = TypeVar("T")


@dataclass(frozen=True)
class ToolUse:
    """A tool call the emulated model makes."""

    name: str
    input: Mapping[str, Any]
    tool_use_id: str = field(default_factory=lambda: ids.current().tool_use_id(TOOL_USE_ID_PREFIX))


@dataclass(frozen=True)
class Citation:
    """A knowledge-base source an agent reply cites (InvokeAgent ``attribution``)."""

    uri: str
    text: str = ""


@dataclass(frozen=True)
class Reply:
    """One scripted model answer; ``model`` limits it to calls for that model (or agent id)."""

    text: str | None = None
    tool_use: ToolUse | None = None
    stop_reason: str | None = None
    model: str | None = None
    citations: tuple[Citation, ...] = ()


@dataclass
class RecordedRequest:
    """One request the emulator received, with every secret masked.

    ``service`` is the API the route belongs to (``bedrock-runtime``, ``bedrock-agent-runtime``,
    ``bedrock``, ``bedrock-mantle``, ``sts``); ``signing_service`` is the service named in the
    SigV4 credential scope (``bedrock`` for the three Bedrock APIs, ``bedrock-mantle`` for
    Mantle, ``sts`` for STS).

    Masked as ``***``: the Authorization signature or bearer token, and the value of every
    header, query or form field and JSON key (at any depth) whose name says secret, token,
    password, API key, external id or token code (``X-Amz-Security-Token``, ``TokenCode``,
    ``ExternalId``, ``WebIdentityToken``, ``apiKey``, ...). :meth:`sent` checks what a masked
    field held without keeping it.
    """

    method: str
    path: str
    service: str | None
    operation: str | None
    model_id: str | None
    region: str
    signing_service: str | None
    auth_scheme: str
    access_key_id: str | None
    headers: dict[str, str]
    body: Any
    query: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    error_code: str | None = None
    timestamp: float = field(default_factory=time.time)
    masked: dict[str, str] = field(default_factory=dict, repr=False)

    def sent(self, where: str, value: str) -> bool:
        """Did the masked field at ``where`` hold ``value``? ``where`` is the section and the
        name: ``"body.ExternalId"``, ``"body.TokenCode"``, ``"headers.x-amz-security-token"``,
        ``"headers.authorization"`` (the bearer token or SigV4 signature),
        ``"query.X-Amz-Signature"``, ``"body.additionalModelRequestFields.apiKey"``."""
        return self.masked.get(where) == fingerprint(value)


def model_matches(wanted: str | None, model_id: str | None, resolved: str | None) -> bool:
    """Does a reply/fault scoped to ``wanted`` apply to a call for ``model_id``?

    Matches the id as sent, the id behind an application inference profile (``resolved``),
    and a geo-prefixed profile id (``us.x`` matches ``x``).
    """
    if wanted is None:
        return True
    candidates = {c for c in (model_id, resolved) if c}
    return any(
        c == wanted or c.endswith(f".{wanted}") or c.endswith(f"/{wanted}") for c in candidates
    )


@dataclass(frozen=True)
class CallKey:
    """What a reply or fault is matched against."""

    service: str | None
    operation: str | None
    region: str
    model_id: str | None = None
    resolved_model: str | None = None
    streaming: bool = False


class Shared(Generic[T]):
    """A list shared between the test thread and the handler threads: each access is locked,
    and what is read is a copy."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[T] = []

    def append(self, item: T) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[T]:
        """Every item, oldest first."""
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Script(Shared[Reply]):
    """Queued replies (:meth:`append`; :meth:`snapshot`: those not yet taken), consumed by the
    handler threads."""

    def take_reply(self, key: CallKey) -> Reply | None:
        """Pop the first queued reply that applies to this call (FIFO)."""
        with self._lock:
            for i, reply in enumerate(self._items):
                if model_matches(reply.model, key.model_id, key.resolved_model):
                    return self._items.pop(i)
        return None


class RequestLog(Shared[RecordedRequest]):
    """Append-only record of what the emulator received."""
