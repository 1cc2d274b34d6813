"""The Converse message shape, shared by Converse/ConverseStream and Amazon Nova's native body.

Nova's InvokeModel body is Converse's with a different envelope, so both build their content
blocks and stream events here and add only their own usage and metadata.
"""

from __future__ import annotations

import json
from typing import Any

from .decisions import ANY, AUTO, Tool, Turn, answers_tool, mapping
from .generation import Generation, last_user_text, split_words

Json = dict[str, Any]


def content_blocks(gen: Generation) -> list[Json]:
    """The assistant message's content: a text block and/or a toolUse block."""
    content: list[Json] = [{"text": gen.text}] if gen.text is not None else []
    if gen.tool_use:
        tool = gen.tool_use
        content.append(
            {
                "toolUse": {
                    "toolUseId": tool.tool_use_id,
                    "name": tool.name,
                    "input": dict(tool.input),
                }
            }
        )
    return content


def converse_usage(gen: Generation) -> Json:
    """The ``usage`` object of a Converse answer."""
    return {
        "inputTokens": gen.input_tokens,
        "outputTokens": gen.output_tokens,
        "totalTokens": gen.total_tokens,
    }


def stream_events(gen: Generation) -> list[tuple[str, Json]]:
    """``messageStart`` to ``messageStop``: text one word per delta, then the tool call."""
    events: list[tuple[str, Json]] = [("messageStart", {"role": "assistant"})]
    index = 0
    if gen.text is not None:
        events += [
            ("contentBlockDelta", {"delta": {"text": p}, "contentBlockIndex": index})
            for p in split_words(gen.text)
        ]
        events.append(("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    if gen.tool_use:
        start = {"toolUse": {"toolUseId": gen.tool_use.tool_use_id, "name": gen.tool_use.name}}
        events += [
            ("contentBlockStart", {"start": start, "contentBlockIndex": index}),
            (
                "contentBlockDelta",
                {"delta": {"toolUse": {"input": gen.tool_input_json}}, "contentBlockIndex": index},
            ),
            ("contentBlockStop", {"contentBlockIndex": index}),
        ]
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
    )


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
