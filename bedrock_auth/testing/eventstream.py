"""Encoder for the AWS event-stream binary framing (``application/vnd.amazon.eventstream``).

botocore only ships a *decoder* (``botocore.eventstream.EventStreamBuffer``), so the emulator
needs its own encoder to produce what Bedrock sends for ConverseStream,
InvokeModelWithResponseStream and InvokeAgent. It is hand-written from the framing spec:

    [total length: u32][headers length: u32][prelude CRC32: u32]
    [headers ...][payload ...]
    [message CRC32: u32]      # CRC32 of everything before it

Each header is ``[name length: u8][name][type: u8][value]``; all integers are big-endian.
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from collections.abc import Mapping
from typing import Any

__all__ = [
    "HeaderValue",
    "encode_message",
    "event_frame",
    "exception_frame",
]

HeaderValue = bool | int | str | bytes

# Header value type tags from the event-stream spec.
_TRUE, _FALSE, _INT32, _INT64, _BYTES, _STRING = 0, 1, 4, 5, 6, 7
_PRELUDE_LEN = 12
_CRC_LEN = 4
_INT32_RANGE = range(-(2**31), 2**31)


def _encode_header_value(value: HeaderValue) -> bytes:
    # bool must be tested before int: bool is an int subclass.
    if isinstance(value, bool):
        return bytes([_TRUE if value else _FALSE])
    if isinstance(value, int):
        if value in _INT32_RANGE:
            return bytes([_INT32]) + struct.pack(">i", value)
        return bytes([_INT64]) + struct.pack(">q", value)
    raw = value.encode("utf-8") if isinstance(value, str) else value
    tag = _STRING if isinstance(value, str) else _BYTES
    return bytes([tag]) + struct.pack(">H", len(raw)) + raw


def _encode_headers(headers: Mapping[str, HeaderValue]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        if len(raw_name) > 255:
            raise ValueError(f"event-stream header name too long: {name!r}")
        out += bytes([len(raw_name)]) + raw_name + _encode_header_value(value)
    return bytes(out)


def encode_message(headers: Mapping[str, HeaderValue], payload: bytes) -> bytes:
    """Encode one event-stream message (prelude, headers, payload, both CRCs)."""
    return _frame(_encode_headers(headers), payload)


@functools.lru_cache(maxsize=64)
def _event_headers(event_type: str) -> bytes:
    # An event's headers depend on its type only: encoded once, not once per frame (they
    # were most of the emulator's work on a short stream).
    return _encode_headers(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    )


def _frame(encoded_headers: bytes, payload: bytes) -> bytes:
    total = _PRELUDE_LEN + len(encoded_headers) + len(payload) + _CRC_LEN
    prelude = struct.pack(">II", total, len(encoded_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + encoded_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


# One encoder for every frame: json.dumps with separators builds a new JSONEncoder per call,
# a tenth of a short stream's cost. (encode() keeps no state between calls: thread-safe.)
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def _json_bytes(payload: Mapping[str, Any]) -> bytes:
    return _COMPACT.encode(payload).encode("utf-8")


def event_frame(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """An ``event`` message whose ``:event-type`` names the stream member (e.g. ``chunk``)."""
    return _frame(_event_headers(event_type), _json_bytes(payload))


def exception_frame(exception_type: str, message: str) -> bytes:
    """An ``exception`` message, as Bedrock sends when a stream fails part-way.

    ``exception_type`` is the stream member name, e.g. ``throttlingException``.
    """
    headers: dict[str, HeaderValue] = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, _json_bytes({"message": message}))
