"""What an unscripted answer carries besides text and a tool call: reasoning, citations,
server-side tool runs and prompt-cache usage.

Like the tool-call decisions (:mod:`.decisions`), each is decided from the request and the
model's capabilities in the model data (:func:`~.catalog.capabilities_for`),
deterministically:

- **Reasoning** when the family always reasons, or reasons on request and the request asks
  (``thinking`` other than ``disabled``, ``reasoning_config``, ``reasoning_effort``), at the
  start of an assistant turn: an answer to tool results continues the turn and does not reason
  again (as Claude and Kimi K2 answer). Its text is ``Emulated reasoning about: <prompt>``;
  Claude's is signed, and redacted when the conversation holds Anthropic's redacted-thinking
  test string.
- **A citation** of the first document whose ``citations`` are enabled, when the family cites:
  its first sentence (text), first chunk (content list) or first page (a file).
- **A server-side tool run** when the request offers a ``systemTool`` the model runs, the
  emulator emulates it (:data:`EMULATED_SYSTEM_TOOLS`) and the prompt has a number in it
  (``nova_code_interpreter`` computes an arithmetic expression).
- **Cache usage** from the emulator's prompt cache (``cachePoint`` / ``cache_control``).

Each wire format reads its request into :class:`Asked` and writes :class:`Extras` its own way.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bedrock_auth._data import Capabilities

from . import ids

REASONING_PREFIX = "Emulated reasoning about: "
#: Anthropic's documented test string that makes Claude return redacted thinking: a model
#: whose reasoning is signed answers it redacted.
REDACTED_REASONING_TRIGGER = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING"
#: Location kinds of a cited document, by its source: text, a list of chunks, or a file.
CHAR, CHUNK, PAGE = "documentChar", "documentChunk", "documentPage"
_NUMBER = re.compile(r"\d")
_EXPRESSION = re.compile(r"[\d.]+(?:\s*[-+*/]\s*[\d.]+)+")
_SENTENCE = re.compile(r".*?[.!?](?:\s|$)|.+", re.DOTALL)


@dataclass(frozen=True)
class Document:
    """A document block of the request, as a citation needs it."""

    title: str
    location: str
    text: str
    index: int


@dataclass(frozen=True)
class Asked:
    """What the request asks for beyond an answer (each format's reader fills it)."""

    reasoning: bool = False
    #: (digest of everything before a cache point, its tokens), in request order.
    cache_points: tuple[tuple[str, int], ...] = ()
    cited_documents: tuple[Document, ...] = ()
    system_tools: tuple[str, ...] = ()
    #: All text of the conversation (for the redacted-reasoning test string).
    conversation: str = ""
    #: The last user message carries tool results.
    answers_tool: bool = False


@dataclass(frozen=True)
class Reasoning:
    """The model's reasoning: text (with a signature when the family signs it) or redacted."""

    text: str
    signature: str | None = None
    redacted: str | None = None


@dataclass(frozen=True)
class Citation:
    """One cited passage of a request document."""

    document: Document
    start: int
    end: int
    source_text: str

    def location(self) -> dict[str, Any]:
        span = {"documentIndex": self.document.index, "start": self.start, "end": self.end}
        return {self.document.location: span}


@dataclass(frozen=True)
class ServerToolRun:
    """A server-side tool the model ran before answering, and its result."""

    name: str
    input: Mapping[str, Any]
    result: Mapping[str, Any]
    tool_use_id: str = field(default_factory=lambda: ids.current().tool_use_id("tooluse_"))


@dataclass(frozen=True)
class CacheUsage:
    """Prompt-cache tokens: read from the cache, and written to it."""

    read: int = 0
    write: int = 0


@dataclass(frozen=True)
class Extras:
    """Everything besides text and a client tool call that goes into one answer."""

    reasoning: Reasoning | None = None
    reasoning_after_text: bool = False
    citation: Citation | None = None
    server_tool: ServerToolRun | None = None
    #: None: the answer has no cache fields (the family adds them only with cache points).
    cache: CacheUsage | None = None
    #: Client ``toolUse`` blocks carry ``"type": "tool_use"``.
    typed_tool_use: bool = False


def decide_extras(
    asked: Asked, model: Capabilities, prompt: str, cache: CacheUsage | None
) -> Extras:
    """The extras of one unscripted answer (``cache``: what the prompt cache gave, if used)."""
    server_tool = _server_tool(asked, model, prompt)
    return Extras(
        reasoning=_reasoning(asked, model, prompt),
        reasoning_after_text=model.reasoning_after_text,
        citation=_citation(asked) if model.citations else None,
        server_tool=server_tool,
        cache=cache,
        typed_tool_use=model.tool_use_type == "always"
        or (model.tool_use_type == "with_system_tools" and bool(asked.system_tools)),
    )


def reasoning_requested(fields: Any) -> bool:
    """Do Converse ``additionalModelRequestFields`` (or an Anthropic body) ask for reasoning?"""
    if not isinstance(fields, Mapping):
        return False
    for key in ("thinking", "reasoning_config", "reasoningConfig", "reasoning_effort"):
        value = fields.get(key)
        kind = value.get("type") if isinstance(value, Mapping) else value
        if value is not None and kind not in ("disabled", "none", False):
            return True
    return False


def _reasoning(asked: Asked, model: Capabilities, prompt: str) -> Reasoning | None:
    wanted = model.reasoning == "always" or (model.reasoning == "optional" and asked.reasoning)
    if not wanted or asked.answers_tool:
        return None
    text = f"{REASONING_PREFIX}{prompt}" if prompt else "Emulated reasoning."
    if not model.reasoning_signed:
        return Reasoning(text)
    if REDACTED_REASONING_TRIGGER in asked.conversation:
        return Reasoning(text, redacted=_opaque(f"redacted:{asked.conversation}"))
    return Reasoning(text, signature=_opaque(f"signature:{text}"))


def _opaque(seed: str) -> str:
    """A base64 blob derived from ``seed``: the same request gets the same bytes."""
    digest = hashlib.sha256(seed.encode()).digest()
    return base64.b64encode(digest * 3).decode("ascii")


def _citation(asked: Asked) -> Citation | None:
    if not asked.cited_documents:
        return None
    document = asked.cited_documents[0]
    if document.location == PAGE:
        return Citation(document, 1, 2, document.text)
    if document.location == CHUNK:
        return Citation(document, 0, 1, document.text)
    sentence = _SENTENCE.match(document.text)
    passage = sentence.group(0) if sentence else document.text
    return Citation(document, 0, len(passage), passage)


# -- server-side tools ------------------------------------------------------------------------

_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _arithmetic(node: ast.AST) -> float:
    """Evaluate numbers and + - * / only (the prompt is untrusted)."""
    if isinstance(node, ast.Expression):
        return _arithmetic(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return float(_OPERATORS[type(node.op)](_arithmetic(node.left), _arithmetic(node.right)))
    raise ValueError("not arithmetic")


def _code_run(prompt: str) -> tuple[str, str]:
    """(snippet, stdout) of the code interpreter for ``prompt``."""
    found = _EXPRESSION.search(prompt)
    if found is None:
        return prompt, ""
    snippet = found.group(0)
    try:
        value = _arithmetic(ast.parse(snippet, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError):
        return snippet, ""
    return snippet, str(int(value)) if float(value).is_integer() else str(value)


#: The server-side tools the emulator runs, as recorded Bedrock traffic shows them. Others the
#: model data lists (``nova_grounding``) are accepted and answered without a run.
EMULATED_SYSTEM_TOOLS = ("nova_code_interpreter",)


def _server_tool(asked: Asked, model: Capabilities, prompt: str) -> ServerToolRun | None:
    runs = (t for t in asked.system_tools if t in model.system_tools)
    name = next((t for t in runs if t in EMULATED_SYSTEM_TOOLS), None)
    if name is None or not (_NUMBER.search(prompt) or name in prompt):
        return None
    snippet, stdout = _code_run(prompt)
    result = {"stdOut": stdout, "stdErr": "", "exitCode": 0, "isError": False}
    return ServerToolRun(name, {"snippet": snippet}, result)
