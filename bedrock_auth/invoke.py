"""Calling models and agents directly: converse, streams, invoke_model, invoke_agent, failover.

Every helper takes ``manager=`` (default: :func:`~bedrock_auth.get_manager`), resolves the model
id for the region through the catalog, and raises this library's typed errors. The model helpers
take ``fallback_regions=[...]`` (default: the manager's, from ``BEDROCK_FALLBACK_REGIONS``): a
call moves to the next region when botocore's own retries end in throttling, unavailability or
an endpoint error; never on auth, validation or access errors. Nothing here reads the
environment: defaults come from ``manager.settings``. Each helper has an async twin
(``aconverse``, ``aconverse_stream``, ...) sending the same requests with the same failover and
errors, its blocking work on the manager's executor.

>>> from bedrock_auth import converse
>>> converse("nova-lite", "Say hi").text                     # doctest: +SKIP
'Hi!'
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from botocore import xform_name

from bedrock_auth._async import ExecutorIterator, offload
from bedrock_auth._failover import awith_failover, region_names, regions_to_try, with_failover
from bedrock_auth._translate import ErrorContext, cause_of, translate_error
from bedrock_auth.errors import BedrockAuthError, ConfigurationError
from bedrock_auth.manager import get_manager
from bedrock_auth.models import resolve_model_id
from bedrock_auth.regions import check_region

if TYPE_CHECKING:
    from typing_extensions import Self

    from bedrock_auth.manager import BedrockClientManager

T = TypeVar("T")
_S = TypeVar("_S", bound="_Stream")
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
    # get_manager is imported with the module: an import statement here ran on every call
    # and cost more than the default-manager lookup itself.
    return manager if manager is not None else get_manager()


def _regions(
    manager: BedrockClientManager,
    region: str | None,
    fallback_regions: Sequence[str] | None,
    regions: Sequence[str] | None,
) -> list[str]:
    """The ordered regions for a call; ``regions=`` is the deprecated spelling of both.

    Called directly by each public helper, so ``stacklevel=3`` points at the user's call.
    """
    if regions is None:
        return regions_to_try(manager, region, fallback_regions)
    ordered = region_names(regions, "regions")
    if not ordered:
        raise ConfigurationError("regions=[] is empty. Accepted: one or more region names.")
    warnings.warn(
        f"regions= is deprecated and will be removed in the next release: instead of "
        f"regions={list(ordered)!r} pass region={ordered[0]!r}, "
        f"fallback_regions={list(ordered[1:])!r}.",
        DeprecationWarning,
        stacklevel=3,
    )
    if region is not None or fallback_regions is not None:
        raise ConfigurationError(
            "Pass region=/fallback_regions= or the deprecated regions=, not both: regions= is "
            "the whole ordered list."
        )
    # The old meaning: exactly these regions, BEDROCK_FALLBACK_REGIONS not added.
    return regions_to_try(manager, ordered[0], ordered[1:])


def _call(manager: BedrockClientManager, ctx: ErrorContext, send: Callable[[Any], T]) -> T:
    """``send(client)`` on the manager's client for ``ctx``'s service and region, errors typed."""
    client = manager.client(ctx.service, ctx.region)
    try:
        return send(client)
    except Exception as exc:
        raise translate_error(exc, ctx) from cause_of(exc)


def _attempt(
    manager: BedrockClientManager,
    model: str,
    operation: str,
    request: Callable[[ErrorContext], Mapping[str, Any]],
    finish: Callable[[Any, ErrorContext, float], T],
) -> Callable[[str], T]:
    """One bedrock-runtime ``operation`` on ``model`` in a given region (blocking).

    Resolve the model id, build the error context once (it serves the call and the stream),
    send ``request(ctx)``, then ``finish(reply, ctx, started)``. ``finish`` runs inside the
    attempt, so a stream that fails on its first event can still move on.
    """
    method = xform_name(operation)  # botocore's own naming: ConverseStream -> converse_stream

    def attempt(region: str) -> T:
        ctx = ErrorContext(
            service="bedrock-runtime",
            operation=operation,
            region=region,
            model_id=resolve_model_id(model, region, manager=manager),
            profile=manager.profile or "",
        )
        started = time.perf_counter()
        reply = _call(manager, ctx, lambda client: getattr(client, method)(**request(ctx)))
        return finish(reply, ctx, started)

    return attempt


def _on_model(
    manager: BedrockClientManager,
    model: str,
    operation: str,
    regions: Sequence[str],
    request: Callable[[ErrorContext], Mapping[str, Any]],
    finish: Callable[[Any, ErrorContext, float], T],
) -> T:
    """:func:`_attempt` in each of ``regions`` in turn, failing over (see ``with_failover``)."""
    attempt = _attempt(manager, model, operation, request, finish)
    return with_failover(regions, attempt, f"{operation} {model}")


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


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


def _close_quietly(source: Any) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):  # the connection may already be gone
            close()


class _Stream:
    """An iterator over text deltas whose final values are set once it is exhausted.

    The first event is read when the stream is opened, inside the failover loop, so a region
    that fails before answering can still be replaced by the next one. ``close()`` (or leaving a
    ``with`` block, or the stream being garbage-collected) releases the HTTP connection of a
    stream that was not read to the end.
    """

    def __init__(
        self,
        source: Iterable[Mapping[str, Any]],
        ctx: ErrorContext,
        on_event: Callable[[Mapping[str, Any]], str],
    ) -> None:
        self._events = iter(source)
        self._ctx = ctx
        self._on_event = on_event
        # Deltas are kept as parts and joined on demand: += on an attribute copies the whole
        # text each time, which made long streams quadratic.
        self._parts: list[str] = []
        self._joined = ""
        self._joined_parts = 0
        self._finished = False
        self.region = ctx.region
        self.model_id = ctx.model_id
        self._pending: list[str] = []
        self._release = weakref.finalize(self, _close_quietly, source)
        self._prime()

    @property
    def text(self) -> str:
        """The text delivered so far (all of it once the stream is exhausted)."""
        if self._joined_parts != len(self._parts):
            self._joined, self._joined_parts = "".join(self._parts), len(self._parts)
        return self._joined

    def _prime(self) -> None:
        try:
            first = next(self._events, None)
        except Exception as exc:
            self.close()
            raise translate_error(exc, self._ctx) from cause_of(exc)
        if first is not None:
            self._pending.append(self._on_event(first))

    def __iter__(self) -> Iterator[str]:
        for delta in self._pending:
            if delta:
                self._parts.append(delta)
                yield delta
        self._pending.clear()
        try:
            for event in self._events:
                delta = self._on_event(event)
                if delta:
                    self._parts.append(delta)
                    yield delta
        except Exception as exc:
            self.close()
            raise _stream_failed(exc, self._ctx, self.text) from exc
        self._finished = True
        self._release.detach()  # read to the end: botocore returned the connection to the pool
        # A finished stream holds its text as one string: a list of small strings costs
        # about 60 bytes per delta on top of the text itself.
        self._parts = [self.text]
        self._joined_parts = 1

    def close(self) -> None:
        """Stop reading and release the connection; safe to call more than once."""
        if not self._finished:
            self._release()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# -- converse --------------------------------------------------------------------------------


def _messages(prompt_or_messages: str | Messages) -> list[Mapping[str, Any]]:
    if isinstance(prompt_or_messages, str):
        return [{"role": "user", "content": [{"text": prompt_or_messages}]}]
    if not prompt_or_messages:
        raise ConfigurationError("No messages given. Pass a prompt string or Converse messages.")
    return list(prompt_or_messages)


def _converse_request(
    prompt_or_messages: str | Messages, system: str | None, inference: Mapping[str, Any]
) -> Callable[[ErrorContext], dict[str, Any]]:
    """The Converse request for each region: only the model id changes from one to the next."""
    request: dict[str, Any] = {"messages": _messages(prompt_or_messages)}
    if system:
        request["system"] = [{"text": system}]
    config = {_INFERENCE_KEYS[k]: v for k, v in inference.items() if k in _INFERENCE_KEYS}
    if config:
        request["inferenceConfig"] = config
    request.update({k: v for k, v in inference.items() if k not in _INFERENCE_KEYS})
    return lambda ctx: {"modelId": ctx.model_id, **request}


def _text_of(content: Sequence[Mapping[str, Any]]) -> str:
    return "".join(str(block["text"]) for block in content if "text" in block)


def _converse_result(reply: Any, ctx: ErrorContext, started: float) -> ConverseResult:
    latency = reply.get("metrics", {}).get("latencyMs")
    return ConverseResult(
        text=_text_of(reply.get("output", {}).get("message", {}).get("content", [])),
        stop_reason=str(reply.get("stopReason", "")),
        usage=Usage.from_converse(reply.get("usage")),
        latency_ms=int(latency) if latency is not None else _elapsed_ms(started),
        region=ctx.region,
        model_id=ctx.model_id,
        raw=reply,
    )


def converse(
    model: str,
    prompt_or_messages: str | Messages,
    *,
    system: str | None = None,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    **inference: Any,
) -> ConverseResult:
    """Send one Converse request and return its text, stop reason, usage and latency.

    ``inference`` takes ``max_tokens``, ``temperature``, ``top_p``, ``stop_sequences`` (or
    ``stop``); any other keyword (``toolConfig``, ``guardrailConfig``, ...) goes to the API as is.
    ``region`` (default: the manager's) is tried first, then ``fallback_regions`` (default: the
    manager's; ``[]`` for none). ``regions=[...]``, the whole ordered list, is deprecated.

    >>> result = converse("nova-lite", "Say hi", max_tokens=50)        # doctest: +SKIP
    >>> result.text, result.usage.total_tokens                        # doctest: +SKIP
    """
    mgr = _manager(manager)
    return _on_model(
        mgr,
        model,
        "Converse",
        _regions(mgr, region, fallback_regions, regions),
        _converse_request(prompt_or_messages, system, inference),
        _converse_result,
    )


def _kept(events: list[Mapping[str, Any]] | None, name: str, stacklevel: int) -> list[Any]:
    """The events a stream kept, or ``[]`` with a warning if it was not asked to keep any.

    Keeping every event made a finished stream hold about 620 bytes per delta, so it became
    opt-in; the warning keeps code that read the list from failing silently for one release.
    """
    if events is not None:
        return events
    warnings.warn(
        f"{name} is empty: streams no longer keep every event unless opened with "
        "keep_events=True (e.g. converse_stream(..., keep_events=True)). Pass it to keep "
        "them; the final text, stop reason and usage are on the stream either way. Reading "
        f"{name} without it will raise AttributeError in the next release.",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return []


class ConverseStream(_Stream):
    """Yields text deltas; after exhaustion ``.text``, ``.stop_reason`` and ``.usage`` are final.

    ``.raw_events`` holds every event only when opened with ``keep_events=True``.
    """

    stop_reason: str = ""
    usage: Usage = Usage()

    def __init__(
        self, events: Iterable[Mapping[str, Any]], ctx: ErrorContext, *, keep_events: bool = False
    ) -> None:
        self._raw_events: list[Mapping[str, Any]] | None = [] if keep_events else None
        super().__init__(events, ctx, self._event)

    @property
    def raw_events(self) -> list[Mapping[str, Any]]:
        """Every event received, if opened with ``keep_events=True``; else ``[]`` and a
        ``DeprecationWarning``."""
        return _kept(self._raw_events, "ConverseStream.raw_events", 3)

    def _event(self, event: Mapping[str, Any]) -> str:
        if self._raw_events is not None:
            self._raw_events.append(event)
        if "messageStop" in event:
            self.stop_reason = str(event["messageStop"].get("stopReason", ""))
        if "metadata" in event:
            self.usage = Usage.from_converse(event["metadata"].get("usage"))
        return str(event.get("contentBlockDelta", {}).get("delta", {}).get("text", ""))


def _open_converse_stream(
    keep_events: bool,
) -> Callable[[Any, ErrorContext, float], ConverseStream]:
    def open_stream(reply: Any, ctx: ErrorContext, _started: float) -> ConverseStream:
        return ConverseStream(reply["stream"], ctx, keep_events=keep_events)

    return open_stream


def converse_stream(
    model: str,
    prompt_or_messages: str | Messages,
    *,
    system: str | None = None,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    keep_events: bool = False,
    **inference: Any,
) -> ConverseStream:
    """Like :func:`converse`, streamed: iterate for text deltas as they arrive.

    ``keep_events=True`` keeps every raw event in ``.raw_events`` (off by default: a finished
    stream then holds its text, not one object per delta).

    >>> stream = converse_stream("nova-lite", "Count to 3")            # doctest: +SKIP
    >>> for delta in stream:                                            # doctest: +SKIP
    ...     print(delta, end="")
    >>> stream.usage.output_tokens                                      # doctest: +SKIP
    """
    mgr = _manager(manager)
    return _on_model(
        mgr,
        model,
        "ConverseStream",
        _regions(mgr, region, fallback_regions, regions),
        _converse_request(prompt_or_messages, system, inference),
        _open_converse_stream(keep_events),
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
    manager: BedrockClientManager, body: Mapping[str, Any] | str | bytes
) -> Callable[[ErrorContext], dict[str, Any]]:
    """The InvokeModel request for each region: the body as that model's provider wants it."""

    def request(ctx: ErrorContext) -> dict[str, Any]:
        return {
            "modelId": ctx.model_id,
            "body": _native_body(body, manager.catalog.provider(ctx.model_id, ctx.region)),
            "contentType": "application/json",
            "accept": "application/json",
        }

    return request


def _invoke_result(reply: Any, ctx: ErrorContext, started: float) -> InvokeResult:
    decoded = json.loads(reply["body"].read())
    return InvokeResult(
        text=text_from_body(decoded),
        body=decoded,
        region=ctx.region,
        model_id=ctx.model_id,
        latency_ms=_elapsed_ms(started),
    )


def invoke_model(
    model: str,
    body: Mapping[str, Any] | str | bytes,
    *,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
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
    return _on_model(
        mgr,
        model,
        "InvokeModel",
        _regions(mgr, region, fallback_regions, regions),
        _native_request(mgr, body),
        _invoke_result,
    )


class InvokeStream(_Stream):
    """Yields text deltas from InvokeModelWithResponseStream.

    ``.events`` holds every decoded chunk only when opened with ``keep_events=True``.
    """

    def __init__(
        self, events: Iterable[Mapping[str, Any]], ctx: ErrorContext, *, keep_events: bool = False
    ) -> None:
        self._events_kept: list[Mapping[str, Any]] | None = [] if keep_events else None
        super().__init__(events, ctx, self._event)

    @property
    def events(self) -> list[Mapping[str, Any]]:
        """Every decoded chunk, if opened with ``keep_events=True``; else ``[]`` and a
        ``DeprecationWarning``."""
        return _kept(self._events_kept, "InvokeStream.events", 3)

    def _event(self, event: Mapping[str, Any]) -> str:
        chunk = event.get("chunk")
        if chunk is None:
            return ""
        decoded = json.loads(chunk["bytes"])
        if self._events_kept is not None:
            self._events_kept.append(decoded)
        return text_from_body(decoded)


def _open_invoke_stream(keep_events: bool) -> Callable[[Any, ErrorContext, float], InvokeStream]:
    def open_stream(reply: Any, ctx: ErrorContext, _started: float) -> InvokeStream:
        return InvokeStream(reply["body"], ctx, keep_events=keep_events)

    return open_stream


def invoke_model_stream(
    model: str,
    body: Mapping[str, Any] | str | bytes,
    *,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    keep_events: bool = False,
) -> InvokeStream:
    """Like :func:`invoke_model`, streamed: iterate for text deltas.

    ``keep_events=True`` keeps every decoded chunk in ``.events`` (off by default).
    """
    mgr = _manager(manager)
    return _on_model(
        mgr,
        model,
        "InvokeModelWithResponseStream",
        _regions(mgr, region, fallback_regions, regions),
        _native_request(mgr, body),
        _open_invoke_stream(keep_events),
    )


# -- agents ----------------------------------------------------------------------------------


def _agent_ids(
    manager: BedrockClientManager, agent_id: str | None, alias_id: str | None
) -> tuple[str, str]:
    agent = agent_id or manager.settings.agent_id or ""
    alias = alias_id or manager.settings.agent_alias_id or ""
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
        self, events: Iterable[Mapping[str, Any]], ctx: ErrorContext, session_id: str
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


def _agent_opener(
    manager: BedrockClientManager,
    input_text: str,
    agent_id: str | None,
    alias_id: str | None,
    session_id: str | None,
    enable_trace: bool,
    session_state: Mapping[str, Any] | None,
    region: str | None,
) -> Callable[[], AgentStream]:
    """Check the ids and region now; return the blocking call that opens the agent's stream."""
    agent, alias = _agent_ids(manager, agent_id, alias_id)
    if region is not None:
        check_region(region)
    region_name = region or manager.region
    request: dict[str, Any] = {
        "agentId": agent,
        "agentAliasId": alias,
        "sessionId": session_id or str(uuid.uuid4()),
        "inputText": input_text,
        "enableTrace": enable_trace,
    }
    if session_state:
        request["sessionState"] = dict(session_state)
    ctx = ErrorContext(
        service="bedrock-agent-runtime",
        operation="InvokeAgent",
        region=region_name,
        profile=manager.profile or "",
    )

    def open_stream() -> AgentStream:
        try:
            reply = _call(manager, ctx, lambda client: client.invoke_agent(**request))
            return AgentStream(
                reply["completion"], ctx, str(reply.get("sessionId", request["sessionId"]))
            )
        except BedrockAuthError as error:
            raise _agent_error(error, agent, alias, region_name) from error.__cause__

    return open_stream


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

    ``agent_id``/``alias_id`` default to the manager's ``settings.agent_id``/``agent_alias_id``
    (``BEDROCK_AGENT_ID``/``BEDROCK_AGENT_ALIAS_ID``); a new session id is made when none is
    given. Agents need IAM credentials (SigV4).
    """
    open_stream = _agent_opener(
        _manager(manager),
        input_text,
        agent_id,
        alias_id,
        session_id,
        enable_trace,
        session_state,
        region,
    )
    return open_stream()


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


# -- async -----------------------------------------------------------------------------------
#
# The same requests, failover and typed errors as above, awaited. Each attempt (model id
# resolution, the call, and for streams the first event) and each later stream read runs on
# the manager's executor (``manager.executor()``), so credential refreshes and network waits
# never block the event loop, and concurrency is bounded by the connection pool rather than by
# the loop's default executor.


async def _amanager(manager: BedrockClientManager | None) -> BedrockClientManager:
    if manager is not None:
        return manager
    # The first call builds and validates the process-wide manager (STS, maybe SSO): that
    # must not happen on the loop, and there is no manager executor before there is a manager.
    # asyncio is imported here, not with the module: a running loop has already loaded it,
    # and sync code is spared its import (~17 ms of a cold start).
    import asyncio

    return await asyncio.to_thread(get_manager)


async def _aon_model(
    manager: BedrockClientManager,
    model: str,
    operation: str,
    regions: Sequence[str],
    request: Callable[[ErrorContext], Mapping[str, Any]],
    finish: Callable[[Any, ErrorContext, float], T],
) -> T:
    """:func:`_on_model`, each region's attempt awaited on the manager's executor."""
    attempt = _attempt(manager, model, operation, request, finish)
    return await awith_failover(
        regions, lambda region: offload(manager, attempt, region), f"{operation} {model}"
    )


class _AsyncStream(Generic[_S]):
    """An async iterator over a stream's deltas, each read on the manager's executor.

    ``.text`` and the final values are those of the blocking stream it reads. A failure
    mid-stream raises the same typed error, whose ``.partial_text`` holds what had arrived.
    ``aclose()`` (or leaving an ``async with`` block, or cancelling the task that awaits the
    next delta) releases the HTTP connection; a read already in flight finishes first, on its
    thread.
    """

    def __init__(self, stream: _S, manager: BedrockClientManager) -> None:
        self._stream = stream
        self._deltas = ExecutorIterator(manager, iter(stream), stream.close)
        self.region = stream.region
        self.model_id = stream.model_id

    @property
    def text(self) -> str:
        """The text delivered so far (all of it once the stream is exhausted)."""
        return self._stream.text

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        return await self._deltas.__anext__()

    async def aclose(self) -> None:
        """Stop reading and release the connection; safe to call more than once."""
        self._deltas.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class AsyncConverseStream(_AsyncStream[ConverseStream]):
    """:class:`ConverseStream`, async: ``async for`` text deltas; ``.stop_reason`` and
    ``.usage`` are final once it is exhausted."""

    @property
    def stop_reason(self) -> str:
        return self._stream.stop_reason

    @property
    def usage(self) -> Usage:
        return self._stream.usage

    @property
    def raw_events(self) -> list[Mapping[str, Any]]:
        """As :attr:`ConverseStream.raw_events`: kept only with ``keep_events=True``."""
        return _kept(self._stream._raw_events, "AsyncConverseStream.raw_events", 3)


class AsyncInvokeStream(_AsyncStream[InvokeStream]):
    """:class:`InvokeStream`, async: ``async for`` text deltas; ``.events`` keeps the chunks
    when opened with ``keep_events=True``."""

    @property
    def events(self) -> list[Mapping[str, Any]]:
        """As :attr:`InvokeStream.events`: kept only with ``keep_events=True``."""
        return _kept(self._stream._events_kept, "AsyncInvokeStream.events", 3)


class AsyncAgentStream(_AsyncStream[AgentStream]):
    """:class:`AgentStream`, async: ``async for`` the answer's chunks."""

    @property
    def session_id(self) -> str:
        return self._stream.session_id

    @property
    def citations(self) -> list[Mapping[str, Any]]:
        return self._stream.citations

    @property
    def trace(self) -> list[Mapping[str, Any]]:
        return self._stream.trace

    async def result(self) -> AgentResult:
        """Read the rest of the stream and return the assembled answer."""
        async for _ in self:
            pass
        return AgentResult(self.text, self.session_id, self.citations, self.trace)


async def aconverse(
    model: str,
    prompt_or_messages: str | Messages,
    *,
    system: str | None = None,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    **inference: Any,
) -> ConverseResult:
    """:func:`converse` for asyncio: the same arguments, failover and errors.

    >>> result = await aconverse("nova-lite", "Say hi", max_tokens=50)   # doctest: +SKIP
    """
    mgr = await _amanager(manager)
    return await _aon_model(
        mgr,
        model,
        "Converse",
        regions_to_try(mgr, region, fallback_regions),
        _converse_request(prompt_or_messages, system, inference),
        _converse_result,
    )


async def aconverse_stream(
    model: str,
    prompt_or_messages: str | Messages,
    *,
    system: str | None = None,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    keep_events: bool = False,
    **inference: Any,
) -> AsyncConverseStream:
    """:func:`converse_stream` for asyncio: awaited once it has its first event (so a region
    that fails before answering is replaced by the next), then ``async for`` the deltas.
    ``keep_events`` as in :func:`converse_stream`.

    >>> async with await aconverse_stream("nova-lite", "Count to 3") as stream:  # doctest: +SKIP
    ...     async for delta in stream:
    ...         print(delta, end="")
    """
    mgr = await _amanager(manager)
    stream = await _aon_model(
        mgr,
        model,
        "ConverseStream",
        regions_to_try(mgr, region, fallback_regions),
        _converse_request(prompt_or_messages, system, inference),
        _open_converse_stream(keep_events),
    )
    return AsyncConverseStream(stream, mgr)


async def ainvoke_model(
    model: str,
    body: Mapping[str, Any] | str | bytes,
    *,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
) -> InvokeResult:
    """:func:`invoke_model` for asyncio."""
    mgr = await _amanager(manager)
    return await _aon_model(
        mgr,
        model,
        "InvokeModel",
        regions_to_try(mgr, region, fallback_regions),
        _native_request(mgr, body),
        _invoke_result,
    )


async def ainvoke_model_stream(
    model: str,
    body: Mapping[str, Any] | str | bytes,
    *,
    region: str | None = None,
    fallback_regions: Sequence[str] | None = None,
    manager: BedrockClientManager | None = None,
    keep_events: bool = False,
) -> AsyncInvokeStream:
    """:func:`invoke_model_stream` for asyncio: ``async for`` the text deltas (``keep_events``
    as there)."""
    mgr = await _amanager(manager)
    stream = await _aon_model(
        mgr,
        model,
        "InvokeModelWithResponseStream",
        regions_to_try(mgr, region, fallback_regions),
        _native_request(mgr, body),
        _open_invoke_stream(keep_events),
    )
    return AsyncInvokeStream(stream, mgr)


async def ainvoke_agent_stream(
    input_text: str,
    *,
    agent_id: str | None = None,
    alias_id: str | None = None,
    session_id: str | None = None,
    enable_trace: bool = False,
    session_state: Mapping[str, Any] | None = None,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
) -> AsyncAgentStream:
    """:func:`invoke_agent_stream` for asyncio: ``async for`` the answer's chunks."""
    mgr = await _amanager(manager)
    open_stream = _agent_opener(
        mgr, input_text, agent_id, alias_id, session_id, enable_trace, session_state, region
    )
    return AsyncAgentStream(await offload(mgr, open_stream), mgr)


async def ainvoke_agent(
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
    """:func:`invoke_agent` for asyncio: the whole answer, session id, citations and trace.

    >>> answer = await ainvoke_agent("What is our refund policy?")   # doctest: +SKIP
    """
    stream = await ainvoke_agent_stream(
        input_text,
        agent_id=agent_id,
        alias_id=alias_id,
        session_id=session_id,
        enable_trace=enable_trace,
        session_state=session_state,
        region=region,
        manager=manager,
    )
    return await stream.result()
