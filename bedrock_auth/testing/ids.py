"""Where the emulator's ids come from: fresh random ones, or a seeded sequence.

Every id an answer carries (request ids, message and response ids, tool-use ids, trace ids,
issued STS credentials) is drawn from the :class:`IdSource` of the emulator that answers.
Without a seed it draws from :mod:`secrets`, as before seeds existed; with one
(``BedrockEmulator(random_seed=N)``) two emulators given the same requests in the same order
answer with the same ids, so whole answers can be compared byte for byte (clock-derived values
such as ``Date``, latencies and expirations aside).

The handler thread makes its emulator's source current (:func:`drawing_from`) for the length of
one request, so the code that builds answers draws with :func:`current` and needs no emulator
passed down to it. Outside a request (a test scripting a reply) :func:`current` is a random
source.
"""

from __future__ import annotations

import base64
import functools
import random
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_HEX = "0123456789abcdef"


@functools.lru_cache(maxsize=16)
def _byte_table(alphabet: str) -> bytes | None:
    """A bytes.translate table mapping byte b to ``alphabet[b % len(alphabet)]``, for an ASCII
    alphabet (None otherwise): the same characters as a per-byte lookup, drawn for several
    ids per request without a Python loop."""
    if not alphabet.isascii():
        return None
    return bytes(ord(alphabet[b % len(alphabet)]) for b in range(256))


class IdSource:
    """Random text for ids: from :mod:`secrets`, or from ``random.Random(seed)``; thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"random_seed must be a whole number, not {seed!r}")
        self.seed = seed
        self._random = random.Random(seed) if seed is not None else None
        self._lock = threading.Lock()

    def bytes(self, count: int) -> bytes:
        """``count`` random bytes."""
        if self._random is None:
            return secrets.token_bytes(count)
        with self._lock:
            return self._random.randbytes(count)

    def text(self, alphabet: str, length: int) -> str:
        """``length`` characters drawn from ``alphabet``."""
        raw = self.bytes(length)
        table = _byte_table(alphabet)
        if table is not None:
            return raw.translate(table).decode("ascii")
        return "".join(alphabet[b % len(alphabet)] for b in raw)

    def hex(self, length: int) -> str:
        """``length`` lower-case hex digits."""
        return self.text(_HEX, length)

    def uuid(self) -> str:
        """A version-4 UUID in its usual spelling (AWS request ids, trace ids)."""
        # What str(uuid.UUID(bytes=..., version=4)) spells, without building the UUID object
        # (every answer draws one): the version and variant bits set, then 8-4-4-4-12 hex.
        raw = bytearray(self.bytes(16))
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        hex_ = raw.hex()
        return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"

    def token(self, count: int) -> str:
        """URL-safe base64 of ``count`` random bytes (session tokens)."""
        return base64.urlsafe_b64encode(self.bytes(count)).rstrip(b"=").decode("ascii")

    def tool_use_id(self, prefix: str) -> str:
        """A tool-use id: ``prefix`` and 22 hex digits (each wire format re-spells these)."""
        return prefix + self.hex(22)


_RANDOM = IdSource()
_current: ContextVar[IdSource] = ContextVar("bedrock_emulator_ids", default=_RANDOM)


def current() -> IdSource:
    """The id source of the request being answered (a random one outside a request)."""
    return _current.get()


@contextmanager
def drawing_from(source: IdSource) -> Iterator[IdSource]:
    """Make ``source`` current in this thread for the ``with`` block."""
    token = _current.set(source)
    try:
        yield source
    finally:
        _current.reset(token)
