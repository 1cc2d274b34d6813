"""The 400 ValidationExceptions Bedrock answers before a model runs, with Bedrock's messages.

What a model refuses (video, media in S3, CountTokens) comes from its capabilities in the model
data (:func:`~.catalog.capabilities_for`); the wording of a refusal is its request format's, so
it is kept here by ``invoke_body``. The conversation rules hold for every model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from bedrock_auth._data import Capabilities

from .catalog import strip_profile_prefix
from .responses import validation_error

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
# Bedrock's wording for a request field the model does not take ("This model doesn't support
# the toolConfig.toolChoice.tool field. ..."), applied to a server tool the model lacks.
_NO_SYSTEM_TOOL = (
    "This model doesn't support the toolConfig.tools.{index}.systemTool field. "
    "Remove toolConfig.tools.{index}.systemTool and try again."
)
_MEDIA = ("image", "document", "video")
#: Places an S3 medium can sit in a Converse request (``Capabilities.s3_refused``).
IN_MESSAGE, IN_TOOL_RESULT = "message", "tool_result"

# How each request format refuses an ``s3Location`` medium (medium -> message); ``{m}`` and
# ``{c}`` are the message and content-block positions.
_CLAUDE_S3_URI = "This model doesn't support the s3Uri field. Remove s3Uri and try again."
_NOVA_TOOL_RESULT = (
    "The model returned the following errors: Malformed input request: "
    "#/messages/{m}/content/{c}: extraneous key [toolResult] is not permitted, "
    "please reformat your input and try again."
)
_S3_REFUSALS: dict[str | None, dict[str, str]] = {
    "anthropic": {
        "image": _CLAUDE_S3_URI,
        "document": "The model returned the following errors: "
        "messages.{m}.content.{c}.document.source.type: Field required",
    },
    "nova": {"document": _NOVA_TOOL_RESULT, "video": _NOVA_TOOL_RESULT},
}
_S3_REFUSED = "The model doesn't support the s3Location field. Remove it and try again."


def _uses_tools(messages: list[Any]) -> bool:
    return any(
        isinstance(block, dict) and ("toolUse" in block or "toolResult" in block)
        for m in messages
        if isinstance(m, dict)
        for block in (m.get("content") or [])
    )


def validate_conversation(body: Json, model: Capabilities) -> list[Any]:
    """The Converse ``messages``, checked as Bedrock checks them; raises ApiError."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise validation_error(_START_WITH_USER)
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    first_ok = roles[0] == "user" or (model.leading_assistant and roles[0] == "assistant")
    if not first_ok:
        raise validation_error(_START_WITH_USER)
    if any(a == b for a, b in itertools.pairwise(roles)):
        raise validation_error(_ALTERNATE)
    if _uses_tools(messages) and not body.get("toolConfig"):
        raise validation_error(_NEEDS_TOOL_CONFIG)
    _validate_media(messages, model)
    _validate_system_tools(body, model)
    return messages


def _validate_system_tools(body: Json, model: Capabilities) -> None:
    """Server-side tools (``systemTool``) only where the model data lists them."""
    config = body.get("toolConfig")
    tools = config.get("tools") if isinstance(config, dict) else None
    for index, tool in enumerate(tools if isinstance(tools, list) else []):
        system = tool.get("systemTool") if isinstance(tool, dict) else None
        if isinstance(system, dict) and system.get("name") not in model.system_tools:
            raise validation_error(_NO_SYSTEM_TOOL.format(index=index))


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


def _validate_media(messages: list[Any], model: Capabilities) -> None:
    for m, c, medium, place, block in _media(messages):
        if medium == "video" and "VIDEO" not in model.input_modalities:
            raise validation_error(_NO_VIDEO)
        source = block.get("source")
        in_s3 = isinstance(source, dict) and "s3Location" in source
        if in_s3 and (medium, place) in model.s3_refused:
            refusal = _S3_REFUSALS.get(model.invoke_body, {}).get(medium, _S3_REFUSED)
            raise validation_error(refusal.format(m=m, c=c))


def validate_count_tokens(model_id: str, model: Capabilities) -> None:
    """CountTokens counts for base model ids of models that offer it."""
    if strip_profile_prefix(model_id) != model_id or not model.count_tokens:
        raise validation_error(_NO_PROFILE_COUNT)
