"""The Mantle listener: bedrock-mantle's OpenAI-compatible and Anthropic Messages APIs on a
port of their own.

Real Mantle is another host (``bedrock-mantle.{region}.api.aws``); here it is a second server
on the same emulator state (script, faults, request log, identities), whose handler tags each
request so the dispatcher routes it (:mod:`.openai_api`, :mod:`.anthropic_api`) as Mantle's (see
:data:`.openai_api.LISTENER_HEADER`).
"""

from __future__ import annotations

import ssl
import threading

from .openai_api import LISTENER_HEADER, MANTLE_TAG
from .server import EmulatorHTTPServer, _Handler
from .state import EmulatorState


class _MantleHandler(_Handler):
    def _parse(self, head: list[bytes]) -> bool:
        # _parse, not parse_request: a plain head is parsed without parse_request.
        parsed = super()._parse(head)
        if parsed:
            del self.headers[LISTENER_HEADER]  # a client cannot choose the listener
            self.headers[LISTENER_HEADER] = MANTLE_TAG
        return parsed


class MantleListener:
    """A started Mantle server and its thread; :meth:`stop` ends both."""

    def __init__(self, host: str, state: EmulatorState, context: ssl.SSLContext | None) -> None:
        self.server = EmulatorHTTPServer((host, 0), state, context)
        self.server.RequestHandlerClass = _MantleHandler
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.005},  # as the main server: a cheap stop()
            name=f"bedrock-emulator-mantle-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.close_connections()
        self.server.server_close()
        self._thread.join(timeout=5)
