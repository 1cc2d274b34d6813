"""``get_llm(model, endpoint="mantle")``: langchain-aws's bedrock-mantle chat models on a manager.

Claude models (the model data's ``mantle.path`` is ``/anthropic``) get ``ChatAnthropicMantle``
running on this library's ``AnthropicBedrockMantle`` clients (:mod:`._anthropic`): each request
signed as ``bedrock-mantle`` with the manager's refreshing credentials, or sent the manager's
key in API-key mode. ``ChatAnthropicMantle`` would otherwise build them per model from static
keys.

OpenAI-family models get ``ChatOpenAIMantle`` (bearer only) running on the clients of
``get_openai_client(endpoint="mantle", auth="api_key")`` (:mod:`._openai`): keys from the
manager's ``api_key_provider`` for the region, asked per request (minted again before they or
the credentials behind them expire), never over plain http, each model's path (``/v1`` or
``/openai/v1``) from the model data, the manager's TLS, proxies, timeouts and retries.

Both share their SDK clients, sync and async, per (manager, endpoint, region) in the manager's
client cache (``manager.close()`` closes them); a model given client options of its own
(timeout, retries, headers) runs on a ``with_options`` copy, which shares the connections and
leaves the shared client unchanged.

Both fail over to the fallback Regions through the runtime models' loops (:class:`_FailsOver`),
and pickle as how they were built, rebuilt on the receiving process's manager.
Imported only by :func:`bedrock_auth.get_llm`; needs ``langchain-aws[anthropic]`` or
``langchain-aws[openai]``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import PrivateAttr

from bedrock_auth import _mantle as mantle
from bedrock_auth._failover import (
    astream_with_failover,
    awith_failover,
    by_region,
    stream_with_failover,
    with_failover,
)
from bedrock_auth.errors import FAILOVER_ERRORS, ConfigurationError
from bedrock_auth.manager import BedrockClientManager

__all__ = ["MantleSpec", "build", "mantle_llm"]

#: ChatAnthropicMantle's fields that configure its client, and the client's names for them.
_CLIENT_OPTIONS = {
    "max_retries": "max_retries",
    "default_request_timeout": "timeout",
    "default_headers": "default_headers",
}
#: The same for ChatOpenAIMantle, by the keyword arguments get_llm passes on.
_OPENAI_CLIENT_OPTIONS = {
    "max_retries": "max_retries",
    "timeout": "timeout",
    "request_timeout": "timeout",
    "default_headers": "default_headers",
    "default_query": "default_query",
}


@dataclass(frozen=True)
class MantleSpec:
    """How a Mantle model was built: what another process needs to build it again."""

    manager: BedrockClientManager
    model: str  # Mantle's id
    path: str  # the model data's mantle.path: /anthropic, /v1 or /openai/v1
    regions: tuple[str, ...]  # the model's Region, then those it fails over to
    model_kwargs: Mapping[str, Any]


def mantle_llm(
    manager: BedrockClientManager,
    model: str,
    regions: tuple[str, ...],
    model_kwargs: Mapping[str, Any],
) -> Any:
    """The Mantle chat model for ``model`` in ``regions[0]``, failing over to the others."""
    paths = (mantle.ANTHROPIC_PATH, *mantle.OPENAI_PATHS)
    model_id, path = mantle.route(model, paths, 'get_llm(endpoint="mantle")')
    return build(MantleSpec(manager, model_id, path, regions, dict(model_kwargs)))


def build(spec: MantleSpec) -> Any:
    """The model ``spec`` describes (also what a pickled model is rebuilt with): one model per
    Region, the first holding the others as its fallbacks."""
    models = [_one(spec, region) for region in spec.regions]
    models[0]._fallbacks = models[1:]
    return models[0]


def _one(spec: MantleSpec, region: str) -> Any:
    anthropic = spec.path == mantle.ANTHROPIC_PATH
    try:
        klass = _anthropic_class() if anthropic else _openai_class()
    except ImportError as exc:
        extra = "anthropic" if anthropic else "openai"  # langchain-aws's extra for the class
        raise ImportError(
            f'get_llm(endpoint="mantle") needs langchain-aws[{extra}]: '
            f'pip install "langchain-aws[{extra}]"'
        ) from exc
    fields = (_anthropic_fields if anthropic else _openai_fields)(spec, region)
    try:
        built = klass(**{**fields, **spec.model_kwargs})
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigurationError(
            f"get_llm could not build {klass.__bases__[-1].__name__} for {spec.model!r}: {exc}\n"
            "Check the keyword arguments passed on to the model "
            f"({', '.join(sorted(spec.model_kwargs)) or 'none'})."
        ) from exc
    built._mantle_spec = spec
    return built


def _anthropic_fields(spec: MantleSpec, region: str) -> dict[str, Any]:
    # The region names the model's Region only: its clients (the manager's) sign and address.
    return {"model": spec.model, "region_name": region}


def _openai_fields(spec: MantleSpec, region: str) -> dict[str, Any]:
    from bedrock_auth._http import ENDPOINTS
    from bedrock_auth._openai import openai_client

    manager = spec.manager
    own = {
        option: spec.model_kwargs[field]
        for field, option in _OPENAI_CLIENT_OPTIONS.items()
        if spec.model_kwargs.get(field) is not None
    }
    sync, async_ = (
        openai_client(manager, endpoint="mantle", auth="api_key", region=region, async_=a)
        for a in (False, True)
    )
    # with_options() copies: the shared clients are never changed, the copies share their pools.
    root, root_async = (c.with_options(**own) if own else c for c in (sync, async_))
    return {
        "model": spec.model,
        "region_name": region,
        # Never used to build clients (these are given); they keep ChatOpenAIMantle from
        # reading keys or an address of its own, and name the model's address.
        "base_url": ENDPOINTS["mantle"].origin(manager, region) + spec.path,
        "api_key": manager.api_key_provider(region),
        "timeout": root.timeout,  # what the clients have (the manager's, or the caller's)
        "max_retries": root.max_retries,
        "root_client": root,
        "client": root.chat.completions,
        "root_async_client": root_async,
        "async_client": root_async.chat.completions,
    }


def _retryable() -> tuple[type[BaseException], ...]:
    """What a call fails over on: throttled, unavailable or unreachable (the SDKs' errors, and
    this library's for what the Anthropic client translates)."""
    found: list[type[BaseException]] = list(FAILOVER_ERRORS)
    for name in ("anthropic", "openai"):
        sdk = sys.modules.get(name)
        if sdk is not None:
            found += [sdk.RateLimitError, sdk.InternalServerError, sdk.APIConnectionError]
    return tuple(found)


class _FailsOver:
    """Mixin: a call, or a stream that has yielded nothing yet, that is throttled, unavailable
    or unreachable moves on to the same model in the next fallback Region, through the
    runtime models' failover loops (:mod:`._calls`), on the SDKs' errors as well as ours."""

    _fallbacks: list[Any]
    _mantle_spec: MantleSpec

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        return self._in_each_region("_generate", with_failover, args, kwargs)

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        return await self._in_each_region("_agenerate", awith_failover, args, kwargs)

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return self._in_each_region("_stream", stream_with_failover, args, kwargs)  # type: ignore[no-any-return]

    def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self._in_each_region("_astream", astream_with_failover, args, kwargs)  # type: ignore[no-any-return]

    def _in_each_region(
        self, method: str, loop: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """LangChain's ``method`` of the model class run through ``loop``, one of the
        failover loops, Region by Region."""
        models = by_region(self, _region)

        def attempt(region: str) -> Any:
            return getattr(super(_FailsOver, models[region]), method)(*args, **kwargs)

        return loop(
            list(models), attempt, f"bedrock-mantle {self._mantle_spec.model}", _retryable()
        )


def _region(model: Any) -> str:
    return str(model.region_name)


def _reduce(model: Any) -> tuple[Any, ...]:
    # The SDK clients cannot be pickled: the model travels as how it was built.
    spec: MantleSpec = model._mantle_spec
    return (build, (spec,))


@functools.cache
def _anthropic_class() -> type[Any]:
    from langchain_aws import ChatAnthropicMantle

    from bedrock_auth._anthropic import (
        ManagedAnthropicBedrockMantle,
        ManagedAsyncAnthropicBedrockMantle,
    )
    from bedrock_auth._http import shared_client

    class SharedChatAnthropicMantle(_FailsOver, ChatAnthropicMantle):
        """``ChatAnthropicMantle`` on the manager's ``AnthropicBedrockMantle`` clients."""

        _mantle_spec: Any = PrivateAttr(default=None)
        _fallbacks: list[Any] = PrivateAttr(default_factory=list)

        @functools.cached_property
        def _client(self) -> Any:
            return self._shared(ManagedAnthropicBedrockMantle, "sync")

        @functools.cached_property
        def _async_client(self) -> Any:
            return self._shared(ManagedAsyncAnthropicBedrockMantle, "async")

        def _shared(self, klass: type[Any], kind: str) -> Any:
            """The manager's client of ``klass`` for this Region, with this model's options
            (``with_options`` copies: the shared client is never changed)."""
            manager, region = self._mantle_spec.manager, str(self.region_name)
            shared = shared_client(
                manager,
                ("anthropic", "mantle", region, kind),
                lambda: klass(manager=manager, aws_region=region),
            )
            options = self._own_client_options()
            return shared.with_options(**options) if options else shared

        def _own_client_options(self) -> dict[str, Any]:
            """The client options given to this model (the manager's are the defaults)."""
            given = self.model_fields_set
            return {
                option: getattr(self, field)
                for field, option in _CLIENT_OPTIONS.items()
                if field in given and getattr(self, field) is not None
            }

        __reduce__ = _reduce

    return SharedChatAnthropicMantle


@functools.cache
def _openai_class() -> type[Any]:
    from langchain_aws import ChatOpenAIMantle

    class SharedChatOpenAIMantle(_FailsOver, ChatOpenAIMantle):
        """``ChatOpenAIMantle`` sent the manager's keys, at the manager's Mantle address."""

        _mantle_spec: Any = PrivateAttr(default=None)
        _fallbacks: list[Any] = PrivateAttr(default_factory=list)

        __reduce__ = _reduce

    return SharedChatOpenAIMantle
