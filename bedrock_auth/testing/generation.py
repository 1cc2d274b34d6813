"""The emulated "model": deterministic text, token counts and stream chunking.

Default answers echo the prompt: ``"Emulated reply to: <last user text>"``. Tokens are counted
as whitespace-separated words, so tests can predict usage numbers exactly.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import ids
from .features import Extras
from .script import Reply, ToolUse

DEFAULT_PREFIX = "Emulated reply to: "
_WORD_BOUNDARY = re.compile(r"(?<=\s)(?=\S)")


def count_tokens(text: str) -> int:
    """The emulator's token count: one per whitespace-separated word."""
    return len(text.split())


def default_text(prompt: str) -> str:
    """The reply given when no scripted reply is queued."""
    return f"{DEFAULT_PREFIX}{prompt}" if prompt else "Emulated reply."


def split_words(text: str) -> list[str]:
    """Stream pieces, one word each with its trailing space; they join back to ``text``."""
    return [piece for piece in _WORD_BOUNDARY.split(text) if piece] or [text]


def _truncate(text: str, max_words: int) -> str:
    return "".join(split_words(text)[:max_words]).rstrip()


@dataclass(frozen=True)
class Generation:
    """A finished model answer, in provider-neutral form."""

    text: str | None
    tool_use: ToolUse | None
    stop_reason: str
    input_tokens: int
    output_tokens: int
    message_id: str
    #: Reasoning, citations, server tool runs and cache usage (see :mod:`.features`).
    extras: Extras = field(default_factory=Extras)

    @property
    def total_tokens(self) -> int:
        """Input (cached or not) plus output tokens."""
        return self.input_tokens + self.output_tokens + self.cache_read + self.cache_write

    @property
    def cache_read(self) -> int:
        """Input tokens read from the prompt cache."""
        return self.extras.cache.read if self.extras.cache else 0

    @property
    def cache_write(self) -> int:
        """Input tokens written to the prompt cache."""
        return self.extras.cache.write if self.extras.cache else 0

    @property
    def tool_input_json(self) -> str:
        """The tool call's input, serialised as the streaming APIs send it."""
        return json.dumps(dict(self.tool_use.input)) if self.tool_use else "{}"


def generate(
    reply: Reply | None,
    prompt: str,
    input_tokens: int,
    max_tokens: int | None,
    decided: ToolUse | str | None = None,
) -> Generation:
    """Produce the answer for one call: the scripted reply, else the emulator's own decision
    (a tool call or structured-output text), else the echo default. A scripted reply always
    wins over the emulator's decision."""
    if reply is not None:
        decided = None
    tool = reply.tool_use if reply else (decided if isinstance(decided, ToolUse) else None)
    text: str | None
    if reply is not None and reply.text is not None:
        text = reply.text
    elif isinstance(decided, str):
        text = decided
    else:
        text = None if tool else default_text(prompt)
    stop = reply.stop_reason if reply and reply.stop_reason else None
    if stop is None and text and max_tokens is not None and count_tokens(text) > max_tokens:
        text, stop = _truncate(text, max_tokens), "max_tokens"
    if stop is None:
        stop = "tool_use" if tool else "end_turn"
    output = count_tokens(text or "") + (count_tokens(json.dumps(dict(tool.input))) if tool else 0)
    return Generation(text, tool, stop, input_tokens, output, ids.current().hex(24))


def with_extras(gen: Generation, extras: Extras) -> Generation:
    """``gen`` with its extras: their words count as output, cached tokens leave the input."""
    cached = (extras.cache.read + extras.cache.write) if extras.cache else 0
    return dataclasses.replace(
        gen,
        extras=extras,
        input_tokens=max(0, gen.input_tokens - cached),
        output_tokens=gen.output_tokens + _generated_tokens(extras),
    )


def reasoning_tokens(extras: Extras) -> int:
    """The output tokens of the answer's reasoning: none when it is redacted (no text)."""
    reasoning = extras.reasoning
    return count_tokens(reasoning.text) if reasoning and not reasoning.redacted else 0


def _generated_tokens(extras: Extras) -> int:
    """What the extras generate besides the answer: reasoning and a server-side tool's code."""
    code = str(extras.server_tool.input.get("snippet", "")) if extras.server_tool else ""
    return reasoning_tokens(extras) + count_tokens(code)


def text_of(value: Any) -> str:
    """All text inside a content value (string, block list, nested tool results)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(t for t in (text_of(v) for v in value) if t)
    if isinstance(value, dict):
        for key in ("text", "content", "toolResult", "json"):
            if key in value:
                inner = value[key]
                return json.dumps(inner) if key == "json" else text_of(inner)
    return ""


def last_user_text(messages: Any) -> str:
    """Text of the last ``user`` message in a Converse/Anthropic/Nova message list."""
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


def all_text_tokens(messages: Any, system: Any = None) -> int:
    """Input tokens of a whole conversation plus its system prompt."""
    total = count_tokens(text_of(system)) if system else 0
    if isinstance(messages, list):
        total += sum(
            count_tokens(text_of(m.get("content"))) for m in messages if isinstance(m, dict)
        )
    return total
