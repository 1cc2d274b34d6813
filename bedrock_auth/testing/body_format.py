"""The base of the InvokeModel body formats (:mod:`.providers`, :mod:`.anthropic_body`,
:mod:`.embeddings`) and the helpers they share.

Each family knows how to read its request body (prompt, token budget) and how to write its
native response body and its stream chunks (the JSON that InvokeModelWithResponseStream
base64-encodes into each ``chunk`` event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from .catalog import strip_profile_prefix
from .decisions import Turn
from .features import Asked
from .generation import Generation, all_text_tokens, count_tokens, last_user_text, split_words

Json = dict[str, Any]


def invocation_metrics(gen: Generation, latency_ms: int) -> Json:
    """The ``amazon-bedrock-invocationMetrics`` object Bedrock adds to the last chunk."""
    return {
        "inputTokenCount": gen.input_tokens,
        "outputTokenCount": gen.output_tokens,
        "invocationLatency": latency_ms,
        "firstByteLatency": min(latency_ms, 1),
    }


def malformed(key: str) -> str:
    return (
        f"Malformed input request: #: required key [{key}] not found, "
        "please reformat your input and try again."
    )


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def model_name(model_id: str, provider: str) -> str:
    """The name a provider's own body reports: ``anthropic.claude-x-v1:0`` -> ``claude-x``."""
    base = strip_profile_prefix(model_id.rsplit("/", 1)[-1]).removeprefix(f"{provider}.")
    return base.split("-v", 1)[0] if "-v" in base else base


def length_or_stop(gen: Generation) -> str:
    """The stop reason of the open-weight formats (Llama, Mistral)."""
    return "length" if gen.stop_reason == "max_tokens" else "stop"


def word_chunks(
    gen: Generation, latency_ms: int, chunk: Callable[[int, str, bool], Json]
) -> list[Json]:
    """Stream chunks of a text-only format: ``chunk(index, word, is_last)`` for each word of
    the answer; the last chunk also carries ``amazon-bedrock-invocationMetrics``."""
    pieces = split_words(gen.text or "")
    out = [chunk(i, piece, i == len(pieces) - 1) for i, piece in enumerate(pieces)]
    out[-1]["amazon-bedrock-invocationMetrics"] = invocation_metrics(gen, latency_ms)
    return out


class Family:
    """Base: a provider's body format. Subclasses override what differs."""

    name: ClassVar[str] = "unknown"
    required: ClassVar[tuple[str, ...]] = ()
    streams: ClassVar[bool] = True
    #: The body key holding the whole prompt, for text-completion bodies (``prompt``,
    #: ``inputText``); None for message-list bodies.
    prompt_key: ClassVar[str | None] = None
    #: The top-level body key holding the output token budget, if the format has one there.
    budget_key: ClassVar[str | None] = None
    #: Answers carry the ``X-Amzn-Bedrock-Cache-*-Input-Token-Count`` headers.
    cache_headers: ClassVar[bool] = False

    def validate(self, body: Json) -> str | None:
        """Bedrock's ValidationException message for a malformed body, or None."""
        missing = next((k for k in self.required if k not in body), None)
        return malformed(missing) if missing else None

    def tool_problem(self, body: Json) -> str | None:
        """Bedrock's message for a tool type the format does not take here (InvokeModel and
        CountTokens alike), or None."""
        return None

    def prompt(self, body: Json) -> str:
        """The text the default reply echoes."""
        if self.prompt_key is not None:
            return str(body.get(self.prompt_key, ""))
        return last_user_text(body.get("messages"))

    def turn(self, body: Json) -> Turn:
        """What the model sees: the prompt and, for formats that have them, tools."""
        return Turn(self.prompt(body))

    def asked(self, body: Json) -> Asked:
        """What the body asks for besides an answer (reasoning, cache points, ...)."""
        return Asked()

    def input_tokens(self, body: Json) -> int:
        """Tokens in the whole request."""
        if self.prompt_key is not None:
            return count_tokens(self.prompt(body))
        return all_text_tokens(body.get("messages"), body.get("system"))

    def max_tokens(self, body: Json) -> int | None:
        """The output token budget the body asks for."""
        return int_or_none(body.get(self.budget_key)) if self.budget_key else None

    def response(self, gen: Generation, model_id: str, latency_ms: int) -> Json:
        """The InvokeModel response body."""
        raise NotImplementedError

    def chunks(self, gen: Generation, model_id: str, latency_ms: int) -> list[Json]:
        """The InvokeModelWithResponseStream chunk bodies, in order."""
        raise NotImplementedError
