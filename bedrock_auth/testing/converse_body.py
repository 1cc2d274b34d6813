"""The Converse message shape, shared by Converse/ConverseStream and Amazon Nova's native body.

Nova's InvokeModel body is Converse's with a different envelope, so both build their content
blocks and stream events here and add only their own usage and metadata.
"""

from __future__ import annotations

from typing import Any

from .generation import Generation, split_words

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
