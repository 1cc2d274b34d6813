"""LangChain chat models that run on a manager's clients and raise this library's errors.

Imported only by :func:`bedrock_auth.get_llm`, so ``import bedrock_auth`` never loads LangChain.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from langchain_aws import ChatBedrock, ChatBedrockConverse
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr
from typing_extensions import Self

from bedrock_auth._calls import (
    ExecutorIterator,
    interrupt_read,
    offload,
    opened_streams,
    stream_failed,
)
from bedrock_auth._catalog import ResolvedModel, refused_id
from bedrock_auth._failover import awith_failover, by_region, stream_with_failover, with_failover
from bedrock_auth._translate import ErrorContext, cause_of, translate_error
from bedrock_auth.errors import BedrockAuthError, ConfigurationError
from bedrock_auth.manager import BedrockClientManager

_Chunks = Generator[ChatGenerationChunk, None, None]


@dataclass(frozen=True)
class ModelSpec:
    """How ``get_llm`` built a model: what another process needs to build it again."""

    manager: BedrockClientManager
    api: str
    model: str
    #: What each region's model was built with: the id resolved for that region, the
    #: region, and an ARN's provider and foundation model (``get_llm``'s resolution, kept so
    #: that rebuilding resolves nothing).
    resolved: tuple[Mapping[str, Any], ...]
    model_kwargs: Mapping[str, Any]
    #: What builds the model again from this spec (``bedrock_auth.llm``'s; pickled by name),
    #: so this module never imports the one that imports it.
    rebuild: Callable[[ModelSpec], Any]
    #: ``get_llm(project=...)``: sent with each call by the model's client (langchain-aws has
    #: no field for it).
    project: str | None = None


def _region(model: Any) -> str:
    return getattr(model.client.meta, "region_name", "") or ""


def _context(model: Any, operation: str) -> ErrorContext:
    manager = getattr(model, "_manager", None)  # set by in_regions; absent if built by hand
    return ErrorContext(
        service="bedrock-runtime",
        operation=operation,
        region=_region(model),
        model_id=model.model_id,
        # The manager's profile, so an expired SSO session names the profile to log in to.
        profile=(manager.profile if manager is not None else None) or "",
    )


class _TypedErrors:
    """Mixin: failures of ``_generate``/``_stream`` arrive as our typed errors, and a call that
    is throttled, unavailable or unreachable moves on to the same model in the next region.

    ``_operations`` names the (call, stream) operations for messages, IAM actions and logs;
    ``_fallbacks`` holds the same model in the fallback regions, in order. Failover lives here,
    under LangChain's own entry points, so ``bind_tools``, ``with_structured_output`` and every
    other wrapper around the model get it too.

    The async entry points (``_agenerate``/``_astream``, behind ``ainvoke``, ``astream``,
    ``abatch`` and LangGraph nodes) run the same attempts on ``_manager``'s executor, with the
    failover loop awaited on the event loop, instead of LangChain's default of the loop's own
    small executor.
    """

    _fallbacks: list[Self]
    _spec: ModelSpec | None
    #: How get_llm resolved ``model_id`` (None when built by hand): followed on each call.
    _resolved: ResolvedModel | None
    model_id: str
    client: Any  # langchain-aws's bedrock-runtime client
    #: The langchain-aws class this one extends: LangChain serialises us under its id, so
    #: ``langchain_core.load`` gives back a plain model of that class.
    _lc_base: ClassVar[type[Any]]
    _manager: BedrockClientManager

    @property
    def _operations(self) -> tuple[str, str]:
        raise NotImplementedError  # each model class names its own

    @classmethod
    def lc_id(cls) -> list[str]:
        return list(cls._lc_base.lc_id())

    def __reduce__(self) -> tuple[Any, ...]:
        # Clients cannot be pickled (botocore #636): a model travels as how it was built and is
        # rebuilt on the receiving process's manager, which resolves its own credentials.
        if self._spec is None:
            raise ConfigurationError(
                f"Only models made by bedrock_auth.get_llm() can be pickled; this "
                f"{type(self).__name__} was built directly."
            )
        return (self._spec.rebuild, (self._spec,))

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        # A deep copy shares the manager's clients (and the manager) instead of copying them.
        memo = {} if memo is None else memo
        for model in (self, *self._fallbacks):
            for shared in (model.client, model.bedrock_client):  # type: ignore[attr-defined]
                memo[id(shared)] = shared
            memo[id(model._resolved)] = model._resolved  # immutable; holds the live catalog
        if self._spec is not None:
            memo[id(self._spec.manager)] = self._spec.manager
        return super().__deepcopy__(memo)  # type: ignore[misc,no-any-return]

    def _by_region(self) -> dict[str, Self]:
        """The models to try, by region (see :func:`~bedrock_auth._calls.by_region`), each
        on the id the catalog now gives."""
        for model in (self, *self._fallbacks):
            model._follow_catalog()
        return by_region(self, _region)

    def _follow_catalog(self) -> None:
        """Take the id the catalog now gives for the model asked (a dict read when unchanged):
        after Bedrock refused the table's id in one call, every later call uses the listed id."""
        resolved = self._resolved
        if resolved is None:
            return
        now = resolved.catalog.resolve(resolved.asked, resolved.region)
        if now is not resolved:
            self.model_id, self._resolved = now.model_id, now

    def _relisted(self, exc: BaseException, ctx: ErrorContext) -> bool:
        """After Bedrock refused the model id: switch to the id the live listing gives, once.

        False (nothing switched) for any other error, a model built by hand, or a listing
        with nothing better; the listing's own refusal is raised (see
        :meth:`~bedrock_auth._catalog.LiveCatalog.after_rejection`).
        """
        resolved = self._resolved
        if resolved is None or not refused_id(exc):
            return False
        translate_error(exc, ctx)  # redacts exc before it can become any error's cause
        try:
            retry = resolved.catalog.after_rejection(resolved)
        except BedrockAuthError as refused:
            raise refused from cause_of(exc)
        if retry is None:
            return False
        self.model_id, self._resolved = retry.model_id, retry
        return True

    def _what(self, operation: str) -> str:
        return f"{operation} {getattr(self, 'model_id', '')}"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        models = self._by_region()
        return with_failover(
            list(models),
            lambda region: models[region]._generate_here(messages, stop, run_manager, **kwargs),
            self._what(self._operations[0]),
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        models = self._by_region()
        yield from stream_with_failover(
            list(models),
            lambda region: models[region]._stream_here(messages, stop, run_manager, **kwargs),
            self._what(self._operations[1]),
        )

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        models = self._by_region()
        # As LangChain's default does: the sync callbacks of this run, for the sync call.
        callbacks = run_manager.get_sync() if run_manager else None
        return await awith_failover(
            list(models),
            lambda region: offload(
                self._manager, models[region]._generate_here, messages, stop, callbacks, **kwargs
            ),
            self._what(self._operations[0]),
        )

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        models = self._by_region()
        callbacks = run_manager.get_sync() if run_manager else None
        first, rest, opened = await awith_failover(
            list(models),
            lambda region: offload(
                self._manager, models[region]._open_here, messages, stop, callbacks, **kwargs
            ),
            self._what(self._operations[1]),
        )
        # Closing the generator runs langchain-aws's own `finally`, which closes the stream; a
        # read in flight is interrupted first (a cancelled task frees its thread at once).
        chunks = ExecutorIterator(
            self._manager, rest, rest.close, functools.partial(interrupt_read, *opened)
        )
        try:
            if first is not None:
                yield first
            async for chunk in chunks:
                yield chunk
        finally:
            chunks.close()

    def _generate_here(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        **kwargs: Any,
    ) -> ChatResult:
        ctx = _context(self, self._operations[0])
        try:
            result: ChatResult = super()._generate(  # type: ignore[misc]
                messages, stop=stop, run_manager=run_manager, **kwargs
            )
        except Exception as exc:
            if not self._relisted(exc, ctx):
                raise translate_error(exc, ctx) from cause_of(exc)
            return self._generate_here(messages, stop, run_manager, **kwargs)  # once: listed
        return result

    def _open_here(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        **kwargs: Any,
    ) -> tuple[ChatGenerationChunk | None, _Chunks, list[Any]]:
        """Start streaming in this model's region and read the first chunk, on the manager's
        executor for ``_astream``'s failover loop: until that chunk arrives nothing has reached
        the caller, so another region can still answer instead. Also returns the HTTP
        responses of the streams opened (for :func:`~bedrock_auth._calls.interrupt_read`)."""
        with opened_streams(self.client) as opened:
            chunks = self._stream_here(messages, stop, run_manager, **kwargs)
            return next(chunks, None), chunks, opened

    def _stream_here(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        **kwargs: Any,
    ) -> _Chunks:
        ctx = _context(self, self._operations[1])
        delivered: list[str] = []  # for the error's partial_text, as the helpers' streams do
        try:
            chunk: ChatGenerationChunk
            for chunk in super()._stream(  # type: ignore[misc]
                messages, stop=stop, run_manager=run_manager, **kwargs
            ):
                delivered.append(chunk.text)
                yield chunk
        except Exception as exc:
            if delivered or not self._relisted(exc, ctx):
                raise stream_failed(exc, ctx, "".join(delivered)) from exc
        else:
            return
        yield from self._stream_here(messages, stop, run_manager, **kwargs)  # once: listed


M = TypeVar("M", bound=_TypedErrors)


def in_regions(models: Sequence[M], manager: BedrockClientManager) -> M:
    """The first model, failing over to the others in order (the same model in other regions);
    its async calls run on ``manager``'s executor."""
    for model in models:  # each one: langchain-aws calls back into fallbacks (_as_converse)
        model._manager = manager
    first, *rest = models
    first._fallbacks = rest
    return first


class SharedChatBedrockConverse(_TypedErrors, ChatBedrockConverse):
    """``ChatBedrockConverse`` whose failures arrive as :class:`~bedrock_auth.BedrockAuthError`
    and which fails over to its fallback regions."""

    _fallbacks: list[SharedChatBedrockConverse] = PrivateAttr(default_factory=list)
    _spec: ModelSpec | None = PrivateAttr(default=None)
    _resolved: ResolvedModel | None = PrivateAttr(default=None)
    _lc_base = ChatBedrockConverse
    _manager: BedrockClientManager = PrivateAttr()  # set by in_regions

    @property
    def _operations(self) -> tuple[str, str]:
        return ("Converse", "ConverseStream")


class SharedChatBedrock(_TypedErrors, ChatBedrock):
    """Legacy ``ChatBedrock`` (InvokeModel API) on shared clients, with typed errors.

    Its converse path reuses both clients, where langchain-aws builds a new control-plane
    client on every call.
    """

    _fallbacks: list[SharedChatBedrock] = PrivateAttr(default_factory=list)
    _spec: ModelSpec | None = PrivateAttr(default=None)
    _resolved: ResolvedModel | None = PrivateAttr(default=None)
    _lc_base = ChatBedrock
    _manager: BedrockClientManager = PrivateAttr()  # set by in_regions

    @property
    def _operations(self) -> tuple[str, str]:
        if self.beta_use_converse_api:  # langchain-aws sends these models through Converse
            return ("Converse", "ConverseStream")
        return ("InvokeModel", "InvokeModelWithResponseStream")

    @property
    def _as_converse(self) -> ChatBedrockConverse:
        # langchain-aws hands Nova models (and bind_tools/with_structured_output on them) to
        # this converse twin: it keeps the fallback regions.
        return in_regions(
            [_converse_twin(model) for model in (self, *self._fallbacks)], self._manager
        )


def _converse_twin(model: ChatBedrock) -> SharedChatBedrockConverse:
    return SharedChatBedrockConverse(
        client=model.client,
        bedrock_client=model.bedrock_client,
        model=model.model_id,
        region_name=model.region_name,
        provider=model.provider or "",
        **_converse_kwargs(model),
    )


def _converse_kwargs(model: ChatBedrock) -> dict[str, Any]:
    keep = (
        "stop",
        "stop_sequences",
        "max_tokens",
        "temperature",
        "top_p",
        "additional_model_request_fields",
        "additional_model_response_field_paths",
        "performance_config",
        "request_metadata",
        "service_tier",
    )
    kwargs = {k: v for k, v in (model.model_kwargs or {}).items() if k in keep}
    for name in ("max_tokens", "temperature", "stop_sequences", "service_tier", "request_metadata"):
        if getattr(model, name, None) is not None:
            kwargs[name] = getattr(model, name)
    if getattr(model, "base_model_id", None):
        kwargs["base_model"] = model.base_model_id
    if getattr(model, "_guardrails_enabled", False):
        kwargs["guardrail_config"] = model.guardrails
    return kwargs


def model_class(api: str) -> type[SharedChatBedrockConverse] | type[SharedChatBedrock]:
    """The model class of ``get_llm(api=...)``: ``"invoke"``, else ``"converse"``."""
    return SharedChatBedrock if api == "invoke" else SharedChatBedrockConverse
