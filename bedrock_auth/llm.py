"""`get_llm()`: a LangChain chat model on the manager's shared, validated clients.

langchain-aws builds a boto3 Session and two clients for every model when keys or a profile
are given; here every model reuses the manager's cached ``bedrock-runtime`` and ``bedrock``
clients, so a model costs a few hundred microseconds instead of a few hundred milliseconds.

>>> from bedrock_auth import get_llm
>>> llm = get_llm("claude-sonnet-4-5", temperature=0)          # doctest: +SKIP
>>> llm.invoke("Say hi").content                               # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

from bedrock_auth.errors import FAILOVER_ERRORS, ConfigurationError
from bedrock_auth.models import resolve_model_id
from bedrock_auth.profiles import base_model_of, provider_for

if TYPE_CHECKING:
    from langchain_aws import ChatBedrock, ChatBedrockConverse
    from langchain_core.runnables import Runnable

    from bedrock_auth.manager import BedrockClientManager

logger = logging.getLogger("bedrock_auth")

EXAMPLE_MODELS = (
    "claude-sonnet-4-5",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "amazon.nova-lite-v1:0",
)
INSTALL_HINT = 'get_llm needs langchain-aws: pip install "bedrock-auth[langchain]"'


def model_from_env(model: str | None) -> str:
    """``model``, else ``BEDROCK_MODEL_ID``, else a :class:`ConfigurationError` showing ids."""
    chosen = model or os.environ.get("BEDROCK_MODEL_ID", "").strip()
    if not chosen:
        raise ConfigurationError(
            "No model given and BEDROCK_MODEL_ID is not set. Pass a model, e.g. "
            f"get_llm({EXAMPLE_MODELS[0]!r}), or export BEDROCK_MODEL_ID="
            f"{EXAMPLE_MODELS[1]} (other examples: {', '.join(EXAMPLE_MODELS[2:])})."
        )
    return chosen


def _adapters() -> Any:
    try:
        return import_module("bedrock_auth._langchain")
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc


def _one_model(
    klass: Any, model: str, region: str, manager: BedrockClientManager, model_kwargs: dict[str, Any]
) -> ChatBedrockConverse | ChatBedrock:
    model_id = resolve_model_id(model, region)
    kwargs: dict[str, Any] = {
        "client": manager.client("bedrock-runtime", region),
        "bedrock_client": manager.client("bedrock", region),
        "model": model_id,
        "region_name": region,
        **model_kwargs,
    }
    if model_id.startswith("arn:"):
        kwargs.setdefault("provider", provider_for(manager, model_id, region) or "")
        base = base_model_of(manager, model_id, region)
        if base:
            kwargs.setdefault("base_model", base)
    return klass(**kwargs)  # type: ignore[no-any-return]


def get_llm(
    model: str | None = None,
    *,
    region: str | None = None,
    manager: BedrockClientManager | None = None,
    api: Literal["converse", "invoke"] = "converse",
    fallback_regions: Sequence[str] | None = None,
    **model_kwargs: Any,
) -> ChatBedrockConverse | ChatBedrock | Runnable[Any, Any]:
    """A LangChain chat model for ``model`` on the manager's shared clients.

    ``model`` may be an alias (``claude-sonnet-4-5``, ``haiku``), an Anthropic API name, a
    Bedrock id, an inference-profile id or an ARN; ``None`` reads ``BEDROCK_MODEL_ID``. Other
    keyword arguments (``temperature``, ``max_tokens``, ``stop``, ``guardrail_config``, ...) go to
    ``ChatBedrockConverse``. ``api="invoke"`` returns the legacy ``ChatBedrock``.
    ``fallback_regions`` wraps the model with LangChain's ``with_fallbacks`` over the same model
    in those regions, used only on throttling, unavailability and endpoint errors.

    >>> llm = get_llm("haiku", max_tokens=256)                     # doctest: +SKIP
    >>> for chunk in llm.stream("Count to 3"):                       # doctest: +SKIP
    ...     print(chunk.content, end="")
    """
    if api not in ("converse", "invoke"):
        raise ConfigurationError(f"api={api!r}. Accepted: 'converse', 'invoke'.")
    adapters = _adapters()  # before the manager: a missing extra should fail first
    klass = adapters.SharedChatBedrock if api == "invoke" else adapters.SharedChatBedrockConverse
    if manager is None:
        from bedrock_auth.manager import get_manager

        manager = get_manager()
    chosen = model_from_env(model)
    region = region or manager.region
    primary = _one_model(klass, chosen, region, manager, model_kwargs)
    if not fallback_regions:
        return primary
    fallbacks = [_one_model(klass, chosen, r, manager, model_kwargs) for r in fallback_regions]
    logger.debug("model %s in %s falls back to %s", chosen, region, list(fallback_regions))
    return primary.with_fallbacks(fallbacks, exceptions_to_handle=FAILOVER_ERRORS)
