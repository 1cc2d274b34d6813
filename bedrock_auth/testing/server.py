"""The HTTP(S) server: sockets, HTTP/1.1 framing, chunked event streams, clean shutdown.

Stdlib only. Every connection gets its own thread (``ThreadingHTTPServer``); all decisions are
made by :func:`dispatch.process`, this module only moves bytes.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .dispatch import Outcome, Request, process
from .faults import DROP, Fault, faulted_stream
from .responses import REQUEST_ID_HEADER, Response, json_error, new_request_id
from .state import EmulatorState

logger = logging.getLogger("bedrock_auth.testing")


_WRITE_BATCH = 64 * 1024  # bytes per write of a stream without faults

class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can wrap connections in TLS and close them all on stop."""

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
        self.ssl_context = ssl_context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
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

    def track(self, conn: socket.socket) -> None:
        """Remember a live connection so stop() can close it."""
        with self._connections_lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        """Forget a finished connection."""
        with self._connections_lock:
            self._connections.discard(conn)

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BedrockEmulator"
    sys_version = ""
    server: EmulatorHTTPServer
    _headers_buffer: list[bytes]  # BaseHTTPRequestHandler's, undeclared in typeshed

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except OSError:
                self.server.untrack(self.connection)  # finish() will not run after setup fails
                raise

    def finish(self) -> None:
        self.server.untrack(self.connection)
        with contextlib.suppress(OSError):  # the client went away first
            super().finish()

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header is how clients measure clock skew: it shows the emulated AWS clock.
        now = self.server.state.now() if timestamp is None else timestamp
        return formatdate(now, usegmt=True)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Not the request line: a presigned URL carries its signature in the query string.
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

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body)
            body += self.rfile.read(size)
            self.rfile.readline()

    def _serve(self) -> None:
        started = time.monotonic()
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, url.path, url.query, headers, self._read_body(), started)
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
