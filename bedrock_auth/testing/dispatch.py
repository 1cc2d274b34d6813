"""The request pipeline, socket-free: route, record, authenticate, inject faults, handle.

The server feeds each request in and writes out the :class:`Outcome`; keeping the socket out of
this module means every decision the emulator makes is a plain function of its inputs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from . import agents, anthropic_api, control, openai_api, runtime, sts
from .auth import BEARER, SIGV4, AuthInfo, Masker, read_auth, signing_time_error
from .faults import DROP, Fault, before_handling, default_message
from .identity import EXPIRED, MISSING, OK, UNRECOGNIZED
from .limits import (
    MAX_FORM_FIELDS,
    RECORDED_FORM_BYTES,
    RECORDED_RAW_BODY_BYTES,
    nesting_exceeds,
)
from .responses import ApiError, Response, error_for, json_error, validation_error
from .routing import (
    AGENT_RUNTIME,
    STS,
    UNSIGNED_OPERATIONS,
    Route,
    flatten_query,
    is_streaming,
    route,
    sts_action,
)
from .script import CallKey, RecordedRequest
from .state import Call, EmulatorState

logger = logging.getLogger("bedrock_auth.testing")

Handler = Callable[[Call], Response]

HANDLERS: dict[str, Handler] = {
    "Converse": runtime.converse,
    "ConverseStream": runtime.converse_stream,
    "InvokeModel": runtime.invoke_model,
    "InvokeModelWithResponseStream": runtime.invoke_model_stream,
    "CountTokens": runtime.count_tokens,
    "InvokeAgent": agents.invoke_agent,
    "GetInferenceProfile": control.get_inference_profile,
    "ListInferenceProfiles": control.list_inference_profiles,
    "GetFoundationModel": control.get_foundation_model,
    "ListFoundationModels": control.list_foundation_models,
    **openai_api.HANDLERS,
    **anthropic_api.HANDLERS,
    **sts.ACTIONS,
}

# The auth error each IdentityStore outcome becomes, per protocol.
_AUTH_ERRORS = {
    MISSING: ("MissingAuthenticationTokenException", "MissingAuthenticationToken"),
    EXPIRED: ("ExpiredTokenException", "ExpiredToken"),
}
_UNRECOGNIZED = ("UnrecognizedClientException", "InvalidClientTokenId")


@dataclass
class Request:
    """The parts of an HTTP request the pipeline needs; ``headers`` keys are lower-case."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes
    started: float


@dataclass
class Outcome:
    """What to send: ``response`` None means close the socket without answering.

    ``stream_fault`` is applied by the writer after ``after_chunks`` event frames.
    """

    response: Response | None
    stream_fault: Fault | None = None


def _sts_form(request: Request) -> dict[str, str]:
    if request.method != "POST" or not request.body:
        return {}
    try:
        parsed = parse_qs(
            request.body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:  # not UTF-8 (UnicodeDecodeError), or more fields than any STS call
        return {}
    return {k: v[0] for k, v in parsed.items()}


def _resolve_route(request: Request, query: dict[str, str]) -> tuple[Route | None, dict[str, str]]:
    """The route, and the body read as an STS form: only an STS call or an unrouted one (whose
    log entry keeps the form) reads it, so other bodies are not parsed as forms for nothing."""
    listener = openai_api.listener_of(request.headers)
    found = openai_api.route(listener, request.method, request.path, request.body)
    if found is None and listener != openai_api.MANTLE:
        # (the Mantle listener serves only the OpenAI and Anthropic APIs)
        found = route(request.method, request.path)
    if found is not None:
        return found, _sts_form(request) if found.service == STS else {}
    form = _sts_form(request)
    if listener == openai_api.MANTLE:
        return None, form
    action = sts_action(request.method, request.path, form, query)
    return (Route(STS, action) if action else None), form


def _parse_json(body: bytes, max_nesting: int) -> tuple[Any, bool]:
    """(parsed body, ok). An empty body is ``None`` and fine; one nested deeper than
    ``max_nesting`` is malformed (json gives up near Python's recursion limit by itself)."""
    if not body.strip():
        return None, True
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, False
    if nesting_exceeds(parsed, max_nesting):
        return None, False
    return parsed, True


def _raw_text(raw: bytes) -> str:
    """A body that is not JSON, as the log keeps it: whole when short, else its start and size
    (a client sending 100 MB bodies must not grow the log by 100 MB each)."""
    if len(raw) <= RECORDED_RAW_BODY_BYTES:
        return raw.decode("utf-8", "replace")
    start = raw[:RECORDED_RAW_BODY_BYTES].decode("utf-8", "replace")
    return f"{start}... [{len(raw)} bytes in all]"


def _recorded_body(
    masker: Masker, service: str | None, form: dict[str, str], parsed: Any, ok: bool, raw: bytes
) -> Any:
    if service == STS or (service is None and form):
        if len(raw) > RECORDED_FORM_BYTES:  # no STS call is this large; keep its size only
            return f"[{len(raw)} bytes of form data]"
        return masker.fields(form, "body")
    if ok:
        return masker.json(parsed, "body")
    return _raw_text(raw)


def _call_key(state: EmulatorState, found: Route | None, auth: AuthInfo) -> CallKey:
    if found is None:
        return CallKey(None, None, auth.region or state.region)
    model_id = found.model_id
    resolved = None
    if model_id and found.service != AGENT_RUNTIME:  # an agent id is not a model id
        resolved = state.registry.resolve(model_id)
    return CallKey(
        found.service,
        found.operation,
        auth.region or state.region,
        model_id,
        resolved,
        is_streaming(found.operation),
    )


def _auth_error(
    state: EmulatorState, found: Route, auth: AuthInfo, headers: dict[str, str], region: str
) -> ApiError | None:
    if found.operation in UNSIGNED_OPERATIONS:
        return None
    if auth.scheme == SIGV4:
        stale = signing_time_error(found.service, headers.get("x-amz-date", ""), state.now())
        if stale is not None:
            return ApiError(*stale, 403)
        wrong_service = openai_api.scope_error(found, auth)
        if wrong_service is not None:
            return wrong_service
    outcome = state.identities.check(auth)
    if outcome == OK and auth.scheme == BEARER and found.service in (AGENT_RUNTIME, STS):
        outcome = UNRECOGNIZED  # API keys only work for bedrock and bedrock-runtime
    if outcome == OK and auth.scheme == BEARER:
        token = headers.get("authorization", "")[7:].strip()
        strict = found.operation in openai_api.OPERATIONS
        refused = state.api_keys.check(token, region, strict=strict)
        return None if refused is None else ApiError(*refused, 403)
    if outcome == OK:
        return None
    json_code, xml_code = _AUTH_ERRORS.get(outcome, _UNRECOGNIZED)
    code = xml_code if found.service == STS else json_code
    return ApiError(code, default_message(code), 403)


def _record(
    state: EmulatorState,
    request: Request,
    found: Route | None,
    auth: AuthInfo,
    key: CallKey,
    body: Any,
    masker: Masker,
    query: dict[str, str],
) -> RecordedRequest:
    record = RecordedRequest(
        method=request.method,
        path=request.path,
        service=found.service if found else None,
        operation=found.operation if found else None,
        model_id=found.params.get("modelId") if found else None,
        region=key.region,
        signing_service=auth.service if auth.scheme == SIGV4 else None,
        auth_scheme=auth.scheme,
        access_key_id=auth.access_key_id,
        headers=masker.headers(request.headers),
        body=body,
        query=masker.fields(query, "query"),
        params=dict(found.params) if found else {},
        masked=masker.fingerprints,
    )
    state.log.append(record)
    return record


def _finish(record: RecordedRequest, outcome: Outcome) -> Outcome:
    response = outcome.response
    if response is None:
        record.error_code = "ConnectionDropped"
        return outcome
    record.status = response.status
    record.error_code = response.error_code
    if outcome.stream_fault is not None and outcome.stream_fault.code:
        record.error_code = outcome.stream_fault.code
    return outcome


def _handle(call: Call, parsed_ok: bool) -> Response:
    service = call.route.service
    try:
        if not parsed_ok:
            raise validation_error(
                "Malformed input request, please reformat your input and try again."
            )
        handler = HANDLERS.get(call.route.operation)
        if handler is None:
            raise sts.unknown_action(call.route.operation)
        return handler(call)
    except ApiError as err:
        return error_for(service, err.code, err.message, err.status)
    except Exception:  # one bad request must never take the handler thread down
        logger.exception("emulator handler failed for %s", call.route.operation)
        return error_for(
            service,
            "InternalServerException",
            "The emulator failed while handling the request.",
            500,
        )


def process(state: EmulatorState, request: Request) -> Outcome:
    """Everything between reading a request and writing its response."""
    query = flatten_query(request.raw_query)
    found, form = _resolve_route(request, query)
    auth = read_auth(request.headers, request.raw_query)
    service = found.service if found else None
    parsed, parsed_ok = (
        (form, True) if service == STS else _parse_json(request.body, state.limits.max_nesting)
    )
    key = _call_key(state, found, auth)
    masker = Masker()
    body = _recorded_body(masker, service, form, parsed, parsed_ok, request.body)
    record = _record(state, request, found, auth, key, body, masker, query)
    if found is None:
        message = f"Unknown operation: {request.method} {request.path}"
        return _finish(record, Outcome(json_error("UnknownOperationException", message, 404)))
    denied = _auth_error(state, found, auth, request.headers, key.region)
    if denied is not None:
        return _finish(
            record, Outcome(error_for(service, denied.code, denied.message, denied.status))
        )
    fault = state.faults.take(key)
    stream_fault = fault if fault and fault.mid_stream else None
    if fault is not None and stream_fault is None:
        early = before_handling(fault, service, state.delays)
        if early is not None:
            return _finish(record, Outcome(None if early == DROP else early))
    call = Call(state, found, key.region, auth, record.headers, query, parsed, key, request.started)
    response = _handle(call, parsed_ok)
    if response.frames is None:
        stream_fault = None  # the call failed before streaming; nothing to interrupt
    return _finish(record, Outcome(response, stream_fault))
