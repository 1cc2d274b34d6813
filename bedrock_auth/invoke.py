"""Calling models directly: Converse and InvokeModel, whole or streamed, sync or async.

Every helper takes ``manager=`` (default: :func:`~bedrock_auth.get_manager`), resolves the model
id for the region through the catalog, and raises this library's typed errors. ``region=``
(default: the manager's) is tried first, then ``fallback_regions=[...]`` (default: the
manager's, from ``BEDROCK_FALLBACK_REGIONS``; ``[]`` for none): a call moves to the next region
when botocore's own retries end in throttling, unavailability or an endpoint error; never on
auth, validation or access errors. Nothing here reads the environment: defaults come from
``manager.settings``. Each helper has an async twin (``aconverse``, ``aconverse_stream``, ...)
made from the same description of the call (:mod:`bedrock_auth._calls`): the same arguments,
requests, failover and errors, its blocking work on the manager's executor. Bedrock Agents are
in :mod:`bedrock_auth.agents`.

>>> from bedrock_auth import converse
>>> converse("nova-lite", "Say hi").text                     # doctest: +SKIP
'Hi!'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bedrock_auth._calls import (
    AsyncStream,
    Call,
    Stream,
    Where,
    awaited,
    blocking,
    elapsed_ms,
    kept,
    model_call,
    same,
)
from bedrock_auth._delegate import Delegated
from bedrock_auth._request_options import request_members
from bedrock_auth._translate import ErrorContext
from bedrock_auth.errors import ConfigurationError

if TYPE_CHECKING:
    from bedrock_auth._catalog import ResolvedModel
    from bedrock_auth.manager import BedrockClientManager

Messages = Sequence[Mapping[str, Any]]
#: ``request_metadata=``: key-value pairs Bedrock writes into the invocation log.
Metadata = Mapping[str, str]

ANTHROPIC_VERSION = "bedrock-2023-05-31"
_INFERENCE_KEYS = {
    "max_tokens": "maxTokens",
    "temperature": "temperature",
    "top_p": "topP",
    "stop_sequences": "stopSequences",
    "stop": "stopSequences",
}


@dataclass(frozen=True)
class Usage:
    """Token counts reported by Bedrock."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_converse(cls, usage: Mapping[str, Any] | None) -> Usage:
        usage = usage or {}
        return cls(
            int(usage.get("inputTokens", 0)),
            int(usage.get("outputTokens", 0)),
            int(usage.get("totalTokens", 0)),
        )


@dataclass(frozen=True)
class ConverseResult:
    """What :func:`converse` returns."""

    text: str
    stop_reason: str
    usage: Usage
    latency_ms: int
    region: str
    model_id: str
    raw: Mapping[str, Any] = field(repr=False)
    #: The tier Bedrock served the request on, as it echoes it (``None``: not echoed).
    service_tier: str | None = None


@dataclass(frozen=True)
class InvokeResult:
    """What :func:`invoke_model` returns: the decoded provider-native body and its text."""

    text: str
    body: Mapping[str, Any]
    region: str
    model_id: str
    latency_ms: int
    #: The tier Bedrock served the request on, from its ``X-Amzn-Bedrock-Service-Tier`` reply
    #: header (``None``: not echoed).
    service_tier: str | None = None


# -- converse --------------------------------------------------------------------------------
#
# Each helper is written once, as the description of its call (a ``Call``: what to send in a
# region and how to read the reply). ``@blocking`` makes that function the sync helper, with its
# signature and docstring, returning what the call returns; ``awaited`` makes the async twin.


def _messages(prompt_or_messages: str | Messages) -> list[Mapping[str, Any]]:
    if isinstance(prompt_or_messages, str):
        return [{"role": "user", "content": [{"text": prompt_or_messages}]}]
    if not prompt_or_messages:
        raise ConfigurationError("No messages given. Pass a prompt string or Converse messages.")
    return list(prompt_or_messages)


def _converse_request(
    prompt_or_messages: str | Messages,
    system: str | None,
    inference: Mapping[str, Any],
    options: Mapping[str, Any],
) -> Callable[[ResolvedModel], dict[str, Any]]:
    """The Converse request for each region: only the model id changes from one to the next.
    ``options`` are the request members of ``service_tier=`` and the like, already checked."""
    request: dict[str, Any] = {"messages": _messages(prompt_or_messages)}
    if system:
        request["system"] = [{"text": system}]
    if inference:
        config = {_INFERENCE_KEYS[k]: v for k, v in inference.items() if k in _INFERENCE_KEYS}
        if config:
            request["inferenceConfig"] = config
        request.update({k: v for k, v in inference.items() if k not in _INFERENCE_KEYS})
    request.update(options)
    return lambda resolved: {"modelId": resolved.model_id, **request}


def _tier(echoed: Any) -> str | None:
    """The served tier: Converse echoes ``{"type": tier}``, InvokeModel the bare name."""
    tier = echoed.get("type") if isinstance(echoed, Mapping) else echoed
    return str(tier) if tier else None


def _text_of(content: Sequence[Mapping[str, Any]]) -> str:
    return "".join([str(block["text"]) for block in content if "text" in block])


def _converse_result(reply: Any, ctx: ErrorContext, started: float) -> ConverseResult:
    # Lean on purpose (positional, a helper only where a field needs one): it runs once per
    # call right after botocore has pushed our code out of the CPU's caches, where every frame
    # and keyword dict costs microseconds (benchmark 6: threads sharing a manager).
    latency = reply.get("metrics", {}).get("latencyMs")
    tier = reply.get("serviceTier")
    return ConverseResult(
        _text_of(reply.get("output", {}).get("message", {}).get("content", [])),
        str(reply.get("stopReason", "")),
        Usage.from_converse(reply.get("usage")),
        int(latency) if latency is not None else elapsed_ms(started),
        ctx.region,
        ctx.model_id,
        reply,
        _tier(tier) if tier else None,
    )


@blocking
def converse(
    model: str,
    prompt_or_messages: str | Messages,
    *,
    system: str | None = None,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    service_tier: str | None = None,
    project: str | None = None,
    request_metadata: Metadata | None = None,
    **inference: Any,
) -> Call[ConverseResult]:
    """Send one Converse request and return its text, stop reason, usage and latency.

    ``inference`` takes ``max_tokens``, ``temperature``, ``top_p``, ``stop_sequences`` (or
    ``stop``); any other keyword (``toolConfig``, ``guardrailConfig``, ...) goes to the API as is.
    ``region`` (default: the manager's) is tried first, then ``fallback_regions`` (default: the
    manager's; ``[]`` for none).

    ``service_tier`` (``"flex"``, ``"priority"``, ... as the installed botocore lists them)
    asks for a processing tier, and ``.service_tier`` says which one Bedrock served;
    ``project`` names the Bedrock project (id or ARN) the call is billed and logged to;
    ``request_metadata`` (up to 16 string pairs) goes into the invocation log. Each is checked
    against the installed botocore before anything is sent.

    >>> result = converse("nova-lite", "Say hi", max_tokens=50)        # doctest: +SKIP
    >>> result.text, result.usage.total_tokens                        # doctest: +SKIP
    """
    options = request_members(
        "Converse", service_tier=service_tier, project=project, request_metadata=request_metadata
    )
    return model_call(
        Where.of(region, fallback_regions, manager),
        model,
        "Converse",
        _converse_request(prompt_or_messages, system, inference, options),
        _converse_result,
    )


aconverse = awaited(
    converse,
    same,
    """:func:`converse` for asyncio: the same arguments, failover and errors.

    >>> result = await aconverse("nova-lite", "Say hi", max_tokens=50)   # doctest: +SKIP
    """,
)


class ConverseStream(Stream):
    """Yields text deltas; after exhaustion ``.text``, ``.stop_reason`` and ``.usage`` are final.

    ``.raw_events`` holds every event only when opened with ``keep_events=True``.
    """

    reply_member = "stream"
    stop_reason: str = ""
    usage: Usage = Usage()
    #: The tier Bedrock served the request on, from the final metadata event.
    service_tier: str | None = None

    @property
    def raw_events(self) -> list[Mapping[str, Any]]:
        """Every event received; only on a stream opened with ``keep_events=True`` (else an
        ``AttributeError`` says so)."""
        return kept(self._kept, "ConverseStream.raw_events")

    def _event(self, event: Mapping[str, Any]) -> str:
        if self._kept is not None:
            self._kept.append(event)
        if "messageStop" in event:
            self.stop_reason = str(event["messageStop"].get("stopReason", ""))
        if "metadata" in event:
            self.usage = Usage.from_converse(event["metadata"].get("usage"))
            self.service_tier = _tier(event["metadata"].get("serviceTier"))
        return str(event.get("contentBlockDelta", {}).get("delta", {}).get("text", ""))


@blocking
def converse_stream(
    model: str,
    prompt_or_messages: str | Messages,
    *,
    keep_events: bool = False,
    system: str | None = None,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    service_tier: str | None = None,
    project: str | None = None,
    request_metadata: Metadata | None = None,
    **inference: Any,
) -> Call[ConverseStream]:
    """Like :func:`converse`, streamed: iterate for text deltas as they arrive.

    ``keep_events=True`` keeps every raw event in ``.raw_events`` (off by default: a finished
    stream then holds its text, not one object per delta). ``service_tier``, ``project`` and
    ``request_metadata`` as in :func:`converse`; ``.service_tier`` is final once the stream is
    exhausted.

    >>> stream = converse_stream("nova-lite", "Count to 3")            # doctest: +SKIP
    >>> for delta in stream:                                            # doctest: +SKIP
    ...     print(delta, end="")
    >>> stream.usage.output_tokens                                      # doctest: +SKIP
    """
    operation = "ConverseStream"
    options = request_members(
        operation, service_tier=service_tier, project=project, request_metadata=request_metadata
    )
    return model_call(
        Where.of(region, fallback_regions, manager),
        model,
        operation,
        _converse_request(prompt_or_messages, system, inference, options),
        ConverseStream.opener(keep_events),
    )


# -- invoke_model ---------------------------------------------------------------------------

# Where each provider puts its text, in complete bodies and in stream chunks. Data, so that a
# new provider is one more path, not another branch.
_TEXT_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("content",),  # Anthropic messages
    ("output", "message", "content"),  # Amazon Nova
    ("results", 0, "outputText"),  # Amazon Titan
    ("delta", "text"),  # Anthropic stream: content_block_delta
    ("contentBlockDelta", "delta", "text"),  # Nova stream
    ("outputText",),  # Titan stream
    ("generation",),  # Meta Llama
    ("outputs", 0, "text"),  # Mistral
    ("choices", 0, "message", "content"),  # OpenAI-style (Mistral Large, DeepSeek)
    ("choices", 0, "text"),
    ("generations", 0, "text"),  # Cohere Command
    ("text",),
)


def _follow(body: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        try:
            body = body[step]
        except (KeyError, IndexError, TypeError):
            return None
    return body


def text_from_body(body: Mapping[str, Any]) -> str:
    """The generated text in a provider-native response body or stream chunk ('' if none)."""
    for path in _TEXT_PATHS:
        found = _follow(body, path)
        if isinstance(found, list):
            return _text_of([b for b in found if isinstance(b, Mapping)])
        if isinstance(found, str):
            return found
    return ""


def _native_body(body: Mapping[str, Any] | str | bytes, provider: str | None) -> bytes:
    if isinstance(body, (str, bytes)):
        return body.encode() if isinstance(body, str) else body
    payload = dict(body)
    if provider == "anthropic":
        payload.setdefault("anthropic_version", ANTHROPIC_VERSION)
    return json.dumps(payload).encode()


def _native_request(
    body: Mapping[str, Any] | str | bytes, options: Mapping[str, Any]
) -> Callable[[ResolvedModel], dict[str, Any]]:
    """The InvokeModel request for each region: the body as that model's provider wants it,
    and ``options``, the (header) members of ``service_tier=`` and the like, already checked."""

    def request(resolved: ResolvedModel) -> dict[str, Any]:
        return {
            "modelId": resolved.model_id,
            "body": _native_body(body, resolved.provider),
            "contentType": "application/json",
            "accept": "application/json",
            **options,
        }

    return request


def _invoke_result(reply: Any, ctx: ErrorContext, started: float) -> InvokeResult:
    decoded = json.loads(reply["body"].read())
    return InvokeResult(
        text=text_from_body(decoded),
        body=decoded,
        region=ctx.region,
        model_id=ctx.model_id,
        latency_ms=elapsed_ms(started),
        service_tier=_tier(reply.get("serviceTier")),
    )


@blocking
def invoke_model(
    model: str,
    body: Mapping[str, Any] | str | bytes,
    *,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    service_tier: str | None = None,
    project: str | None = None,
    request_metadata: Metadata | None = None,
) -> Call[InvokeResult]:
    """Send a provider-native body with InvokeModel and decode the JSON reply.

    Anthropic bodies get ``anthropic_version`` filled in. ``service_tier``, ``project`` and
    ``request_metadata`` as in :func:`converse`, sent as InvokeModel's headers.

    >>> r = invoke_model("claude-haiku-4-5", {"max_tokens": 100,                # doctest: +SKIP
    ...     "messages": [{"role": "user", "content": "Hi"}]})
    >>> r.text                                                                 # doctest: +SKIP
    """
    options = request_members(
        "InvokeModel", service_tier=service_tier, project=project, request_metadata=request_metadata
    )
    return model_call(
        Where.of(region, fallback_regions, manager),
        model,
        "InvokeModel",
        _native_request(body, options),
        _invoke_result,
    )


ainvoke_model = awaited(invoke_model, same, ":func:`invoke_model` for asyncio.")


class InvokeStream(Stream):
    """Yields text deltas from InvokeModelWithResponseStream.

    ``.events`` holds every decoded chunk only when opened with ``keep_events=True``.
    """

    reply_member = "body"
    #: The tier Bedrock served the request on, from the reply's headers.
    service_tier: str | None = None

    @property
    def events(self) -> list[Mapping[str, Any]]:
        """Every decoded chunk; only on a stream opened with ``keep_events=True`` (else an
        ``AttributeError`` says so)."""
        return kept(self._kept, "InvokeStream.events")

    def _event(self, event: Mapping[str, Any]) -> str:
        chunk = event.get("chunk")
        if chunk is None:
            return ""
        decoded = json.loads(chunk["bytes"])
        if self._kept is not None:
            self._kept.append(decoded)
        return text_from_body(decoded)


@blocking
def invoke_model_stream(
    model: str,
    body: Mapping[str, Any] | str | bytes,
    *,
    keep_events: bool = False,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    service_tier: str | None = None,
    project: str | None = None,
    request_metadata: Metadata | None = None,
) -> Call[InvokeStream]:
    """Like :func:`invoke_model`, streamed: iterate for text deltas.

    ``keep_events=True`` keeps every decoded chunk in ``.events`` (off by default).
    ``service_tier``, ``project`` and ``request_metadata`` as in :func:`invoke_model`.
    """
    operation = "InvokeModelWithResponseStream"
    options = request_members(
        operation, service_tier=service_tier, project=project, request_metadata=request_metadata
    )
    return model_call(
        Where.of(region, fallback_regions, manager),
        model,
        operation,
        _native_request(body, options),
        _invoke_stream_opener(keep_events),
    )


def _invoke_stream_opener(keep_events: bool) -> Callable[[Any, ErrorContext, float], InvokeStream]:
    """:meth:`InvokeStream.opener`, also noting the tier the reply's headers name."""
    open_stream = InvokeStream.opener(keep_events)

    def opened(reply: Any, ctx: ErrorContext, started: float) -> InvokeStream:
        stream = open_stream(reply, ctx, started)
        stream.service_tier = _tier(reply.get("serviceTier"))
        return stream

    return opened


# -- async streams ----------------------------------------------------------------------------


_TIER_DOC = "The tier Bedrock served the request on; final once exhausted."


class AsyncConverseStream(AsyncStream[ConverseStream]):
    """:class:`ConverseStream`, async: ``async for`` text deltas; ``.stop_reason`` and
    ``.usage`` are final once it is exhausted."""

    stop_reason = Delegated[str]("_stream", "Why the model stopped; final once exhausted.")
    usage = Delegated[Usage]("_stream", "Token usage; final once exhausted.")
    service_tier = Delegated[str | None]("_stream", _TIER_DOC)

    @property
    def raw_events(self) -> list[Mapping[str, Any]]:
        """As :attr:`ConverseStream.raw_events`: kept only with ``keep_events=True``."""
        return kept(self._stream._kept, "AsyncConverseStream.raw_events")


class AsyncInvokeStream(AsyncStream[InvokeStream]):
    """:class:`InvokeStream`, async: ``async for`` text deltas; ``.events`` keeps the chunks
    when opened with ``keep_events=True``."""

    @property
    def events(self) -> list[Mapping[str, Any]]:
        """As :attr:`InvokeStream.events`: kept only with ``keep_events=True``."""
        return kept(self._stream._kept, "AsyncInvokeStream.events")

    service_tier = Delegated[str | None]("_stream", _TIER_DOC)


aconverse_stream = awaited(
    converse_stream,
    AsyncConverseStream,
    """:func:`converse_stream` for asyncio: awaited once it has its first event (so a region
    that fails before answering is replaced by the next), then ``async for`` the deltas.
    ``keep_events`` as in :func:`converse_stream`.

    >>> async with await aconverse_stream("nova-lite", "Count to 3") as stream:  # doctest: +SKIP
    ...     async for delta in stream:
    ...         print(delta, end="")
    """,
)
ainvoke_model_stream = awaited(
    invoke_model_stream,
    AsyncInvokeStream,
    """:func:`invoke_model_stream` for asyncio: ``async for`` the text deltas (``keep_events``
    as there).""",
)
