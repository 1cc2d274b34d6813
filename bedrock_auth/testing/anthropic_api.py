"""Anthropic's Messages API on Bedrock's own paths: ``/anthropic/v1/messages`` and
``/anthropic/v1/messages/count_tokens``.

Served on the Mantle listener (SigV4 service name ``bedrock-mantle``, bare ids such as
``anthropic.claude-sonnet-5``, each on the path the model data gives it) and on the runtime
listener (``bedrock``); routed and authenticated with the OpenAI-compatible paths
(:mod:`.openai_api`), so the service-scope and API-key checks are the same.

The body is InvokeModel's Anthropic body with ``model`` in it and the version in the
``anthropic-version`` header instead of ``anthropic_version``; the model decides and answers as
it does for InvokeModel (:class:`.anthropic_body.Anthropic`), streaming as Anthropic's
server-sent events. ``count_tokens`` answers for every Claude model, including those
Bedrock's CountTokens refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .anthropic_body import Anthropic
from .catalog import capabilities_for
from .openai_api import check_model, named_sse
from .responses import Response, json_response, validation_error
from .runtime import invoke_generation, latency_ms
from .state import Call

Json = dict[str, Any]

_FAMILY = Anthropic()
_VERSION_HEADER = "anthropic-version"
#: What Bedrock adds to an InvokeModel stream's last chunk; Anthropic's own events lack it.
_BEDROCK_METRICS = "amazon-bedrock-invocationMetrics"


def _request(call: Call, *, counting: bool = False) -> tuple[Json, str]:
    """(body, model) of a valid request; Bedrock's ValidationException otherwise. Counting
    tokens needs no ``max_tokens``."""
    body = call.body if isinstance(call.body, dict) else None
    if body is None:
        raise validation_error("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise validation_error("model: Field required")
    check_model(call, model)
    version = call.headers.get(_VERSION_HEADER)
    if version is None:
        raise validation_error(f"{_VERSION_HEADER}: header is required")
    # The header stands where InvokeModel's body field does, and is checked as that field is.
    optional = {"max_tokens": None} if counting else {}
    problem = _FAMILY.validate({**optional, **body, "anthropic_version": version})
    if problem:
        raise validation_error(problem)
    return body, model


def messages(call: Call) -> Response:
    """POST .../anthropic/v1/messages: a ``message``, or its events with ``stream``."""
    body, model = _request(call)
    gen = invoke_generation(call, _FAMILY, body, capabilities_for(model))
    if body.get("stream") is True:
        events = _FAMILY.chunks(gen, model, latency_ms(call))
        return named_sse([{k: v for k, v in e.items() if k != _BEDROCK_METRICS} for e in events])
    return json_response(_FAMILY.response(gen, model, latency_ms(call)))


def count_message_tokens(call: Call) -> Response:
    """POST .../anthropic/v1/messages/count_tokens: ``{"input_tokens": n}``."""
    body, _model = _request(call, counting=True)
    return json_response({"input_tokens": _FAMILY.input_tokens(body)})


#: Operation -> handler, merged into the dispatcher's table.
HANDLERS: dict[str, Callable[[Call], Response]] = {
    "CreateMessage": messages,
    "CountMessageTokens": count_message_tokens,
}
