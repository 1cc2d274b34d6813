"""The OpenAI SDK on Bedrock's OpenAI-compatible endpoints, signing with a manager's credentials.

Bedrock serves Chat Completions and Responses on bedrock-runtime (``/openai/v1``, SigV4 service
name ``bedrock``) and on bedrock-mantle (``/v1`` or ``/openai/v1`` depending on the model,
SigV4 service name ``bedrock-mantle``, bare model ids). The ``openai`` SDK's own Bedrock provider
(``openai.providers.bedrock``) signs and sends; what this module adds:

- credentials: SigV4 from the manager's refreshing credentials, frozen once per request, or a
  short-term API key from :meth:`~bedrock_auth.BedrockClientManager.api_key_provider`;
- the base URL, always given explicitly (from the region, ``endpoint_url`` / botocore's
  ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` for runtime, ``mantle_endpoint_url`` for Mantle), so the
  SDK never falls back to ``AWS_BEDROCK_BASE_URL``, ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` or
  ``AWS_BEARER_TOKEN_BEDROCK``; a key is never sent over plain http;
- ``model=`` resolved per request from the model data: the runtime id or inference profile for
  the region, or Mantle's bare id and path;
- the manager's TLS trust, proxies, timeouts and retries;
- errors: expired, rejected or denied credentials and throttling become this library's typed
  errors; secrets are removed from every request once it is sent, so no error, response or
  cause carries them.

Tested with openai 3.63 (the ``openai`` extra pins the range): two protected hooks of the SDK
client are extended, ``_prepare_options`` (the model and Mantle path) and ``_send_request``
(secrets dropped after sending). Imported only by :mod:`bedrock_auth.adapters`.
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import httpx2
import openai
from botocore.exceptions import ClientError
from openai.providers import bedrock

from bedrock_auth._api_keys import ApiKeyProvider, current_credentials
from bedrock_auth._calls import resolve
from bedrock_auth._http import ENDPOINTS, sdk_options, shared_client
from bedrock_auth._redact import redact_exception
from bedrock_auth._translate import ErrorContext, translate_error
from bedrock_auth.errors import (
    AccessDeniedError,
    BedrockAuthError,
    ClockSkewError,
    ConfigurationError,
    ExpiredCredentialsError,
    InvalidCredentialsError,
    ModelNotAvailableError,
    ServiceUnavailableError,
    ThrottlingError,
)
from bedrock_auth.models import get_model_info
from bedrock_auth.regions import check_region
from bedrock_auth.sources import AUTH_MODE_ENV, AUTH_MODES

if TYPE_CHECKING:
    from botocore.credentials import ReadOnlyCredentials
    from openai._models import FinalRequestOptions
    from typing_extensions import Self

    from bedrock_auth.manager import BedrockClientManager

__all__ = ["ENDPOINTS", "ManagedAsyncOpenAI", "ManagedOpenAI", "base_url_for", "openai_client"]

#: Where the OpenAI-compatible APIs live on each endpoint; Mantle's is per model, this by default.
_BASE_PATHS = {"runtime": "/openai/v1", "mantle": "/v1"}
#: Mantle's OpenAI-compatible paths (the model data also knows ``/anthropic``).
_OPENAI_PATHS = ("/v1", "/openai/v1")
#: Constructor arguments that would give the client credentials or an address of its own.
_FOREIGN = ("api_key", "admin_api_key", "workload_identity", "provider", "base_url")
#: Headers that carry a secret (a key, a signature, a session token): dropped once sent.
_SECRET_HEADERS = ("authorization", "x-amz-security-token")
#: Translated errors that are raised instead of the SDK's (which becomes their cause).
_TYPED = (
    ExpiredCredentialsError,
    InvalidCredentialsError,
    AccessDeniedError,
    ClockSkewError,
    ThrottlingError,
    ServiceUnavailableError,
)


def base_url_for(manager: BedrockClientManager, endpoint: str, region: str) -> str:
    """The OpenAI-compatible base URL of ``endpoint`` in ``region``, from the manager's settings:
    runtime's is botocore's endpoint for bedrock-runtime (``endpoint_url=``,
    ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, FIPS, partition) plus ``/openai/v1``; Mantle's is
    ``mantle_endpoint_url`` (``AWS_ENDPOINT_URL_BEDROCK_MANTLE``), else AWS's, plus ``/v1``."""
    return ENDPOINTS[endpoint].origin(manager, region) + _BASE_PATHS[endpoint]


def _mantle_route(model: str) -> tuple[str, str]:
    """(Mantle's id, its path) for ``model``; a model unknown to the data passes unchanged."""
    info = get_model_info(model)
    if info is None:
        return model, _BASE_PATHS["mantle"]
    route = info.mantle
    if route is None or route.path not in _OPENAI_PATHS:
        served = (
            f"only through the Anthropic Messages API ({route.path})"
            if route is not None
            else "not at all, as far as bedrock-auth's model data knows"
        )
        raise ModelNotAvailableError(
            f"{model} ({info.model_id}) is served on bedrock-mantle's OpenAI-compatible API "
            f"{served}. Call it on get_openai_client(endpoint='runtime'), or pick a model the "
            "data puts on Mantle (bedrock_auth.models.get_model_info(name).mantle)."
        )
    return route.model_id, route.path


def _refuse_mantle_only(model: str) -> None:
    """A model the data puts only on bedrock-mantle (no bedrock-runtime Region or profile) is
    refused before sending: the static table passes its id through, and runtime would 404."""
    info = get_model_info(model)
    if info is None or info.mantle is None or info.on_demand_regions or info.geographies:
        return
    raise ModelNotAvailableError(
        f"{model} is served only on bedrock-mantle, as far as bedrock-auth's model data knows. "
        "Call it on get_openai_client(endpoint='mantle')."
    )


@dataclass
class _Binding:
    """What ties one client to its manager: endpoint, region, auth and how to name failures."""

    manager: BedrockClientManager
    endpoint: str
    region: str
    auth: str
    base_url: str
    keys: ApiKeyProvider | None = field(default=None, repr=False)

    @property
    def origin(self) -> str:
        parts = urllib.parse.urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def credentials(self) -> ReadOnlyCredentials:
        """The manager's credentials for one request: refreshed first if due, then frozen."""
        return current_credentials(self.manager, self.region)[0]

    def key(self) -> str:
        assert self.keys is not None
        return self.keys()

    async def akey(self) -> str:
        """The key for an async client: from the cache, or minted in a worker thread."""
        assert self.keys is not None
        known = self.keys.cached()
        return known if known is not None else await anyio.to_thread.run_sync(self.keys)

    def model(self, options: FinalRequestOptions) -> FinalRequestOptions:
        """``options`` with the model id (and on Mantle the path) the model data gives."""
        body = options.json_data
        if not isinstance(body, Mapping) or not isinstance(body.get("model"), str):
            return options
        if self.endpoint == "runtime":
            _refuse_mantle_only(body["model"])
            model_id = resolve(self.manager, body["model"], self.region).model_id
        else:
            model_id, path = _mantle_route(body["model"])
            if path != _BASE_PATHS["mantle"] and options.url.startswith("/"):
                options.url = f"{self.origin}{path}{options.url}"
        options.json_data = {**body, "model": model_id}
        return options

    def context(self, request: httpx2.Request) -> ErrorContext:
        """Where a request failed: the operation (and IAM action) and the model it named."""
        body = _sent_body(request)
        model = body.get("model")
        # Runtime's operation depends on the call (Mantle names one for all).
        operation = "InvokeModelWithResponseStream" if body.get("stream") is True else "InvokeModel"
        return ENDPOINTS[self.endpoint].context(
            self.manager, self.region, operation, model if isinstance(model, str) else ""
        )

    def status_error(self, error: openai.APIStatusError) -> BedrockAuthError | None:
        """This library's error for a refused call (credentials, permission, throttling)."""
        response = error.response
        code = response.headers.get("x-amzn-errortype", "").split(":", 1)[0]
        body = error.body if isinstance(error.body, Mapping) else {}
        message = str(body.get("message") or body.get("Message") or error.message)
        client_error = ClientError(
            {
                "Error": {"Code": code or str(body.get("type") or ""), "Message": message},
                "ResponseMetadata": {
                    "HTTPStatusCode": response.status_code,
                    "HTTPHeaders": dict(response.headers),
                },
            },
            "",
        )
        translated = translate_error(client_error, self.context(response.request))
        if not isinstance(translated, _TYPED):
            return None
        if self.keys is not None and isinstance(translated, _CREDENTIAL_ERRORS):
            self.keys.invalidate()  # the next request reads the credentials again
        return translated


_CREDENTIAL_ERRORS = (ExpiredCredentialsError, InvalidCredentialsError)


def _sent_body(request: httpx2.Request) -> dict[str, Any]:
    """The JSON body a request carried ({} for none)."""
    try:
        body = json.loads(request.content or b"{}")
    except (ValueError, httpx2.RequestNotRead):
        return {}
    return body if isinstance(body, dict) else {}


def _scrub(request: httpx2.Request) -> None:
    """Drop the secrets from a request that has been sent: errors and responses keep it."""
    for name in _SECRET_HEADERS:
        if name in request.headers:
            request.headers[name] = "***"


def _typed_cause(error: BaseException) -> BedrockAuthError | None:
    """Our error inside one the SDK wrapped it in (a credential or key provider's failure)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BedrockAuthError):
            return seen
        seen = seen.__cause__
    return None


@contextlib.contextmanager
def _translating(binding: _Binding) -> Iterator[None]:
    try:
        yield
    except openai.APIStatusError as error:
        translated = binding.status_error(error)  # reads the response: before it is scrubbed
        redact_exception(error)
        if translated is None:
            raise
        raise translated from error
    except openai.OpenAIError as error:
        typed = _typed_cause(error)
        if typed is None:
            raise
        raise typed from typed.__cause__


def _provider(binding: _Binding, is_async: bool) -> Any:
    if binding.auth == "iam":
        return bedrock(
            endpoint=binding.endpoint,  # type: ignore[arg-type]
            region=binding.region,
            base_url=binding.base_url,
            credential_provider=binding.credentials,
        )
    return bedrock(
        endpoint=binding.endpoint,  # type: ignore[arg-type]
        region=binding.region,
        base_url=binding.base_url,
        token_provider=binding.akey if is_async else binding.key,
    )


def _options(binding: _Binding, given: dict[str, Any], *, is_async: bool) -> dict[str, Any]:
    """The SDK constructor's arguments: the manager's defaults, then what the caller gave."""
    foreign = [name for name in _FOREIGN if given.get(name) is not None]
    if foreign:
        raise ConfigurationError(
            f"get_openai_client() signs with the manager's credentials and builds the endpoint "
            f"URL itself; {', '.join(foreign)} cannot be passed to the client. Give credentials "
            "to the manager (profile=, keys, role_arn=, api_key=), choose the endpoint with "
            "endpoint='runtime'|'mantle' and region=, or set endpoint_url= / "
            "mantle_endpoint_url= on the manager."
        )
    defaults = sdk_options(binding.manager, openai, given, is_async=is_async)
    return {**defaults, **given, "provider": _provider(binding, is_async)}


class _OnManager:
    """What both clients add to the SDK's: the manager's endpoint, credentials and settings."""

    _bedrock: _Binding
    _is_async: bool = False

    def __init__(self, *, binding: _Binding, **options: Any) -> None:
        if "provider" not in options:  # a copy() passes the provider it already has
            options = _options(binding, options, is_async=self._is_async)
        super().__init__(**options)
        self._bedrock = binding

    @property
    def manager(self) -> BedrockClientManager:
        """The manager whose credentials sign this client's requests."""
        return self._bedrock.manager

    @property
    def bedrock_endpoint(self) -> str:
        """``runtime`` or ``mantle``."""
        return self._bedrock.endpoint

    def copy(self, **changes: Any) -> Self:
        """A new client with ``changes``, on the same manager and endpoint."""
        foreign = [name for name in _FOREIGN if changes.get(name) is not None]
        if foreign:
            raise ConfigurationError(
                f"copy()/with_options() cannot change {', '.join(foreign)}: build another "
                "client with get_openai_client(endpoint=..., region=..., manager=...)."
            )
        extra = {"binding": self._bedrock, **changes.pop("_extra_kwargs", {})}
        return super().copy(**changes, _extra_kwargs=extra)  # type: ignore[misc,no-any-return]

    with_options = copy

    def __repr__(self) -> str:
        b = self._bedrock
        return (
            f"<{type(self).__name__} endpoint={b.endpoint!r} region={b.region!r} "
            f"auth={b.auth!r} base_url={b.base_url!r}>"
        )


class ManagedOpenAI(_OnManager, openai.OpenAI):
    """``openai.OpenAI`` on Bedrock's OpenAI-compatible APIs and a manager's credentials."""

    def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
        return super()._prepare_options(self._bedrock.model(options))

    def _send_request(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        try:
            return super()._send_request(request, **kwargs)
        finally:
            _scrub(request)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        with _translating(self._bedrock):
            return super().request(*args, **kwargs)


class ManagedAsyncOpenAI(_OnManager, openai.AsyncOpenAI):
    """``openai.AsyncOpenAI`` on Bedrock's OpenAI-compatible APIs and a manager's credentials."""

    _is_async = True

    async def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
        body = options.json_data
        if isinstance(body, Mapping) and isinstance(body.get("model"), str):
            # Resolving may ask Bedrock for the account's listing (hourly): off the loop.
            options = await anyio.to_thread.run_sync(self._bedrock.model, options)
        return await super()._prepare_options(options)

    async def _send_request(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        try:
            return await super()._send_request(request, **kwargs)
        finally:
            _scrub(request)

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        with _translating(self._bedrock):
            return await super().request(*args, **kwargs)


def _auth_for(manager: BedrockClientManager, auth: str | None) -> str:
    if auth is None:
        return "api_key" if manager.source.signs_with_bearer else "iam"
    if auth not in AUTH_MODES:
        raise ConfigurationError(
            f"auth={auth!r} is not accepted. Accepted: {', '.join(AUTH_MODES)} (the words of "
            f"{AUTH_MODE_ENV}), or None to follow the manager."
        )
    return auth


def _binding(manager: BedrockClientManager, endpoint: str, region: str, auth: str) -> _Binding:
    base_url = base_url_for(manager, endpoint, region)
    if auth == "api_key":
        ENDPOINTS[endpoint].refuse_plain_http(base_url, "auth='iam'")
    keys = manager.api_key_provider(region) if auth == "api_key" else None
    return _Binding(manager, endpoint, region, auth, base_url, keys)


def openai_client(
    manager: BedrockClientManager,
    *,
    endpoint: str = "runtime",
    auth: str | None = None,
    region: str | None = None,
    async_: bool = False,
    **client_kwargs: Any,
) -> ManagedOpenAI | ManagedAsyncOpenAI:
    """See :func:`bedrock_auth.get_openai_client`."""
    if endpoint not in ENDPOINTS:
        raise ConfigurationError(
            f"endpoint={endpoint!r} is not accepted. Accepted: {', '.join(ENDPOINTS)}."
        )
    chosen_auth = _auth_for(manager, auth)
    chosen_region = check_region(region or manager.region)
    klass = ManagedAsyncOpenAI if async_ else ManagedOpenAI
    if client_kwargs:  # options of its own: a client the caller owns
        binding = _binding(manager, endpoint, chosen_region, chosen_auth)
        return klass(binding=binding, **client_kwargs)
    key = ("openai", endpoint, chosen_region, chosen_auth, "async" if async_ else "sync")
    return shared_client(  # type: ignore[no-any-return]
        manager, key, lambda: klass(binding=_binding(manager, endpoint, chosen_region, chosen_auth))
    )
