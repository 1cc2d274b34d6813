"""The HTTP settings an SDK client takes from a manager: TLS trust, proxies and timeouts.

The Anthropic and OpenAI adapters build httpx clients of their own; these give them what the
manager's botocore clients use, so one configuration covers every client.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2

    from bedrock_auth.manager import BedrockClientManager

__all__ = ["http_options", "timeout_for", "verify_for"]


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
