"""Faults, in one place: arming them, matching them to calls, and applying them.

A fault applies either before the handler runs (an error response, a dropped connection, or
only a delay) or, with ``after_chunks``, in the middle of an event stream.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from .eventstream import exception_frame
from .responses import Response, error_for
from .routing import RUNTIME
from .script import CallKey, Shared, model_matches

#: Statuses for codes botocore's bedrock-runtime model does not give (see :func:`default_status`).
DEFAULT_STATUS: dict[str, int] = {
    "BadGatewayException": 502,
    "DependencyFailedException": 424,
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
DATA_PLANE_SERVICES = frozenset({"bedrock-runtime", "bedrock-agent-runtime", "bedrock-mantle"})


def default_status(code: str, service: str | None = None) -> int:
    """The status a bare ``fail(code)`` uses: what botocore's model of ``service`` says, else
    what its bedrock-runtime model says, else :data:`DEFAULT_STATUS`, else 400."""
    for name in (service, RUNTIME):
        modelled = _modelled_statuses(name).get(code) if name else None
        if modelled is not None:
            return modelled
    return DEFAULT_STATUS.get(code, 400)


@functools.cache
def _modelled_statuses(service: str) -> dict[str, int]:
    """Error code -> HTTP status, from the exception shapes of botocore's service model."""
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return {}
    statuses: dict[str, int] = {}
    for name in model.shape_names:
        shape = model.shape_for(name)
        error = shape.metadata.get("error", {}) if shape.metadata.get("exception") else {}
        if "httpStatusCode" in error:
            statuses[error.get("code", name)] = error["httpStatusCode"]
    return statuses


def default_message(code: str) -> str:
    """AWS's wording for ``code`` where known, else a generic message naming the code."""
    return DEFAULT_MESSAGES.get(code, f"{code} (injected by BedrockEmulator)")


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

    @property
    def mid_stream(self) -> bool:
        """Applied by the stream writer after ``after_chunks`` events, not before handling."""
        return self.after_chunks is not None


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None  # None: until clear()


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


class Faults(Shared[_Armed]):
    """Armed faults, consumed by the handler threads."""

    def arm(self, fault: Fault, times: int | None) -> None:
        """Apply ``fault`` to the next ``times`` matching calls (None: until :meth:`clear`)."""
        self.append(_Armed(fault, times))

    def take(self, key: CallKey) -> Fault | None:
        """Consume one use of the first armed fault that applies to this call."""
        with self._lock:
            for armed in self._items:
                if _fault_applies(armed.fault, key):
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining <= 0:
                            self._items.remove(armed)
                    return armed.fault
        return None


#: What the server does instead of writing a response: close the socket without a word.
DROP: Literal["drop"] = "drop"


class Delays:
    """Where handlers sleep out injected delays.

    ``release()`` (called by ``BedrockEmulator.clear()``) ends the delays in progress, which then
    carry on as scripted: a test can hold a reply or a stream at a point it controls and let it
    go once it has acted. ``stop()`` ends them for good: their connections are closed unanswered.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._stopping = False
        self._releases = 0

    def sleep(self, seconds: float | None) -> bool:
        """Sleep for a fault's delay; False if the emulator is stopping meanwhile."""
        if not seconds:
            return True
        with self._changed:
            releases = self._releases
            self._changed.wait_for(
                lambda: self._stopping or self._releases != releases, timeout=seconds
            )
            return not self._stopping

    def release(self) -> None:
        with self._changed:
            self._releases += 1
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()

    def start(self) -> None:
        with self._changed:
            self._stopping = False


def before_handling(
    fault: Fault, service: str | None, delays: Delays
) -> Response | Literal["drop"] | None:
    """Apply a pre-response fault: its error response, DROP, or None to carry on normally
    (after its delay)."""
    if not delays.sleep(fault.delay) or fault.drop_connection:
        return DROP
    if fault.code is None:
        return None
    return error_for(service, fault.code, fault.message, fault.status)


def faulted_stream(
    frames: Sequence[bytes], fault: Fault | None, delays: Delays
) -> Iterator[bytes | Literal["drop"]]:
    """The event frames to write with a mid-stream fault applied; DROP means close the socket.

    After ``after_chunks`` frames the stream stalls for the delay, then is cut, ends with the
    fault's exception event, or (no code) carries on.
    """
    cut = len(frames) if fault is None else min(fault.after_chunks or 0, len(frames))
    yield from frames[:cut]
    if fault is None:
        return
    if not delays.sleep(fault.delay) or fault.drop_connection:
        yield DROP
    elif fault.code is not None:
        yield exception_frame(fault.code[0].lower() + fault.code[1:], fault.message)
    else:
        yield from frames[cut:]
