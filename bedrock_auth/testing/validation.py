"""The 400 ValidationExceptions Bedrock answers before a model runs, with Bedrock's messages.

What a family refuses (video, media in S3, tool types in CountTokens) comes from its
:class:`~.traits.Traits`; the conversation rules hold for every model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from .catalog import strip_profile_prefix
from .responses import validation_error
from .traits import IN_MESSAGE, IN_TOOL_RESULT, Traits

Json = dict[str, Any]

_START_WITH_USER = (
    "A conversation must start with a user message. Try again with a "
    "conversation that starts with a user message."
)
_ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the "
    "conversation alternates between user and assistant roles and try again."
)
_NEEDS_TOOL_CONFIG = (
    "The toolConfig field must be defined when using toolUse and toolResult content blocks."
)
_NO_VIDEO = (
    "This model doesn't support the video content block that you provided. "
    "Update the content block and try again."
)
_NO_PROFILE_COUNT = "The provided model doesn't support counting tokens."
_TOOL_TAG = (
    "tools.{index}: Input tag '{tag}' found using 'type' does not match any of the "
    "expected tags: {expected}"
)
_MEDIA = ("image", "document", "video")


def _uses_tools(messages: list[Any]) -> bool:
    return any(
        isinstance(block, dict) and ("toolUse" in block or "toolResult" in block)
        for m in messages
        if isinstance(m, dict)
        for block in (m.get("content") or [])
    )


def validate_conversation(body: Json, traits: Traits) -> list[Any]:
    """The Converse ``messages``, checked as Bedrock checks them; raises ApiError."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise validation_error(_START_WITH_USER)
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    first_ok = roles[0] == "user" or (traits.leading_assistant and roles[0] == "assistant")
    if not first_ok:
        raise validation_error(_START_WITH_USER)
    if any(a == b for a, b in itertools.pairwise(roles)):
        raise validation_error(_ALTERNATE)
    if _uses_tools(messages) and not body.get("toolConfig"):
        raise validation_error(_NEEDS_TOOL_CONFIG)
    _validate_media(messages, traits)
    return messages


def _media(messages: list[Any]) -> Iterator[tuple[int, int, str, str, Json]]:
    """(message, block, medium, place, medium block) of every image, document and video."""
    for m, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        for c, block in enumerate(content if isinstance(content, list) else []):
            if not isinstance(block, dict):
                continue
            inner = block.get("toolResult")
            nested = inner.get("content") if isinstance(inner, dict) else None
            for part in nested if isinstance(nested, list) else []:
                for medium in _MEDIA:
                    if isinstance(part, dict) and isinstance(part.get(medium), dict):
                        yield m, c, medium, IN_TOOL_RESULT, part[medium]
            for medium in _MEDIA:
                if isinstance(block.get(medium), dict):
                    yield m, c, medium, IN_MESSAGE, block[medium]


def _validate_media(messages: list[Any], traits: Traits) -> None:
    for m, c, medium, place, block in _media(messages):
        if medium == "video" and not traits.video:
            raise validation_error(_NO_VIDEO)
        source = block.get("source")
        in_s3 = isinstance(source, dict) and "s3Location" in source
        refused = traits.s3_refused.get((medium, place)) if in_s3 else None
        if refused:
            raise validation_error(refused.format(m=m, c=c))


def validate_count_tokens(model_id: str, traits: Traits, invoke_body: Json | None) -> None:
    """CountTokens counts for base model ids only, and only tool types the model takes."""
    if strip_profile_prefix(model_id) != model_id:
        raise validation_error(_NO_PROFILE_COUNT)
    allowed = traits.countable_tool_types
    tools = invoke_body.get("tools") if invoke_body else None
    if allowed is None or not isinstance(tools, list):
        return
    for index, tool in enumerate(tools):
        tag = tool.get("type", "custom") if isinstance(tool, dict) else "custom"
        if tag not in allowed:
            expected = ", ".join(f"'{t}'" for t in allowed)
            raise validation_error(_TOOL_TAG.format(index=index, tag=tag, expected=expected))
