"""InvokeModel body formats, one class per provider family.

Each family knows how to read its request body (prompt, token budget) and how to write its
native response body and its stream chunks (the JSON that InvokeModelWithResponseStream
base64-encodes into each ``chunk`` event).
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
import time
from collections.abc import Callable
from typing import Any, ClassVar

from .catalog import provider_family, strip_profile_prefix
from .converse_body import content_blocks, converse_turn, converse_usage, stream_events
from .decisions import ANY, AUTO, NONE, Tool, Turn, answers_tool, mapping
from .generation import (
    Generation,
    all_text_tokens,
    count_tokens,
    last_user_text,
    split_words,
    text_of,
)
from .script import TOOL_USE_ID_PREFIX

Json = dict[str, Any]


def invocation_metrics(gen: Generation, latency_ms: int) -> Json:
    """The ``amazon-bedrock-invocationMetrics`` object Bedrock adds to the last chunk."""
    return {
        "inputTokenCount": gen.input_tokens,
        "outputTokenCount": gen.output_tokens,
        "invocationLatency": latency_ms,
        "firstByteLatency": min(latency_ms, 1),
    }


def _malformed(key: str) -> str:
    return (
        f"Malformed input request: #: required key [{key}] not found, "
        "please reformat your input and try again."
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _model_name(model_id: str, provider: str) -> str:
    """The name a provider's own body reports: ``anthropic.claude-x-v1:0`` -> ``claude-x``."""
    base = strip_profile_prefix(model_id.rsplit("/", 1)[-1]).removeprefix(f"{provider}.")
    return base.split("-v", 1)[0] if "-v" in base else base


def _length_or_stop(gen: Generation) -> str:
    """The stop reason of the open-weight formats (Llama, Mistral)."""
    return "length" if gen.stop_reason == "max_tokens" else "stop"


def word_chunks(
    gen: Generation, latency_ms: int, chunk: Callable[[int, str, bool], Json]
) -> list[Json]:
    """Stream chunks of a text-only format: ``chunk(index, word, is_last)`` for each word of
    the answer; the last chunk also carries ``amazon-bedrock-invocationMetrics``."""
    pieces = split_words(gen.text or "")
    out = [chunk(i, piece, i == len(pieces) - 1) for i, piece in enumerate(pieces)]
    out[-1]["amazon-bedrock-invocationMetrics"] = invocation_metrics(gen, latency_ms)
    return out


class Family:
    """Base: a provider's body format. Subclasses override what differs."""

    name: ClassVar[str] = "unknown"
    required: ClassVar[tuple[str, ...]] = ()
    streams: ClassVar[bool] = True
    #: The body key holding the whole prompt, for text-completion bodies (``prompt``,
    #: ``inputText``); None for message-list bodies.
    prompt_key: ClassVar[str | None] = None
    #: The top-level body key holding the output token budget, if the format has one there.
    budget_key: ClassVar[str | None] = None

    def validate(self, body: Json) -> str | None:
        """Bedrock's ValidationException message for a malformed body, or None."""
        missing = next((k for k in self.required if k not in body), None)
        return _malformed(missing) if missing else None

    def prompt(self, body: Json) -> str:
        """The text the default reply echoes."""
        if self.prompt_key is not None:
            return str(body.get(self.prompt_key, ""))
        return last_user_text(body.get("messages"))

    def turn(self, body: Json) -> Turn:
        """What the model sees: the prompt and, for formats that have them, tools."""
        return Turn(self.prompt(body))

    def input_tokens(self, body: Json) -> int:
        """Tokens in the whole request."""
        if self.prompt_key is not None:
            return count_tokens(self.prompt(body))
        return all_text_tokens(body.get("messages"), body.get("system"))

    def max_tokens(self, body: Json) -> int | None:
        """The output token budget the body asks for."""
        return _int_or_none(body.get(self.budget_key)) if self.budget_key else None

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        """The InvokeModel response body."""
        raise NotImplementedError

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        """The InvokeModelWithResponseStream chunk bodies, in order."""
        raise NotImplementedError


def _anthropic_choice(choice: Any) -> str:
    if not isinstance(choice, dict):
        return AUTO
    kind = choice.get("type")
    if kind == "tool" and isinstance(choice.get("name"), str):
        return str(choice["name"])
    return {"any": ANY, "none": NONE}.get(str(kind), AUTO)


def anthropic_turn(body: Json) -> Turn:
    """The Anthropic Messages (InvokeModel) view of a request."""
    messages = body.get("messages")
    tools = tuple(
        Tool(str(t.get("name")), str(t.get("description", "")), t.get("input_schema") or {})
        for t in body.get("tools") or []
        if isinstance(t, dict) and "name" in t
    )
    return Turn(
        last_user_text(messages),
        tools,
        _anthropic_choice(body.get("tool_choice")),
        answers_tool(messages),
    )


class Anthropic(Family):
    """Anthropic Messages API on Bedrock."""

    name = "anthropic"
    required = ("anthropic_version", "messages", "max_tokens")
    budget_key = "max_tokens"

    def turn(self, body: Json) -> Turn:
        return anthropic_turn(body)

    def validate(self, body: Json) -> str | None:
        version = body.get("anthropic_version")
        if "anthropic_version" in body and not (
            isinstance(version, str) and _ANTHROPIC_VERSION.fullmatch(version)
        ):
            return f"invalid anthropic_version: {version!r}"
        return super().validate(body)

    def _tool_block(self, gen: Generation, with_input: bool) -> Json:
        assert gen.tool_use is not None
        tool = gen.tool_use
        return {
            "type": "tool_use",
            "id": _anthropic_tool_id(tool.tool_use_id),
            "name": tool.name,
            "input": dict(tool.input) if with_input else {},
        }

    def _message(self, gen: Generation, model_id: str) -> Json:
        return {
            "id": f"msg_bdrk_{gen.message_id}",
            "type": "message",
            "role": "assistant",
            "model": _model_name(model_id, "anthropic"),
        }

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        content: list[Json] = [{"type": "text", "text": gen.text}] if gen.text is not None else []
        if gen.tool_use:
            content.append(self._tool_block(gen, with_input=True))
        return {
            **self._message(gen, model_id),
            "content": content,
            "stop_reason": gen.stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": gen.input_tokens, "output_tokens": gen.output_tokens},
        }

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        start = {
            **self._message(gen, model_id),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": gen.input_tokens, "output_tokens": 1},
        }
        out: list[Json] = [{"type": "message_start", "message": start}]
        index = 0
        if gen.text is not None:
            out += self._block(
                index,
                {"type": "text", "text": ""},
                [{"type": "text_delta", "text": p} for p in split_words(gen.text)],
            )
            index += 1
        if gen.tool_use:
            pieces = _halves(gen.tool_input_json)
            out += self._block(
                index,
                self._tool_block(gen, with_input=False),
                [{"type": "input_json_delta", "partial_json": p} for p in pieces],
            )
        out.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": gen.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": gen.output_tokens},
            }
        )
        out.append(
            {
                "type": "message_stop",
                "amazon-bedrock-invocationMetrics": invocation_metrics(gen, latency_ms),
            }
        )
        return out

    @staticmethod
    def _block(index: int, start: Json, deltas: list[Json]) -> list[Json]:
        return [
            {"type": "content_block_start", "index": index, "content_block": start},
            *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
            {"type": "content_block_stop", "index": index},
        ]


# "bedrock-2023-05-31", and the bare dated versions current anthropic SDKs send.
_ANTHROPIC_VERSION = re.compile(r"(bedrock-)?\d{4}-\d{2}-\d{2}")


def _anthropic_tool_id(tool_use_id: str) -> str:
    # Converse-style generated ids ("tooluse_...") take the shape Bedrock's Anthropic
    # models use ("toolu_bdrk_01..."); ids a test scripted are kept as they are.
    generated = tool_use_id.removeprefix(TOOL_USE_ID_PREFIX)
    return f"toolu_bdrk_01{generated}" if generated != tool_use_id else tool_use_id


def _halves(text: str) -> list[str]:
    # Tool input arrives in more than one delta on the real service; callers must concatenate.
    middle = len(text) // 2
    return [p for p in (text[:middle], text[middle:]) if p]


class Nova(Family):
    """Amazon Nova's native (Converse-like) body."""

    name = "nova"
    required = ("messages",)

    def turn(self, body: Json) -> Turn:
        return converse_turn(body)

    def max_tokens(self, body: Json) -> int | None:
        config = body.get("inferenceConfig") or {}
        if not isinstance(config, dict):
            return None
        return _int_or_none(config.get("maxTokens", config.get("max_new_tokens")))

    def _usage(self, gen: Generation) -> Json:
        return {
            **converse_usage(gen),
            "cacheReadInputTokenCount": 0,
            "cacheWriteInputTokenCount": 0,
        }

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        return {
            "output": {"message": {"role": "assistant", "content": content_blocks(gen)}},
            "stopReason": gen.stop_reason,
            "usage": self._usage(gen),
        }

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        # Each chunk is one ConverseStream event as {name: payload}.
        out: list[Json] = [{name: payload} for name, payload in stream_events(gen)]
        out.append(
            {
                "metadata": {"usage": self._usage(gen), "metrics": {}, "trace": {}},
                "amazon-bedrock-invocationMetrics": invocation_metrics(gen, latency_ms),
            }
        )
        return out


_TITAN_REASONS = {
    "end_turn": "FINISH",
    "max_tokens": "LENGTH",
    "stop_sequence": "STOP_CRITERIA_MET",
    "content_filtered": "CONTENT_FILTERED",
}


class Titan(Family):
    """Amazon Titan Text."""

    name = "titan"
    required = ("inputText",)
    prompt_key = "inputText"

    def max_tokens(self, body: Json) -> int | None:
        config = body.get("textGenerationConfig") or {}
        return _int_or_none(config.get("maxTokenCount")) if isinstance(config, dict) else None

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        return {
            "inputTextTokenCount": gen.input_tokens,
            "results": [
                {
                    "tokenCount": gen.output_tokens,
                    "outputText": gen.text or "",
                    "completionReason": _TITAN_REASONS.get(gen.stop_reason, "FINISH"),
                }
            ],
        }

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        def chunk(i: int, piece: str, last: bool) -> Json:
            return {
                "outputText": piece,
                "index": 0,
                "totalOutputTextTokenCount": gen.output_tokens if last else None,
                "completionReason": _TITAN_REASONS.get(gen.stop_reason, "FINISH") if last else None,
                "inputTextTokenCount": gen.input_tokens if i == 0 else None,
            }

        return word_chunks(gen, latency_ms, chunk)


class Llama(Family):
    """Meta Llama's prompt/generation body."""

    name = "llama"
    required = ("prompt",)
    prompt_key = "prompt"
    budget_key = "max_gen_len"

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        return {
            "generation": gen.text or "",
            "prompt_token_count": gen.input_tokens,
            "generation_token_count": gen.output_tokens,
            "stop_reason": _length_or_stop(gen),
        }

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        def chunk(i: int, piece: str, last: bool) -> Json:
            return {
                "generation": piece,
                "prompt_token_count": gen.input_tokens if i == 0 else None,
                "generation_token_count": i + 1,
                "stop_reason": _length_or_stop(gen) if last else None,
            }

        return word_chunks(gen, latency_ms, chunk)


class Mistral(Family):
    """Mistral's text-completion body: ``prompt`` in, ``outputs`` out (7B, Mixtral, Large 2402;
    the emulator answers a ``prompt`` body this way for every Mistral model)."""

    name = "mistral"
    required = ("prompt",)
    prompt_key = "prompt"
    budget_key = "max_tokens"

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        return {"outputs": [{"text": gen.text or "", "stop_reason": _length_or_stop(gen)}]}

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        def chunk(i: int, piece: str, last: bool) -> Json:
            reason = _length_or_stop(gen) if last else None
            return {"outputs": [{"text": piece, "stop_reason": reason}]}

        return word_chunks(gen, latency_ms, chunk)


# Mistral's chat format names the stop reasons as OpenAI does.
_MISTRAL_FINISH = {"tool_use": "tool_calls", "max_tokens": "length"}


def _mistral_choice(choice: Any) -> str:
    """``tool_choice``: "auto", "any" (or "required"), "none", or one named function."""
    if isinstance(choice, str):
        return {"any": ANY, "required": ANY, "none": NONE}.get(choice, AUTO)
    name = mapping(mapping(choice).get("function")).get("name")
    return name if isinstance(name, str) else AUTO


def _trailing_tool_messages(messages: Any) -> list[Json]:
    """The ``role: tool`` messages that end the conversation: results the model must answer."""
    trailing: list[Json] = []
    for message in reversed(messages if isinstance(messages, list) else []):
        if not (isinstance(message, dict) and message.get("role") == "tool"):
            break
        trailing.insert(0, message)
    return trailing


def mistral_chat_turn(body: Json) -> Turn:
    """The Mistral chat-completion view of a request (OpenAI-style messages and tools)."""
    messages = body.get("messages")
    functions = [mapping(mapping(t).get("function")) for t in body.get("tools") or []]
    tools = tuple(
        Tool(str(f["name"]), str(f.get("description", "")), mapping(f.get("parameters")))
        for f in functions
        if "name" in f
    )
    results = _trailing_tool_messages(messages)
    prompt = (
        " ".join(text_of(m.get("content")) for m in results)
        if results
        else last_user_text(messages)
    )
    return Turn(prompt, tools, _mistral_choice(body.get("tool_choice")), bool(results))


def _mistral_tool_id(tool_use_id: str) -> str:
    # Mistral's tool-call ids are 9 letters and digits; ids a test scripted are kept.
    generated = tool_use_id.removeprefix(TOOL_USE_ID_PREFIX)
    return generated[:9] if generated != tool_use_id else tool_use_id


class MistralChat(Family):
    """Mistral's chat-completion body: ``messages`` (and ``tools``) in, ``choices`` out.

    Mistral Large 2 (24.07) and Pixtral Large speak it; Bedrock also takes it from the older
    Mistral models, so any Mistral id sent ``messages`` is answered in this format.
    """

    name = "mistral-chat"
    required = ("messages",)
    budget_key = "max_tokens"

    def turn(self, body: Json) -> Turn:
        return mistral_chat_turn(body)

    @staticmethod
    def _reason_key(model_id: str) -> str:
        # AWS documents Mistral Large 24.02's chat answers with "stop_reason"; 24.07 and later
        # answer as Mistral's own API does, with "finish_reason".
        return "stop_reason" if "-2402-" in model_id else "finish_reason"

    @staticmethod
    def _envelope(gen: Generation, model_id: str, kind: str) -> Json:
        return {
            "id": gen.message_id,
            "object": kind,
            "created": int(time.time()),
            "model": _model_name(model_id, "mistral"),
        }

    @staticmethod
    def _tool_calls(gen: Generation) -> list[Json]:
        if gen.tool_use is None:
            return []
        function = {"name": gen.tool_use.name, "arguments": gen.tool_input_json}
        return [{"id": _mistral_tool_id(gen.tool_use.tool_use_id), "function": function}]

    @staticmethod
    def _usage(gen: Generation) -> Json:
        return {
            "prompt_tokens": gen.input_tokens,
            "completion_tokens": gen.output_tokens,
            "total_tokens": gen.total_tokens,
        }

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        message = {
            "role": "assistant",
            "content": gen.text or "",
            "tool_calls": self._tool_calls(gen) or None,
        }
        choice = {
            "index": 0,
            "message": message,
            self._reason_key(model_id): _MISTRAL_FINISH.get(gen.stop_reason, "stop"),
        }
        return {
            **self._envelope(gen, model_id, "chat.completion"),
            "choices": [choice],
            "usage": self._usage(gen),
        }

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        envelope = self._envelope(gen, model_id, "chat.completion.chunk")
        reason_key = self._reason_key(model_id)

        def chunk(delta: Json, reason: str | None = None) -> Json:
            return {**envelope, "choices": [{"index": 0, "delta": delta, reason_key: reason}]}

        out = [chunk({"role": "assistant", "content": ""})]
        out += [chunk({"content": p}) for p in split_words(gen.text)] if gen.text else []
        # A tool call arrives whole, in one delta, as Mistral streams them.
        calls = [{**call, "index": i} for i, call in enumerate(self._tool_calls(gen))]
        out += [chunk({"content": "", "tool_calls": calls})] if calls else []
        last = chunk({"content": ""}, _MISTRAL_FINISH.get(gen.stop_reason, "stop"))
        last["usage"] = self._usage(gen)
        last["amazon-bedrock-invocationMetrics"] = invocation_metrics(gen, latency_ms)
        return [*out, last]


_COHERE_REASONS = {"max_tokens": "MAX_TOKENS", "content_filtered": "ERROR_TOXIC"}


class CohereChat(Family):
    """Cohere Command R / R+: ``message`` (+ ``chat_history``) in, ``text`` out."""

    name = "cohere"
    required = ("message",)
    prompt_key = "message"
    budget_key = "max_tokens"

    def input_tokens(self, body: Json) -> int:
        history = body.get("chat_history") or []
        earlier = [m.get("message", "") for m in history if isinstance(m, dict)]
        return sum(count_tokens(str(t)) for t in [*earlier, body.get("preamble") or ""]) + (
            count_tokens(self.prompt(body))
        )

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        return {
            "response_id": gen.message_id,
            "generation_id": gen.message_id,
            "text": gen.text or "",
            "finish_reason": _COHERE_REASONS.get(gen.stop_reason, "COMPLETE"),
            "chat_history": [],
            "meta": {
                "billed_units": {
                    "input_tokens": gen.input_tokens,
                    "output_tokens": gen.output_tokens,
                }
            },
        }

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        start: Json = {"is_finished": False, "event_type": "stream-start"}
        deltas: list[Json] = [
            {"is_finished": False, "event_type": "text-generation", "text": p}
            for p in split_words(gen.text or "")
        ]
        end: Json = {
            "is_finished": True,
            "event_type": "stream-end",
            "finish_reason": _COHERE_REASONS.get(gen.stop_reason, "COMPLETE"),
            "response": self.response(gen, model_id, latency_ms),
            "amazon-bedrock-invocationMetrics": invocation_metrics(gen, latency_ms),
        }
        return [start, *deltas, end]


class Embedder(Family):
    """Base of the embedding families: no generation, no streaming."""

    streams = False

    def embed(self, body: Json, model_id: str) -> Json:
        """The InvokeModel body for an embedding request to ``model_id``."""
        raise NotImplementedError


class CohereEmbed(Embedder):
    """Cohere Embed v3: ``texts`` in, one 1024-value vector per text out."""

    name = "cohere-embed"
    required = ("texts", "input_type")

    def _texts(self, body: Json) -> list[str]:
        texts = body.get("texts")
        return [str(t) for t in texts] if isinstance(texts, list) else []

    def prompt(self, body: Json) -> str:
        return " ".join(self._texts(body))

    def input_tokens(self, body: Json) -> int:
        # The whole prompt, as the text-completion families count it.
        return count_tokens(self.prompt(body))

    def embed(self, body: Json, model_id: str) -> Json:
        texts = self._texts(body)
        return {
            "id": hashlib.sha256(self.prompt(body).encode()).hexdigest()[:36],
            "response_type": "embeddings_floats",
            "embeddings": [_vector(t, _COHERE_DIMENSIONS) for t in texts],
            "texts": texts,
        }


_COHERE_DIMENSIONS = 1024


class TitanEmbed(Embedder):
    """Amazon Titan text embeddings: a deterministic unit vector derived from the text."""

    name = "embed"
    required = ("inputText",)
    prompt_key = "inputText"

    def embed(self, body: Json, model_id: str) -> Json:
        if _is_titan_embed_v1(model_id):
            # v1 has a fixed size and predates ``dimensions`` and ``embeddingsByType``.
            return {
                "embedding": _vector(self.prompt(body), _TITAN_V1_DIMENSIONS),
                "inputTextTokenCount": self.input_tokens(body),
            }
        dims = _int_or_none(body.get("dimensions")) or 1024
        vector = _vector(self.prompt(body), dims)
        return {
            "embedding": vector,
            "embeddingsByType": {"float": vector},
            "inputTextTokenCount": self.input_tokens(body),
        }


_TITAN_V1_DIMENSIONS = 1536


def _is_titan_embed_v1(model_id: str) -> bool:
    base = strip_profile_prefix(model_id.rsplit("/", 1)[-1])
    return base.startswith("amazon.titan-embed-text-v1")


def _vector(text: str, dims: int) -> list[float]:
    # Same text -> same vector, so similarity tests are reproducible.
    raw = b""
    counter = 0
    while len(raw) < dims * 4:
        raw += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    values = [v / 2**31 for v in struct.unpack(f">{dims}i", raw[: dims * 4])]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Anthropic(),
        Nova(),
        Titan(),
        Llama(),
        Mistral(),
        MistralChat(),
        CohereChat(),
        TitanEmbed(),
        CohereEmbed(),
    )
}


#: For model ids the table does not know: the first key a body has tells its family.
_FAMILY_BY_BODY_KEY = (
    ("anthropic_version", "anthropic"),
    ("inputText", "titan"),
    ("texts", "cohere-embed"),
    ("message", "cohere"),
    ("prompt", "llama"),
    ("messages", "nova"),
)


#: Families whose models also take a chat-completion body, chosen when the body has ``messages``.
_CHAT_BODIES = {"mistral": "mistral-chat"}


def family_for(model_id: str | None, body: Json) -> Family | None:
    """The body format for this call: from the model id when known, else from the body shape."""
    provider = provider_family(model_id or "")
    if "messages" in body:
        provider = _CHAT_BODIES.get(provider, provider)
    known = FAMILIES.get(provider)
    if known is not None:
        return known
    return next((FAMILIES[name] for key, name in _FAMILY_BY_BODY_KEY if key in body), None)
