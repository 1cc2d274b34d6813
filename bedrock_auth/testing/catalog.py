"""The emulator's model table: foundation models, system inference profiles, provider families.

A small built-in table is always available. When ``bedrock_auth.models`` exposes a catalog it is
merged in (duck-typed, see :func:`_models_from_library`), so the emulator and the library agree
on which ids exist without the emulator depending on that module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("bedrock_auth.testing")

ON_DEMAND = "ON_DEMAND"
INFERENCE_PROFILE = "INFERENCE_PROFILE"

#: Regions each system-defined (cross-region) inference profile prefix routes to.
GEO_REGIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"),
    "apac": ("ap-northeast-1", "ap-southeast-1", "ap-southeast-2", "ap-south-1"),
}
GEO_NAMES = {"us": "US", "eu": "EU", "apac": "APAC", "global": "Global"}


@dataclass(frozen=True)
class FoundationModel:
    """One foundation model as ListFoundationModels describes it."""

    model_id: str
    name: str
    provider: str
    inference_types: tuple[str, ...] = (ON_DEMAND,)
    output_modality: str = "TEXT"
    global_profile: bool = False

    @property
    def requires_profile(self) -> bool:
        """True when Bedrock refuses the bare id and wants an inference profile."""
        return ON_DEMAND not in self.inference_types


_BOTH = (ON_DEMAND, INFERENCE_PROFILE)
_BUILTIN: tuple[FoundationModel, ...] = (
    FoundationModel("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic",
                    _BOTH),
    FoundationModel("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", "Anthropic",
                    _BOTH),
    FoundationModel("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", "Anthropic",
                    (INFERENCE_PROFILE,)),
    FoundationModel("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", "Anthropic",
                    (INFERENCE_PROFILE,)),
    FoundationModel("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", "Anthropic",
                    (INFERENCE_PROFILE,), global_profile=True),
    FoundationModel("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", "Anthropic",
                    (INFERENCE_PROFILE,), global_profile=True),
    FoundationModel("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", "Anthropic",
                    (INFERENCE_PROFILE,), global_profile=True),
    FoundationModel("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", "Anthropic",
                    (INFERENCE_PROFILE,)),
    FoundationModel("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", _BOTH),
    FoundationModel("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", _BOTH),
    FoundationModel("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", _BOTH),
    FoundationModel("amazon.titan-text-express-v1", "Titan Text G1 - Express", "Amazon"),
    FoundationModel("amazon.titan-text-lite-v1", "Titan Text G1 - Lite", "Amazon"),
    FoundationModel("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon",
                    output_modality="EMBEDDING"),
    FoundationModel("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", "Meta",
                    (INFERENCE_PROFILE,)),
)

_PROVIDERS = {"anthropic": "Anthropic", "amazon": "Amazon", "meta": "Meta", "mistral": "Mistral AI",
              "cohere": "Cohere", "ai21": "AI21 Labs", "deepseek": "DeepSeek", "openai": "OpenAI",
              "writer": "Writer", "qwen": "Qwen"}


def region_geo(region: str) -> str | None:
    """The cross-region profile prefix (``us``/``eu``/``apac``) serving ``region``."""
    for geo, regions in GEO_REGIONS.items():
        if region in regions or region.startswith(f"{geo[:2]}-"):
            return geo
    return None


def strip_profile_prefix(model_id: str) -> str:
    """``us.anthropic.x`` -> ``anthropic.x``; ids without a geo prefix are returned unchanged."""
    head, _, rest = model_id.partition(".")
    if rest and (head in GEO_REGIONS or head == "global"):
        return rest
    return model_id


def provider_family(model_id: str) -> str:
    """The request/response body family of a model id: anthropic, nova, titan, embed, llama, ..."""
    base = strip_profile_prefix(model_id.rsplit("/", 1)[-1])
    if base.startswith("anthropic."):
        return "anthropic"
    if base.startswith("amazon.nova"):
        return "nova"
    if base.startswith("amazon.titan-embed"):
        return "embed"
    if base.startswith("amazon.titan-text"):
        return "titan"
    if base.startswith("meta."):
        return "llama"
    return "unknown"


# -- hook into bedrock_auth.models --------------------------------------------------------------


def _field(entry: Any, *names: str) -> Any:
    for name in names:
        value = entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)
        if value is not None:
            return value
    return None


def _entry_to_model(key: str | None, entry: Any) -> FoundationModel | None:
    model_id = _field(entry, "model_id", "modelId", "base_model_id", "id")
    if not isinstance(model_id, str):
        model_id = key
    if not isinstance(model_id, str) or "." not in model_id:
        return None
    model_id = strip_profile_prefix(model_id)
    vendor = model_id.split(".", 1)[0]
    provider = str(_field(entry, "provider_name", "provider") or vendor)
    name = str(_field(entry, "name", "model_name", "display_name") or model_id)
    needs_profile = _field(entry, "requires_profile", "requires_inference_profile")
    types = (INFERENCE_PROFILE,) if needs_profile else (ON_DEMAND, INFERENCE_PROFILE)
    return FoundationModel(model_id, name, _PROVIDERS.get(provider.lower(), provider), types)


def _iter_entries(catalog: Any) -> Iterable[tuple[str | None, Any]]:
    if isinstance(catalog, Mapping):
        return ((str(k), v) for k, v in catalog.items())
    if isinstance(catalog, Iterable) and not isinstance(catalog, (str, bytes)):
        return ((None, v) for v in catalog)
    return ()


def _models_from_library() -> list[FoundationModel]:
    """Models from ``bedrock_auth.models`` if it exposes a catalog; [] if absent or unreadable.

    Duck-typed on purpose: that module is developed separately and the emulator must keep
    working (with its built-in table) whatever shape it takes.
    """
    try:
        from bedrock_auth import models as library_models
    except ImportError:
        return []
    for attr in ("CATALOG", "MODELS", "FOUNDATION_MODELS", "catalog", "list_models"):
        catalog = getattr(library_models, attr, None)
        if catalog is None:
            continue
        try:
            if callable(catalog):
                catalog = catalog()
            found = [m for k, v in _iter_entries(catalog) if (m := _entry_to_model(k, v))]
        except Exception:  # a catalog we cannot read must not break the emulator
            logger.debug("ignoring unreadable bedrock_auth.models.%s", attr, exc_info=True)
            continue
        if found:
            return found
    return []


def load_models() -> dict[str, FoundationModel]:
    """Built-in models, overlaid with the library catalog when there is one."""
    table = {m.model_id: m for m in _BUILTIN}
    for model in _models_from_library():
        table.setdefault(model.model_id, model)
    return table
