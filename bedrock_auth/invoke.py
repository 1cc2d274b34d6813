"""Calling models and agents directly: converse, streams, invoke_model, invoke_agent, failover.

Every helper takes ``manager=`` (default: :func:`~bedrock_auth.get_manager`), resolves the model
id for the region through the catalog, and raises this library's typed errors. With more than
one region (``regions=[...]`` or ``BEDROCK_FALLBACK_REGIONS``) a call moves to the next region
when botocore's own retries end in throttling, unavailability or an endpoint error; never on
auth, validation or access errors.

>>> from bedrock_auth import converse
>>> converse("nova-lite", "Say hi").text                     # doctest: +SKIP
'Hi!'
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bedrock_auth._translate import ErrorContext, translate_error
from bedrock_auth.errors import FAILOVER_ERRORS, BedrockAuthError, ConfigurationError
from bedrock_auth.models import resolve_model_id
from bedrock_auth.profiles import provider_for

if TYPE_CHECKING:
    from bedrock_auth.manager import BedrockClientManager

logger = logging.getLogger("bedrock_auth")

T = TypeVar("T")
Messages = Sequence[Mapping[str, Any]]

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


@dataclass(frozen=True)
class InvokeResult:
    """What :func:`invoke_model` returns: the decoded provider-native body and its text."""

    text: str
    body: Mapping[str, Any]
    region: str
    model_id: str
    latency_ms: int


@dataclass(frozen=True)
class AgentResult:
    """What :func:`invoke_agent` returns."""

    text: str
    session_id: str
    citations: list[Mapping[str, Any]]
    trace: list[Mapping[str, Any]]


# -- shared machinery ----------------------------------------------------------------------


def _manager(manager: BedrockClientManager | None) -> BedrockClientManager:
    if manager is not None:
        return manager
    from bedrock_auth.manager import get_manager

    return get_manager()


def regions_to_try(
    manager: BedrockClientManager, region: str | None, regions: Sequence[str] | None
) -> list[str]:
    """The ordered regions for a call: ``regions``, else ``region`` (or the manager's) followed
    by ``BEDROCK_FALLBACK_REGIONS``."""
    if regions is not None and region is not None:
        raise ConfigurationError(
            "Pass region= or regions=, not both: regions= is the ordered list."
        )
    if regions is not None:
        chosen = list(regions)
        if not chosen:
            raise ConfigurationError("regions=[] is empty. Accepted: one or more region names.")
    else:
        extra = os.environ.get("BEDROCK_FALLBACK_REGIONS", "")
        chosen = [region or manager.region, *(r.strip() for r in extra.split(",") if r.strip())]
    return list(dict.fromkeys(chosen))


def with_failover(regions: Sequence[str], call: Callable[[str], T], what: str) -> T:
    """Run ``call(region)`` in each region until one succeeds or fails for a non-capacity reason.

    When every region fails, the error lists what each one returned.
    """
    failures: list[tuple[str, BedrockAuthError]] = []
    for index, region in enumerate(regions):
        try:
            return call(region)
        except FAILOVER_ERRORS as error:
            failures.append((region, error))
            if index + 1 < len(regions):
                logger.warning(
                    "%s failed in %s (%s); failing over to %s",
                    what,
                    region,
                    type(error).__name__,
                    regions[index + 1],
                )
    if len(failures) == 1:
        raise failures[0][1]
    last = failures[-1][1]
    summary = "\n".join(f"  {r}: {type(e).__name__}: {str(e).splitlines()[0]}" for r, e in failures)
    raise type(last)(f"{what} failed in every region tried:\n{summary}") from last


def _call(
    manager: BedrockClientManager,
    service: str,
    operation: str,
    region: str,
    model_id: str,
    invoke: Callable[[Any], T],
) -> T:
    client = manager.client(service, region)
    try:
        return invoke(client)
    except Exception as exc:
        ctx = ErrorContext(
            service=service,
            operation=operation,
            region=region,
            model_id=model_id,
            profile=manager.profile or "",
        )
        raise translate_error(exc, ctx) from exc


def _stream_failed(exc: BaseException, ctx: ErrorContext, partial: str) -> BedrockAuthError:
    """A typed error for a stream that broke after delivering ``partial``."""
    error = translate_error(exc, ctx)
    if partial:
        error = type(error)(
            f"{error}\nThe stream failed after a partial answer "
            f"({len(partial)} characters) was delivered; it is in .partial_text."
        )
        error.partial_text = partial
    return error


class _Stream:
    """An iterator over text deltas whose final values are set once it is exhausted.

    The first event is read when the stream is opened, inside the failover loop, so a region
    that fails before answering can still be replaced by the next one.
    """

    def __init__(
        self,
        events: Iterator[Mapping[str, Any]],
        ctx: ErrorContext,
        on_event: Callable[[Mapping[str, Any]], str],
    ) -> None:
        self._events = events
        self._ctx = ctx
        self._on_event = on_event
        self.text = ""
        self.region = ctx.region
        self.model_id = ctx.model_id
        self._pending: list[str] = []
        self._prime()

    def _prime(self) -> None:
        try:
            first = next(self._events, None)
        except Exception as exc:
            raise translate_error(exc, self._ctx) from exc
        if first is not None:
            self._pending.append(self._on_event(first))

    def __iter__(self) -> Iterator[str]:
        for delta in self._pending:
            if delta:
                self.text += delta
                yield delta
        self._pending.clear()
        try:
            for event in self._events:
                delta = self._on_event(event)
                if delta:
                    self.text += delta
                    yield delta
        except Exception as exc:
            raise _stream_failed(exc, self._ctx, self.text) from exc


# -- converse --------------------------------------------------------------------------------


def _messages(prompt_or_messages: str | Messages) -> list[Mapping[str, Any]]:
    if isinstance(prompt_or_messages, str):
        return [{"role": "user", "content": [{"text": prompt_or_messages}]}]
    if not prompt_or_messages:
        raise ConfigurationError("No messages given. Pass a prompt string or Converse messages.")
    return list(prompt_or_messages)


def _converse_request(
    model_id: str,
    prompt_or_messages: str | Messages,
    system: str | None,
    inference: Mapping[str, Any],
) -> dict[str, Any]:
    request: dict[str, Any] = {"modelId": model_id, "messages": _messages(prompt_or_messages)}
    if system:
        request["system"] = [{"text": system}]
    config = {_INFERENCE_KEYS[k]: v for k, v in inference.items() if k in _INFERENCE_KEYS}
    if config:
        request["inferenceConfig"] = config
    request.update({k: v for k, v in inference.items() if k not in _INFERENCE_KEYS})
    return request


def _text_of(content: Sequence[Mapping[str, Any]]) -> str:
    return "".join(str(block["text"]) for block in content if "text" in block)


def converse(
    model: str,
    prompt_or_messages: str | Messages,
    *,
    system: str | None = None,
    region: str | None = None,
    regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    **inference: Any,
) -> ConverseResult:
    """Send one Converse request and return its text, stop reason, usage and latency.

    ``inference`` takes ``max_tokens``, ``temperature``, ``top_p``, ``stop_sequences`` (or
    ``stop``); any other keyword (``toolConfig``, ``guardrailConfig``, ...) goes to the API as is.

    >>> result = converse("nova-lite", "Say hi", max_tokens=50)        # doctest: +SKIP
    >>> result.text, result.usage.total_tokens                        # doctest: +SKIP
    """
    mgr = _manager(manager)

    def attempt(region_name: str) -> ConverseResult:
        model_id = resolve_model_id(model, region_name)
        request = _converse_request(model_id, prompt_or_messages, system, inference)
        started = time.perf_counter()
        reply = _call(
            mgr,
            "bedrock-runtime",
            "Converse",
            region_name,
            model_id,
            lambda client: client.converse(**request),
        )
        latency = reply.get("metrics", {}).get("latencyMs")
        return ConverseResult(
            text=_text_of(reply.get("output", {}).get("message", {}).get("content", [])),
            stop_reason=str(reply.get("stopReason", "")),
            usage=Usage.from_converse(reply.get("usage")),
            latency_ms=int(
                latency if latency is not None else (time.perf_counter() - started) * 1000
            ),
            region=region_name,
            model_id=model_id,
            raw=reply,
        )

    return with_failover(regions_to_try(mgr, region, regions), attempt, f"Converse {model}")


class ConverseStream(_Stream):
    """Yields text deltas; after exhaustion ``.text``, ``.stop_reason`` and ``.usage`` are final."""

    stop_reason: str = ""
    usage: Usage = Usage()
    raw_events: list[Mapping[str, Any]]

    def __init__(self, events: Iterator[Mapping[str, Any]], ctx: ErrorContext) -> None:
        self.raw_events = []
        super().__init__(events, ctx, self._event)

    def _event(self, event: Mapping[str, Any]) -> str:
        self.raw_events.append(event)
        if "messageStop" in event:
            self.stop_reason = str(event["messageStop"].get("stopReason", ""))
        if "metadata" in event:
            self.usage = Usage.from_converse(event["metadata"].get("usage"))
        return str(event.get("contentBlockDelta", {}).get("delta", {}).get("text", ""))


def converse_stream(
    model: str,
    prompt_or_messages: str | Messages,
    *,
    system: str | None = None,
    region: str | None = None,
    regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    **inference: Any,
) -> ConverseStream:
    """Like :func:`converse`, streamed: iterate for text deltas as they arrive.

    >>> stream = converse_stream("nova-lite", "Count to 3")            # doctest: +SKIP
    >>> for delta in stream:                                            # doctest: +SKIP
    ...     print(delta, end="")
    >>> stream.usage.output_tokens                                      # doctest: +SKIP
    """
    mgr = _manager(manager)

    def attempt(region_name: str) -> ConverseStream:
        model_id = resolve_model_id(model, region_name)
        request = _converse_request(model_id, prompt_or_messages, system, inference)
        reply = _call(
            mgr,
            "bedrock-runtime",
            "ConverseStream",
            region_name,
            model_id,
            lambda client: client.converse_stream(**request),
        )
        ctx = ErrorContext(
            service="bedrock-runtime",
            operation="ConverseStream",
            region=region_name,
            model_id=model_id,
        )
        return ConverseStream(iter(reply["stream"]), ctx)

    return with_failover(regions_to_try(mgr, region, regions), attempt, f"ConverseStream {model}")


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


def invoke_model(
    model: str,
    body: Mapping[str, Any] | str | bytes,
    *,
    region: str | None = None,
    regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
) -> InvokeResult:
    """Send a provider-native body with InvokeModel and decode the JSON reply.

    Anthropic bodies get ``anthropic_version`` filled in.

    >>> r = invoke_model("claude-haiku-4-5", {"max_tokens": 100,                # doctest: +SKIP
    ...     "messages": [{"role": "user", "content": "Hi"}]})
    >>> r.text                                                                 # doctest: +SKIP
    """
    mgr = _manager(manager)

    def attempt(region_name: str) -> InvokeResult:
        model_id = resolve_model_id(model, region_name)
        payload = _native_body(body, provider_for(mgr, model_id, region_name))
        started = time.perf_counter()
        reply = _call(
            mgr,
            "bedrock-runtime",
            "InvokeModel",
            region_name,
            model_id,
            lambda client: client.invoke_model(
                modelId=model_id,
                body=payload,
                contentType="application/json",
                accept="application/json",
            ),
        )
        decoded = json.loads(reply["body"].read())
        return InvokeResult(
            text=text_from_body(decoded),
            body=decoded,
            region=region_name,
            model_id=model_id,
            latency_ms=int((time.perf_counter() - started) * 1000),
        )

    return with_failover(regions_to_try(mgr, region, regions), attempt, f"InvokeModel {model}")


class InvokeStream(_Stream):
    """Yields text deltas from InvokeModelWithResponseStream; ``.events`` keeps decoded chunks."""

    events: list[Mapping[str, Any]]

    def __init__(self, events: Iterator[Mapping[str, Any]], ctx: ErrorContext) -> None:
        self.events = []
        super().__init__(events, ctx, self._event)

    def _event(self, event: Mapping[str, Any]) -> str:
        chunk = event.get("chunk")
        if chunk is None:
            return ""
        decoded = json.loads(chunk["bytes"])
        self.events.append(decoded)
        return text_from_body(decoded)


def invoke_model_stream(
    model: str,
    body: Mapping[str, Any] | str | bytes,
    *,
    region: str | None = None,
    regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
) -> InvokeStream:
    """Like :func:`invoke_model`, streamed: iterate for text deltas."""
    mgr = _manager(manager)

    def attempt(region_name: str) -> InvokeStream:
        model_id = resolve_model_id(model, region_name)
        payload = _native_body(body, provider_for(mgr, model_id, region_name))
        reply = _call(
            mgr,
            "bedrock-runtime",
            "InvokeModelWithResponseStream",
            region_name,
            model_id,
            lambda client: client.invoke_model_with_response_stream(
                modelId=model_id,
                body=payload,
                contentType="application/json",
                accept="application/json",
            ),
        )
        ctx = ErrorContext(
            service="bedrock-runtime",
            operation="InvokeModelWithResponseStream",
            region=region_name,
            model_id=model_id,
        )
        return InvokeStream(iter(reply["body"]), ctx)

    return with_failover(
        regions_to_try(mgr, region, regions), attempt, f"InvokeModelWithResponseStream {model}"
    )


# -- agents ----------------------------------------------------------------------------------


def _agent_ids(agent_id: str | None, alias_id: str | None) -> tuple[str, str]:
    agent = agent_id or os.environ.get("BEDROCK_AGENT_ID", "").strip()
    alias = alias_id or os.environ.get("BEDROCK_AGENT_ALIAS_ID", "").strip()
    missing = [
        name
        for name, value in (
            ("agent_id (or BEDROCK_AGENT_ID)", agent),
            ("alias_id (or BEDROCK_AGENT_ALIAS_ID)", alias),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            f"invoke_agent needs {' and '.join(missing)}. Find them with "
            "`aws bedrock-agent list-agents` and `aws bedrock-agent list-agent-aliases "
            "--agent-id <id>`, then export BEDROCK_AGENT_ID=... BEDROCK_AGENT_ALIAS_ID=..."
        )
    return agent, alias


class AgentStream(_Stream):
    """Yields an agent's answer chunk by chunk; ``.citations`` and ``.trace`` fill as it goes."""

    def __init__(
        self, events: Iterator[Mapping[str, Any]], ctx: ErrorContext, session_id: str
    ) -> None:
        self.session_id = session_id
        self.citations: list[Mapping[str, Any]] = []
        self.trace: list[Mapping[str, Any]] = []
        super().__init__(events, ctx, self._event)

    def _event(self, event: Mapping[str, Any]) -> str:
        if "trace" in event:
            self.trace.append(event["trace"])
        chunk = event.get("chunk")
        if chunk is None:
            return ""
        self.citations.extend(chunk.get("attribution", {}).get("citations", []))
        data = chunk.get("bytes", b"")
        return data.decode() if isinstance(data, bytes) else str(data)

    def result(self) -> AgentResult:
        """Read the rest of the stream and return the assembled answer."""
        for _ in self:
            pass
        return AgentResult(self.text, self.session_id, self.citations, self.trace)


def _agent_error(error: BedrockAuthError, agent: str, alias: str, region: str) -> BedrockAuthError:
    text = str(error)
    if "ResourceNotFound" in text or "was not found" in text:
        return type(error)(
            f"{text}\nCheck the agent id ({agent}), the alias id ({alias}), the region ({region}), "
            "and that the alias is deployed: `aws bedrock-agent list-agent-aliases --agent-id "
            f"{agent} --region {region}`."
        )
    return error


def invoke_agent_stream(
    input_text: str,
    *,
    agent_id: str | None = None,
    alias_id: str | None = None,
    session_id: str | None = None,
    enable_trace: bool = False,
    session_state: Mapping[str, Any] | None = None,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
) -> AgentStream:
    """Invoke a Bedrock Agent and stream its answer chunk by chunk.

    ``agent_id``/``alias_id`` default to ``BEDROCK_AGENT_ID``/``BEDROCK_AGENT_ALIAS_ID``; a new
    session id is made when none is given. Agents need IAM credentials (SigV4).
    """
    mgr = _manager(manager)  # first: building the manager loads .env, which may hold the ids
    agent, alias = _agent_ids(agent_id, alias_id)
    region_name = region or mgr.region
    request: dict[str, Any] = {
        "agentId": agent,
        "agentAliasId": alias,
        "sessionId": session_id or str(uuid.uuid4()),
        "inputText": input_text,
        "enableTrace": enable_trace,
    }
    if session_state:
        request["sessionState"] = dict(session_state)
    ctx = ErrorContext(service="bedrock-agent-runtime", operation="InvokeAgent", region=region_name)
    try:
        reply = _call(
            mgr,
            "bedrock-agent-runtime",
            "InvokeAgent",
            region_name,
            "",
            lambda client: client.invoke_agent(**request),
        )
        return AgentStream(
            iter(reply["completion"]), ctx, str(reply.get("sessionId", request["sessionId"]))
        )
    except BedrockAuthError as error:
        raise _agent_error(error, agent, alias, region_name) from error.__cause__


def invoke_agent(
    input_text: str,
    *,
    agent_id: str | None = None,
    alias_id: str | None = None,
    session_id: str | None = None,
    enable_trace: bool = False,
    session_state: Mapping[str, Any] | None = None,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
) -> AgentResult:
    """Invoke a Bedrock Agent and return its whole answer, session id, citations and trace.

    >>> answer = invoke_agent("What is our refund policy?")      # doctest: +SKIP
    >>> answer.text, answer.session_id                            # doctest: +SKIP
    """
    return invoke_agent_stream(
        input_text,
        agent_id=agent_id,
        alias_id=alias_id,
        session_id=session_id,
        enable_trace=enable_trace,
        session_state=session_state,
        region=region,
        manager=manager,
    ).result()
