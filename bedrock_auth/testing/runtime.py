"""bedrock-runtime: Converse, ConverseStream, InvokeModel(+stream) and CountTokens."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import time
from typing import Any

from .converse_body import content_blocks, converse_turn, converse_usage, stream_events
from .decisions import decide
from .eventstream import event_frame
from .generation import Generation, all_text_tokens, generate
from .providers import Embedder, Family, Json, family_for
from .responses import Response, json_response, stream_response, validation_error
from .state import Call

_START_WITH_USER = (
    "A conversation must start with a user message. Try again with a "
    "conversation that starts with a user message."
)
_ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the "
    "conversation alternates between user and assistant roles and try again."
)
_NEEDS_TOOL_CONFIG = (
    "The toolConfig field must be defined when using toolUse and toolResult content blocks."
)
_MALFORMED_BODY = "Malformed input request, please reformat your input and try again."


def _latency_ms(call: Call) -> int:
    return max(1, int((time.monotonic() - call.started) * 1000))


def _check_model(call: Call) -> None:
    if call.state.strict_models:
        problem = call.state.registry.strict_error(call.model_id, call.region)
        if problem:
            raise validation_error(problem)


def _uses_tools(messages: list[Any]) -> bool:
    return any(
        isinstance(block, dict) and ("toolUse" in block or "toolResult" in block)
        for m in messages
        if isinstance(m, dict)
        for block in (m.get("content") or [])
    )


def _validate_conversation(body: Json) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise validation_error(_START_WITH_USER)
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    if roles[0] != "user":
        raise validation_error(_START_WITH_USER)
    if any(a == b for a, b in itertools.pairwise(roles)):
        raise validation_error(_ALTERNATE)
    if _uses_tools(messages) and not body.get("toolConfig"):
        raise validation_error(_NEEDS_TOOL_CONFIG)
    return messages


def _converse_generation(call: Call) -> Generation:
    _check_model(call)
    body: Json = call.body
    messages = _validate_conversation(body)
    config = body.get("inferenceConfig") or {}
    max_tokens = config.get("maxTokens") if isinstance(config, dict) else None
    turn = converse_turn(body)
    return generate(
        call.take_reply(),
        turn.prompt,
        all_text_tokens(messages, body.get("system")),
        max_tokens if isinstance(max_tokens, int) else None,
        decide(turn),
    )


def converse(call: Call) -> Response:
    """POST /model/{modelId}/converse."""
    gen = _converse_generation(call)
    return json_response(
        {
            "output": {"message": {"role": "assistant", "content": content_blocks(gen)}},
            "stopReason": gen.stop_reason,
            "usage": converse_usage(gen),
            "metrics": {"latencyMs": _latency_ms(call)},
        }
    )


def _converse_events(gen: Generation, latency_ms: int) -> list[tuple[str, Json]]:
    metadata = {"usage": converse_usage(gen), "metrics": {"latencyMs": latency_ms}}
    return [*stream_events(gen), ("metadata", metadata)]


def converse_stream(call: Call) -> Response:
    """POST /model/{modelId}/converse-stream: the ConverseStreamOutput event stream."""
    gen = _converse_generation(call)
    frames = [
        event_frame(name, payload) for name, payload in _converse_events(gen, _latency_ms(call))
    ]
    return stream_response(frames)


def _invoke_setup(call: Call) -> tuple[Family, Json]:
    _check_model(call)
    body = call.body
    if not isinstance(body, dict):
        raise validation_error(_MALFORMED_BODY)
    family = family_for(call.key.resolved_model or call.model_id, body)
    if family is None:
        raise validation_error(_MALFORMED_BODY)
    problem = family.validate(body)
    if problem:
        raise validation_error(problem)
    return family, body


def _invoke_generation(call: Call, family: Family, body: Json) -> Generation:
    turn = family.turn(body)
    return generate(
        call.take_reply(),
        turn.prompt,
        family.input_tokens(body),
        family.max_tokens(body),
        decide(turn),
    )


def invoke_model(call: Call) -> Response:
    """POST /model/{modelId}/invoke: the provider's native response body."""
    family, body = _invoke_setup(call)
    if isinstance(family, Embedder):
        return json_response(
            family.embed(body, call.key.resolved_model or call.model_id),
            headers={"X-Amzn-Bedrock-Input-Token-Count": str(family.input_tokens(body))},
        )
    gen = _invoke_generation(call, family, body)
    latency = _latency_ms(call)
    return json_response(
        family.response(gen, call.model_id, latency),
        headers={
            "X-Amzn-Bedrock-Input-Token-Count": str(gen.input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(gen.output_tokens),
            "X-Amzn-Bedrock-Invocation-Latency": str(latency),
        },
    )


def _chunk_frame(chunk: Json) -> bytes:
    raw = json.dumps(chunk, separators=(",", ":")).encode("utf-8")
    return event_frame("chunk", {"bytes": base64.b64encode(raw).decode("ascii")})


def invoke_model_stream(call: Call) -> Response:
    """POST /model/{modelId}/invoke-with-response-stream: ``chunk`` events."""
    family, body = _invoke_setup(call)
    if not family.streams:
        raise validation_error("The model is unsupported for streaming.")
    gen = _invoke_generation(call, family, body)
    chunks = family.chunks(gen, call.model_id, _latency_ms(call))
    return stream_response(
        [_chunk_frame(c) for c in chunks], {"X-Amzn-Bedrock-Content-Type": "application/json"}
    )


def _invoke_body_tokens(call: Call, encoded: Any) -> int:
    try:
        body = json.loads(base64.b64decode(str(encoded), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise validation_error(_MALFORMED_BODY) from exc
    family = (
        family_for(call.key.resolved_model or call.model_id, body)
        if isinstance(body, dict)
        else None
    )
    if family is None or not isinstance(body, dict):
        raise validation_error(_MALFORMED_BODY)
    return family.input_tokens(body)


def count_tokens(call: Call) -> Response:
    """POST /model/{modelId}/count-tokens: ``{"inputTokens": n}``."""
    _check_model(call)
    request = call.body.get("input") if isinstance(call.body, dict) else None
    if not isinstance(request, dict):
        raise validation_error("input is required")
    if isinstance(request.get("converse"), dict):
        conversation = request["converse"]
        tokens = all_text_tokens(conversation.get("messages"), conversation.get("system"))
    elif isinstance(request.get("invokeModel"), dict):
        tokens = _invoke_body_tokens(call, request["invokeModel"].get("body"))
    else:
        raise validation_error("input must contain converse or invokeModel")
    return json_response({"inputTokens": tokens})
