"""`get_llm()`: a LangChain chat model on the manager's shared, validated clients.

langchain-aws builds a boto3 Session and two clients for every model when keys or a profile
are given; here every model reuses the manager's cached ``bedrock-runtime`` and ``bedrock``
clients, so a model costs a few hundred microseconds instead of a few hundred milliseconds.

>>> from bedrock_auth import get_llm
>>> llm = get_llm("claude-sonnet-4-5", temperature=0)          # doctest: +SKIP
>>> llm.invoke("Say hi").content                               # doctest: +SKIP
"""

from __future__ import annotations

import copy
import logging
import weakref
from collections.abc import Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal, overload

from bedrock_auth._calls import Where, chosen_model, resolve
from bedrock_auth._state import ForkSafeLock, register
from bedrock_auth.errors import ConfigurationError
from bedrock_auth.manager import get_manager

if TYPE_CHECKING:
    from langchain_aws import ChatBedrock, ChatBedrockConverse

    from bedrock_auth.manager import BedrockClientManager

logger = logging.getLogger("bedrock_auth")

INSTALL_HINT = 'get_llm needs langchain-aws: pip install "bedrock-auth[langchain]"'


def _adapters() -> Any:
    try:
        return import_module("bedrock_auth._langchain")
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc


# Validated models to copy, per manager. Validating a ChatBedrockConverse is ~100 µs of
# pydantic and LangChain work that comes out the same for the same class, model id, region,
# clients and options; a copy of a validated model costs a few µs. Only options made of
# immutable values are keyed, so no two models ever share a mutable option.
_TEMPLATES: weakref.WeakKeyDictionary[BedrockClientManager, dict[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)
_TEMPLATES_LOCK = ForkSafeLock()
_MAX_TEMPLATES = 64  # per manager: a long-lived app cycling through model ids stays bounded
_IMMUTABLE = (str, int, float, bool, type(None))


def _forget_templates() -> None:
    with _TEMPLATES_LOCK:
        _TEMPLATES.clear()


register(__name__, reset=_forget_templates)


def _template_key(klass: Any, kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """What makes two builds the same, or None when an option could be mutated later."""
    options = []
    for name, value in kwargs.items():
        if name in ("client", "bedrock_client"):
            continue  # compared by identity when a template is used
        if not isinstance(value, _IMMUTABLE):
            return None
        options.append((name, type(value), value))
    return (klass, *sorted(options, key=lambda item: item[0]))


def _copy_of(template: Any) -> Any:
    """A new model equal to ``template``: its own field values and containers."""
    model = template.model_copy()
    for name, value in model.__dict__.items():
        if isinstance(value, (dict, list, set)):  # metadata, profile: never shared
            model.__dict__[name] = copy.copy(value)
    model.__pydantic_private__ = {**template.__pydantic_private__, "_fallbacks": []}
    return model


def _build(klass: Any, manager: BedrockClientManager, kwargs: dict[str, Any]) -> Any:
    """``klass(**kwargs)``, copied from an earlier identical build on the same clients."""
    key = _template_key(klass, kwargs)
    if key is None:
        return klass(**kwargs)
    with _TEMPLATES_LOCK:
        template = _TEMPLATES.get(manager, {}).get(key)
    if (
        template is not None
        and template.client is kwargs["client"]
        and template.bedrock_client is kwargs["bedrock_client"]
    ):
        return _copy_of(template)
    template = klass(**kwargs)
    with _TEMPLATES_LOCK:
        templates = _TEMPLATES.setdefault(manager, {})
        templates.pop(key, None)
        templates[key] = template  # clients rebuilt (fork, close()): the newest wins
        while len(templates) > _MAX_TEMPLATES:
            del templates[next(iter(templates))]
    return _copy_of(template)


def _one_model(
    klass: Any, model: str, region: str, manager: BedrockClientManager, model_kwargs: dict[str, Any]
) -> Any:
    resolved = resolve(manager, model, region)
    model_id = resolved.model_id
    kwargs: dict[str, Any] = {
        "client": manager.client("bedrock-runtime", resolved.region),
        "bedrock_client": manager.client("bedrock", resolved.region),
        "model": model_id,
        "region_name": resolved.region,
        **model_kwargs,
    }
    if model_id.startswith("arn:"):
        # langchain-aws cannot read an ARN's provider or model: say them, so it asks no one.
        kwargs.setdefault("provider", resolved.provider or "")
        if resolved.base_model:
            kwargs.setdefault("base_model", resolved.base_model)
    try:
        built = _build(klass, manager, kwargs)
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigurationError(
            f"get_llm could not build {klass.__mro__[1].__name__} for {model_id!r}: "
            f"{_first_line(exc)}\nCheck the keyword arguments passed on to the model "
            f"({', '.join(sorted(model_kwargs)) or 'none'})."
        ) from exc
    built._resolved = resolved  # a rejected id is retried with the listed one (_langchain)
    return built


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:3]) or type(exc).__name__


@overload
def get_llm(
    model: str | None = None,
    *,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
    api: Literal["converse"] = "converse",
    fallback_regions: Sequence[str] | None = None,
    **model_kwargs: Any,
) -> ChatBedrockConverse: ...


@overload
def get_llm(
    model: str | None = None,
    *,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
    api: Literal["invoke"],
    fallback_regions: Sequence[str] | None = None,
    **model_kwargs: Any,
) -> ChatBedrock: ...


def get_llm(
    model: str | None = None,
    *,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
    api: Literal["converse", "invoke"] = "converse",
    fallback_regions: Sequence[str] | None = None,
    **model_kwargs: Any,
) -> ChatBedrockConverse | ChatBedrock:
    """A LangChain chat model for ``model`` on the manager's shared clients.

    ``model`` may be an alias (``claude-sonnet-4-5``, ``haiku``), an Anthropic API name, a
    Bedrock id, an inference-profile id or an ARN; ``None`` takes the manager's
    ``BEDROCK_MODEL_ID``. Other keyword arguments (``temperature``, ``max_tokens``, ``stop``,
    ``guardrail_config``, ...) go to ``ChatBedrockConverse``. ``api="invoke"`` returns the
    legacy ``ChatBedrock``.

    ``fallback_regions`` (default: the manager's, from ``BEDROCK_FALLBACK_REGIONS``; ``[]`` for
    none) are tried in order when a call or a stream that has not yet yielded anything is
    throttled, unavailable or unreachable. The model fails over by itself, so the class
    returned is the same with or without fallbacks, and ``bind_tools`` or
    ``with_structured_output`` keep failing over.

    >>> llm = get_llm("haiku", max_tokens=256)                     # doctest: +SKIP
    >>> for chunk in llm.stream("Count to 3"):                       # doctest: +SKIP
    ...     print(chunk.content, end="")
    """
    if not isinstance(api, str) or api not in ("converse", "invoke"):
        raise ConfigurationError(f"api={api!r}. Accepted: 'converse', 'invoke'.")
    if model is not None and not isinstance(model, str):
        raise ConfigurationError(
            f"model={model!r} is a {type(model).__name__}; expected a model id or alias string."
        )
    adapters = _adapters()  # before the manager: a missing extra should fail first
    klass = adapters.SharedChatBedrock if api == "invoke" else adapters.SharedChatBedrockConverse
    manager = manager or get_manager()
    chosen = chosen_model(model, manager, "get_llm")
    regions = Where.of(region, fallback_regions, manager).regions(manager)
    logger.debug("get_llm(%r): regions %s", chosen, regions)
    models = [_one_model(klass, chosen, name, manager, model_kwargs) for name in regions]
    built = adapters.in_regions(models, manager)
    built._spec = adapters.ModelSpec(
        manager=manager,
        api=api,
        model=chosen,
        region=regions[0],  # the region resolved here, not the argument: it must travel
        fallback_regions=None if fallback_regions is None else tuple(fallback_regions),
        model_kwargs=dict(model_kwargs),
        rebuild=_rebuild,
    )
    return built  # type: ignore[no-any-return]


def _rebuild(spec: Any) -> Any:
    """The model a pickled ``spec`` describes, on this process's manager (the unpickled one)."""
    api: Any = spec.api  # one of get_llm's overloads' literals, checked when first built
    return get_llm(
        spec.model,
        region=spec.region,
        manager=spec.manager,
        api=api,
        fallback_regions=spec.fallback_regions,
        **spec.model_kwargs,
    )
