"""What an SDK client takes from a manager: the endpoint it addresses, TLS trust, proxies and
timeouts.

The Anthropic and OpenAI adapters build httpx clients of their own; these give them what the
manager's botocore clients use, so one configuration covers every client, and refuse what
botocore refuses for its own clients: a bearer token over plain http. :data:`ENDPOINTS`
describes the two Bedrock endpoints they address (runtime and Mantle) once for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ssl
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bedrock_auth._translate import ErrorContext
from bedrock_auth.errors import ConfigurationError

if TYPE_CHECKING:
    import httpx2

    from bedrock_auth.manager import BedrockClientManager

__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "http_options",
    "mantle_origin",
    "refuse_plain_http",
    "sdk_options",
    "shared_client",
    "timeout_for",
    "verify_for",
]


@dataclass(frozen=True)
class Endpoint:
    """A Bedrock endpoint an SDK client can address."""

    name: str  # runtime or mantle: the adapters' endpoint= word
    service: str  # the service as messages and IAM name it
    signing_name: str  # its SigV4 service name (and IAM prefix)
    url_option: str  # the manager settings that choose its address
    #: The operation (and IAM action) every inference call is, in messages; "" when it
    #: depends on the call (runtime's InvokeModel or its stream).
    operation: str = ""

    def origin(self, manager: BedrockClientManager, region: str) -> str:
        """The endpoint's origin in ``region``, from the manager's settings: runtime's is
        botocore's endpoint for bedrock-runtime (``endpoint_url=``,
        ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, FIPS, partition); Mantle's :func:`mantle_origin`.
        Each API adds its own path."""
        if self.name == "mantle":
            return mantle_origin(manager, region)
        return str(manager.client("bedrock-runtime", region).meta.endpoint_url).rstrip("/")

    def refuse_plain_http(self, url: object, instead: str) -> None:
        """:func:`refuse_plain_http` for this endpoint."""
        refuse_plain_http(url, self.service, self.url_option, instead)

    def context(
        self, manager: BedrockClientManager, region: str, operation: str, model: str
    ) -> ErrorContext:
        """Where a call failed, for its error's message."""
        return ErrorContext(
            service=self.service,
            operation=self.operation or operation,
            region=region,
            model_id=model,
            profile=manager.profile or "",
        )


#: The Bedrock endpoints an SDK client can address.
ENDPOINTS: Mapping[str, Endpoint] = {
    "runtime": Endpoint("runtime", "bedrock-runtime", "bedrock", "endpoint_url="),
    "mantle": Endpoint(
        "mantle", "bedrock-mantle", "bedrock-mantle", "mantle_endpoint_url=", "CreateInference"
    ),
}


def mantle_origin(manager: BedrockClientManager, region: str) -> str:
    """bedrock-mantle's origin in ``region``: the manager's ``mantle_endpoint_url``
    (``AWS_ENDPOINT_URL_BEDROCK_MANTLE``), else AWS's; each API adds its own path."""
    origin = manager.settings.mantle_endpoint_url or f"https://bedrock-mantle.{region}.api.aws"
    return origin.rstrip("/")


def verify_for(manager: BedrockClientManager) -> ssl.SSLContext | bool:
    """The manager's TLS trust: ``verify=``, else AWS_CA_BUNDLE / the profile's ca_bundle."""
    verify = manager.settings.verify
    if verify is None:
        verify = manager.session.get_config_variable("ca_bundle") or True
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


def http_options(manager: BedrockClientManager, transport: type[Any]) -> dict[str, Any]:
    """The HTTP client's TLS trust and proxies, as the manager's botocore clients have them.

    Proxies in ``client_config`` are mounted per scheme, over HTTPS_PROXY/NO_PROXY from the
    environment, which the SDKs' default clients mount themselves (as botocore honours them).
    """
    verify = verify_for(manager)
    config = manager.settings.client_config
    proxies: Mapping[str, str] = (config.proxies if config is not None else None) or {}
    mounts = {
        f"{scheme}://": transport(proxy=url, verify=verify) for scheme, url in proxies.items()
    }
    return {"verify": verify, **({"mounts": mounts} if mounts else {})}


def timeout_for(manager: BedrockClientManager) -> httpx2.Timeout:
    """The manager's connect and read timeouts, as an httpx timeout."""
    import httpx2

    settings = manager.settings
    return httpx2.Timeout(settings.read_timeout, connect=settings.connect_timeout)


def sdk_options(
    manager: BedrockClientManager, sdk: Any, given: Mapping[str, Any], *, is_async: bool
) -> dict[str, Any]:
    """An SDK client's defaults from the manager: timeouts, retries and, unless the caller
    gave ``http_client``, the SDK's own default HTTP client with the manager's TLS and proxies.

    ``sdk`` is the ``anthropic`` or ``openai`` module: both name their clients alike.
    """
    import httpx2

    defaults: dict[str, Any] = {
        "timeout": timeout_for(manager),
        "max_retries": manager.settings.max_retries,
    }
    if given.get("http_client") is None:
        client = sdk.DefaultAsyncHttpxClient if is_async else sdk.DefaultHttpxClient
        transport = httpx2.AsyncHTTPTransport if is_async else httpx2.HTTPTransport
        defaults["http_client"] = client(**http_options(manager, transport))
    return defaults


def refuse_plain_http(url: object, endpoint: str, options: str, instead: str) -> None:
    """Raise :class:`ConfigurationError` unless ``url`` is https: a Bedrock API key is a bearer
    token, and anyone on the path could read it and call Bedrock as its owner.

    Called where an SDK client is built, so nothing has been sent; botocore refuses the same for
    its own clients (``InvalidEndpointConfigurationError``), but only when a request is made.
    ``options`` names the settings that choose the endpoint, ``instead`` how to sign with SigV4
    instead. ``url`` is a string or an ``httpx.URL`` (what an SDK's ``copy()`` passes). A user
    name and password in it are left out of the message.
    """
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme == "https":
        return
    shown = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    raise ConfigurationError(
        f"A Bedrock API key is never sent over plain http; the {endpoint} endpoint is {shown}. "
        f"Use an https endpoint ({options}), or {instead} to sign with SigV4."
    )


def shared_client(
    manager: BedrockClientManager, key: tuple[str, ...], create: Callable[[], Any]
) -> Any:
    """The SDK client ``create`` builds, cached on ``manager`` under ``key`` (built once, shared
    by every caller asking for ``key``) and closed by ``manager.close()``."""
    cached: _Shared | None = manager._clients.get(key)
    if cached is None:
        # Built outside the manager's client lock: building may ask for a botocore client.
        client = create()
        cached = manager._cached(key, lambda: _Shared(client))
        if cached.client is not client:  # another thread's came first
            _Shared(client).close()
    return cached.client


class _Shared:
    """An SDK client in the manager's cache: ``manager.close()`` closes it, sync or async."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def close(self) -> None:
        if not inspect.iscoroutinefunction(self.client.close):
            self.client.close()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            _closing.add(task := loop.create_task(self.client.close()))
            task.add_done_callback(_closing.discard)
            return
        # No loop: the connections' own loop has ended; close what can still be closed.
        with contextlib.suppress(Exception):
            asyncio.run(self.client.close())


_closing: set[asyncio.Task[None]] = set()  # closes in flight, kept from garbage collection
