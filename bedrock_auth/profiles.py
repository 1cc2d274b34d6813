"""Application inference profile lookups, one control-plane call per ARN per manager."""

from __future__ import annotations

import os
import threading
import weakref
from typing import TYPE_CHECKING

from bedrock_auth._translate import ErrorContext, cause_of, translate_error
from bedrock_auth.models import base_model_from_arn, provider_of

if TYPE_CHECKING:
    from bedrock_auth.manager import BedrockClientManager

_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[BedrockClientManager, dict[str, str]] = (
    weakref.WeakKeyDictionary()
)


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def is_application_profile(model_id: str) -> bool:
    """True for ``arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>``."""
    return model_id.startswith("arn:") and ":application-inference-profile/" in model_id


def base_model_of(manager: BedrockClientManager, model_id: str, region: str) -> str | None:
    """The foundation model behind ``model_id``: looked up once per application-profile ARN.

    Plain ids, system inference profiles and foundation-model ARNs are answered without a call.
    """
    if not is_application_profile(model_id):
        return base_model_from_arn(model_id) if model_id.startswith("arn:") else None
    with _lock:
        known = _cache.setdefault(manager, {}).get(model_id)
    if known is not None:
        return known
    ctx = ErrorContext(
        service="bedrock", operation="GetInferenceProfile", region=region, model_id=model_id
    )
    try:
        reply = manager.client("bedrock", region).get_inference_profile(
            inferenceProfileIdentifier=model_id
        )
    except Exception as exc:
        raise translate_error(exc, ctx) from cause_of(exc)
    models = reply.get("models") or [{}]
    base = models[0].get("modelArn", "").rsplit("/", 1)[-1] or None
    if base is not None:
        with _lock:
            _cache.setdefault(manager, {})[model_id] = base
    return base


def provider_for(manager: BedrockClientManager, model_id: str, region: str) -> str | None:
    """The provider (``anthropic``, ``amazon``, ...) for any id, profile or ARN."""
    base = base_model_of(manager, model_id, region)
    return provider_of(base or model_id)
