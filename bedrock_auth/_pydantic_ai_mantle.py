"""``get_pydantic_ai_model(model, endpoint="mantle")``: pydantic-ai's Bedrock Mantle models
(OpenAI-family only, as pydantic-ai serves them) on a manager.

pydantic-ai's ``BedrockMantleProvider`` calls ``with_options(base_url=...)`` on the client it is
given (for ``/v1`` and ``/openai/v1``), which the clients of :func:`get_openai_client` refuse
(their address is the manager's); openai's ``AsyncBedrockOpenAI`` takes it, and its
``bedrock_token_provider`` is called for every request: here the manager's
``api_key_provider``, so keys are minted from the manager's credentials again before they or
the credentials expire (in API-key mode it gives the configured key). The address is the
manager's Mantle origin, the HTTP client has the manager's TLS trust and proxies, and a key is
never sent over plain http. One such client serves every model of a (manager, region), cached
with the manager's clients and closed by ``manager.close()``; the provider's
``with_options`` copies share its connections and leave it unchanged.

Imported only by :func:`bedrock_auth.get_pydantic_ai_model`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import openai
from pydantic_ai.models.bedrock_mantle import BedrockMantleChatModel, BedrockMantleResponsesModel
from pydantic_ai.providers.bedrock_mantle import (
    BedrockMantleProvider,
    bedrock_mantle_model_profile,
)

from bedrock_auth import _mantle as mantle
from bedrock_auth._http import ENDPOINTS, sdk_options, shared_client
from bedrock_auth.errors import ModelNotAvailableError

if TYPE_CHECKING:
    from bedrock_auth.manager import BedrockClientManager

__all__ = ["mantle_model"]

#: The provider prefix of the models pydantic-ai's Mantle provider serves.
_OPENAI_PREFIX = "openai."
#: What signs with SigV4 instead of keys, for the plain-http refusal.
_SIGV4_INSTEAD = "get_openai_client(endpoint='mantle', auth='iam')"


def mantle_model(
    manager: BedrockClientManager, model: str, region: str, settings: Mapping[str, Any]
) -> BedrockMantleChatModel | BedrockMantleResponsesModel:
    """The pydantic-ai Mantle model for the OpenAI-family ``model`` in ``region``."""
    caller = 'get_pydantic_ai_model(endpoint="mantle")'
    model_id, _path = mantle.route(model, mantle.OPENAI_PATHS, caller)
    if not model_id.startswith(_OPENAI_PREFIX):  # pydantic-ai serves OpenAI models only there
        raise ModelNotAvailableError(
            f"{caller} serves OpenAI models (ids {_OPENAI_PREFIX}*) only, as pydantic-ai's "
            f"Bedrock Mantle provider does; {model!r} is not one. Use endpoint='runtime'."
        )
    # The provider derives its clients with with_options() (copies sharing the connections):
    # the manager's client is never changed.
    provider = BedrockMantleProvider(openai_client=_shared_client(manager, region))
    # pydantic-ai's own routing (infer_model): the profile names the endpoint family.
    chat = bedrock_mantle_model_profile(model_id).get("bedrock_mantle_interface") == "chat"
    klass = BedrockMantleChatModel if chat else BedrockMantleResponsesModel
    return klass(model_id, provider=provider, settings=dict(settings) or None)  # type: ignore[arg-type]


def _shared_client(manager: BedrockClientManager, region: str) -> openai.AsyncBedrockOpenAI:
    """The manager's ``AsyncBedrockOpenAI`` for Mantle in ``region``: one per (manager, Region),
    closed by ``manager.close()``."""

    def create() -> openai.AsyncBedrockOpenAI:
        origin = ENDPOINTS["mantle"].origin(manager, region)
        ENDPOINTS["mantle"].refuse_plain_http(origin, _SIGV4_INSTEAD)
        return openai.AsyncBedrockOpenAI(
            bedrock_token_provider=manager.api_key_provider(region).aget,
            aws_region=region,
            base_url=f"{origin}{mantle.OPENAI_PATHS[1]}",  # the provider derives both paths
            **sdk_options(manager, openai, {}, is_async=True),
        )

    key = ("openai-bedrock", "mantle", region, "async")
    return shared_client(manager, key, create)  # type: ignore[no-any-return]
