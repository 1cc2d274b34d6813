"""InvokeModel body formats, one class per provider family, and the choice of format for a call.

The base class and shared helpers are in :mod:`.body_format`; Anthropic's format is in
:mod:`.anthropic_body`, the embedding models' in :mod:`.embeddings`.
"""

from __future__ import annotations

import time
from typing import Any

from .anthropic_body import Anthropic
from .body_format import (
    Family,
    Json,
    int_or_none,
    invocation_metrics,
    length_or_stop,
    model_name,
    word_chunks,
)
from .converse_body import content_blocks, converse_asked, converse_turn, stream_events
from .decisions import ANY, AUTO, NONE, Tool, Turn, mapping
from .embeddings import CohereEmbed, NovaEmbed, TitanEmbed
from .features import Asked
from .generation import Generation, count_tokens, last_user_text, split_words, text_of
from .script import TOOL_USE_ID_PREFIX

__all__ = ["FAMILIES", "Family", "Json", "family_for"]


class Nova(Family):
    """Amazon Nova's native (Converse-like) body."""

    name = "nova"
    required = ("messages",)

    def turn(self, body: Json) -> Turn:
        return converse_turn(body)

    def asked(self, body: Json) -> Asked:
        return converse_asked(body)

    def max_tokens(self, body: Json) -> int | None:
        config = body.get("inferenceConfig") or {}
        if not isinstance(config, dict):
            return None
        return int_or_none(config.get("maxTokens", config.get("max_new_tokens")))

    def _usage(self, gen: Generation) -> Json:
        return {
            "inputTokens": gen.input_tokens,
            "outputTokens": gen.output_tokens,
            "totalTokens": gen.total_tokens,
            "cacheReadInputTokenCount": gen.cache_read,
            "cacheWriteInputTokenCount": gen.cache_write,
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
        return int_or_none(config.get("maxTokenCount")) if isinstance(config, dict) else None

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
            "stop_reason": length_or_stop(gen),
        }

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        def chunk(i: int, piece: str, last: bool) -> Json:
            return {
                "generation": piece,
                "prompt_token_count": gen.input_tokens if i == 0 else None,
                "generation_token_count": i + 1,
                "stop_reason": length_or_stop(gen) if last else None,
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
        return {"outputs": [{"text": gen.text or "", "stop_reason": length_or_stop(gen)}]}

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        def chunk(i: int, piece: str, last: bool) -> Json:
            reason = length_or_stop(gen) if last else None
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
            "model": model_name(model_id, "mistral"),
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
        NovaEmbed(),
    )
}


#: For models the data gives no ``invoke_body``: the first key a body has tells its family.
_FAMILY_BY_BODY_KEY = (
    ("anthropic_version", "anthropic"),
    ("taskType", "nova-embed"),
    ("inputText", "titan"),
    ("texts", "cohere-embed"),
    ("message", "cohere"),
    ("prompt", "llama"),
    ("messages", "nova"),
)


#: Families whose models also take a chat-completion body, chosen when the body has ``messages``.
_CHAT_BODIES = {"mistral": "mistral-chat"}


def family_for(body_format: str | None, body: Json) -> Family | None:
    """The body format for this call: the model's (``Capabilities.invoke_body``) when known, else
    the one the body's shape tells."""
    if body_format is not None and "messages" in body:
        body_format = _CHAT_BODIES.get(body_format, body_format)
    known = FAMILIES.get(body_format or "")
    if known is not None:
        return known
    return next((FAMILIES[name] for key, name in _FAMILY_BY_BODY_KEY if key in body), None)
