"""What every call to Bedrock shares, sync or async, whoever makes it.

One home for: where a call runs (:class:`Where`: the manager and the regions, each name checked
once, at the call's front door, then carried as a :class:`~bedrock_auth.regions.Region`); the
one front door for a model (:func:`resolve`, :func:`chosen_model`); the manager's executor for
async work; the description of a helper call (:class:`Call`), from which :func:`blocking` and
:func:`awaited` make a sync helper and its async twin with one signature, run through the
failover loop (:mod:`._failover`); and the stream base classes of the helpers.

Used by the Converse/InvokeModel helpers (:mod:`bedrock_auth.invoke`), the Agents helpers
(:mod:`bedrock_auth.agents`), the LangChain models of :func:`~bedrock_auth.get_llm` and the
adapters, so all of them choose regions, resolve models and fail over the same way: to the
next region only when botocore's own retries end in throttling, unavailability or an
unreachable endpoint (``FAILOVER_ERRORS``); never on auth, access, model or input errors,
which another region would only repeat.

Async work: botocore is synchronous, and its credential refresh (STS, SSO, a
``credential_process``) runs inside the call that needs it, so every async call, stream read
and refresh runs on a thread of :meth:`BedrockClientManager.executor`, never on the loop. That
executor has one thread per pooled connection; the loop's default executor
(``min(32, cpus + 4)`` threads) would cap concurrency far below it.
"""

from __future__ import annotations

# asyncio is imported inside the coroutines below, not here: they only run on a loop, which
# has loaded it already, and the sync helpers that import this module are spared its import
# (~17 ms of a cold start).
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import logging
import socket
import threading
import time
import weakref
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, ParamSpec, TypeVar

from botocore import xform_name

from bedrock_auth._catalog import refused_id
from bedrock_auth._failover import awith_failover, with_failover
from bedrock_auth._state import register
from bedrock_auth._translate import ErrorContext, cause_of, translate_error
from bedrock_auth.errors import BedrockAuthError, ConfigurationError
from bedrock_auth.manager import get_manager
from bedrock_auth.regions import Region, check_region

if TYPE_CHECKING:
    from typing_extensions import Self

    from bedrock_auth._catalog import ResolvedModel
    from bedrock_auth.manager import BedrockClientManager

logger = logging.getLogger("bedrock_auth")

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")
P = ParamSpec("P")
S = TypeVar("S", bound="Stream")
#: The example ids a missing model's message shows.
EXAMPLE_MODELS = (
    "claude-sonnet-4-5",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "amazon.nova-lite-v1:0",
)


# -- where a call runs ------------------------------------------------------------------------


def region_names(regions: Sequence[str], name: str) -> tuple[Region, ...]:
    """``regions`` checked one by one: a list or tuple of names. A bare string is refused (it
    would be split into letters), and so is anything else (``0``, a set without an order)."""
    if not isinstance(regions, (list, tuple)):
        example = repr(regions) if isinstance(regions, str) else "'us-west-2'"
        raise ConfigurationError(
            f"{name}={regions!r} is {_a(type(regions).__name__)}. Accepted: a list of region "
            f"names, e.g. {name}=[{example}], or [] for none."
        )
    return tuple(check_region(region, name) for region in regions)


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


@functools.lru_cache(maxsize=256)
def _regions(first: str, extra: tuple[str, ...]) -> tuple[Region, ...]:
    """``first`` then ``extra`` as checked Regions, duplicates dropped: the same for every call
    with the same options, so made once (the names are checked once, not per call)."""
    names = (check_region(first), *region_names(extra, "fallback_regions"))
    return tuple(dict.fromkeys(names))


# reset() forgets them: a Region warned about once (a new number) is warned about again.
register(__name__, reset=_regions.cache_clear)


class Where(NamedTuple):
    """Where a call runs: the options every helper and ``get_llm`` take, checked once.

    ``region=None`` means the manager's region; ``fallback_regions=None`` the manager's
    ``settings.fallback_regions`` (its own ``fallback_regions=`` or ``BEDROCK_FALLBACK_REGIONS``)
    and ``()`` no failover at all; ``manager=None`` the process-wide :func:`get_manager`, built
    when the call runs (off the loop for an async call).
    """

    region: Region | None = None
    fallback_regions: tuple[Region, ...] | None = None
    manager: BedrockClientManager | None = None

    @classmethod
    def of(
        cls,
        region: str | None,
        fallback_regions: Sequence[str] | None,
        manager: BedrockClientManager | None,
    ) -> Where:
        """The options as the user gave them, each region name checked here, before any call."""
        if region is None and fallback_regions is None and manager is None:
            return _NOWHERE  # the common call: nothing to check, nothing to build
        return cls(
            None if region is None else check_region(region),
            None
            if fallback_regions is None
            else region_names(fallback_regions, "fallback_regions"),
            manager,
        )

    def regions(self, manager: BedrockClientManager) -> tuple[Region, ...]:
        """The regions to try, in order, duplicates dropped."""
        first = manager.region if self.region is None else self.region
        extra = manager.settings.fallback_regions  # plain names, checked by the settings
        return _regions(first, extra if self.fallback_regions is None else self.fallback_regions)

    def manager_now(self) -> BedrockClientManager:
        # get_manager is imported with the module: an import statement here ran on every call
        # and cost more than the default-manager lookup itself.
        return self.manager if self.manager is not None else get_manager()

    async def amanager(self) -> BedrockClientManager:
        if self.manager is not None:
            return self.manager
        # The first call builds and validates the process-wide manager (STS, maybe SSO): that
        # must not happen on the loop, and there is no manager executor before there is a
        # manager.
        import asyncio

        return await asyncio.to_thread(get_manager)


_NOWHERE = Where()


# -- the model: one front door ----------------------------------------------------------------


def chosen_model(model: str | None, manager: BedrockClientManager, caller: str) -> str:
    """``model``, else the manager's ``BEDROCK_MODEL_ID`` (``settings.model_id``), else a
    :class:`ConfigurationError` showing ids."""
    chosen = model or manager.settings.model_id
    if not chosen:
        raise ConfigurationError(
            f"{caller}() got no model and BEDROCK_MODEL_ID was not set when the manager was "
            f"created. Pass one, e.g. {caller}({EXAMPLE_MODELS[0]!r}), or export "
            f"BEDROCK_MODEL_ID={EXAMPLE_MODELS[1]} (other examples: "
            f"{', '.join(EXAMPLE_MODELS[2:])})."
        )
    return chosen


def resolve(manager: BedrockClientManager, model: str, region: str | None = None) -> ResolvedModel:
    """``model`` as a call from ``region`` (default: the manager's) needs it, on the manager's
    live catalog: the one way the helpers, ``get_llm`` and the adapters resolve a model.

    The region is checked here (once: a :class:`Region` from :class:`Where` is not checked
    again) and travels in the answer, for the client to use.
    """
    return manager.catalog.resolve(
        model, check_region(manager.region if region is None else region)
    )


def resolve_each(
    manager: BedrockClientManager, model: str, regions: Sequence[Region]
) -> tuple[ResolvedModel, ...]:
    """:func:`resolve` in each of ``regions``, in order; the listings this needs are made at
    once (see :meth:`~bedrock_auth._catalog.LiveCatalog.resolve_each`)."""
    return manager.catalog.resolve_each(model, regions)


# -- the manager's executor -------------------------------------------------------------------


def _submit(
    manager: BedrockClientManager, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> concurrent.futures.Future[T]:
    # The caller's context goes along, as asyncio.to_thread does: tracing and callback
    # context variables (LangChain's, OpenTelemetry's) stay visible inside the call.
    call = functools.partial(func, *args, **kwargs)
    return manager.executor().submit(contextvars.copy_context().run, call)


async def offload(
    manager: BedrockClientManager, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """``func(*args, **kwargs)`` on the manager's executor, awaited without blocking the loop."""
    import asyncio

    return await asyncio.wrap_future(_submit(manager, func, *args, **kwargs))


class ExecutorIterator(Generic[T]):
    """A blocking iterator read for the loop, one ``next()`` per ``await`` on the executor.

    ``close`` releases what the iterator holds (its HTTP connection). It is never run while a
    ``next()`` is in flight on another thread (botocore's stream parser is not thread-safe), but
    right after it. ``interrupt`` makes that read return at once, from the loop's thread (see
    :func:`interrupt_read`): so a task cancelled mid-read frees its executor thread and its
    connection now, not when the server sends more or ``read_timeout`` passes. A cancelled read
    loses the item it was reading, so cancellation closes the iterator.
    """

    def __init__(
        self,
        manager: BedrockClientManager,
        items: Iterator[T],
        close: Callable[[], None],
        interrupt: Callable[[], None] = lambda: None,
    ) -> None:
        self._manager = manager
        self._items = items
        self._close = close
        self._interrupt = interrupt
        self._reading: concurrent.futures.Future[T | None] | None = None
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        import asyncio

        if self._closed:
            raise StopAsyncIteration
        # None marks the end: no iterator read here yields None (deltas and chunks never are).
        self._reading = _submit(self._manager, next, self._items, None)
        try:
            item = await asyncio.wrap_future(self._reading)
        except asyncio.CancelledError:
            self.close()
            raise
        if item is None:
            self._closed = True
            raise StopAsyncIteration
        return item

    def close(self) -> None:
        """Release the iterator now, or right after the read in flight; safe to repeat."""
        if self._closed:
            return
        self._closed = True
        reading = self._reading
        if reading is None or reading.done():
            self._close()
        else:
            # Runs on the reading thread once next() returns (or at once if it was cancelled
            # before starting), which the interruption makes it do now.
            reading.add_done_callback(lambda _: self._close())
            self._interrupt()


# -- one helper call, run blocking or awaited -------------------------------------------------


@dataclass(frozen=True)
class Call(Generic[T]):
    """One helper call, described once from the user's arguments and run by the sync helper
    or by its async twin (see :func:`blocking` and :func:`awaited`).

    ``attempt(manager, region)`` is the blocking work in one region: resolve, send, and for a
    stream read the first event, so a region that fails before answering can still be replaced.
    ``what`` names the call in failover logs and errors.
    """

    where: Where
    what: str
    attempt: Callable[[BedrockClientManager, Region], T]

    def run(self, manager: BedrockClientManager) -> T:
        regions = self.where.regions(manager)
        if len(regions) == 1:  # the common call: nothing to fail over to, no loop to build
            return self.attempt(manager, regions[0])
        return with_failover(regions, functools.partial(self.attempt, manager), self.what)

    async def arun(self, manager: BedrockClientManager) -> T:
        """:meth:`run`, each region's attempt awaited on the manager's executor."""
        return await awith_failover(
            self.where.regions(manager),
            lambda region: offload(manager, self.attempt, manager, region),
            self.what,
        )


def send(manager: BedrockClientManager, ctx: ErrorContext, request: Callable[[Any], T]) -> T:
    """``request(client)`` on the manager's client for ``ctx``'s service and region; errors
    typed."""
    client = manager.client(ctx.service, ctx.region)
    try:
        return request(client)
    except Exception as exc:
        raise translate_error(exc, ctx) from cause_of(exc)


@functools.cache
def _method(operation: str) -> str:
    name: str = xform_name(operation)  # botocore's naming: ConverseStream -> converse_stream
    return name


def model_call(
    where: Where,
    model: str,
    operation: str,
    request: Callable[[ResolvedModel], Mapping[str, Any]],
    finish: Callable[[Any, ErrorContext, float], T],
) -> Call[T]:
    """A bedrock-runtime ``operation`` on ``model``: in each region, resolve the model id
    (:func:`resolve`), send ``request(resolved)``, then ``finish(reply, ctx, started)``.

    Nothing else is built per call: the resolution and its error context are kept by the
    catalog. When Bedrock refuses the id the static table chose, the call is sent once more
    with the id the live listing gives (see :mod:`bedrock_auth._catalog`).
    """
    method = _method(operation)

    def attempt(manager: BedrockClientManager, region: Region) -> T:
        resolved = resolve(manager, model, region)
        started = time.perf_counter()
        client = manager.client("bedrock-runtime", resolved.region)
        try:
            reply = getattr(client, method)(**request(resolved))
        except Exception as exc:
            resolved, reply = _after_error(manager, resolved, operation, request, exc)
        return finish(reply, resolved.context(operation), started)

    return Call(where, f"{operation} {model}", attempt)


def _after_error(
    manager: BedrockClientManager,
    resolved: ResolvedModel,
    operation: str,
    request: Callable[[ResolvedModel], Mapping[str, Any]],
    exc: Exception,
) -> tuple[ResolvedModel, Any]:
    """The reply of the one retry with the listed id when Bedrock refused the model id, else
    the typed error of ``exc``."""
    error = translate_error(exc, resolved.context(operation))  # redacts exc, too
    retry = manager.catalog.after_rejection(resolved) if refused_id(exc) else None
    if retry is None:
        raise error from cause_of(exc)
    client = manager.client("bedrock-runtime", retry.region)
    try:
        return retry, getattr(client, _method(operation))(**request(retry))
    except Exception as again:
        raise translate_error(again, retry.context(operation)) from cause_of(again)


def _named(
    helper: Callable[..., Any], like: Callable[..., Any], name: str, doc: str | None
) -> None:
    """Give a made helper its public name and docstring, and ``like``'s parameters."""
    helper.__name__ = helper.__qualname__ = name
    helper.__module__ = like.__module__
    helper.__doc__ = doc
    parameters = inspect.signature(like).parameters.values()
    helper.__signature__ = inspect.Signature(list(parameters))  # type: ignore[attr-defined]


def blocking(describe: Callable[P, Call[T]]) -> Callable[P, T]:
    """Decorator: the sync helper that runs the call ``describe`` makes of its arguments.

    The helper has ``describe``'s name, docstring and parameters; :func:`awaited` makes its
    async twin from the same description.
    """

    def helper(*args: P.args, **kwargs: P.kwargs) -> T:
        call = describe(*args, **kwargs)
        return call.run(call.where.manager_now())

    _named(helper, describe, describe.__name__, describe.__doc__)
    helper.__wrapped__ = describe  # type: ignore[attr-defined]
    return helper


def awaited(
    sync: Callable[P, T], wrap: Callable[[T, BedrockClientManager], A], doc: str
) -> Callable[P, Coroutine[Any, Any, A]]:
    """The async twin (``a`` + its name) of a :func:`blocking` helper: the same arguments,
    checks, failover and errors, its blocking work on the manager's executor. ``wrap`` makes
    what it returns of the sync helper's result: :func:`same`, or an async stream around the
    blocking one."""
    describe: Callable[P, Call[T]] = sync.__wrapped__  # type: ignore[attr-defined]

    async def helper(*args: P.args, **kwargs: P.kwargs) -> A:
        call = describe(*args, **kwargs)
        manager = await call.where.amanager()
        return wrap(await call.arun(manager), manager)

    _named(helper, sync, f"a{sync.__name__}", doc)
    return helper


def same(result: T, _manager: BedrockClientManager) -> T:
    """For :func:`awaited`: the async twin returns what the sync helper returns."""
    return result


def then(helper: Callable[P, T], finish: Callable[[T], R], name: str, doc: str) -> Callable[P, R]:
    """A helper ``name`` that takes ``helper``'s arguments and returns ``finish`` of its result."""

    def finished(*args: P.args, **kwargs: P.kwargs) -> R:
        return finish(helper(*args, **kwargs))

    _named(finished, helper, name, doc)
    return finished


def athen(
    helper: Callable[P, Awaitable[T]], finish: Callable[[T], Awaitable[R]], name: str, doc: str
) -> Callable[P, Coroutine[Any, Any, R]]:
    """:func:`then` for async helpers."""

    async def finished(*args: P.args, **kwargs: P.kwargs) -> R:
        return await finish(await helper(*args, **kwargs))

    _named(finished, helper, name, doc)
    return finished


# -- streams ----------------------------------------------------------------------------------


def elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def stream_failed(exc: BaseException, ctx: ErrorContext, partial: str) -> BedrockAuthError:
    """A typed error for a stream that broke after delivering ``partial``."""
    error = translate_error(exc, ctx)
    if partial:
        error = type(error)(
            f"{error}\nThe stream failed after a partial answer "
            f"({len(partial)} characters) was delivered; it is in .partial_text."
        )
        error.partial_text = partial
    return error


def kept(events: list[Mapping[str, Any]] | None, name: str) -> list[Mapping[str, Any]]:
    """The events a stream kept; reading them from a stream that keeps none is a mistake.

    Keeping every event made a finished stream hold about 620 bytes per delta, so it is
    opt-in; an ``AttributeError`` (not an empty list) tells code that expects them how.
    """
    if events is None:
        raise AttributeError(
            f"{name} holds events only when the stream is opened with keep_events=True "
            "(e.g. converse_stream(..., keep_events=True)); the final text, stop reason and "
            "usage are on the stream either way."
        )
    return events


def interrupt_read(*responses: Any) -> None:
    """End the reads blocked on these HTTP responses, from any thread: each one's socket is shut
    down for reading, so the reading thread sees the end of the stream (and raises), and closing
    the stream afterwards discards the connection. Closing the socket instead would not wake a
    thread blocked in ``recv`` on Linux.

    A response is urllib3's (botocore's ``http_response.raw``); its ``connection`` is None once
    the response was read to its end and released to the pool: that one is left alone.
    """
    for response in responses:
        sock = getattr(getattr(response, "connection", None), "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):  # closed meanwhile: nothing left to end
                sock.shutdown(socket.SHUT_RD)


class _Opening(threading.local):
    #: Where :func:`opened_streams` keeps the responses of this thread's streams, in its block.
    responses: list[Any] | None = None


_opening = _Opening()
_NOTE_STREAMS = "bedrock-auth-opened-streams"


def _note_stream(http_response: Any = None, model: Any = None, **_: Any) -> None:
    """botocore ``after-call`` handler: an event stream's HTTP response, for
    :func:`opened_streams` (only inside its block, on its thread)."""
    kept = _opening.responses
    if kept is not None and getattr(model, "has_event_stream_output", False):
        kept.append(getattr(http_response, "raw", None))


@contextlib.contextmanager
def opened_streams(client: Any) -> Iterator[list[Any]]:
    """The HTTP responses of the event streams ``client`` opens on this thread in the block,
    for :func:`interrupt_read`: for streams opened by a library that does not hand them back
    (langchain-aws). The handler is registered once per client (botocore's ``unique_id``)."""
    client.meta.events.register("after-call", _note_stream, unique_id=_NOTE_STREAMS)
    kept: list[Any] = []
    _opening.responses = kept
    try:
        yield kept
    finally:
        _opening.responses = None


def _close_quietly(source: Any) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):  # the connection may already be gone
            close()


class Stream:
    """An iterator over text deltas whose final values are set once it is exhausted.

    The first event is read when the stream is opened, inside the failover loop, so a region
    that fails before answering can still be replaced by the next one. ``close()`` (or leaving a
    ``with`` block, or the stream being garbage-collected) releases the HTTP connection of a
    stream that was not read to the end. Each kind of stream says in ``_event`` what one event
    adds to the text; opened with ``keep_events=True``, it may keep what it read in ``_kept``.
    """

    #: Where the operation's reply holds the event stream (see :meth:`opener`).
    reply_member: ClassVar[str] = ""

    def __init__(
        self, source: Iterable[Mapping[str, Any]], ctx: ErrorContext, *, keep_events: bool = False
    ) -> None:
        self._source = source
        self._events = iter(source)
        self._ctx = ctx
        self._kept: list[Mapping[str, Any]] | None = [] if keep_events else None
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

    @classmethod
    def opener(cls: type[S], keep_events: bool) -> Callable[[Any, ErrorContext, float], S]:
        """``finish`` for a :func:`model_call` that opens this kind of stream."""

        def open_stream(reply: Any, ctx: ErrorContext, _started: float) -> S:
            return cls(reply[cls.reply_member], ctx, keep_events=keep_events)

        return open_stream

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
            self._pending.append(self._event(first))

    def __iter__(self) -> Iterator[str]:
        for delta in self._pending:
            if delta:
                self._parts.append(delta)
                yield delta
        self._pending.clear()
        try:
            for event in self._events:
                delta = self._event(event)
                if delta:
                    self._parts.append(delta)
                    yield delta
        except Exception as exc:
            self.close()
            raise stream_failed(exc, self._ctx, self.text) from exc
        self._finished = True
        self._release.detach()  # read to the end: botocore returned the connection to the pool
        # A finished stream holds its text as one string: a list of small strings costs
        # about 60 bytes per delta on top of the text itself.
        self._parts = [self.text]
        self._joined_parts = 1

    def _event(self, event: Mapping[str, Any]) -> str:
        """The text delta in ``event`` ('' if none), after noting what else it says."""
        raise NotImplementedError  # each kind of stream reads its own events

    def close(self) -> None:
        """Stop reading and release the connection; safe to call more than once."""
        if not self._finished:
            self._release()

    def interrupt(self) -> None:
        """End a read in flight on another thread now (see :func:`interrupt_read`)."""
        if not self._finished:  # botocore's EventStream keeps its urllib3 response there
            interrupt_read(getattr(self._source, "_raw_stream", None))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncStream(Generic[S]):
    """An async iterator over a stream's deltas, each read on the manager's executor.

    ``.text`` and the final values are those of the blocking stream it reads. A failure
    mid-stream raises the same typed error, whose ``.partial_text`` holds what had arrived.
    ``aclose()`` (or leaving an ``async with`` block, or cancelling the task that awaits the
    next delta) releases the HTTP connection and its executor thread at once: a read in flight
    is interrupted.
    """

    def __init__(self, stream: S, manager: BedrockClientManager) -> None:
        self._stream = stream
        self._deltas = ExecutorIterator(manager, iter(stream), stream.close, stream.interrupt)
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
