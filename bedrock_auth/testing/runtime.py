"""bedrock-runtime: Converse, ConverseStream, InvokeModel(+stream) and CountTokens."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any

from bedrock_auth._data import Capabilities

from .body_format import Family, Json
from .catalog import capabilities_for
from .converse_body import (
    content_blocks,
    converse_asked,
    converse_turn,
    converse_usage,
    stream_events,
)
from .decisions import decide
from .embeddings import Embedder
from .eventstream import event_frame
from .features import Asked, decide_extras
from .generation import Generation, all_text_tokens, generate, with_extras
from .guardrails import guardrail_trace
from .providers import family_for
from .responses import Response, json_response, stream_response, validation_error
from .state import Call
from .validation import validate_conversation, validate_count_tokens

_MALFORMED_BODY = "Malformed input request, please reformat your input and try again."
#: Converse request fields Bedrock echoes back in the answer (and the stream's metadata).
_ECHOED = ("performanceConfig", "serviceTier")
#: InvokeModel request headers Bedrock echoes back as reply headers (lower-case: as received).
_ECHOED_HEADERS = ("X-Amzn-Bedrock-Service-Tier", "X-Amzn-Bedrock-PerformanceConfig-Latency")


def latency_ms(call: Call) -> int:
    """Milliseconds since the request arrived (at least 1), as Bedrock reports latencies."""
    return max(1, int((time.monotonic() - call.started) * 1000))


def _check_model(call: Call, *, on_demand: bool = True) -> None:
    if call.state.strict_models:
        registry = call.state.registry
        problem = registry.strict_error(call.model_id, call.region, on_demand=on_demand)
        if problem:
            raise validation_error(problem)


def _capabilities(call: Call) -> Capabilities:
    return capabilities_for(call.key.resolved_model or call.model_id)


def _finish(
    call: Call, gen: Generation, asked: Asked, model: Capabilities, prompt: str
) -> Generation:
    """``gen`` with what the request asked besides the answer (reasoning, cache, ...)."""
    cache_key = call.key.resolved_model or call.model_id
    points = asked.cache_points
    cache = call.state.prompt_cache.use(cache_key, points) if points else None
    return with_extras(gen, decide_extras(asked, model, prompt, cache))


def _converse_generation(call: Call) -> tuple[Generation, Json, str, Capabilities]:
    """(answer, request body, prompt, model): the prompt and the model's capabilities are
    returned so the rest of the answer need not look them up a second time."""
    _check_model(call)
    body: Json = call.body if isinstance(call.body, dict) else {}
    model = _capabilities(call)
    messages = validate_conversation(body, model)
    config = body.get("inferenceConfig") or {}
    max_tokens = config.get("maxTokens") if isinstance(config, dict) else None
    turn = converse_turn(body)
    gen = generate(
        call.take_reply(),
        turn.prompt,
        all_text_tokens(messages, body.get("system")),
        max_tokens if isinstance(max_tokens, int) else None,
        decide(turn, forced_after_results=model.forced_choice_after_results),
    )
    gen = _finish(call, gen, converse_asked(body), model, turn.prompt)
    return gen, body, turn.prompt, model


def _answer_fields(call: Call, gen: Generation, body: Json, prompt: str) -> Json:
    """The answer's fields besides output and usage: the guardrail trace and echoed config."""
    fields: Json = {k: body[k] for k in _ECHOED if isinstance(body.get(k), dict)}
    trace = guardrail_trace(
        body.get("guardrailConfig"),
        call.region,
        call.state.account_id,
        prompt,
        gen.text or "",
    )
    return {**fields, "trace": trace} if trace else fields


def converse(call: Call) -> Response:
    """POST /model/{modelId}/converse."""
    gen, body, prompt, model = _converse_generation(call)
    usage = converse_usage(gen, cache_fields=model.cache_usage_always)
    return json_response(
        {
            "output": {"message": {"role": "assistant", "content": content_blocks(gen)}},
            "stopReason": gen.stop_reason,
            "usage": usage,
            "metrics": {"latencyMs": latency_ms(call)},
            **_answer_fields(call, gen, body, prompt),
        }
    )


def converse_stream(call: Call) -> Response:
    """POST /model/{modelId}/converse-stream: the ConverseStreamOutput event stream."""
    gen, body, prompt, _model = _converse_generation(call)
    metadata = {
        "usage": converse_usage(gen),
        "metrics": {"latencyMs": latency_ms(call)},
        **_answer_fields(call, gen, body, prompt),
    }
    events = [*stream_events(gen), ("metadata", metadata)]
    return stream_response([event_frame(name, payload) for name, payload in events])


def _invoke_setup(call: Call) -> tuple[Family, Json, Capabilities]:
    _check_model(call)
    body = call.body
    if not isinstance(body, dict):
        raise validation_error(_MALFORMED_BODY)
    model = _capabilities(call)
    return _checked_family(model, body, lambda family, b: family.validate(b)), body, model


def _checked_family(
    model: Capabilities, body: Json, problem_in: Callable[[Family, Json], str | None]
) -> Family:
    """The body format ``model`` takes ``body`` in, once ``problem_in`` finds nothing wrong."""
    family = family_for(model.invoke_body, body)
    if family is None:
        raise validation_error(_MALFORMED_BODY)
    problem = problem_in(family, body)
    if problem:
        raise validation_error(problem)
    return family


def invoke_generation(call: Call, family: Family, body: Json, model: Capabilities) -> Generation:
    """The answer to an InvokeModel-shaped ``body`` (Anthropic's Messages API on its own
    paths too): the model decides as for Converse, plus reasoning, cache and citations."""
    turn = family.turn(body)
    gen = generate(
        call.take_reply(),
        turn.prompt,
        family.input_tokens(body),
        family.max_tokens(body),
        decide(turn, forced_after_results=model.forced_choice_after_results),
    )
    return _finish(call, gen, family.asked(body), model, turn.prompt)


def _echoed_headers(call: Call) -> dict[str, str]:
    return {h: call.headers[h.lower()] for h in _ECHOED_HEADERS if h.lower() in call.headers}


def _token_headers(gen: Generation, latency: int, cache: bool) -> dict[str, str]:
    headers = {
        "X-Amzn-Bedrock-Input-Token-Count": str(gen.input_tokens),
        "X-Amzn-Bedrock-Output-Token-Count": str(gen.output_tokens),
        "X-Amzn-Bedrock-Invocation-Latency": str(latency),
    }
    if cache:
        headers["X-Amzn-Bedrock-Cache-Read-Input-Token-Count"] = str(gen.cache_read)
        headers["X-Amzn-Bedrock-Cache-Write-Input-Token-Count"] = str(gen.cache_write)
    return headers


def invoke_model(call: Call) -> Response:
    """POST /model/{modelId}/invoke: the provider's native response body."""
    family, body, model = _invoke_setup(call)
    if isinstance(family, Embedder):
        return json_response(
            family.embed(body, model),
            headers={
                "X-Amzn-Bedrock-Input-Token-Count": str(family.input_tokens(body)),
                "X-Amzn-Bedrock-Invocation-Latency": str(latency_ms(call)),
            },
        )
    gen = invoke_generation(call, family, body, model)
    latency = latency_ms(call)
    return json_response(
        family.response(gen, call.model_id, latency),
        headers={**_token_headers(gen, latency, family.cache_headers), **_echoed_headers(call)},
    )


def _chunk_frame(chunk: Json) -> bytes:
    raw = json.dumps(chunk, separators=(",", ":")).encode("utf-8")
    return event_frame("chunk", {"bytes": base64.b64encode(raw).decode("ascii")})


def invoke_model_stream(call: Call) -> Response:
    """POST /model/{modelId}/invoke-with-response-stream: ``chunk`` events."""
    family, body, model = _invoke_setup(call)
    if not family.streams:
        raise validation_error("The model is unsupported for streaming.")
    gen = invoke_generation(call, family, body, model)
    chunks = family.chunks(gen, call.model_id, latency_ms(call))
    return stream_response(
        [_chunk_frame(c) for c in chunks],
        {"X-Amzn-Bedrock-Content-Type": "application/json", **_echoed_headers(call)},
    )


def _invoke_body(encoded: Any) -> Json:
    try:
        body = json.loads(base64.b64decode(str(encoded), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise validation_error(_MALFORMED_BODY) from exc
    if not isinstance(body, dict):
        raise validation_error(_MALFORMED_BODY)
    return body


def count_tokens(call: Call) -> Response:
    """POST /model/{modelId}/count-tokens: ``{"inputTokens": n}``."""
    _check_model(call, on_demand=False)
    request = call.body.get("input") if isinstance(call.body, dict) else None
    if not isinstance(request, dict):
        raise validation_error("input is required")
    model = _capabilities(call)
    if isinstance(request.get("converse"), dict):
        validate_count_tokens(call.model_id, model)
        conversation = request["converse"]
        tokens = all_text_tokens(conversation.get("messages"), conversation.get("system"))
    elif isinstance(request.get("invokeModel"), dict):
        body = _invoke_body(request["invokeModel"].get("body"))
        validate_count_tokens(call.model_id, model)
        tokens = _checked_family(
            model, body, lambda family, b: family.tool_problem(b)
        ).input_tokens(body)
    else:
        raise validation_error("input must contain converse or invokeModel")
    return json_response({"inputTokens": tokens})
