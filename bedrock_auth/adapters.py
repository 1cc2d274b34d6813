"""Clients of other SDKs on one validated manager: Anthropic SDK, pydantic-ai, LangChain embeddings.

Each function imports its SDK on first use (``import bedrock_auth`` stays cheap) and, when the
SDK is missing, raises an ``ImportError`` naming the extra to install.

>>> from bedrock_auth import get_anthropic_client
>>> client = get_anthropic_client()                                   # doctest: +SKIP
>>> client.messages.create(model="claude-sonnet-4-5", max_tokens=200,  # doctest: +SKIP
...                        messages=[{"role": "user", "content": "Hi"}])

The app-level switch, for code that runs on the Anthropic API or on Bedrock (the variable
Claude Code uses, ``CLAUDE_CODE_USE_BEDROCK=1``, picks Bedrock):

>>> from bedrock_auth import anthropic_client_from_env, anthropic_model_from_env
>>> client = anthropic_client_from_env()                              # doctest: +SKIP
>>> client.messages.create(model=anthropic_model_from_env(),          # doctest: +SKIP
...                        max_tokens=200, messages=[{"role": "user", "content": "Hi"}])

:func:`anthropic_model_from_env` is that client's model (``ANTHROPIC_MODEL`` or
``BEDROCK_MODEL_ID``, mapped for the side in use). The other adapters, like ``get_llm``, take
``BEDROCK_MODEL_ID`` as read by the manager when no model is given.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal, overload

from bedrock_auth._calls import chosen_model, resolve
from bedrock_auth.errors import ConfigurationError
from bedrock_auth.manager import get_manager
from bedrock_auth.models import resolve_model_id
from bedrock_auth.regions import check_region
from bedrock_auth.settings import (
    ANTHROPIC_CREDENTIALS,
    MODEL_VARIABLES,
    USE_BEDROCK_ENV,
    AppEnvironment,
    read_app_environment,
)

if TYPE_CHECKING:
    from anthropic import (
        Anthropic,
        AnthropicBedrock,
        AnthropicBedrockMantle,
        AsyncAnthropic,
        AsyncAnthropicBedrock,
        AsyncAnthropicBedrockMantle,
    )
    from langchain_aws import BedrockEmbeddings
    from openai import AsyncOpenAI, OpenAI
    from pydantic_ai.models import Model
    from pydantic_ai.models.bedrock import BedrockConverseModel

    from bedrock_auth.manager import BedrockClientManager

    AnyAnthropicBedrock = (
        AnthropicBedrock
        | AsyncAnthropicBedrock
        | AnthropicBedrockMantle
        | AsyncAnthropicBedrockMantle
    )

__all__ = [
    "DEFAULT_EMBEDDINGS_MODEL",
    "USE_BEDROCK_ENV",
    "anthropic_client_from_env",
    "anthropic_model_from_env",
    "get_anthropic_client",
    "get_embeddings",
    "get_openai_client",
    "get_pydantic_ai_model",
]

#: What :func:`get_embeddings` uses without a model: Titan Text Embeddings V2.
DEFAULT_EMBEDDINGS_MODEL = "amazon.titan-embed-text-v2:0"

# module -> (extra, what the user knows it as)
_EXTRAS = {
    "bedrock_auth._anthropic": ("anthropic", "the Anthropic SDK"),
    "anthropic": ("anthropic", "the Anthropic SDK"),
    "bedrock_auth._openai": ("openai", "the OpenAI SDK"),
    "pydantic_ai.models.bedrock": ("pydantic-ai", "pydantic-ai"),
    "bedrock_auth._pydantic_ai_mantle": ("pydantic-ai-mantle", "pydantic-ai's Bedrock Mantle"),
    "langchain_aws": ("langchain", "langchain-aws"),
}
_SWITCH = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("", "0", "false", "no", "off"), False),
}



def _checked(region: str | None) -> str | None:
    """``region`` checked before the manager is built: a misspelt name is local and knowable,
    so it is reported before missing credentials are."""
    return None if region is None else check_region(region)

def _check_endpoint(endpoint: str) -> str:
    if endpoint not in _ENDPOINTS:
        accepted = ", ".join(_ENDPOINTS)
        raise ConfigurationError(f"endpoint={endpoint!r} is not accepted. Accepted: {accepted}.")
    return endpoint


def _sdk(module: str, caller: str) -> Any:
    try:
        return import_module(module)
    except ImportError as exc:
        extra, name = _EXTRAS[module]
        raise ImportError(f'{caller} needs {name}: pip install "bedrock-auth[{extra}]"') from exc


# -- the Anthropic SDK -------------------------------------------------------------------------


#: The Bedrock endpoints the SDK adapters address (see get_openai_client).
_ENDPOINTS = ("runtime", "mantle")
#: (endpoint, async_) -> the client class of bedrock_auth._anthropic.
_ANTHROPIC_CLASSES = {
    ("runtime", False): "ManagedAnthropicBedrock",
    ("runtime", True): "ManagedAsyncAnthropicBedrock",
    ("mantle", False): "ManagedAnthropicBedrockMantle",
    ("mantle", True): "ManagedAsyncAnthropicBedrockMantle",
}


@overload
def get_anthropic_client(
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    async_: Literal[False] = False,
    endpoint: Literal["runtime"] = "runtime",
    **client_kwargs: Any,
) -> AnthropicBedrock: ...


@overload
def get_anthropic_client(
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    async_: Literal[True],
    endpoint: Literal["runtime"] = "runtime",
    **client_kwargs: Any,
) -> AsyncAnthropicBedrock: ...


@overload
def get_anthropic_client(
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    async_: Literal[False] = False,
    endpoint: Literal["mantle"],
    **client_kwargs: Any,
) -> AnthropicBedrockMantle: ...


@overload
def get_anthropic_client(
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    async_: Literal[True],
    endpoint: Literal["mantle"],
    **client_kwargs: Any,
) -> AsyncAnthropicBedrockMantle: ...


@overload
def get_anthropic_client(
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    async_: bool,
    endpoint: Literal["runtime"] = "runtime",
    **client_kwargs: Any,
) -> AnthropicBedrock | AsyncAnthropicBedrock: ...


@overload
def get_anthropic_client(
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    async_: bool,
    endpoint: Literal["mantle"],
    **client_kwargs: Any,
) -> AnthropicBedrockMantle | AsyncAnthropicBedrockMantle: ...


def get_anthropic_client(
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    async_: bool = False,
    endpoint: Literal["runtime", "mantle"] = "runtime",
    **client_kwargs: Any,
) -> AnyAnthropicBedrock:
    """An ``anthropic.AnthropicBedrock`` (``AsyncAnthropicBedrock`` with ``async_=True``) whose
    every request is signed with the manager's current credentials.

    Refreshing credentials (roles, SSO, containers, ``credential_process``) keep working for the
    client's whole life; none are copied into the client. Region, endpoint
    (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, ``endpoint_url=``), timeouts, retries, proxies and
    CA bundle come from the manager; ``client_kwargs`` (``timeout``, ``max_retries``,
    ``default_headers``, ``http_client``, ...) override them. ``model=`` in any call may be an
    alias or an Anthropic API name: it is resolved for the region. Expired, rejected or denied
    credentials raise :class:`~bedrock_auth.errors.ExpiredCredentialsError`,
    :class:`~bedrock_auth.errors.InvalidCredentialsError` or
    :class:`~bedrock_auth.errors.AccessDeniedError` (the SDK's error is the ``__cause__``);
    other failures are the SDK's own errors. ``with_options()`` and ``copy()`` keep the manager.

    ``endpoint="mantle"`` gives ``anthropic.AnthropicBedrockMantle``
    (``AsyncAnthropicBedrockMantle``) instead: bedrock-mantle's Anthropic Messages API (``https://bedrock-mantle.{region}.api.aws
    /anthropic``, or the manager's ``mantle_endpoint_url``), signed as ``bedrock-mantle``, with
    ``messages.count_tokens`` for every Claude model there; ``model=`` is mapped to Mantle's id.

    ``AWS_BEARER_TOKEN_BEDROCK`` is never used unless the manager is in API-key mode; then the
    client sends the manager's key (on Mantle, ``api_key_provider()``'s), never over plain http.
    """
    sdk = _sdk("bedrock_auth._anthropic", "get_anthropic_client")  # a missing extra fails first
    name = _ANTHROPIC_CLASSES[_check_endpoint(endpoint), bool(async_)]
    chosen = _checked(region or client_kwargs.pop("aws_region", None))
    client: AnyAnthropicBedrock = getattr(sdk, name)(
        manager=manager or get_manager(), aws_region=chosen, **client_kwargs
    )
    return client


# -- the OpenAI SDK -----------------------------------------------------------------------------


@overload
def get_openai_client(
    *,
    endpoint: Literal["runtime", "mantle"] = "runtime",
    auth: Literal["iam", "api_key"] | None = None,
    region: str | None = None,
    async_: Literal[False] = False,
    manager: BedrockClientManager | None = None,
    **client_kwargs: Any,
) -> OpenAI: ...


@overload
def get_openai_client(
    *,
    endpoint: Literal["runtime", "mantle"] = "runtime",
    auth: Literal["iam", "api_key"] | None = None,
    region: str | None = None,
    async_: Literal[True],
    manager: BedrockClientManager | None = None,
    **client_kwargs: Any,
) -> AsyncOpenAI: ...


@overload
def get_openai_client(
    *,
    endpoint: Literal["runtime", "mantle"] = "runtime",
    auth: Literal["iam", "api_key"] | None = None,
    region: str | None = None,
    async_: bool,
    manager: BedrockClientManager | None = None,
    **client_kwargs: Any,
) -> OpenAI | AsyncOpenAI: ...


def get_openai_client(
    *,
    endpoint: Literal["runtime", "mantle"] = "runtime",
    auth: Literal["iam", "api_key"] | None = None,
    region: str | None = None,
    async_: bool = False,
    manager: BedrockClientManager | None = None,
    **client_kwargs: Any,
) -> OpenAI | AsyncOpenAI:
    """An ``openai.OpenAI`` (``AsyncOpenAI`` with ``async_=True``) on Bedrock's OpenAI-compatible
    Chat Completions and Responses APIs, on the manager's credentials.

    ``endpoint="runtime"`` (AWS's recommendation) is bedrock-runtime's ``/openai/v1``;
    ``"mantle"`` is bedrock-mantle. ``auth="iam"`` signs each request with SigV4 from the
    manager's refreshing credentials; ``auth="api_key"`` sends short-term API keys from
    :meth:`~bedrock_auth.BedrockClientManager.api_key_provider` (minted again before they
    expire), or the configured key in API-key mode; ``None`` follows the manager. The base URL
    comes from the manager (region, ``endpoint_url``, ``mantle_endpoint_url``): no
    ``OPENAI_*``/``AWS_BEDROCK_BASE_URL``/``AWS_BEARER_TOKEN_BEDROCK`` variable redirects it or
    changes its auth, and a key is never sent over plain http (:class:`ConfigurationError`).

    ``model=`` in each call may be an alias: it becomes the runtime id or inference profile for
    the region, or Mantle's bare id sent to the path the model data gives (``/v1`` or
    ``/openai/v1``). Expired, rejected or denied credentials and throttling raise this
    library's typed errors (the SDK's error is the ``__cause__``); no error carries a key.
    Without ``client_kwargs`` the client is cached per (endpoint, region, auth, sync/async)
    and ``manager.close()`` closes it; with them (``timeout``, ``max_retries``,
    ``default_headers``, ``http_client``, ...) it is a new client of the caller's.

    >>> client = get_openai_client()                                    # doctest: +SKIP
    >>> client.chat.completions.create(model="gpt-oss-120b",             # doctest: +SKIP
    ...     messages=[{"role": "user", "content": "Hi"}]).choices[0].message.content
    """
    sdk = _sdk("bedrock_auth._openai", "get_openai_client")  # a missing extra fails first
    client: OpenAI | AsyncOpenAI = sdk.openai_client(
        manager or get_manager(),
        endpoint=endpoint,
        auth=auth,
        region=region,
        async_=async_,
        **client_kwargs,
    )
    return client


def _uses_bedrock(use_bedrock: bool | None, env: AppEnvironment) -> bool:
    if use_bedrock is not None:
        return use_bedrock
    raw = (env.use_bedrock or "").strip().lower()
    if raw not in _SWITCH:
        raise ConfigurationError(
            f"{USE_BEDROCK_ENV}={env.use_bedrock!r} is not accepted. Accepted: 1, true, yes, on "
            "(Bedrock) or 0, false, no, off, empty (the Anthropic API)."
        )
    return _SWITCH[raw]


def _neither(env: AppEnvironment, use_bedrock: bool | None) -> ConfigurationError:
    switch = (
        "use_bedrock=False was passed"
        if use_bedrock is False
        else f"{USE_BEDROCK_ENV} is {'not set' if env.use_bedrock is None else 'off'}"
    )
    keys = " or ".join(var for _, var in ANTHROPIC_CREDENTIALS)
    return ConfigurationError(
        "Neither Bedrock nor the Anthropic API is configured.\n"
        f"  Bedrock: {switch}. Set {USE_BEDROCK_ENV}=1 (or pass use_bedrock=True); AWS "
        "credentials and region then come from the usual chain (AWS_PROFILE, keys, SSO, a role).\n"
        f"  Anthropic API: no key; {keys} is not set. Export ANTHROPIC_API_KEY=sk-ant-... "
        "(or pass api_key=...)."
    )


def anthropic_client_from_env(
    *,
    use_bedrock: bool | None = None,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    async_: bool = False,
    load_dotenv: bool = True,
    **client_kwargs: Any,
) -> Anthropic | AsyncAnthropic | AnthropicBedrock | AsyncAnthropicBedrock:
    """The client an app configured: Bedrock with ``CLAUDE_CODE_USE_BEDROCK=1``, else the
    Anthropic API with ``ANTHROPIC_API_KEY`` (or ``ANTHROPIC_AUTH_TOKEN``).

    On Bedrock it is :func:`get_anthropic_client` (``manager``, ``region``, the usual AWS
    chain); on the Anthropic API, ``anthropic.Anthropic`` (``AsyncAnthropic`` with
    ``async_=True``) built with ``client_kwargs``. ``use_bedrock=`` overrides the variable.
    When neither side is configured, one :class:`ConfigurationError` says what each lacks.
    `.env` is loaded first, as the manager does, unless ``load_dotenv=False``.
    """
    env = read_app_environment(load_dotenv)
    if _uses_bedrock(use_bedrock, env):
        return get_anthropic_client(
            manager=manager, region=region, async_=async_, endpoint="runtime", **client_kwargs
        )
    sdk = _sdk("anthropic", "anthropic_client_from_env")
    if not env.has_anthropic_key and not any(
        client_kwargs.get(arg) for arg, _ in ANTHROPIC_CREDENTIALS
    ):
        raise _neither(env, use_bedrock)
    klass = sdk.AsyncAnthropic if async_ else sdk.Anthropic
    client: Anthropic | AsyncAnthropic = klass(**client_kwargs)
    return client


def anthropic_model_from_env(
    model: str | None = None,
    *,
    default: str | None = None,
    use_bedrock: bool | None = None,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    load_dotenv: bool = True,
) -> str:
    """The model for the side :func:`anthropic_client_from_env` picks: ``model``, else
    ``ANTHROPIC_MODEL``, else ``BEDROCK_MODEL_ID``, else ``default``.

    On Bedrock it is resolved for the region (``region``, else the manager's): an alias or
    Anthropic API name becomes the Bedrock id or inference profile, as the manager's live
    catalog lists it (given ``region`` and no ``manager``, the built-in catalog answers and no
    manager is built). For the Anthropic API it is returned unchanged.

    >>> anthropic_model_from_env("claude-sonnet-4-5", use_bedrock=True, region="eu-west-1")
    'eu.anthropic.claude-sonnet-4-5-20250929-v1:0'
    >>> anthropic_model_from_env("claude-sonnet-4-5", use_bedrock=False)
    'claude-sonnet-4-5'
    """
    env = read_app_environment(load_dotenv)
    chosen = model or env.model or default
    if not chosen:
        raise ConfigurationError(
            f"No model given and neither {' nor '.join(MODEL_VARIABLES)} is set. Pass a model "
            "(e.g. 'claude-sonnet-4-6') or export ANTHROPIC_MODEL=claude-sonnet-4-6."
        )
    if not _uses_bedrock(use_bedrock, env):
        return chosen
    if manager is None and region is not None:
        return resolve_model_id(chosen, region)  # the static table: no manager built for a name
    return resolve(manager or get_manager(), chosen, region).model_id


# -- pydantic-ai and LangChain embeddings ------------------------------------------------------


def get_pydantic_ai_model(
    model: str | None = None,
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    endpoint: Literal["runtime", "mantle"] = "runtime",
    **settings: Any,
) -> BedrockConverseModel | Model:
    """A pydantic-ai ``BedrockConverseModel`` on the manager's shared ``bedrock-runtime`` client.

    ``model`` (default ``BEDROCK_MODEL_ID``) is resolved for the region; ``settings`` are
    pydantic-ai model settings (``temperature``, ``max_tokens``, ``bedrock_guardrail_config``,
    ...), the model's defaults.

    ``endpoint="mantle"`` gives pydantic-ai's Bedrock Mantle model for an OpenAI-family model
    (sent keys from the manager's ``api_key_provider``); another model there is a
    :class:`~bedrock_auth.errors.ModelNotAvailableError`.

    >>> from pydantic_ai import Agent                                   # doctest: +SKIP
    >>> Agent(get_pydantic_ai_model("haiku")).run_sync("Hi").output      # doctest: +SKIP
    """
    _check_endpoint(endpoint)
    region = _checked(region)
    if endpoint == "mantle":
        on_mantle = _sdk("bedrock_auth._pydantic_ai_mantle", "get_pydantic_ai_model")
        manager = manager or get_manager()
        chosen = chosen_model(model, manager, "get_pydantic_ai_model")
        built: Model = on_mantle.mantle_model(manager, chosen, region or manager.region, settings)
        return built
    bedrock = _sdk("pydantic_ai.models.bedrock", "get_pydantic_ai_model")
    manager = manager or get_manager()
    resolved = resolve(manager, chosen_model(model, manager, "get_pydantic_ai_model"), region)
    provider = import_module("pydantic_ai.providers.bedrock").BedrockProvider(
        bedrock_client=manager.client("bedrock-runtime", resolved.region)
    )
    model_object: BedrockConverseModel = bedrock.BedrockConverseModel(
        resolved.model_id, provider=provider, settings=dict(settings) or None
    )
    return model_object


def get_embeddings(
    model: str | None = None,
    *,
    manager: BedrockClientManager | None = None,
    region: str | None = None,
    **kwargs: Any,
) -> BedrockEmbeddings:
    """A LangChain ``BedrockEmbeddings`` on the manager's shared ``bedrock-runtime`` client.

    ``model`` defaults to :data:`DEFAULT_EMBEDDINGS_MODEL`; other keyword arguments
    (``model_kwargs``, ``normalize``, ...) go to ``BedrockEmbeddings``.

    >>> get_embeddings().embed_query("hello")[:3]                       # doctest: +SKIP
    """
    langchain_aws = _sdk("langchain_aws", "get_embeddings")
    region = _checked(region)
    manager = manager or get_manager()
    resolved = resolve(manager, model or DEFAULT_EMBEDDINGS_MODEL, region)
    embeddings: BedrockEmbeddings = langchain_aws.BedrockEmbeddings(
        client=manager.client("bedrock-runtime", resolved.region),
        model_id=resolved.model_id,
        region_name=resolved.region,
        **kwargs,
    )
    return embeddings
