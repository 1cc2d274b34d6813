"""The Converse message shape, shared by Converse/ConverseStream and Amazon Nova's native body.

Nova's InvokeModel body is Converse's with a different envelope, so both build their content
blocks and stream events here and add only their own usage and metadata.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from .decisions import ANY, AUTO, Tool, Turn, answers_tool, mapping
from .features import (
    CHAR,
    CHUNK,
    PAGE,
    Asked,
    Citation,
    Document,
    Reasoning,
    ServerToolRun,
    reasoning_requested,
)
from .generation import Generation, count_tokens, last_user_text, split_words, text_of

Json = dict[str, Any]
Event = tuple[str, Json]
#: The ``type`` of a client tool call when the family marks it (a server tool's is
#: ``server_tool_use``, its result's ``<tool>_result``).
TOOL_USE_TYPE = "tool_use"


# -- writing answers --------------------------------------------------------------------------


def _tool_use(gen: Generation, with_input: bool) -> Json:
    assert gen.tool_use is not None
    block: Json = {"toolUseId": gen.tool_use.tool_use_id, "name": gen.tool_use.name}
    if with_input:
        block["input"] = dict(gen.tool_use.input)
    if gen.extras.typed_tool_use:
        block["type"] = TOOL_USE_TYPE
    return block


def _reasoning_block(reasoning: Reasoning) -> Json:
    if reasoning.redacted is not None:
        return {"reasoningContent": {"redactedContent": reasoning.redacted}}
    text: Json = {"text": reasoning.text}
    if reasoning.signature is not None:
        text["signature"] = reasoning.signature
    return {"reasoningContent": {"reasoningText": text}}


def _server_tool_use(run: ServerToolRun, with_input: bool) -> Json:
    block: Json = {"toolUseId": run.tool_use_id, "name": run.name, "type": "server_tool_use"}
    return {**block, "input": dict(run.input)} if with_input else block


def _server_tool_result(run: ServerToolRun) -> Json:
    return {"toolUseId": run.tool_use_id, "type": f"{run.name}_result", "status": "success"}


def _citation(citation: Citation) -> Json:
    return {
        "location": citation.location(),
        "sourceContent": [{"text": citation.source_text}],
        "title": citation.document.title,
    }


def content_blocks(gen: Generation) -> list[Json]:
    """The assistant message's content, in Bedrock's order: reasoning, a server tool's call and
    result, the text (and the passage it cites), then the client tool call."""
    extras = gen.extras
    reasoning = [_reasoning_block(extras.reasoning)] if extras.reasoning else []
    content: list[Json] = [] if extras.reasoning_after_text else list(reasoning)
    if extras.server_tool:
        run = extras.server_tool
        result = {**_server_tool_result(run), "content": [{"json": dict(run.result)}]}
        content += [{"toolUse": _server_tool_use(run, True)}, {"toolResult": result}]
    if gen.text is not None:
        content.append({"text": gen.text})
    if extras.citation:
        cited = {"text": extras.citation.source_text}
        content.append(
            {"citationsContent": {"citations": [_citation(extras.citation)], "content": [cited]}}
        )
    content += reasoning if extras.reasoning_after_text else []
    if gen.tool_use:
        content.append({"toolUse": _tool_use(gen, with_input=True)})
    return content


def converse_usage(gen: Generation, *, cache_fields: bool = False) -> Json:
    """The ``usage`` object of a Converse answer; ``cache_fields`` adds the cache counts even
    without cache points (Claude's Converse answers always have them)."""
    usage: Json = {
        "inputTokens": gen.input_tokens,
        "outputTokens": gen.output_tokens,
        "totalTokens": gen.total_tokens,
    }
    if gen.extras.cache is not None or cache_fields:
        # Bedrock sends each count twice: the modelled name and an older "...Count" alias.
        for name, value in (("Read", gen.cache_read), ("Write", gen.cache_write)):
            usage[f"cache{name}InputTokens"] = usage[f"cache{name}InputTokenCount"] = value
    if gen.cache_write:
        usage["cacheDetails"] = [{"inputTokens": gen.cache_write, "ttl": "5m"}]
    usage["serverToolUsage"] = {}
    return usage


def _block(index: int, deltas: list[Json], start: Json | None = None) -> list[Event]:
    events: list[Event] = []
    if start is not None:
        events.append(("contentBlockStart", {"start": start, "contentBlockIndex": index}))
    events += [("contentBlockDelta", {"delta": d, "contentBlockIndex": index}) for d in deltas]
    events.append(("contentBlockStop", {"contentBlockIndex": index}))
    return events


def _reasoning_deltas(reasoning: Reasoning) -> list[Json]:
    if reasoning.redacted is not None:
        return [{"reasoningContent": {"redactedContent": reasoning.redacted}}]
    deltas = [{"reasoningContent": {"text": p}} for p in split_words(reasoning.text)]
    if reasoning.signature is not None:
        deltas.append({"reasoningContent": {"signature": reasoning.signature}})
    return deltas


def _stream_blocks(gen: Generation) -> Iterator[tuple[list[Json], Json | None]]:
    """(deltas, contentBlockStart payload or None) per content block, in answer order."""
    extras = gen.extras
    if extras.reasoning and not extras.reasoning_after_text:
        yield _reasoning_deltas(extras.reasoning), None
    if extras.server_tool:
        run = extras.server_tool
        yield (
            [{"toolUse": {"input": json.dumps(dict(run.input))}}],
            {"toolUse": _server_tool_use(run, False)},
        )
        yield (
            [{"toolResult": [{"json": dict(run.result)}]}],
            {"toolResult": _server_tool_result(run)},
        )
    if gen.text is not None:
        yield [{"text": p} for p in split_words(gen.text)], None
    if extras.citation:
        words = split_words(extras.citation.source_text)
        yield [{"citation": _citation(extras.citation)}, *({"text": w} for w in words)], None
    if extras.reasoning and extras.reasoning_after_text:
        yield _reasoning_deltas(extras.reasoning), None
    if gen.tool_use:
        yield [{"toolUse": {"input": gen.tool_input_json}}], {"toolUse": _tool_use(gen, False)}


def stream_events(gen: Generation) -> list[Event]:
    """``messageStart`` to ``messageStop``: one block per content block, text and reasoning
    one word per delta, a tool call's input in one delta."""
    events: list[Event] = [("messageStart", {"role": "assistant"})]
    for index, (deltas, start) in enumerate(_stream_blocks(gen)):
        events += _block(index, deltas, start)
    events.append(("messageStop", {"stopReason": gen.stop_reason}))
    return events


# -- reading requests ------------------------------------------------------------------------


def converse_turn(body: Json) -> Turn:
    """The Converse/ConverseStream (and Nova InvokeModel) view of a request."""
    messages = body.get("messages")
    config = mapping(body.get("toolConfig"))
    specs = [t.get("toolSpec") for t in config.get("tools") or [] if isinstance(t, dict)]
    tools = tuple(
        Tool(str(s.get("name")), str(s.get("description", "")), _input_schema(s))
        for s in specs
        if isinstance(s, dict)
    )
    return Turn(
        last_user_text(messages),
        tools,
        _choice(config.get("toolChoice")),
        answers_tool(messages),
        _output_schema(body),
        tuple(str(b["toolUse"].get("name")) for b in _blocks(messages) if _is(b, "toolUse")),
    )


def converse_asked(body: Json) -> Asked:
    """What a Converse request asks for besides an answer (see :mod:`.features`)."""
    messages = body.get("messages")
    tools = mapping(body.get("toolConfig")).get("tools")
    system_tools = tuple(
        str(t["systemTool"].get("name")) for t in _list(tools) if _is(t, "systemTool")
    )
    return Asked(
        reasoning=reasoning_requested(body.get("additionalModelRequestFields")),
        cache_points=_cache_points(body),
        cited_documents=_cited_documents(messages),
        system_tools=system_tools,
        conversation=f"{text_of(body.get('system'))} {text_of(messages)}",
        answers_tool=answers_tool(messages),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is(block: Any, key: str) -> bool:
    return isinstance(block, dict) and isinstance(block.get(key), dict)


def _blocks(messages: Any) -> Iterator[Any]:
    for message in _list(messages):
        yield from _list(message.get("content") if isinstance(message, dict) else None)


def _cache_points(body: Json) -> tuple[tuple[str, int], ...]:
    """(digest, tokens) of everything before each ``cachePoint``: system, tools, messages."""
    digest = hashlib.sha256()
    tokens, points = 0, []
    parts = [
        *_list(body.get("system")),
        *_list(mapping(body.get("toolConfig")).get("tools")),
        *(
            {"role": m.get("role"), **block}
            for m in _list(body.get("messages"))
            if isinstance(m, dict)
            for block in _list(m.get("content"))
            if isinstance(block, dict)
        ),
    ]
    if not any(_is(part, "cachePoint") for part in parts):
        return ()  # no cache point: skip hashing and counting every block (most requests)
    for part in parts:
        if _is(part, "cachePoint"):
            points.append((digest.hexdigest(), tokens))
            continue
        digest.update(json.dumps(part, sort_keys=True).encode())
        tokens += count_tokens(text_of(part))
    return tuple(points)


def _cited_documents(messages: Any) -> tuple[Document, ...]:
    documents = [b["document"] for b in _blocks(messages) if _is(b, "document")]
    return tuple(
        _document(doc, index)
        for index, doc in enumerate(documents)
        if mapping(doc.get("citations")).get("enabled") is True
    )


def _document(document: Json, index: int) -> Document:
    source = mapping(document.get("source"))
    title = str(document.get("name", ""))
    if isinstance(source.get("text"), str):
        return Document(title, CHAR, str(source["text"]), index)
    if isinstance(source.get("content"), list):
        return Document(title, CHUNK, text_of(source["content"][:1]), index)
    return Document(title, PAGE, title, index)


def _choice(choice: Any) -> str:
    if not isinstance(choice, dict):
        return AUTO
    tool = choice.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get("name"), str):
        return str(tool["name"])
    return ANY if "any" in choice else AUTO


def _json_object(raw: Any) -> Any:
    # Schemas may arrive as JSON text (outputConfig always; Nova's native body sometimes).
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _input_schema(spec: Json) -> Any:
    raw = _json_object(mapping(spec.get("inputSchema")).get("json"))
    return raw if isinstance(raw, dict) else {}


def _output_schema(body: Json) -> Any:
    """The JSON schema of Converse structured output (``outputConfig.textFormat``), if any."""
    text_format = mapping(mapping(body.get("outputConfig")).get("textFormat"))
    schema = mapping(mapping(text_format.get("structure")).get("jsonSchema")).get("schema")
    parsed = _json_object(schema) if isinstance(schema, str) else None
    return parsed if isinstance(parsed, dict) else None
