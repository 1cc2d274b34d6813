"""Small local HTTP servers that stand in for AWS credential endpoints, on 127.0.0.1.

Every server records what it received, so tests can assert on the wire traffic:

- :class:`RecordingProxy` sits in front of moto and records STS calls (action, parameters,
  signing key id and region, reply status), so a test can count AssumeRole calls or check
  that an ExternalId was sent.
- :class:`SSOPortal` serves SSO ``GetRoleCredentials``.
- :class:`ContainerCredentials` serves ECS/EKS container credentials.
- :class:`IMDSv2` serves the EC2 instance metadata credential paths, token required.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar

__all__ = [
    "ContainerCredentials",
    "IMDSv2",
    "LocalServer",
    "Record",
    "RecordingProxy",
    "Reply",
    "RoleCredentials",
    "SSOPortal",
]

_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class RoleCredentials:
    """Temporary credentials as STS issued them (``expiration`` is ISO 8601, UTC)."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: str
    arn: str

    @property
    def expiration_ms(self) -> int:
        """The expiration as epoch milliseconds (the SSO portal's format)."""
        expires = datetime.fromisoformat(self.expiration.replace("Z", "+00:00"))
        return int(expires.timestamp() * 1000)


@dataclass
class Record:
    """One request a server received, and what it answered."""

    method: str
    target: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    reply_body: bytes = b""

    @property
    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (AWS query protocol)."""
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8", "replace")))

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    @property
    def action(self) -> str:
        """The AWS query-protocol action (``AssumeRole``, ``GetCallerIdentity``, ...)."""
        return self.form.get("Action") or self.query.get("Action", "")

    @property
    def signing_key_id(self) -> str | None:
        """The access key id in the SigV4 Authorization header (``None`` when unsigned)."""
        match = _CREDENTIAL_SCOPE.search(self.header("Authorization") or "")
        return match.group(1) if match else None

    @property
    def signing_region(self) -> str | None:
        """The region in the SigV4 credential scope (``None`` when unsigned)."""
        match = _CREDENTIAL_SCOPE.search(self.header("Authorization") or "")
        return match.group(2) if match else None


@dataclass
class Reply:
    """What a responder returns: status, JSON-able or raw body, extra headers."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "text/plain")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/plain")
        return json.dumps(self.body).encode(), "application/json"


Responder = Callable[[Record], Reply]


class _Server(ThreadingHTTPServer):
    # Tests connect from 64 threads at once; socketserver's listen backlog of 5 would drop
    # some of those connections, and botocore would report them as closed by the server.
    request_queue_size = 128
    daemon_threads = True
_S = TypeVar("_S", bound="LocalServer")


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 (free port) that records requests and asks a
    responder for each reply. Use as a context manager, or call :meth:`start`/:meth:`stop`."""

    def __init__(self, responder: Responder | None = None) -> None:
        self._responder = responder
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self: _S) -> _S:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                record = Record(
                    method=self.command,
                    target=self.path,
                    path=parsed.path,
                    query=dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)),
                    headers=dict(self.headers.items()),
                    body=body,
                )
                try:
                    reply = owner.respond(record)
                except Exception as exc:  # a broken responder must show up, not hang a test
                    reply = Reply(500, f"responder failed: {exc!r}")
                payload, content_type = reply.encoded()
                record.status, record.reply_body = reply.status, payload
                owner._record(record)
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=type(self).__name__)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- recording ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _record(self, record: Record) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def respond(self, record: Record) -> Reply:
        if self._responder is None:
            return Reply(404, "no responder")
        return self._responder(record)


class RecordingProxy(LocalServer):
    """Forwards every request unchanged (Host header and signature included) to ``upstream``
    and records it with moto's reply."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        super().__init__()
        self._upstream = (upstream_host, upstream_port)

    def respond(self, record: Record) -> Reply:
        conn = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            conn.putrequest(record.method, record.target, skip_host=True, skip_accept_encoding=True)
            for name, value in record.headers.items():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(record.body)))
            conn.endheaders(record.body)
            response = conn.getresponse()
            payload = response.read()
            headers = {k: v for k, v in response.getheaders()
                       if k.lower() not in ("content-length", "connection", "transfer-encoding",
                                            "date", "server")}
            return Reply(response.status, payload, headers)
        finally:
            conn.close()

    def calls(self, action: str) -> list[Record]:
        """The recorded requests for one STS action."""
        return [r for r in self.records if r.action == action]


class SSOPortal(LocalServer):
    """The SSO portal's GetRoleCredentials, as botocore's SSO fetcher calls it."""

    def __init__(self, access_token: str, account_id: str, role_name: str,
                 credentials: RoleCredentials) -> None:
        super().__init__()
        self.access_token = access_token
        self.account_id = account_id
        self.role_name = role_name
        self.credentials = credentials

    def respond(self, record: Record) -> Reply:
        if record.method != "GET" or record.path != "/federation/credentials":
            return Reply(404, {"message": "not found"})
        if record.header("x-amz-sso_bearer_token") != self.access_token:
            return Reply(401, {"message": "Session token not found or invalid"},
                         {"x-amzn-ErrorType": "UnauthorizedException"})
        if (record.query.get("role_name"), record.query.get("account_id")) != (
                self.role_name, self.account_id):
            return Reply(403, {"message": "No access"}, {"x-amzn-ErrorType": "ForbiddenException"})
        c = self.credentials
        return Reply(200, {"roleCredentials": {
            "accessKeyId": c.access_key_id,
            "secretAccessKey": c.secret_access_key,
            "sessionToken": c.session_token,
            "expiration": c.expiration_ms,
        }})


class ContainerCredentials(LocalServer):
    """The ECS/EKS container credentials endpoint (``AWS_CONTAINER_CREDENTIALS_FULL_URI``)."""

    path = "/v2/credentials/task"

    def __init__(self, auth_token: str, credentials: RoleCredentials) -> None:
        super().__init__()
        self.auth_token = auth_token
        self.credentials = credentials

    @property
    def full_uri(self) -> str:
        return self.url + self.path

    def respond(self, record: Record) -> Reply:
        if record.path != self.path:
            return Reply(404, {"message": "not found"})
        if record.header("Authorization") != self.auth_token:
            return Reply(401, {"Code": "AccessDenied", "Message": "bad authorization token"})
        c = self.credentials
        return Reply(200, {
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key,
            "Token": c.session_token,
            "Expiration": c.expiration,
            "RoleArn": c.arn,
        })


class IMDSv2(LocalServer):
    """EC2 instance metadata, IMDSv2 only: every GET needs the session token from the PUT."""

    token = "imds-session-token-0123456789"
    prefix = "/latest/meta-data/iam/security-credentials/"

    def __init__(self, role_name: str, credentials: RoleCredentials) -> None:
        super().__init__()
        self.role_name = role_name
        self.credentials = credentials

    def respond(self, record: Record) -> Reply:
        if record.path == "/latest/api/token":
            if record.method != "PUT":
                return Reply(405, "")
            if not record.header("x-aws-ec2-metadata-token-ttl-seconds"):
                return Reply(400, "missing ttl")
            return Reply(200, self.token,
                         {"x-aws-ec2-metadata-token-ttl-seconds": "21600"})
        if record.method != "GET":
            return Reply(405, "")
        if record.header("x-aws-ec2-metadata-token") != self.token:
            return Reply(401, "")
        if record.path == self.prefix:
            return Reply(200, self.role_name)
        if record.path == self.prefix + self.role_name:
            c = self.credentials
            return Reply(200, {
                "Code": "Success",
                "LastUpdated": c.expiration,
                "Type": "AWS-HMAC",
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key,
                "Token": c.session_token,
                "Expiration": c.expiration,
            })
        return Reply(404, "")
