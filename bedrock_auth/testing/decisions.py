"""What the emulated model decides when nothing is scripted: call a tool, or answer in text.

The rules are deterministic so that a test author can predict the output:

1. Tool choice ``any`` or a named tool: call that tool, even right after tool results, as
   Bedrock's models do (``any``: the first tool not called yet in the conversation, else the
   first one, so that a forced "final answer" tool ends an agent loop). Amazon Nova 1 answers
   tool results in text even so (``forced_choice_after_results`` in the model data).
2. The last user turn carries tool results (and the choice is not forced): answer in text
   (the default reply, which echoes the results: ``"Emulated reply to: <results>"``).
3. Tool choice ``auto`` (or none given): call the first tool the last user message mentions,
   by its name (``magic_function`` or ``magic function``) or by a word of its description;
   failing that, the first tool if the message says "tool". Otherwise answer in text.
4. Structured output requested (Converse ``outputConfig`` JSON schema) and no tool called:
   answer with JSON valid against the schema, after tool results too.

A tool call's arguments come from the tool's JSON schema (see :func:`arguments`).

Each wire format reads its requests into this provider-neutral :class:`Turn`
(:func:`.converse_body.converse_turn`, :func:`.providers.anthropic_turn`).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .script import ToolUse

Json = dict[str, Any]
#: Choice values: "auto", "any", "none", or the name of the tool the caller forces.
AUTO, ANY, NONE = "auto", "any", "none"
_WORD = re.compile(r"[a-z0-9]+")
# Description words this short ("the", "of", "a") say nothing about which tool is meant.
_MIN_DESCRIPTION_WORD = 5
# Parts of a property name shorter than this ("id", "to") match too much of a prompt.
_MIN_NAME_PART = 4


@dataclass(frozen=True)
class Tool:
    """A tool the request offers the model."""

    name: str
    description: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Turn:
    """What the model sees of a request, whatever the body format."""

    prompt: str
    tools: tuple[Tool, ...] = ()
    choice: str = AUTO
    answers_tool: bool = False
    output_schema: Mapping[str, Any] | None = None
    #: Names of the tools the conversation already called, oldest first.
    called: tuple[str, ...] = ()


def decide(turn: Turn, *, forced_after_results: bool = True) -> ToolUse | str | None:
    """The tool call the model makes, JSON text for structured output, or None for the
    default text reply. ``forced_after_results=False``: a forced choice is not honoured when
    answering tool results (Amazon Nova 1 answers them in text)."""
    forced = turn.choice not in (AUTO, NONE) and (forced_after_results or not turn.answers_tool)
    tool = _chosen_tool(turn) if forced or not turn.answers_tool else None
    if tool is not None:
        return ToolUse(tool.name, arguments(tool.schema, turn.prompt, tool.name))
    if turn.output_schema is not None:
        return json.dumps(arguments(turn.output_schema, turn.prompt), ensure_ascii=False)
    return None


def _chosen_tool(turn: Turn) -> Tool | None:
    if not turn.tools or turn.choice == NONE:
        return None
    if turn.choice == ANY:
        return next((t for t in turn.tools if t.name not in turn.called), turn.tools[0])
    if turn.choice != AUTO:
        return next((t for t in turn.tools if t.name == turn.choice), turn.tools[0])
    words = set(_WORD.findall(turn.prompt.lower()))
    return (
        next((t for t in turn.tools if _named(t, turn.prompt)), None)
        or next((t for t in turn.tools if _described(t, words)), None)
        or (turn.tools[0] if "tool" in words else None)
    )


def _named(tool: Tool, prompt: str) -> bool:
    lowered = prompt.lower()
    name = tool.name.lower()
    return name in lowered or name.replace("_", " ") in lowered


def _described(tool: Tool, words: set[str]) -> bool:
    own = _WORD.findall(f"{tool.name.replace('_', ' ')} {tool.description}".lower())
    return any(len(w) >= _MIN_DESCRIPTION_WORD and w in words for w in own)


# -- arguments from a JSON schema -----------------------------------------------------------

#: Placeholder per JSON-schema type, used when the prompt gives no value.
_PLACEHOLDERS: dict[str, Any] = {
    "integer": 1,
    "number": 1.0,
    "boolean": True,
    "null": None,
}
_STRING_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def arguments(schema: Mapping[str, Any], prompt: str, tool_name: str = "") -> Json:
    """Arguments valid against ``schema``: every required property, with typed values.

    A value comes from the prompt when the tool is written as a call there
    (``magic_function(3)`` gives the first property 3) or a property is named with a value
    (``city: Paris``, ``city=Paris``, ``city is Paris``); otherwise enums take their first
    value, defaults their default, and other types a placeholder.
    """
    given = _call_arguments(prompt, tool_name, list(_properties(schema, schema)))
    value = _value(schema, schema, prompt, given, "")
    return value if isinstance(value, dict) else {}


def _properties(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    props = _resolve(schema, root).get("properties")
    return props if isinstance(props, Mapping) else {}


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return _resolve(target, root) if isinstance(target, Mapping) else {}
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list):
            # Prefer a non-null option: Optional[X] is anyOf [X, null].
            real = [o for o in options if isinstance(o, Mapping) and o.get("type") != "null"]
            if real:
                return _resolve({**schema, key: None, **real[0]}, root)
    return schema


def _value(
    schema: Mapping[str, Any], root: Mapping[str, Any], prompt: str, given: Json, name: str
) -> Any:
    schema = _resolve(schema, root)
    if name in given:
        return _coerce(given[name], schema)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        return _object(schema, root, prompt, given)
    if kind == "array":
        item = mapping(schema.get("items"))
        count = schema.get("minItems")
        return [_value(item, root, prompt, {}, "") for _ in range(_count(count))]
    from_prompt = _named_value(prompt, name) if name else None
    if from_prompt is not None:
        return _coerce(from_prompt, schema)
    if kind == "string" or kind is None:
        return _STRING_FORMATS.get(str(schema.get("format")), name or "example")
    return _PLACEHOLDERS.get(str(kind))


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (request bodies are untrusted JSON)."""
    return value if isinstance(value, Mapping) else {}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _object(schema: Mapping[str, Any], root: Mapping[str, Any], prompt: str, given: Json) -> Json:
    props = _properties(schema, root)
    required = schema.get("required")
    wanted = [p for p in props if (isinstance(required, list) and p in required) or p in given]
    return {p: _value(props[p], root, prompt, given, p) for p in wanted}


def _coerce(raw: Any, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(float(raw))
        if kind == "number":
            return float(raw)
        if kind == "boolean":
            return raw if isinstance(raw, bool) else str(raw).lower() in ("true", "yes", "1")
        if kind == "string":
            return str(raw)
    except (TypeError, ValueError):
        return _PLACEHOLDERS.get(str(kind))
    return raw


def _call_arguments(prompt: str, tool_name: str, names: list[str]) -> Json:
    """``tool(3, x=2)`` in the prompt, mapped onto the schema's property names."""
    if not tool_name:
        return {}
    match = re.search(rf"{re.escape(tool_name)}\s*\(([^()]*)\)", prompt)
    if match is None:
        return {}
    try:
        call = ast.parse(f"f({match.group(1)})", mode="eval").body
    except SyntaxError:
        return {}
    if not isinstance(call, ast.Call):
        return {}
    found: Json = {}
    for name, node in zip(names, call.args, strict=False):
        found[name] = _literal(node)
    for keyword in call.keywords:
        if keyword.arg is not None:
            found[keyword.arg] = _literal(keyword.value)
    return found


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


_QUOTED = r"(?:\"([^\"]+)\"|'([^']+)')"
_BARE = r"([^\s,;\"'?!]+)"
_SEPARATOR = r"\s*(?:[:=]|\bis\b|\bof\b)?\s*"


def _named_value(prompt: str, name: str) -> str | None:
    """The value written after a property's name (``city: Paris``, ``city is "Paris"``), or
    the quoted value after a word of it (``customer named 'Acme'`` for ``customer_name``)."""
    spaced = re.escape(name).replace("_", "[ _]")
    patterns = [rf"\b{spaced}\b{_SEPARATOR}(?:{_QUOTED}|{_BARE})"] + [
        rf"\b{re.escape(part)}\w*{_SEPARATOR}{_QUOTED}"
        for part in reversed(name.split("_"))
        if len(part) >= _MIN_NAME_PART
    ]
    for pattern in patterns:
        match = re.search(pattern, prompt, re.IGNORECASE)
        if match:
            value = next(g for g in match.groups() if g is not None)
            return value.rstrip(".")
    return None


def answers_tool(messages: Any) -> bool:
    """Does the last message carry tool results (a Converse ``toolResult`` block or an
    Anthropic ``tool_result`` one)?"""
    last = messages[-1] if isinstance(messages, list) and messages else None
    content = last.get("content") if isinstance(last, dict) else None
    return isinstance(content, list) and any(
        isinstance(b, dict) and ("toolResult" in b or b.get("type") == "tool_result")
        for b in content
    )
