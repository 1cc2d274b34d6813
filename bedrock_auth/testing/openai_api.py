"""Bedrock's OpenAI-compatible APIs: Chat Completions and Responses (SSE streaming too), models.

Served on the runtime listener under ``/openai/v1`` (SigV4 service name ``bedrock``, runtime
ids and inference profiles) and on the Mantle listener under ``/v1`` and ``/openai/v1`` (SigV4
service name ``bedrock-mantle``, bare ids, each model on the path the model data gives it).
A request signed for the other service is refused as AWS refuses it (403). Anthropic's Messages
API (``/anthropic/v1``, :mod:`.anthropic_api`) is routed and checked here alongside.

The model decides as it does for Converse (:mod:`.decisions`: a forced or mentioned tool, JSON
for a schema) and answers through :mod:`.generation`: scripted replies, faults and the request
log work here as everywhere. Errors use the Bedrock front end's format (``x-amzn-ErrorType``).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from bedrock_auth.models import get_model_info, list_models

from .auth import SIGV4, AuthInfo
from .decisions import ANY, AUTO, NONE, Tool, Turn, decide, mapping
from .generation import Generation, all_text_tokens, generate, split_words, text_of
from .providers import mistral_chat_turn
from .responses import ApiError, Response, json_response, validation_error
from .routing import Route
from .script import TOOL_USE_ID_PREFIX
from .state import Call

Json = dict[str, Any]

RUNTIME = "bedrock-runtime"
MANTLE = "bedrock-mantle"
#: A request that reached the Mantle listener carries this header (set by that listener),
#: with a value clients cannot guess: no request to the runtime listener passes for Mantle's.
LISTENER_HEADER = "x-bedrock-emulator-listener"
MANTLE_TAG = f"mantle-{secrets.token_hex(8)}"
#: The SigV4 service name each endpoint accepts.
SIGNING_NAMES = {RUNTIME: "bedrock", MANTLE: "bedrock-mantle"}
_OPENAI = {
    ("POST", "/chat/completions"): "CreateChatCompletion",
    ("POST", "/responses"): "CreateResponse",
    ("GET", "/models"): "ListModels",
}
#: Anthropic's Messages API (handled by :mod:`.anthropic_api`), on the same auth rules.
_ANTHROPIC = {
    ("POST", "/messages"): "CreateMessage",
    ("POST", "/messages/count_tokens"): "CountMessageTokens",
}
#: Where the APIs live on each listener: URL prefix -> (the model data's ``mantle.path`` of
#: the models served there, the operations under it).
PREFIXES: dict[str, dict[str, tuple[str, dict[tuple[str, str], str]]]] = {
    RUNTIME: {"/openai/v1": ("/openai/v1", _OPENAI), "/anthropic/v1": ("/anthropic", _ANTHROPIC)},
    MANTLE: {
        "/v1": ("/v1", _OPENAI),
        "/openai/v1": ("/openai/v1", _OPENAI),
        "/anthropic/v1": ("/anthropic", _ANTHROPIC),
    },
}
#: The operations served on these paths (names of the emulator's own: AWS has no model of them).
OPERATIONS = frozenset({*_OPENAI.values(), *_ANTHROPIC.values()})
_FINISH = {"tool_use": "tool_calls", "max_tokens": "length"}
_NOT_FOUND = "ResourceNotFoundException"


# -- routing and auth ------------------------------------------------------------------------


def listener_of(headers: Mapping[str, str]) -> str:
    """Which listener a request reached: the Mantle one tags its requests."""
    return MANTLE if headers.get(LISTENER_HEADER) == MANTLE_TAG else RUNTIME


def route(listener: str, method: str, path: str, body: bytes) -> Route | None:
    """The OpenAI-compatible operation ``method`` + ``path`` addresses on ``listener``."""
    for prefix, (served_path, operations) in PREFIXES[listener].items():
        if not path.startswith(prefix + "/"):
            continue
        operation = operations.get((method, path[len(prefix) :].rstrip("/")))
        if operation is None:
            return None
        params = {"path": served_path}
        model = _model_in(body)
        if model:
            params["modelId"] = model
        return Route(listener, operation, params)
    return None


def _model_in(body: bytes) -> str | None:
    try:
        parsed = json.loads(body) if body.strip() else None
    except (UnicodeDecodeError, ValueError):
        return None
    model = parsed.get("model") if isinstance(parsed, dict) else None
    return model if isinstance(model, str) else None


def scope_error(found: Route, auth: AuthInfo) -> ApiError | None:
    """AWS's 403 for SigV4 scoped to another service than the endpoint's."""
    if found.operation not in OPERATIONS or auth.scheme != SIGV4:
        return None
    expected = SIGNING_NAMES[found.service]
    if auth.service == expected:
        return None
    return ApiError(
        "InvalidSignatureException",
        f"Credential should be scoped to correct service: '{expected}'. ",
        403,
    )


# -- models ----------------------------------------------------------------------------------


def check_model(call: Call, model: str) -> None:
    """Refuse ``model`` as the endpoint would: Mantle by its data, runtime when strict."""
    if call.route.service == MANTLE:
        _check_mantle_model(call, model)
    elif call.state.strict_models:
        problem = call.state.registry.strict_error(model, call.region)
        if problem:
            raise validation_error(problem)


def _check_mantle_model(call: Call, model: str) -> None:
    """Mantle takes bare ids, each on its own path; an id the data does not know is taken
    unless the emulator is strict."""
    info = get_model_info(model)
    path = call.route.params.get("path", "")
    if info is None:
        if call.state.strict_models:
            raise ApiError(_NOT_FOUND, f"The model {model} does not exist.", 404)
        return
    served = info.mantle
    if served is None or served.model_id != model:
        hint = f"; use {served.model_id}" if served is not None else ""
        message = f"The model {model} does not exist on bedrock-mantle{hint}."
        raise ApiError(_NOT_FOUND, message, 404)
    if served.path != path:
        raise ApiError(
            _NOT_FOUND,
            f"The model {model} is served at {served.path} on bedrock-mantle, not at {path}.",
            404,
        )


def list_openai_models(call: Call) -> Response:
    """GET .../models: the models this endpoint serves, as OpenAI lists them."""
    if call.route.service == MANTLE:
        path = call.route.params.get("path")
        ids = [m.mantle.model_id for m in list_models() if m.mantle and m.mantle.path == path]
    else:
        ids = [m.model_id for m, _ in call.state.registry.models_in(call.region)]
    data = [{"id": i, "object": "model", "created": 0, "owned_by": i.split(".")[0]} for i in ids]
    return json_response({"object": "list", "data": data})


# -- reading requests ------------------------------------------------------------------------


def _chat_schema(body: Json) -> Mapping[str, Any] | None:
    """The schema of ``response_format`` (``json_schema``; ``json_object`` is any object)."""
    response_format = mapping(body.get("response_format"))
    if response_format.get("type") == "json_object":
        return {"type": "object"}
    schema = mapping(response_format.get("json_schema")).get("schema")
    return schema if isinstance(schema, Mapping) else None


def _chat_generation(call: Call) -> tuple[str, Generation]:
    body = call.body if isinstance(call.body, dict) else {}
    model, messages = body.get("model"), body.get("messages")
    if not isinstance(model, str) or not model:
        raise validation_error("model is required.")
    if not isinstance(messages, list) or not messages:
        raise validation_error("messages must be a non-empty array.")
    check_model(call, model)
    turn = replace(mistral_chat_turn(body), output_schema=_chat_schema(body))
    budget = body.get("max_completion_tokens", body.get("max_tokens"))
    gen = generate(
        call.take_reply(),
        turn.prompt,
        all_text_tokens(messages),
        budget if isinstance(budget, int) else None,
        decide(turn),
    )
    return model, gen


def _responses_choice(choice: Any) -> str:
    if isinstance(choice, str):
        return {"required": ANY, "none": NONE}.get(choice, AUTO)
    name = mapping(choice).get("name")
    return name if isinstance(name, str) else AUTO


def _responses_turn(body: Json) -> Turn:
    raw = body.get("input")
    items = [{"role": "user", "content": raw}] if isinstance(raw, str) else raw
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    answers = bool(items) and items[-1].get("type") == "function_call_output"
    users = [i for i in items if i.get("role") == "user"]
    if answers:
        prompt = text_of(items[-1].get("output"))
    else:
        prompt = text_of(users[-1].get("content")) if users else ""
    tools = tuple(
        Tool(str(t["name"]), str(t.get("description") or ""), mapping(t.get("parameters")))
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "function" and "name" in t
    )
    text_format = mapping(mapping(body.get("text")).get("format"))
    schema = text_format.get("schema") if text_format.get("type") == "json_schema" else None
    return Turn(
        prompt,
        tools,
        _responses_choice(body.get("tool_choice")),
        answers,
        schema if isinstance(schema, Mapping) else None,
    )


def _responses_generation(call: Call) -> tuple[str, Generation]:
    body = call.body if isinstance(call.body, dict) else {}
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise validation_error("model is required.")
    if body.get("background"):
        raise validation_error("background responses are not supported by this emulator.")
    if not isinstance(body.get("input"), (str, list)):
        raise validation_error("input must be a string or an array of input items.")
    check_model(call, model)
    turn = _responses_turn(body)
    budget = body.get("max_output_tokens")
    gen = generate(
        call.take_reply(),
        turn.prompt,
        all_text_tokens(body.get("input")) + all_text_tokens([], body.get("instructions")),
        budget if isinstance(budget, int) else None,
        decide(turn),
    )
    return model, gen


# -- Chat Completions ------------------------------------------------------------------------


def _call_id(gen: Generation) -> str:
    assert gen.tool_use is not None
    generated = gen.tool_use.tool_use_id.removeprefix(TOOL_USE_ID_PREFIX)
    return f"call_{generated}" if generated != gen.tool_use.tool_use_id else generated


def _chat_usage(gen: Generation) -> Json:
    return {
        "prompt_tokens": gen.input_tokens,
        "completion_tokens": gen.output_tokens,
        "total_tokens": gen.total_tokens,
    }


def _envelope(gen: Generation, model: str, kind: str) -> Json:
    return {
        "id": f"chatcmpl-{gen.message_id}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
    }


def _tool_calls(gen: Generation) -> list[Json]:
    if gen.tool_use is None:
        return []
    function = {"name": gen.tool_use.name, "arguments": gen.tool_input_json}
    return [{"id": _call_id(gen), "type": "function", "function": function}]


def chat_completions(call: Call) -> Response:
    """POST .../chat/completions: one ``chat.completion``, or SSE chunks with ``stream``."""
    model, gen = _chat_generation(call)
    if call.body.get("stream") is True:
        return _chat_stream(call, model, gen)
    message: Json = {"role": "assistant", "content": gen.text, "refusal": None}
    if gen.tool_use is not None:
        message["tool_calls"] = _tool_calls(gen)
    choice = {
        "index": 0,
        "message": message,
        "finish_reason": _FINISH.get(gen.stop_reason, "stop"),
        "logprobs": None,
    }
    return json_response(
        {**_envelope(gen, model, "chat.completion"), "choices": [choice], "usage": _chat_usage(gen)}
    )


def _sse(events: list[Json]) -> Response:
    frames = [b"data: " + json.dumps(e, separators=(",", ":")).encode() + b"\n\n" for e in events]
    frames.append(b"data: [DONE]\n\n")
    return Response(200, {"Content-Type": "text/event-stream"}, frames=frames)


def _chat_stream(call: Call, model: str, gen: Generation) -> Response:
    envelope = _envelope(gen, model, "chat.completion.chunk")

    def chunk(delta: Json, reason: str | None = None) -> Json:
        choice = {"index": 0, "delta": delta, "finish_reason": reason, "logprobs": None}
        return {**envelope, "choices": [choice]}

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": piece}) for piece in split_words(gen.text)] if gen.text else []
    for index, call_ in enumerate(_tool_calls(gen)):
        named = {**call_, "index": index, "function": {**call_["function"], "arguments": ""}}
        events.append(chunk({"tool_calls": [named]}))
        arguments = {"index": index, "function": {"arguments": call_["function"]["arguments"]}}
        events.append(chunk({"tool_calls": [arguments]}))
    events.append(chunk({}, _FINISH.get(gen.stop_reason, "stop")))
    if mapping(call.body.get("stream_options")).get("include_usage"):
        events.append({**envelope, "choices": [], "usage": _chat_usage(gen)})
    return _sse(events)


# -- Responses -------------------------------------------------------------------------------


def _output(gen: Generation) -> list[Json]:
    items: list[Json] = []
    if gen.text is not None:
        text = {"type": "output_text", "text": gen.text, "annotations": []}
        items.append(
            {
                "type": "message",
                "id": f"msg_{gen.message_id}",
                "status": "completed",
                "role": "assistant",
                "content": [text],
            }
        )
    if gen.tool_use is not None:
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{gen.message_id}",
                "call_id": _call_id(gen),
                "name": gen.tool_use.name,
                "arguments": gen.tool_input_json,
                "status": "completed",
            }
        )
    return items


def responses(call: Call) -> Response:
    """POST .../responses: a completed ``response``, or its events with ``stream`` (background
    responses are not served)."""
    model, gen = _responses_generation(call)
    answer = _response(call.body, model, gen)
    return _responses_stream(answer) if call.body.get("stream") is True else json_response(answer)


def _response(body: Json, model: str, gen: Generation) -> Json:
    truncated = gen.stop_reason == "max_tokens"
    return {
        "id": f"resp_{gen.message_id}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "incomplete" if truncated else "completed",
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "error": None,
        "model": model,
        "instructions": body.get("instructions"),
        "output": _output(gen),
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "metadata": body.get("metadata") or {},
        "usage": {
            "input_tokens": gen.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": gen.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": gen.total_tokens,
        },
    }


def _responses_stream(answer: Json) -> Response:
    """``answer`` as the Responses API streams it: created, each output item with its text or
    argument deltas, then completed (the whole answer, usage included)."""
    events: list[Json] = []

    def add(kind: str, **fields: Any) -> None:
        events.append({"type": kind, "sequence_number": len(events), **fields})

    add("response.created", response={**answer, "status": "in_progress", "output": []})
    for index, item in enumerate(answer["output"]):
        at = {"item_id": item["id"], "output_index": index}
        text = item["content"][0] if item["type"] == "message" else None
        add("response.output_item.added", output_index=index, item=_started(item))
        if text is not None:
            add("response.content_part.added", **at, content_index=0, part={**text, "text": ""})
            for piece in split_words(text["text"]):
                add("response.output_text.delta", **at, content_index=0, delta=piece, logprobs=[])
            add("response.output_text.done", **at, content_index=0, text=text["text"], logprobs=[])
            add("response.content_part.done", **at, content_index=0, part=text)
        else:
            add("response.function_call_arguments.delta", **at, delta=item["arguments"])
            done = {"arguments": item["arguments"], "name": item["name"]}
            add("response.function_call_arguments.done", **at, **done)
        add("response.output_item.done", output_index=index, item=item)
    add("response.completed", response=answer)
    return named_sse(events)


def _started(item: Json) -> Json:
    empty: Json = {"content": []} if item["type"] == "message" else {"arguments": ""}
    return {**item, **empty, "status": "in_progress"}


def named_sse(events: list[Json]) -> Response:
    """Server-sent events each named by its ``type`` (Responses, Anthropic Messages)."""
    frames = [
        f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'))}\n\n".encode()
        for e in events
    ]
    return Response(200, {"Content-Type": "text/event-stream"}, frames=frames)


#: Operation -> handler, merged into the dispatcher's table.
HANDLERS: dict[str, Callable[[Call], Response]] = {
    "CreateChatCompletion": chat_completions,
    "CreateResponse": responses,
    "ListModels": list_openai_models,
}
