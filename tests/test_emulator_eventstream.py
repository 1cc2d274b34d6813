"""The hand-written event-stream encoder, checked against botocore's own decoder."""

from __future__ import annotations

import json
import struct
import zlib

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from bedrock_auth.testing.eventstream import (
    HeaderValue,
    encode_message,
    event_frame,
    exception_frame,
)


def _decode(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(m.headers, m.payload) for m in buffer]


def test_event_frame_round_trips_through_botocore_decoder() -> None:
    frame = event_frame("chunk", {"bytes": "aGk="})

    [(headers, payload)] = _decode(frame)

    assert headers == {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(payload) == {"bytes": "aGk="}


def test_exception_frame_carries_exception_type_and_message() -> None:
    [(headers, payload)] = _decode(exception_frame("throttlingException", "slow down"))

    assert headers[":message-type"] == "exception"
    assert headers[":exception-type"] == "throttlingException"
    assert json.loads(payload) == {"message": "slow down"}


def test_all_header_value_types_decode() -> None:
    headers: dict[str, HeaderValue] = {
        "t": True,
        "f": False,
        "small": 7,
        "big": 2**40,
        "neg": -3,
        "s": "é",
        "b": b"\x00\x01",
    }

    [(decoded, payload)] = _decode(encode_message(headers, b"payload"))

    assert decoded == headers
    assert payload == b"payload"


def test_frames_decode_when_split_across_reads() -> None:
    data = b"".join(event_frame("messageStart", {"role": "assistant", "n": i}) for i in range(3))
    buffer = EventStreamBuffer()
    seen = []
    for i in range(0, len(data), 7):  # arbitrary chunking, as a socket might deliver it
        buffer.add_data(data[i : i + 7])
        seen += [json.loads(m.payload)["n"] for m in buffer]
    assert seen == [0, 1, 2]


def test_prelude_and_message_crcs_are_correct() -> None:
    frame = encode_message({"a": "b"}, b"{}")
    total, headers_len, prelude_crc = struct.unpack(">III", frame[:12])
    assert total == len(frame)
    assert headers_len == 1 + 1 + 1 + 2 + 1
    assert prelude_crc == zlib.crc32(frame[:8])
    assert struct.unpack(">I", frame[-4:])[0] == zlib.crc32(frame[:-4])


def test_corrupted_frame_is_rejected_by_botocore() -> None:
    frame = bytearray(event_frame("chunk", {"bytes": ""}))
    frame[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        _decode(bytes(frame))


def test_header_name_longer_than_255_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        encode_message({"x" * 256: "v"}, b"")
