"""The Anthropic SDK's Bedrock clients, signing with a manager's current credentials.

``anthropic.AnthropicBedrock`` resolves credentials once, from static keys or a profile, into a
boto3 session of its own; role, SSO and container credentials therefore stop working when they
expire, and it reads ``AWS_BEARER_TOKEN_BEDROCK`` whenever no key is given. The subclasses here
sign each request (each retry too) with botocore's SigV4 signer and the manager's own refreshing
credentials, take region, endpoint, timeouts, retries, proxies and CA bundle from the manager,
map ``model=`` through the catalog, and turn credential failures into this library's errors.

The same holds for ``anthropic.AnthropicBedrockMantle`` (bedrock-mantle's Anthropic Messages API,
SigV4 service ``bedrock-mantle``, bare model ids such as ``anthropic.claude-sonnet-5``): it is
built with ``skip_auth=True`` so that it neither reads credentials nor a key of its own, and each
request is signed here; in API-key mode it sends the keys of the manager's ``api_key_provider``.

Tested with anthropic 2.10 to 2.12 (the ``anthropic`` extra pins that range). Two SDK hooks are
used: the public ``Middleware`` (models and errors) and the protected ``_prepare_request``, the
only hook that runs on a built request before it is sent; the SDK signs there itself.

Imported only by :mod:`bedrock_auth.adapters`, when a client is asked for.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anthropic
import anyio.to_thread
import httpx2
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, NoCredentialsError

from bedrock_auth import _mantle as mantle
from bedrock_auth._calls import resolve
from bedrock_auth._http import ENDPOINTS, sdk_options
from bedrock_auth._translate import ErrorContext, cause_of, translate_error
from bedrock_auth.errors import (
    AccessDeniedError,
    BedrockAuthError,
    ConfigurationError,
    ExpiredCredentialsError,
    InvalidCredentialsError,
)
from bedrock_auth.regions import check_region

if TYPE_CHECKING:
    from typing_extensions import Self

    from bedrock_auth.manager import BedrockClientManager

__all__ = [
    "ManagedAnthropicBedrock",
    "ManagedAnthropicBedrockMantle",
    "ManagedAsyncAnthropicBedrock",
    "ManagedAsyncAnthropicBedrockMantle",
]

#: Where each endpoint serves the SDK, below its origin: runtime's InvokeModel paths are whole.
_PATHS = {"runtime": "", "mantle": mantle.ANTHROPIC_PATH}
#: Constructor arguments that would give the client credentials of its own.
FOREIGN_CREDENTIALS = ("aws_access_key", "aws_secret_key", "aws_session_token", "aws_profile")
#: How a manager in API-key mode signs with SigV4 instead (for the plain-http refusal).
_IAM_INSTEAD = "a manager with IAM credentials instead of the key (BEDROCK_AUTH_MODE=iam)"
#: Translated errors that mean "these credentials cannot do this"; others stay the SDK's.
CREDENTIAL_ERRORS = (ExpiredCredentialsError, InvalidCredentialsError, AccessDeniedError)
# The last segment of an InvokeModel path names the operation (for messages and IAM actions).
_OPERATIONS = {
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
}


class _Binding:
    """What ties one client to its manager: endpoint, region, and how a request is signed."""

    def __init__(self, manager: BedrockClientManager, region: str, endpoint: str) -> None:
        self.manager = manager
        self.region = check_region(region)  # once: each request's model is resolved in it
        self.endpoint = ENDPOINTS[endpoint]
        # Keys go to this client only in the opted-in API-key mode; in IAM mode the client
        # must never sign with AWS_BEARER_TOKEN_BEDROCK, which the SDKs read themselves.
        bearer = manager.source.signs_with_bearer
        self.api_key = manager.settings.api_key if bearer and endpoint == "runtime" else None
        self.keys = manager.api_key_provider(self.region) if bearer else None

    def url(self, region: str) -> str:
        """This endpoint's base URL in ``region``, from the manager's settings."""
        return self.endpoint.origin(self.manager, region) + _PATHS[self.endpoint.name]

    def context(self, url: str) -> ErrorContext:
        """Where a failure happened: on runtime, operation and model come from the path."""
        parts = urllib.parse.urlsplit(url).path.split("/")
        model = urllib.parse.unquote(parts[2]) if len(parts) > 3 and parts[1] == "model" else ""
        operation = _OPERATIONS.get(parts[-1], "")
        return self.endpoint.context(self.manager, self.region, operation, model)

    def sign(self, request: httpx2.Request) -> None:
        """Add the Authorization headers: an API key, else SigV4 with current credentials."""
        if self.keys is not None:
            request.headers["Authorization"] = f"Bearer {self.keys()}"
            return
        # Proxies may drop or rewrite "connection", so it is left out of the signature (as
        # the SDK's own signer does).
        headers = {k: v for k, v in request.headers.items() if k.lower() != "connection"}
        aws = AWSRequest(request.method, str(request.url), headers, request.read())
        signing_name = self.endpoint.signing_name
        SigV4Auth(self.frozen_credentials(), signing_name, self.region).add_auth(aws)
        request.headers.update({k: v for k, v in aws.headers.items() if v is not None})

    def frozen_credentials(self) -> Any:
        """The manager's credentials now: botocore refreshes them first if they are due.

        Frozen once per request, so the key, secret and token that sign it belong together.
        A failure is the credential source's (SSO, STS AssumeRole, ...), not Bedrock's.
        """
        try:
            credentials = self.manager.session.get_credentials()
            if credentials is None:
                raise NoCredentialsError()
            return credentials.get_frozen_credentials()
        except BedrockAuthError:
            raise
        except Exception as exc:
            ctx = ErrorContext(
                service="sts",
                operation=getattr(exc, "operation_name", ""),
                region=self.region,
                profile=self.manager.profile or "",
            )
            raise translate_error(exc, ctx) from cause_of(exc)

    def model(self, request: anthropic.APIRequest) -> anthropic.APIRequest:
        """The request with ``model`` resolved for this client's region (aliases, API names),
        or on Mantle to the id the model data gives it there."""
        body = request.json
        if not isinstance(body, Mapping) or not isinstance(body.get("model"), str):
            return request
        if self.endpoint.name == "mantle":
            model_id = mantle.route(
                body["model"], (mantle.ANTHROPIC_PATH,), "AnthropicBedrockMantle"
            )[0]
            return request.copy(body={**body, "model": model_id})
        resolved = resolve(self.manager, body["model"], self.region)
        return request.copy(body={**body, "model": resolved.model_id})

    def credential_error(self, response: httpx2.Response) -> BedrockAuthError | None:
        """This library's error for a response that refuses the credentials, else None."""
        # Bedrock names the error in a header ("AccessDeniedException:http://...").
        code = response.headers.get("x-amzn-errortype", "").split(":", 1)[0]
        body = _json(response)
        message = str(body.get("message") or body.get("Message") or "") if body else ""
        ctx = self.context(str(response.request.url))
        error = ClientError(
            {
                "Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": response.status_code},
            },
            ctx.operation or "InvokeModel",
        )
        translated = translate_error(error, ctx)
        if not isinstance(translated, CREDENTIAL_ERRORS):
            return None
        # The SDK's own error stays reachable as the cause, with the response.
        translated.__cause__ = anthropic.APIStatusError(
            f"Error code: {response.status_code} - {body or message}", response=response, body=body
        )
        return translated


def _json(response: httpx2.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class _ManagerMiddleware(anthropic.Middleware):
    """Maps ``model=`` through the catalog and raises credential failures as typed errors.

    Middleware runs once per attempt; an exception raised here reaches the caller as it is.
    """

    def __init__(self, binding: _Binding) -> None:
        self.binding = binding

    def handle(
        self, request: anthropic.APIRequest, call_next: anthropic.CallNext
    ) -> anthropic.APIResponse[Any]:
        response = call_next(self.binding.model(request))
        if not response.http_response.is_success:
            response.http_response.read()
            self._raise_for_credentials(response.http_response)
        return response

    async def handle_async(
        self, request: anthropic.APIRequest, call_next: anthropic.AsyncCallNext
    ) -> anthropic.AsyncAPIResponse[Any]:
        # Resolving may ask Bedrock's control plane (a model the table does not know, up to
        # LISTING_TIMEOUT): on a worker thread, as the SDK signs, never on the event loop.
        resolved = await anyio.to_thread.run_sync(self.binding.model, request)
        response = await call_next(resolved)
        if not response.http_response.is_success:
            await response.http_response.aread()
            self._raise_for_credentials(response.http_response)
        return response

    def _raise_for_credentials(self, response: httpx2.Response) -> None:
        error = self.binding.credential_error(response)
        if error is not None:
            raise error


def _options(binding: _Binding, given: dict[str, Any], *, is_async: bool) -> dict[str, Any]:
    """The SDK constructor's arguments: the manager's defaults, then what the caller gave."""
    foreign = [name for name in FOREIGN_CREDENTIALS if given.get(name) is not None]
    if given.get("api_key") not in (None, binding.api_key):
        foreign.append("api_key")
    if foreign:
        raise ConfigurationError(
            f"get_anthropic_client() signs with the manager's credentials; {', '.join(foreign)} "
            "cannot be passed to the client. Give them to the manager instead, e.g. "
            "BedrockClientManager(profile=...), (access_key_id=..., secret_access_key=...) or "
            "(api_key=...), and pass manager=."
        )
    manager, endpoint = binding.manager, binding.endpoint
    base_url = given.get("base_url") or binding.url(binding.region)
    if binding.keys is not None:
        endpoint.refuse_plain_http(base_url, _IAM_INSTEAD)
    defaults = {"base_url": base_url, **sdk_options(manager, anthropic, given, is_async=is_async)}
    ours = [m for m in given.get("middleware") or () if not isinstance(m, _ManagerMiddleware)]
    # The Mantle client signs nothing itself (skip_auth): it would read AWS_BEARER_TOKEN_BEDROCK
    # or a boto3 session of its own, and it can hold static keys only.
    auth = {"skip_auth": True} if endpoint.name == "mantle" else {"api_key": binding.api_key}
    return {
        **defaults,
        **{k: v for k, v in given.items() if v is not None},
        "aws_region": binding.region,
        **auth,
        # First, so that later middleware sees the resolved model id.
        "middleware": [_ManagerMiddleware(binding), *ours],
    }


def _copy_changes(binding: _Binding, changes: dict[str, Any]) -> dict[str, Any]:
    """``copy()``/``with_options()`` arguments that keep the manager (and a new region's URL)."""
    region = changes.get("aws_region")
    if region and region != binding.region and not changes.get("base_url"):
        changes["base_url"] = binding.url(region)
    extra = {"manager": binding.manager, **changes.pop("_extra_kwargs", {})}
    return {**changes, "_extra_kwargs": extra}


class _OnManager:
    """What both clients add to the SDK's: the manager's region, credentials and settings.

    Mixed in before the SDK's class, whose ``__init__`` and ``copy`` it extends.
    """

    _bedrock: _Binding
    _is_async: bool = False
    _endpoint: str = "runtime"

    def __init__(self, *, manager: BedrockClientManager, **options: Any) -> None:
        region = options.get("aws_region") or manager.region
        binding = _Binding(manager, region, self._endpoint)
        super().__init__(**_options(binding, options, is_async=self._is_async))
        self._bedrock = binding
        # Undoes the SDK's own fallback to AWS_BEARER_TOKEN_BEDROCK when api_key is None.
        self.api_key = binding.api_key

    @property
    def manager(self) -> BedrockClientManager:
        """The manager whose credentials sign this client's requests."""
        return self._bedrock.manager

    def copy(self, **changes: Any) -> Self:
        """A new client with ``changes``, on the same manager (see the SDK's ``copy``)."""
        return super().copy(**_copy_changes(self._bedrock, changes))  # type: ignore[misc,no-any-return]

    with_options = copy


class _SignsSync:
    """The sync clients' signing hook."""

    _bedrock: _Binding

    # anthropic 2.10-2.12: the protected hook the SDK itself signs in, called on every attempt
    # with the built request. Replaced whole: the SDK's version builds a boto3 session of its own.
    def _prepare_request(self, request: httpx2.Request) -> None:
        self._bedrock.sign(request)


class _SignsAsync:
    """The async clients' signing hook."""

    _bedrock: _Binding
    _is_async = True

    # anthropic 2.10-2.12, as for the sync clients. Signing may refresh credentials or mint a
    # key (an STS or SSO call), so it runs in a worker thread, as the SDK's own signer does.
    async def _prepare_request(self, request: httpx2.Request) -> None:
        await anyio.to_thread.run_sync(self._bedrock.sign, request)


class ManagedAnthropicBedrock(_SignsSync, _OnManager, anthropic.AnthropicBedrock):
    """``anthropic.AnthropicBedrock`` on a :class:`~bedrock_auth.BedrockClientManager`."""


class ManagedAsyncAnthropicBedrock(_SignsAsync, _OnManager, anthropic.AsyncAnthropicBedrock):
    """``anthropic.AsyncAnthropicBedrock`` on a :class:`~bedrock_auth.BedrockClientManager`."""


class ManagedAnthropicBedrockMantle(_SignsSync, _OnManager, anthropic.AnthropicBedrockMantle):
    """``anthropic.AnthropicBedrockMantle`` on a :class:`~bedrock_auth.BedrockClientManager`."""

    _endpoint = "mantle"


class ManagedAsyncAnthropicBedrockMantle(
    _SignsAsync, _OnManager, anthropic.AsyncAnthropicBedrockMantle
):
    """``anthropic.AsyncAnthropicBedrockMantle`` on a
    :class:`~bedrock_auth.BedrockClientManager`."""

    _endpoint = "mantle"
