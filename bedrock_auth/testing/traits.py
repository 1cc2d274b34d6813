"""How Bedrock's answers differ by model family: one table, keyed by model-id pattern.

Everything the emulator does differently for Claude, Nova, DeepSeek, gpt-oss, Cohere, ... is a
field of :class:`Traits`, read from :data:`TRAITS` by :func:`traits_for`; handlers and wire
formats ask for a trait and never test model names themselves. The values come from answers
real Bedrock gave (``tests/data/replay/``) and AWS's model pages.

This table moves into the model data file (``bedrock_auth/_data/``) when that lands, next to
each model's ids, regions and capabilities.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .catalog import strip_profile_prefix

#: ``Traits.reasoning``: never reasons / reasons when the request asks / reasons on every turn.
NONE, OPTIONAL, ALWAYS = "none", "optional", "always"
#: ``Traits.tool_use_type``: when a Converse ``toolUse`` block carries ``"type": "tool_use"``.
NEVER, ON_EVERY_CALL, WITH_SYSTEM_TOOLS = "never", "always", "with_system_tools"
#: Places an S3 medium can sit in a Converse request (``Traits.s3_refused`` keys).
IN_MESSAGE, IN_TOOL_RESULT = "message", "tool_result"

# Bedrock's messages for content a family refuses; ``{m}``/``{c}`` are the message and
# content-block positions.
_CLAUDE_S3_URI = "This model doesn't support the s3Uri field. Remove s3Uri and try again."
_CLAUDE_S3_DOCUMENT = (
    "The model returned the following errors: "
    "messages.{m}.content.{c}.document.source.type: Field required"
)
_NOVA_TOOL_RESULT = (
    "The model returned the following errors: Malformed input request: "
    "#/messages/{m}/content/{c}: extraneous key [toolResult] is not permitted, "
    "please reformat your input and try again."
)
_CLAUDE_S3: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("image", IN_MESSAGE): _CLAUDE_S3_URI,
        ("image", IN_TOOL_RESULT): _CLAUDE_S3_URI,
        ("document", IN_MESSAGE): _CLAUDE_S3_DOCUMENT,
    }
)
_NOVA_2_S3: Mapping[tuple[str, str], str] = MappingProxyType(
    {("document", IN_TOOL_RESULT): _NOVA_TOOL_RESULT, ("video", IN_TOOL_RESULT): _NOVA_TOOL_RESULT}
)
#: The Anthropic tool types CountTokens accepts (a server tool such as ``web_search_*`` is refused).
_CLAUDE_COUNTABLE_TOOLS = (
    "bash_20250124",
    "custom",
    "text_editor_20250124",
    "text_editor_20250429",
    "text_editor_20250728",
)
#: Anthropic's documented test string that makes Claude return redacted thinking.
_REDACTED_THINKING_TRIGGER = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING"


@dataclass(frozen=True)
class Traits:
    """What one model family does differently on Bedrock (defaults: a plain chat model)."""

    #: The InvokeModel body format (a key of ``providers.FAMILIES``); None: read the body's shape.
    body: str | None = None
    #: NONE, OPTIONAL (``thinking``/``reasoning_config``/``reasoning_effort`` asked) or ALWAYS.
    reasoning: str = NONE
    #: Reasoning text comes with a ``signature`` (Claude), and can come redacted.
    signs_reasoning: bool = False
    #: The answer's text comes before its reasoning (DeepSeek-R1).
    reasoning_after_text: bool = False
    tool_use_type: str = NEVER
    #: A forced tool choice (``any``, a named tool) holds after tool results too.
    forced_choice_after_results: bool = True
    #: Documents with ``citations: {enabled: true}`` are cited (``citationsContent``).
    citations: bool = False
    #: Converse ``usage`` always has the cache fields (Claude), not only with a ``cachePoint``.
    cache_usage_always: bool = False
    #: A conversation may start with an assistant message.
    leading_assistant: bool = False
    #: Video content blocks are accepted.
    video: bool = True
    #: (medium, place) -> the ValidationException message for an ``s3Location`` source there.
    s3_refused: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: Server-side tools the model runs itself (Converse ``systemTool``).
    system_tools: frozenset[str] = frozenset()
    #: Anthropic tool types CountTokens accepts in an InvokeModel body (None: any).
    countable_tool_types: tuple[str, ...] | None = None
    #: A prompt containing this string gets redacted reasoning.
    redacted_reasoning_trigger: str | None = None
    #: Embedding models: the vector size without a requested one.
    embedding_size: int = 1024
    #: Embedding models: vectors keyed by type (``{"float": [...]}``), ``output_dimension`` read.
    embeddings_by_type: bool = False


_CLAUDE = Traits(
    body="anthropic",
    reasoning=OPTIONAL,
    signs_reasoning=True,
    citations=True,
    cache_usage_always=True,
    leading_assistant=True,
    video=False,
    s3_refused=_CLAUDE_S3,
    countable_tool_types=_CLAUDE_COUNTABLE_TOOLS,
    redacted_reasoning_trigger=_REDACTED_THINKING_TRIGGER,
)
_NOVA = Traits(body="nova", forced_choice_after_results=False)
_COHERE_V4 = Traits(body="cohere-embed", embedding_size=1536, embeddings_by_type=True)

#: First match wins; patterns match the base model id (no profile prefix, ARN resolved).
TRAITS: tuple[tuple[str, Traits], ...] = (
    # Claude 4.5 and later mark every tool call with "type": "tool_use"; 3.x, 4 and 4.1 do not.
    (r"anthropic\.claude-(3|instant|v2)", _CLAUDE),
    (r"anthropic\.claude-(sonnet|opus)-4-(1-)?\d{8}", _CLAUDE),
    (r"anthropic\.", dataclasses.replace(_CLAUDE, tool_use_type=ON_EVERY_CALL)),
    (r"amazon\.nova-2-multimodal-embeddings", Traits(body="nova-embed", embedding_size=3072)),
    (
        r"amazon\.nova-2",
        Traits(
            body="nova",
            reasoning=OPTIONAL,
            tool_use_type=WITH_SYSTEM_TOOLS,
            s3_refused=_NOVA_2_S3,
            system_tools=frozenset({"nova_code_interpreter"}),
        ),
    ),
    (r"amazon\.nova", _NOVA),
    (r"amazon\.titan-embed-text-v1", Traits(body="embed", embedding_size=1536)),
    (r"amazon\.titan-embed", Traits(body="embed", embeddings_by_type=True)),
    (r"amazon\.titan-text", Traits(body="titan")),
    (r"meta\.", Traits(body="llama")),
    (r"mistral\.", Traits(body="mistral")),
    (r"cohere\.embed-v4", _COHERE_V4),
    (r"cohere\.embed", Traits(body="cohere-embed")),
    (r"cohere\.command-r", Traits(body="cohere")),
    (r"deepseek\.r1", Traits(reasoning=ALWAYS, reasoning_after_text=True)),
    (r"openai\.gpt-oss", Traits(reasoning=ALWAYS)),
    (r"moonshot(ai)?\.kimi-k2-thinking", Traits(reasoning=ALWAYS)),
    (r"minimax\.", Traits(reasoning=ALWAYS)),
    (r"qwen\.", Traits(reasoning=OPTIONAL)),
)
_COMPILED = tuple((re.compile(pattern), traits) for pattern, traits in TRAITS)
DEFAULT = Traits()


def base_model_id(model_id: str) -> str:
    """``us.anthropic.x`` or ``arn:...:foundation-model/anthropic.x`` -> ``anthropic.x``."""
    return strip_profile_prefix(model_id.rsplit("/", 1)[-1])


def traits_for(model_id: str | None) -> Traits:
    """The traits of the family ``model_id`` belongs to (plain defaults when none matches)."""
    base = base_model_id(model_id or "")
    return next((traits for pattern, traits in _COMPILED if pattern.match(base)), DEFAULT)
