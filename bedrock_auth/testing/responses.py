"""Response values the handlers return and the server writes, in each protocol's error format."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from . import ids

JSON = "application/json"
EVENT_STREAM = "application/vnd.amazon.eventstream"
XML = "text/xml"
REQUEST_ID_HEADER = "x-amzn-RequestId"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
# Bedrock's front-end appends its Coral namespace to x-amzn-ErrorType; botocore strips it.
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


# One encoder for every answer: json.dumps with separators builds a new JSONEncoder per call.
# (encode() keeps no state between calls: thread-safe.)
_COMPACT = json.JSONEncoder(separators=(",", ":"))


@dataclass
class Response:
    """What to send back. ``frames`` set means an event-stream (chunked) response."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    frames: list[bytes] | None = None
    error_code: str | None = None


def new_request_id() -> str:
    """A request id shaped like AWS's."""
    return ids.current().uuid()


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A rest-json success response."""
    body = _COMPACT.encode(payload).encode("utf-8")
    return Response(status, {"Content-Type": JSON, **(headers or {})}, body)


def json_error(code: str, message: str, status: int) -> Response:
    """A rest-json error: ``x-amzn-ErrorType`` header plus ``{"message": ...}`` body."""
    body = json.dumps({"message": message}).encode("utf-8")
    headers = {"Content-Type": JSON, "x-amzn-ErrorType": f"{code}{_ERROR_TYPE_SUFFIX}"}
    return Response(status, headers, body, error_code=code)


def xml_error(code: str, message: str, status: int) -> Response:
    """A query-protocol (STS) ``ErrorResponse`` document."""
    kind = "Receiver" if status >= 500 else "Sender"
    request_id = new_request_id()
    body = (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}">\n'
        f"  <Error>\n    <Type>{kind}</Type>\n    <Code>{escape(code)}</Code>\n"
        f"    <Message>{escape(message)}</Message>\n  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n"
    )
    headers = {"Content-Type": XML, REQUEST_ID_HEADER: request_id}
    return Response(status, headers, body.encode("utf-8"), error_code=code)


def error_for(service: str | None, code: str, message: str, status: int) -> Response:
    """An error in the protocol of ``service`` (XML for STS, JSON for the Bedrock APIs)."""
    if service == "sts":
        return xml_error(code, message, status)
    return json_error(code, message, status)


def stream_response(frames: list[bytes], headers: dict[str, str] | None = None) -> Response:
    """An event-stream response made of pre-encoded frames."""
    return Response(200, {"Content-Type": EVENT_STREAM, **(headers or {})}, frames=frames)


def xml_element(tag: str, children: str) -> str:
    """``<tag>children</tag>``; ``children`` must already be escaped XML."""
    return f"<{tag}>{children}</{tag}>"


def xml_text(tag: str, value: str) -> str:
    """``<tag>value</tag>`` with ``value`` escaped."""
    return xml_element(tag, escape(value))


def sts_response(action: str, result_xml: str) -> Response:
    """A query-protocol success document for ``action`` (``<ActionResponse><ActionResult>``)."""
    request_id = new_request_id()
    body = (
        f'<{action}Response xmlns="{STS_NAMESPACE}">\n'
        f"  {xml_element(f'{action}Result', result_xml)}\n"
        f"  {xml_element('ResponseMetadata', xml_text('RequestId', request_id))}\n"
        f"</{action}Response>\n"
    )
    headers = {"Content-Type": XML, REQUEST_ID_HEADER: request_id}
    return Response(200, headers, body.encode("utf-8"))


class ApiError(Exception):
    """Raised by a handler to answer with a modelled AWS error."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> ApiError:
    """The 400 ValidationException Bedrock answers malformed input with."""
    return ApiError("ValidationException", message, 400)
