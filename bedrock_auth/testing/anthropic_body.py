"""Anthropic's Messages body on Bedrock (InvokeModel): reading requests, writing answers.

Answers carry what Bedrock's Claude answers carry: thinking blocks when the body asks for
``thinking`` (signed, or redacted for Anthropic's test string), a cited text block (its
``citations`` list; ``citations_delta`` when streamed) for a ``document`` whose ``citations``
are enabled, the prompt-cache counts in ``usage`` (``cache_creation_input_tokens``,
``cache_read_input_tokens``, ``cache_creation``) and the newer ``stop_details`` and ``usage``
details.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from .body_format import Family, Json, invocation_metrics, model_name
from .decisions import ANY, AUTO, NONE, Tool, Turn, answers_tool, mapping
from .features import CHAR, CHUNK, PAGE, Asked, Citation, Document, Reasoning, reasoning_requested
from .generation import (
    Generation,
    count_tokens,
    last_user_text,
    reasoning_tokens,
    split_words,
    text_of,
)
from .script import TOOL_USE_ID_PREFIX

#: The Anthropic tool types Bedrock takes in a Messages body: client tools and the tools the
#: client runs. Anthropic's server tools (``web_search_*``, ``code_execution_*``,
#: ``web_fetch_*``) are refused with the message below, as Bedrock refuses them (recorded for
#: CountTokens; InvokeModel answers the same way, anthropics/claude-quickstarts#251). A body
#: with ``anthropic_beta`` is not checked: betas unlock tool types (computer use) not listed.
TOOL_TYPES = (
    "bash_20250124",
    "custom",
    "text_editor_20250124",
    "text_editor_20250429",
    "text_editor_20250728",
)
_TOOL_TAG = (
    "tools.{index}: Input tag '{tag}' found using 'type' does not match any of the "
    "expected tags: {expected}"
)
# "bedrock-2023-05-31", and the bare dated versions current anthropic SDKs send.
_ANTHROPIC_VERSION = re.compile(r"(bedrock-)?\d{4}-\d{2}-\d{2}")


def _anthropic_choice(choice: Any) -> str:
    if not isinstance(choice, dict):
        return AUTO
    kind = choice.get("type")
    if kind == "tool" and isinstance(choice.get("name"), str):
        return str(choice["name"])
    return {"any": ANY, "none": NONE}.get(str(kind), AUTO)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _message_blocks(body: Json) -> Iterator[Json]:
    """Each message's blocks (a string content as one text block), with the message's role."""
    for message in _list(body.get("messages")):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        yield from ({"role": message.get("role"), **b} for b in blocks if isinstance(b, dict))


def _cacheable(body: Json) -> Iterator[Json]:
    """Tools, system, then messages: the order in which Claude caches a prompt's prefix."""
    yield from (t for t in _list(body.get("tools")) if isinstance(t, dict))
    system = body.get("system")
    if isinstance(system, str):
        yield {"type": "text", "text": system}
    yield from (b for b in _list(system) if isinstance(b, dict))
    yield from _message_blocks(body)


def _cache_points(body: Json) -> tuple[tuple[str, int], ...]:
    """(digest, tokens) of the prefix ending at each block marked ``cache_control``."""
    digest = hashlib.sha256()
    tokens, points = 0, []
    for block in _cacheable(body):
        digest.update(json.dumps(block, sort_keys=True).encode())
        tokens += count_tokens(text_of(block))
        if isinstance(block.get("cache_control"), dict):
            points.append((digest.hexdigest(), tokens))
    return tuple(points)


def _cited_documents(body: Json) -> tuple[Document, ...]:
    """The ``document`` blocks whose citations are enabled; ``document_index`` counts them all."""
    documents = [b for b in _message_blocks(body) if b.get("type") == "document"]
    return tuple(
        _document(doc, index)
        for index, doc in enumerate(documents)
        if isinstance(doc.get("citations"), dict) and doc["citations"].get("enabled") is True
    )


def _document(document: Json, index: int) -> Document:
    """A plain-text source is cited by characters, a content source by blocks, a PDF by pages."""
    source = mapping(document.get("source"))
    title = str(document.get("title") or "")
    if source.get("type") == "text":
        return Document(title, CHAR, str(source.get("data", "")), index)
    if source.get("type") == "content":
        return Document(title, CHUNK, text_of(_list(source.get("content"))[:1]), index)
    return Document(title, PAGE, title, index)


#: Converse's location kinds in Anthropic's words: (type, start field, end field).
_LOCATIONS = {
    CHAR: ("char_location", "start_char_index", "end_char_index"),
    CHUNK: ("content_block_location", "start_block_index", "end_block_index"),
    PAGE: ("page_location", "start_page_number", "end_page_number"),
}


def _citation(citation: Citation) -> Json:
    kind, start, end = _LOCATIONS[citation.document.location]
    return {
        "type": kind,
        "cited_text": citation.source_text,
        "document_index": citation.document.index,
        "document_title": citation.document.title or None,
        start: citation.start,
        end: citation.end,
    }


def anthropic_turn(body: Json) -> Turn:
    """The Anthropic Messages (InvokeModel) view of a request."""
    messages = body.get("messages")
    tools = tuple(
        Tool(str(t.get("name")), str(t.get("description", "")), t.get("input_schema") or {})
        for t in body.get("tools") or []
        if isinstance(t, dict) and "name" in t
    )
    called = tuple(str(b.get("name")) for b in _message_blocks(body) if b.get("type") == "tool_use")
    return Turn(
        last_user_text(messages),
        tools,
        _anthropic_choice(body.get("tool_choice")),
        answers_tool(messages),
        called=called,
    )


def _thinking_block(reasoning: Reasoning, streaming: bool) -> Json:
    if reasoning.redacted is not None:
        return {"type": "redacted_thinking", "data": reasoning.redacted}
    if streaming:
        return {"type": "thinking", "thinking": "", "signature": ""}
    return {"type": "thinking", "thinking": reasoning.text, "signature": reasoning.signature or ""}


def _thinking_deltas(reasoning: Reasoning) -> list[Json]:
    if reasoning.redacted is not None:
        return []
    deltas = [{"type": "thinking_delta", "thinking": p} for p in split_words(reasoning.text)]
    return [*deltas, {"type": "signature_delta", "signature": reasoning.signature or ""}]


def _anthropic_tool_id(tool_use_id: str) -> str:
    # Converse-style generated ids ("tooluse_...") take the shape Bedrock's Anthropic
    # models use ("toolu_bdrk_01..."); ids a test scripted are kept as they are.
    generated = tool_use_id.removeprefix(TOOL_USE_ID_PREFIX)
    return f"toolu_bdrk_01{generated}" if generated != tool_use_id else tool_use_id


def _halves(text: str) -> list[str]:
    # Tool input arrives in more than one delta on the real service; callers must concatenate.
    middle = len(text) // 2
    return [p for p in (text[:middle], text[middle:]) if p]


def _usage(gen: Generation) -> Json:
    return {
        "input_tokens": gen.input_tokens,
        "cache_creation_input_tokens": gen.cache_write,
        "cache_read_input_tokens": gen.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": gen.cache_write,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": gen.output_tokens,
        "output_tokens_details": {"thinking_tokens": reasoning_tokens(gen.extras)},
        "service_tier": "standard",
    }


class Anthropic(Family):
    """Anthropic Messages API on Bedrock."""

    name = "anthropic"
    required = ("anthropic_version", "messages", "max_tokens")
    budget_key = "max_tokens"
    cache_headers = True

    def turn(self, body: Json) -> Turn:
        return anthropic_turn(body)

    def asked(self, body: Json) -> Asked:
        return Asked(
            reasoning=reasoning_requested(body),
            cache_points=_cache_points(body),
            cited_documents=_cited_documents(body),
            answers_tool=answers_tool(body.get("messages")),
            conversation=f"{text_of(body.get('system'))} {text_of(body.get('messages'))}",
        )

    def validate(self, body: Json) -> str | None:
        version = body.get("anthropic_version")
        if "anthropic_version" in body and not (
            isinstance(version, str) and _ANTHROPIC_VERSION.fullmatch(version)
        ):
            return f"invalid anthropic_version: {version!r}"
        return super().validate(body) or self.tool_problem(body)

    def tool_problem(self, body: Json) -> str | None:
        if "anthropic_beta" in body:
            return None
        for index, tool in enumerate(_list(body.get("tools"))):
            tag = tool.get("type", "custom") if isinstance(tool, dict) else "custom"
            if tag not in TOOL_TYPES:
                expected = ", ".join(f"'{t}'" for t in TOOL_TYPES)
                return _TOOL_TAG.format(index=index, tag=tag, expected=expected)
        return None

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
            "model": model_name(model_id, "anthropic"),
        }

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        reasoning = gen.extras.reasoning
        content = [_thinking_block(reasoning, streaming=False)] if reasoning else []
        content += [{"type": "text", "text": gen.text}] if gen.text is not None else []
        cited = gen.extras.citation
        if cited:
            text = cited.source_text
            content.append({"type": "text", "text": text, "citations": [_citation(cited)]})
        if gen.tool_use:
            content.append(self._tool_block(gen, with_input=True))
        return {
            **self._message(gen, model_id),
            "content": content,
            "stop_reason": gen.stop_reason,
            "stop_sequence": None,
            "stop_details": None,
            "usage": _usage(gen),
        }

    def _content_blocks(self, gen: Generation) -> Iterator[tuple[Json, list[Json]]]:
        reasoning = gen.extras.reasoning
        if reasoning:
            yield _thinking_block(reasoning, streaming=True), _thinking_deltas(reasoning)
        if gen.text is not None:
            deltas = [{"type": "text_delta", "text": p} for p in split_words(gen.text)]
            yield {"type": "text", "text": ""}, deltas
        cited = gen.extras.citation
        if cited:
            # The citation comes first, then the cited text, as Anthropic streams them.
            words = [{"type": "text_delta", "text": p} for p in split_words(cited.source_text)]
            cite = {"type": "citations_delta", "citation": _citation(cited)}
            yield {"type": "text", "text": "", "citations": []}, [cite, *words]
        if gen.tool_use:
            pieces = _halves(gen.tool_input_json)
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
            yield self._tool_block(gen, with_input=False), deltas

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        start = {
            **self._message(gen, model_id),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**_usage(gen), "output_tokens": 1},
        }
        out: list[Json] = [{"type": "message_start", "message": start}]
        for index, (block, deltas) in enumerate(self._content_blocks(gen)):
            out += self._block(index, block, deltas)
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
