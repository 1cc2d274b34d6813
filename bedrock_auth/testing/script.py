"""What a test scripts into the emulator (replies, faults) and what it records (requests).

Everything here is shared between the test thread and the server's handler threads, so each
container guards its state with a lock and hands out copies.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .auth import fingerprint

#: HTTP status each error code gets when ``fail()`` is not told one (as the service models say).
DEFAULT_STATUS: dict[str, int] = {
    "ThrottlingException": 429,
    "ServiceUnavailableException": 503,
    "InternalServerException": 500,
    "AccessDeniedException": 403,
    "ValidationException": 400,
    "ResourceNotFoundException": 404,
    "ModelNotReadyException": 429,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ModelStreamErrorException": 424,
    "ServiceQuotaExceededException": 400,
    "ConflictException": 409,
    "DependencyFailedException": 424,
    "BadGatewayException": 502,
    "ExpiredTokenException": 403,
    "UnrecognizedClientException": 403,
    "MissingAuthenticationTokenException": 403,
    "IncompleteSignatureException": 400,
    # STS (query protocol) spellings
    "Throttling": 400,
    "AccessDenied": 403,
    "ExpiredToken": 403,
    "InvalidClientTokenId": 403,
    "MissingAuthenticationToken": 403,
    "RegionDisabledException": 403,
    "InvalidIdentityToken": 400,
    "IDPCommunicationError": 400,
}

#: The wording AWS uses, so error-translation code sees realistic text.
DEFAULT_MESSAGES: dict[str, str] = {
    "ThrottlingException": "Too many requests, please wait before trying again.",
    "ServiceUnavailableException": "Bedrock is unable to process your request.",
    "InternalServerException": "The system encountered an unexpected error during processing. "
    "Try your request again.",
    "AccessDeniedException": "You don't have access to the model with the specified model ID.",
    "ResourceNotFoundException": "Could not resolve the foundation model from the provided "
    "model identifier.",
    "ModelNotReadyException": "Model is not ready for inference. Wait and try your request again.",
    "ModelTimeoutException": "Model has timed out in processing the request. "
    "Try your request again.",
    "ExpiredTokenException": "The security token included in the request is expired",
    "ExpiredToken": "The security token included in the request is expired",
    "UnrecognizedClientException": "The security token included in the request is invalid.",
    "InvalidClientTokenId": "The security token included in the request is invalid.",
    "MissingAuthenticationTokenException": "Missing Authentication Token",
    "MissingAuthenticationToken": "Request is missing Authentication Token",
}

#: Faults with no ``operation``/``service`` filter hit only these (the data plane), so that a
#: throttling test does not also throttle the STS validation call that precedes it.
DATA_PLANE_SERVICES = frozenset({"bedrock-runtime", "bedrock-agent-runtime"})


def default_status(code: str) -> int:
    """The status a bare ``fail(code)`` uses: the modelled one, else 400."""
    return DEFAULT_STATUS.get(code, 400)


def default_message(code: str) -> str:
    """AWS's wording for ``code`` where known, else a generic message naming the code."""
    return DEFAULT_MESSAGES.get(code, f"{code} (injected by BedrockEmulator)")


#: How generated Converse tool-use ids start, as on Bedrock.
TOOL_USE_ID_PREFIX = "tooluse_"


@dataclass(frozen=True)
class ToolUse:
    """A tool call the emulated model makes."""

    name: str
    input: Mapping[str, Any]
    tool_use_id: str = field(default_factory=lambda: f"{TOOL_USE_ID_PREFIX}{uuid.uuid4().hex[:22]}")


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


@dataclass(frozen=True)
class Fault:
    """One scripted failure (see ``BedrockEmulator.fail``)."""

    code: str | None
    status: int
    message: str
    region: str | None = None
    operation: str | None = None
    service: str | None = None
    model: str | None = None
    after_chunks: int | None = None
    delay: float | None = None
    drop_connection: bool = False


@dataclass
class RecordedRequest:
    """One request the emulator received, with every secret masked.

    ``service`` is the API the route belongs to (``bedrock-runtime``, ``bedrock-agent-runtime``,
    ``bedrock``, ``sts``); ``signing_service`` is the service named in the SigV4 credential
    scope (``bedrock`` for all three Bedrock APIs, ``sts`` for STS).

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


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None  # None: until clear()


@dataclass(frozen=True)
class CallKey:
    """What a reply or fault is matched against."""

    service: str | None
    operation: str | None
    region: str
    model_id: str | None = None
    resolved_model: str | None = None
    streaming: bool = False


class Script:
    """Queued replies and armed faults, consumed by the handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: list[Reply] = []
        self._faults: list[_Armed] = []

    def add_reply(self, reply: Reply) -> None:
        with self._lock:
            self._replies.append(reply)

    def add_fault(self, fault: Fault, times: int | None) -> None:
        with self._lock:
            self._faults.append(_Armed(fault, times))

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()
            self._faults.clear()

    def unused_replies(self) -> list[Reply]:
        """Replies queued and not yet taken, oldest first."""
        with self._lock:
            return list(self._replies)

    def take_reply(self, key: CallKey) -> Reply | None:
        """Pop the first queued reply that applies to this call (FIFO)."""
        with self._lock:
            for i, reply in enumerate(self._replies):
                if model_matches(reply.model, key.model_id, key.resolved_model):
                    return self._replies.pop(i)
        return None

    def take_fault(self, key: CallKey) -> Fault | None:
        """Consume one use of the first armed fault that applies to this call."""
        with self._lock:
            for armed in self._faults:
                if _fault_applies(armed.fault, key):
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining <= 0:
                            self._faults.remove(armed)
                    return armed.fault
        return None


def _fault_applies(fault: Fault, key: CallKey) -> bool:
    if fault.operation is not None:
        if fault.operation != key.operation:
            return False
    elif fault.service is not None:
        if fault.service != key.service:
            return False
    elif key.service not in DATA_PLANE_SERVICES:
        return False
    if fault.region is not None and fault.region != key.region:
        return False
    if fault.after_chunks is not None and not key.streaming:
        return False
    return model_matches(fault.model, key.model_id, key.resolved_model)


class RequestLog:
    """Thread-safe, append-only record of what the emulator received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []

    def append(self, record: RecordedRequest) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
