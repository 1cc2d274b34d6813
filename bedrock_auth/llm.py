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
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal, overload

from bedrock_auth._calls import Where, chosen_model, resolve_each
from bedrock_auth._request_options import check_options
from bedrock_auth._state import ForkSafeLock, register
from bedrock_auth.errors import ConfigurationError
from bedrock_auth.manager import get_manager

if TYPE_CHECKING:
    from langchain_aws import ChatBedrock, ChatBedrockConverse
    from langchain_core.language_models import BaseChatModel

    from bedrock_auth._catalog import ResolvedModel
    from bedrock_auth.manager import BedrockClientManager

logger = logging.getLogger("bedrock_auth")

Api = Literal["converse", "invoke"]

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
    _RESOLVED.clear()


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


#: The resolutions behind the models this process built, by (id, region): the live catalog they
#: hold cannot travel in a pickled spec. Bounded by the models and regions an app uses.
_RESOLVED: dict[tuple[str, str], Any] = {}


def _model_fields(resolved: ResolvedModel) -> dict[str, Any]:
    """What the model in one region is built with besides its clients and the caller's
    options: the id resolved for that region, the region, and for an ARN (whose provider and
    model langchain-aws cannot read) the provider and foundation model, so it asks no one."""
    fields: dict[str, Any] = {"model": resolved.model_id, "region_name": resolved.region}
    _RESOLVED[resolved.model_id, resolved.region] = resolved  # not in fields: they pickle
    if resolved.model_id.startswith("arn:"):
        fields["provider"] = resolved.provider or ""
        if resolved.base_model:
            fields["base_model"] = resolved.base_model
    return fields


def _one_model(
    klass: Any,
    manager: BedrockClientManager,
    fields: dict[str, Any],
    model_kwargs: dict[str, Any],
    clients: tuple[Any, Any],
) -> Any:
    """``klass`` on ``clients`` (bedrock-runtime, bedrock) with ``fields`` and the caller's
    options (which win, except over the provider and model an ARN needs)."""
    kwargs: dict[str, Any] = {
        "client": clients[0],
        "bedrock_client": clients[1],
        "model": fields["model"],
        "region_name": fields["region_name"],
        **model_kwargs,
    }
    for name in ("provider", "base_model"):
        if name in fields:
            kwargs.setdefault(name, fields[name])
    try:
        built = _build(klass, manager, kwargs)
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigurationError(
            f"get_llm could not build {klass.__mro__[1].__name__} for {fields['model']!r}: "
            f"{_first_line(exc)}\nCheck the keyword arguments passed on to the model "
            f"({', '.join(sorted(model_kwargs)) or 'none'})."
        ) from exc
    # A rejected id is retried with the listed one (_langchain); a model rebuilt in another
    # process has no resolution here and keeps the id it was built with.
    built._resolved = _RESOLVED.get((fields["model"], fields["region_name"]))
    return built


def _clients(manager: BedrockClientManager, region: str) -> tuple[Any, Any]:
    return manager.client("bedrock-runtime", region), manager.client("bedrock", region)


class _DeferredClient:
    """A manager's client, made on first use: what a model rebuilt by ``pickle.loads`` runs
    on. Its manager validates on first use too, so trouble with the worker's credentials
    surfaces, typed, from the model's first call rather than from inside ``pickle.loads``
    (where Ray or multiprocessing would report it as a deserialisation error)."""

    def __init__(self, manager: BedrockClientManager, service: str, region: str) -> None:
        self._manager, self._service, self._region = manager, service, region

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager.client(self._service, self._region), name)

    def __repr__(self) -> str:
        return f"<{self._service} client in {self._region}, made on first use>"


class _WithProject:
    """A model's bedrock-runtime client that sends ``projectIdentifier`` with each model call.

    langchain-aws has no project field, and the manager's client is shared by every model (of
    any project), so the project travels with this model's view of the client instead of an
    event handler on the client itself.
    """

    _CALLS = frozenset(
        {"converse", "converse_stream", "invoke_model", "invoke_model_with_response_stream"}
    )

    def __init__(self, client: Any, project: str) -> None:
        self._client, self._project = client, project

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in self._CALLS:
            return attribute

        def call(**request: Any) -> Any:
            return attribute(**{"projectIdentifier": self._project, **request})

        return call

    def __repr__(self) -> str:
        return f"<{self._client!r} for project {self._project!r}>"


# The clients a model is built on, by keyword, and the service each must talk to.
_CLIENT_SERVICES = {"client": "bedrock-runtime", "bedrock_client": "bedrock"}


def _check_clients(model_kwargs: dict[str, Any]) -> None:
    """A caller's own ``client=``/``bedrock_client=`` must be a botocore client of the right
    service: anything else fails only later, inside a call, as a bare ``AttributeError``."""
    for name, service in _CLIENT_SERVICES.items():
        given = model_kwargs.get(name)
        model = getattr(getattr(given, "meta", None), "service_model", None)
        actual = getattr(model, "service_name", None)
        if given is None or actual == service:
            continue
        what = f"a botocore {actual} client" if actual else f"a {type(given).__name__}"
        raise ConfigurationError(
            f"get_llm({name}=...) got {what}; it takes a botocore {service} client "
            f"(boto3.client({service!r})). Leave it out to build the model on the manager's "
            f"own {service} client, and pass manager=BedrockClientManager(...) to choose its "
            "credentials and region."
        )


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
    service_tier: str | None = None,
    project: str | None = None,
    request_metadata: Mapping[str, str] | None = None,
    endpoint: Literal["runtime"] = "runtime",
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
    service_tier: str | None = None,
    project: str | None = None,
    request_metadata: Mapping[str, str] | None = None,
    endpoint: Literal["runtime"] = "runtime",
    **model_kwargs: Any,
) -> ChatBedrock: ...


@overload
def get_llm(
    model: str | None = None,
    *,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
    endpoint: Literal["mantle"],
    **model_kwargs: Any,
) -> BaseChatModel: ...


def get_llm(
    model: str | None = None,
    *,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
    api: Literal["converse", "invoke"] | None = None,
    fallback_regions: Sequence[str] | None = None,
    service_tier: str | None = None,
    project: str | None = None,
    request_metadata: Mapping[str, str] | None = None,
    endpoint: Literal["runtime", "mantle"] = "runtime",
    **model_kwargs: Any,
) -> ChatBedrockConverse | ChatBedrock | BaseChatModel:
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

    ``service_tier``, ``project`` and ``request_metadata`` are checked here and sent with
    every call, as by :func:`~bedrock_auth.converse`.

    ``endpoint="mantle"``: langchain-aws's ``ChatAnthropicMantle`` or ``ChatOpenAIMantle``
    (docs/api-keys-and-openai.md); ``api=`` and the request options are refused there.

    >>> llm = get_llm("haiku", max_tokens=256)                     # doctest: +SKIP
    >>> for chunk in llm.stream("Count to 3"):                       # doctest: +SKIP
    ...     print(chunk.content, end="")
    """
    options = dict(service_tier=service_tier, project=project, request_metadata=request_metadata)
    if endpoint != "runtime":
        given = (region, fallback_regions, manager)
        return _on_mantle(model, endpoint, given, {"api": api, **options}, model_kwargs)
    api = _check_arguments(model, api, model_kwargs)
    adapters = _adapters()  # before the manager: a missing extra should fail first
    _add_request_options(model_kwargs, adapters.model_class(api), api, options)
    where = Where.of(region, fallback_regions, manager)  # a misspelt region: before credentials
    manager = manager or get_manager()
    chosen = chosen_model(model, manager, "get_llm")
    regions = where.regions(manager)
    logger.debug("get_llm(%r): regions %s", chosen, regions)
    resolved = tuple(_model_fields(r) for r in resolve_each(manager, chosen, regions))
    spec = adapters.ModelSpec(
        manager=manager,
        api=api,
        model=chosen,
        resolved=resolved,  # the regions and ids resolved here: they must travel
        model_kwargs=dict(model_kwargs),
        rebuild=_rebuild,
        project=project,
    )
    return _assembled(spec, lambda region: _clients(manager, region))  # type: ignore[no-any-return]


def _on_mantle(
    model: str | None,
    endpoint: str,
    where_given: tuple[str | None, Sequence[str] | None, BedrockClientManager | None],
    unused: Mapping[str, Any],
    model_kwargs: dict[str, Any],
) -> BaseChatModel:
    """``get_llm(endpoint="mantle")``: see :mod:`bedrock_auth._langchain_mantle`."""
    if endpoint != "mantle":
        raise ConfigurationError(f"endpoint={endpoint!r}. Accepted: 'runtime', 'mantle'.")
    given = sorted(name for name, value in unused.items() if value is not None)
    if given:
        raise ConfigurationError(
            f"get_llm(endpoint='mantle') takes no {', '.join(given)}: those choose among "
            "bedrock-runtime's APIs and request options. Leave them out on Mantle, "
            "or use endpoint='runtime'."
        )
    _check_arguments(model, None, model_kwargs)
    mantle = import_module("bedrock_auth._langchain_mantle")
    where = Where.of(*where_given)  # misspelt regions: before credentials
    manager = where_given[2] or get_manager()
    chosen = chosen_model(model, manager, "get_llm")
    built: BaseChatModel = mantle.mantle_llm(manager, chosen, where.regions(manager), model_kwargs)
    return built


def _assembled(spec: Any, clients: Callable[[str], tuple[Any, Any]]) -> Any:
    """The model ``spec`` describes, the same model in each region, on ``clients(region)``."""
    adapters = _adapters()
    klass = adapters.model_class(spec.api)
    models = [
        _one_model(
            klass,
            spec.manager,
            dict(f),
            spec.model_kwargs,
            _with_project(clients(f["region_name"]), spec.project),
        )
        for f in spec.resolved
    ]
    built = adapters.in_regions(models, spec.manager)
    built._spec = spec
    return built


#: The operations a model of each ``api`` may send the request options with: ChatBedrock sends
#: Nova models (and their tools) through Converse.
_SENT_WITH = {"converse": ("Converse",), "invoke": ("InvokeModel", "Converse")}


def _check_arguments(model: Any, api: Any, model_kwargs: dict[str, Any]) -> Api:
    """The API to use (``converse`` when not given), once the arguments are checked."""
    api = "converse" if api is None else api
    if not isinstance(api, str) or api not in ("converse", "invoke"):
        raise ConfigurationError(f"api={api!r}. Accepted: 'converse', 'invoke'.")
    if model is not None and not isinstance(model, str):
        raise ConfigurationError(
            f"model={model!r} is a {type(model).__name__}; expected a model id or alias string."
        )
    _check_clients(model_kwargs)
    return "invoke" if api == "invoke" else "converse"


def _add_request_options(
    model_kwargs: dict[str, Any], klass: Any, api: str, options: Mapping[str, Any]
) -> None:
    """Add the request options, checked against botocore for what the model sends, to
    ``model_kwargs``: the tier and the metadata as langchain-aws's model fields (a langchain-aws
    without the field cannot send the option); the project travels in the model's spec, or
    with the caller's own ``client=``."""
    check_options(_SENT_WITH[api], **options)
    if options["project"] is not None and model_kwargs.get("client") is not None:
        model_kwargs["client"] = _WithProject(model_kwargs["client"], options["project"])
    fields = ("service_tier", "request_metadata")
    given = {name: options[name] for name in fields if options[name] is not None}
    for name in given:
        if name not in klass.model_fields:
            raise ConfigurationError(
                f"get_llm({name}=...) needs a langchain-aws whose {klass._lc_base.__name__} "
                f"has a {name} field; the installed one has none.\n"
                'Fix: pip install -U "bedrock-auth[langchain]" (or pip install -U langchain-aws)'
            )
    model_kwargs.update(given)


def _with_project(clients: tuple[Any, Any], project: str | None) -> tuple[Any, Any]:
    """``clients``, the bedrock-runtime one sending ``project`` with each call if there is one."""
    if project is None:
        return clients
    runtime, control = clients
    return _WithProject(runtime, project), control


def _rebuild(spec: Any) -> Any:
    """The model a pickled ``spec`` describes, on this process's manager (the unpickled one).

    Nothing is resolved or validated here: the ids resolved where the model was built travel
    with it, and its clients are made, and its manager validates, on its first call.
    """
    manager = spec.manager
    return _assembled(
        spec,
        lambda region: (
            _DeferredClient(manager, "bedrock-runtime", region),
            _DeferredClient(manager, "bedrock", region),
        ),
    )
