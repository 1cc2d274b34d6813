"""The HTTP(S) server: sockets, HTTP/1.1 framing, chunked event streams, clean shutdown.

Stdlib only. Every connection gets its own thread (``ThreadingHTTPServer``); all decisions are
made by :func:`dispatch.process`, this module only moves bytes, within the emulator's
:class:`~.limits.Limits`: bodies and heads are size-checked before they are read, every receive
waits at most ``idle_timeout``, a request's head must arrive within ``idle_timeout`` of its first
byte, and at most ``max_connections`` connections (threads) are open at once.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import selectors
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .dispatch import Outcome, Request, process
from .faults import DROP, Fault, faulted_stream
from .ids import drawing_from
from .limits import Limits
from .responses import REQUEST_ID_HEADER, Response, json_error, new_request_id
from .state import EmulatorState

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

logger = logging.getLogger("bedrock_auth.testing")


_WRITE_BATCH = 64 * 1024  # bytes per write of a stream without faults
_READ_PIECE = 1024 * 1024  # a body is read in pieces, so memory follows what actually arrived
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")
# The plainest request head, which every AWS SDK sends: "METHOD SP target SP HTTP/1.1", then
# "Name: value" lines of printable ASCII, each under 8 KiB, at most 64 of them (well inside the
# standard library's own line and count limits). Such a head is parsed here directly: the
# standard library's parse_request runs the email package's feed parser, a fifth of the
# emulator's own time per request; anything else still goes through parse_request.
_PLAIN_REQUEST_LINE = re.compile(rb"([A-Z]+) ([!-~]+) HTTP/1\.1\r\n")
_PLAIN_HEADER = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([\t\x20-\x7e]*)\r\n")
_PLAIN_MAX_LINE = 8 * 1024
_PLAIN_MAX_HEADERS = 64
# After refusing a body it has not read, the server drains what the client is still sending
# for this long before closing, so the client reads the answer instead of a reset.
_LINGER_SECONDS = 2.0


@dataclass
class _Connection:
    """What the server knows of one open connection."""

    # When it started waiting for its next request (monotonic); None while one is under way.
    idle_since: float | None


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can wrap connections in TLS, caps how many are open, and
    closes them all on stop."""

    daemon_threads = True
    # Handler threads are unblocked by closing their sockets in close_connections(); waiting
    # for them in server_close() would let an idle keep-alive client stall stop().
    block_on_close = False
    # socketserver's default backlog of 5 makes a burst of 64 new connections wait about 1 s.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        state: EmulatorState,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.state = state
        self.limits: Limits = state.limits
        self.ssl_context = ssl_context
        self._connections: dict[socket.socket, _Connection] = {}
        self._connections_lock = threading.Lock()
        #: Connections admitted since the server started: a client that reuses its kept-alive
        #: connection adds none (open_connections cannot tell reuse from close-and-reopen).
        self.accepted_connections = 0
        self._refused_before = False
        self._last_date: tuple[int, str] = (-1, "")  # (epoch second, its Date header)
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        # Without TCP_NODELAY, Nagle's algorithm meets the client's delayed ACK and every request
        # after the first on a kept-alive connection stalls about 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            # The handshake runs later in the connection's own thread, so one slow or
            # misbehaving client cannot block the accept loop.
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        # Admission happens here, in the accept thread, so the count is exact before a thread
        # is started for the connection.
        if self._admit(request):
            super().process_request(request, client_address)
        else:
            _refuse_connection(request)
            self.shutdown_request(request)

    def _admit(self, conn: socket.socket) -> bool:
        """Register a new connection; at the cap, close the longest-idle one to make room.
        False (refuse the newcomer) when every open connection is in the middle of a request."""
        evicted = None
        with self._connections_lock:
            if len(self._connections) >= self.limits.max_connections:
                evicted = self._longest_idle()
                if evicted is None:
                    self._log_refusal()
                    return False
                del self._connections[evicted]
            self._connections[conn] = _Connection(time.monotonic())
            self.accepted_connections += 1
        if evicted is not None:
            _shutdown(evicted)  # its thread sees end-of-file and finishes
        return True

    def _longest_idle(self) -> socket.socket | None:
        """The connection idle the longest whose next request has not started to arrive (one
        closed under a request already on its way would fail that request)."""
        idle = [(c.idle_since, s) for s, c in self._connections.items() if c.idle_since is not None]
        for _, conn in sorted(idle, key=lambda pair: pair[0]):
            if _quiet(conn):
                return conn
        return None

    def _log_refusal(self) -> None:
        # Once at WARNING, so a flood of refusals tells the user without flooding stderr.
        level = logging.DEBUG if self._refused_before else logging.WARNING
        self._refused_before = True
        logger.log(
            level,
            "emulator refused a connection: all %d connections (max_connections) are in the "
            "middle of a request",
            len(self._connections),
        )

    def set_idle(self, conn: socket.socket, idle: bool) -> None:
        """Record whether a connection is waiting for its next request (and may be closed to
        make room) or serving one."""
        with self._connections_lock:
            entry = self._connections.get(conn)
            if entry is None:
                return
            if not idle:
                entry.idle_since = None
            elif entry.idle_since is None:  # a new connection is idle from its accept
                entry.idle_since = time.monotonic()

    def http_date(self, now: float) -> str:
        """``formatdate(now, usegmt=True)``, formatted once per second: every answer has a
        Date header, and formatting it was a few percent of a short answer's cost."""
        second = int(now)
        # formatdate rounds to the microsecond, so a time this close to the next second may
        # be written as that second: those few are formatted as they come.
        if now < 0 or now - second >= 0.999999:
            return formatdate(now, usegmt=True)
        cached_second, text = self._last_date  # one tuple, read and replaced atomically
        if cached_second != second:
            text = formatdate(second, usegmt=True)
            self._last_date = (second, text)
        return text

    @property
    def open_connections(self) -> int:
        """How many connections are open (each has one handler thread)."""
        with self._connections_lock:
            return len(self._connections)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Abort every open connection (idle keep-alives and requests in flight)."""
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            _shutdown(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Client disconnects and failed TLS handshakes are routine here; keep them off stderr.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        conn.shutdown(socket.SHUT_RDWR)


def _quiet(conn: socket.socket) -> bool:
    """Has the client sent nothing the server has yet to read? (Checked without waiting.)"""
    with selectors.DefaultSelector() as selector:
        try:
            selector.register(conn, selectors.EVENT_READ)
        except (OSError, ValueError):  # closed meanwhile: nothing on its way
            return True
        return not selector.select(0)


def _raw_response(response: Response) -> bytes:
    """A complete HTTP/1.1 response, for the accept thread, which has no handler to write it."""
    lines = [f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    lines += [f"Content-Length: {len(response.body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + response.body


_BUSY = _raw_response(
    json_error(
        "ServiceUnavailableException",
        "The emulator has max_connections connections open, each in the middle of a request.",
        503,
    )
)


def _refuse_connection(conn: socket.socket) -> None:
    """Tell a connection over the cap why it is closed, without ever blocking the accept loop
    (a TLS connection is only closed: its handshake has not happened)."""
    if isinstance(conn, ssl.SSLSocket):
        return
    with contextlib.suppress(OSError):
        conn.setblocking(False)
        conn.send(_BUSY)
        # Take the request if it has already arrived: closing over unread bytes sends a reset,
        # which can destroy the answer before the client reads it.
        conn.recv(_READ_PIECE)


def _plain_head(head: list[bytes]) -> tuple[str, str, HTTPMessage] | None:
    """(command, target, headers) of a plain head (see ``_PLAIN_REQUEST_LINE``), exactly as
    parse_request would read them; None when the head is anything else."""
    request = _PLAIN_REQUEST_LINE.fullmatch(head[0])
    lines = head[1:-1]
    if request is None or len(lines) > _PLAIN_MAX_HEADERS or head[-1] != b"\r\n":
        return None
    headers = HTTPMessage()
    for line in lines:
        field = _PLAIN_HEADER.fullmatch(line) if len(line) < _PLAIN_MAX_LINE else None
        if field is None:
            return None
        # The email parser's reading of a header line: the value without leading blanks.
        headers[field[1].decode("ascii")] = field[2].decode("ascii").lstrip(" \t")
    return request[1].decode("ascii"), request[2].decode("ascii"), headers


class _TimedReader(io.RawIOBase):
    """A connection's raw input: every receive waits at most ``idle_timeout``, and none starts
    after ``deadline`` (set while a request's head is arriving), so a client that sends
    nothing, or dribbles its headers a byte at a time, is cut off either way."""

    def __init__(self, sock: socket.socket, idle_timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._idle_timeout = idle_timeout
        self._timeout: float | None = None
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        timeout = self._idle_timeout
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise TimeoutError("the request's head did not arrive within idle_timeout")
        self._set_timeout(timeout)
        return self._sock.recv_into(buffer)

    def reset(self) -> None:
        """Back to the plain idle timeout (writes share the socket's timeout)."""
        self._set_timeout(self._idle_timeout)

    def _set_timeout(self, timeout: float) -> None:
        if timeout != self._timeout:  # settimeout is a system call or two; skip the repeats
            self._sock.settimeout(timeout)
            self._timeout = timeout


class _Refused(Exception):
    """A request the HTTP layer answers itself, unread: malformed framing (400), a body over
    ``max_body_bytes`` (413), a head over ``max_header_bytes`` (414/431)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _clip(text: str) -> str:
    """A client-supplied value, short enough to quote in an error message."""
    return text if len(text) <= 40 else text[:40] + "..."


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BedrockEmulator"
    sys_version = ""
    server: EmulatorHTTPServer
    _headers_buffer: list[bytes]  # BaseHTTPRequestHandler's, undeclared in typeshed

    def setup(self) -> None:
        limits = self.server.limits
        # Also bounds the TLS handshake and every write: a client that stops reading a
        # response is cut off after idle_timeout too.
        self.request.settimeout(limits.idle_timeout)
        super().setup()
        self._reader = _TimedReader(self.connection, limits.idle_timeout)
        self._input = io.BufferedReader(self._reader)
        plain, self.rfile = self.rfile, self._input
        plain.close()  # the makefile() wrapper would otherwise keep the socket open
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the client went away first
            super().finish()

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header is how clients measure clock skew: it shows the emulated AWS clock.
        now = self.server.state.now() if timestamp is None else timestamp
        return self.server.http_date(now)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Not the request line: a presigned URL carries its signature in the query string.
        # Checked first: the path is split out for every request, logged or not.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    # -- one request: wait, head, body -------------------------------------------------------

    def handle_one_request(self) -> None:
        """The standard library's loop body, with the emulator's limits: wait at most
        ``idle_timeout`` for a request, read its head within ``idle_timeout`` and
        ``max_header_bytes``, then serve it."""
        try:
            if not self._await_request():
                self.close_connection = True
                return
            self._reader.deadline = time.monotonic() + self.server.limits.idle_timeout
            try:
                head = self._read_head()
            finally:
                self._reader.deadline = None
                self._reader.reset()  # the body and the answer get the plain idle timeout
            if self._parse(head):
                self._dispatch()
        except _Refused as refusal:
            self.command = self.path = self.requestline = self.request_version = ""
            self._refuse(refusal)
        except OSError as exc:  # timed out, or the client hung up: nothing left to answer
            logger.debug("closing a connection: %r", exc)
            self.close_connection = True

    def _await_request(self) -> bool:
        """Wait, as an idle connection, for the first byte of the next request."""
        self.server.set_idle(self.connection, True)
        try:
            return bool(self._input.peek(1))
        finally:
            self.server.set_idle(self.connection, False)

    def _read_head(self) -> list[bytes]:
        """The request line and header lines, through the blank line that ends them."""
        budget = self.server.limits.max_header_bytes
        lines: list[bytes] = []
        while not lines or lines[-1] not in (b"\r\n", b"\n"):
            line = self._input.readline(budget + 1)
            if not line:
                raise ConnectionError("the client closed the connection inside a request head")
            budget -= len(line)
            if budget < 0:
                what = "request line" if not lines else "request line and headers"
                raise _Refused(
                    414 if not lines else 431,
                    f"The {what} exceed the emulator's limit of "
                    f"{self.server.limits.max_header_bytes} bytes "
                    "(max_header_bytes / --max-header-bytes).",
                )
            lines.append(line)
        return lines

    def _parse(self, head: list[bytes]) -> bool:
        """The standard library's parse_request, fed from the head already read (a plain
        head is read here directly, to the same effect): the one place a request's line and
        headers are parsed, for subclasses to extend."""
        self.raw_requestline = head[0]
        plain = _plain_head(head)
        if plain is not None:
            return self._parse_plain(*plain)
        rfile, self.rfile = self.rfile, io.BytesIO(b"".join(head[1:]))
        try:
            return self.parse_request()
        finally:
            self.rfile = rfile

    def _parse_plain(self, command: str, target: str, headers: HTTPMessage) -> bool:
        """What parse_request does with an HTTP/1.1 request line and its headers."""
        self.command, self.path, self.headers = command, target, headers
        self.request_version = "HTTP/1.1"
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")  # reduce to a single /
        # HTTP/1.1 keeps the connection open unless the client says Connection: close.
        self.close_connection = headers.get("Connection", "").lower() == "close"
        if headers.get("Expect", "").lower() == "100-continue":
            return self.handle_expect_100()
        return True

    def _dispatch(self) -> None:
        method = getattr(self, "do_" + self.command, None)
        if method is None:
            self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command!r})")
            return
        method()

    def _refuse(self, refusal: _Refused) -> None:
        """Answer a request that is not passed on, then close the connection: part of it is
        unread, so the connection cannot carry another request."""
        logger.debug("refused a request: %s %s", refusal.status, refusal.message)
        response = json_error("ValidationException", refusal.message, refusal.status)
        response.headers["Connection"] = "close"
        try:
            self._write(Outcome(response))
            self._linger()
        except OSError:
            self.close_connection = True

    def _linger(self) -> None:
        """Read and drop what the client is still sending, briefly, so that closing does not
        reset the connection before the client has read the answer."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
        limits = self.server.limits
        self._reader.deadline = time.monotonic() + min(_LINGER_SECONDS, limits.idle_timeout)
        budget = limits.max_body_bytes
        try:
            while budget > 0:
                dropped = self._input.read1(min(budget, _READ_PIECE))
                if not dropped:
                    return
                budget -= len(dropped)
        finally:
            self._reader.deadline = None

    def _read_body(self) -> bytes:
        if self._chunked():
            return self._read_chunked()
        return self._read_exactly(self._content_length())

    def _chunked(self) -> bool:
        values = self.headers.get_all("Transfer-Encoding") or []
        codings = [c.strip().lower() for v in values for c in v.split(",") if c.strip()]
        if not codings:
            return False
        if codings != ["chunked"]:
            raise _Refused(
                400,
                f"Transfer-Encoding {_clip(', '.join(codings))!r} is not "
                "supported; send Content-Length or chunked.",
            )
        if "Content-Length" in self.headers:
            raise _Refused(400, "A request has Content-Length or Transfer-Encoding, not both.")
        return True

    def _content_length(self) -> int:
        values = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if not values:
            return 0
        value = values.pop()
        if values or not _DIGITS.fullmatch(value):
            raise _Refused(400, f"Content-Length {_clip(value)!r} is not a number of bytes.")
        digits = value.lstrip("0") or "0"
        # More digits than any limit has: no need to convert (int() refuses 4,300+ digits).
        if len(digits) > 20 or int(digits) > self.server.limits.max_body_bytes:
            raise self._too_large(f"Content-Length {_clip(digits)}")
        return int(digits)

    def _too_large(self, what: str) -> _Refused:
        limit = self.server.limits.max_body_bytes
        return _Refused(
            413,
            f"The request body ({what}) is larger than the emulator's limit of {limit} bytes "
            "(max_body_bytes / --max-body-bytes).",
        )

    def _read_exactly(self, length: int) -> bytes:
        """``length`` bytes, read in pieces: a client that announces a large body and sends
        little costs only what it sent."""
        pieces = []
        while length > 0:
            piece = self._input.read(min(length, _READ_PIECE))
            if not piece:
                raise ConnectionError("the client closed the connection inside a request body")
            pieces.append(piece)
            length -= len(piece)
        return b"".join(pieces)

    def _read_chunked(self) -> bytes:
        pieces, total = [], 0
        while size := self._chunk_size():
            total += size
            if total > self.server.limits.max_body_bytes:
                raise self._too_large(f"chunked, over {total} bytes")
            pieces.append(self._read_exactly(size))
            if self._input.readline(3) not in (b"\r\n", b"\n"):
                raise _Refused(400, "A chunk of the request body does not end with CRLF.")
        self._skip_trailers()
        return b"".join(pieces)

    def _chunk_size(self) -> int:
        line = self._input.readline(1024)  # the size in hex, then optional extensions
        size = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size) or len(size) > 16:
            raise _Refused(400, f"Malformed chunk size {_clip(repr(line))}.")
        return int(size, 16)

    def _skip_trailers(self) -> None:
        budget = self.server.limits.max_header_bytes
        while (line := self._input.readline(budget + 1)) not in (b"\r\n", b"\n", b""):
            budget -= len(line)
            if budget < 0:
                raise _Refused(431, "The request's trailers exceed max_header_bytes.")

    def _serve(self) -> None:
        # Every id the answer carries (its request id too) comes from this emulator's source.
        with drawing_from(self.server.state.ids):
            self._serve_request()

    def _serve_request(self) -> None:
        started = time.monotonic()
        url = urlsplit(self.path)
        try:
            body = self._read_body()
        except _Refused as refusal:
            self._refuse(refusal)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, url.path, url.query, headers, body, started)
        try:
            outcome = process(self.server.state, request)
        except Exception:  # a bug in the emulator must still produce an answer, not a hang-up
            logger.exception("emulator failed on %s %s", self.command, url.path)
            outcome = Outcome(
                json_error(
                    "InternalServerException",
                    "The emulator failed while handling the request.",
                    500,
                )
            )
        try:
            self._write(outcome)
        except OSError:
            # The client timed out or hung up mid-response; nothing left to tell it.
            self.close_connection = True
            logger.debug("client went away during %s %s", self.command, url.path)

    def _drop(self) -> None:
        self.close_connection = True
        _shutdown(self.connection)

    def _start(self, response: Response) -> None:
        self.send_response(response.status)
        if REQUEST_ID_HEADER not in response.headers:
            self.send_header(REQUEST_ID_HEADER, new_request_id())
        for name, value in response.headers.items():
            self.send_header(name, value)

    def _write(self, outcome: Outcome) -> None:
        response = outcome.response
        if response is None:
            self._drop()
            return
        self._start(response)
        if response.frames is None:
            self.send_header("Content-Length", str(len(response.body)))
            self._end_headers_with(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        if outcome.stream_fault is None:
            self._write_batched(response.frames)
            return
        self.end_headers()
        self._write_stream(response.frames, outcome.stream_fault)

    def _headers(self) -> bytes:
        """What ``end_headers()`` would send, taken instead of sent: a reply's headers go out
        in the same write as its body (with TCP_NODELAY, two writes are two packets)."""
        self._headers_buffer.append(b"\r\n")
        headers = b"".join(self._headers_buffer)
        self._headers_buffer = []
        return headers

    def _end_headers_with(self, body: bytes) -> None:
        self.wfile.write(self._headers() + body)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _write_stream(self, frames: list[bytes], fault: Fault) -> None:
        for frame in faulted_stream(frames, fault, self.server.state.delays):
            if frame == DROP:
                self._drop()
                return
            self._write_chunk(frame)
        self.wfile.write(b"0\r\n\r\n")

    def _write_batched(self, frames: list[bytes]) -> None:
        """Every frame, as chunks, in writes of about 64 KiB: one send per frame made a short
        stream cost a syscall (and, with TCP_NODELAY, a packet) per event. The client's
        decoder sees the same bytes; only a fault's timing needs frame-by-frame writes."""
        pending = bytearray(self._headers())
        for frame in frames:
            pending += b"%x\r\n%s\r\n" % (len(frame), frame)
            if len(pending) >= _WRITE_BATCH:
                self.wfile.write(pending)
                pending.clear()
        pending += b"0\r\n\r\n"
        self.wfile.write(pending)
