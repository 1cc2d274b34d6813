"""The emulator's model table: foundation models, system inference profiles, provider families.

A small built-in table is always available. When ``bedrock_auth.models`` exposes a catalog it is
merged in (duck-typed, see :func:`_models_from_library`), so the emulator and the library agree
on which ids exist without the emulator depending on that module. Profile prefixes and which
Region tries which geography come from :mod:`bedrock_auth.regions`, the library's one table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bedrock_auth.regions import GEOGRAPHY_PREFIXES, geographies_for_region, split_profile_prefix

logger = logging.getLogger("bedrock_auth.testing")

ON_DEMAND = "ON_DEMAND"
INFERENCE_PROFILE = "INFERENCE_PROFILE"

#: Source regions of each system-defined (cross-region) profile prefix, for models whose
#: catalog entry does not list its own.
GEO_REGIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"),
    "apac": ("ap-northeast-1", "ap-southeast-1", "ap-southeast-2", "ap-south-1"),
}
#: How a profile name starts for each prefix ("US Claude Sonnet 4.5"), derived from the one
#: prefix table in bedrock_auth.regions so that a new prefix needs no edit here.
GEO_NAMES = {prefix: prefix.upper() for prefix in GEOGRAPHY_PREFIXES} | {"global": "Global"}

Geographies = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class FoundationModel:
    """One foundation model as ListFoundationModels describes it.

    ``geographies`` ((prefix, source regions), ...) and ``on_demand_regions`` come from the
    library catalog when it has them; None means "use the generic per-geography rules".
    """

    model_id: str
    name: str
    provider: str
    inference_types: tuple[str, ...] = (ON_DEMAND,)
    output_modality: str = "TEXT"
    global_profile: bool = False
    geographies: Geographies | None = None
    on_demand_regions: tuple[str, ...] | None = None

    @property
    def requires_profile(self) -> bool:
        """True when Bedrock refuses the bare id everywhere and wants an inference profile."""
        return ON_DEMAND not in self.inference_types

    def on_demand_in(self, region: str) -> bool:
        """Is the bare id accepted on demand in ``region``?"""
        if self.on_demand_regions is not None:
            return region in self.on_demand_regions
        return not self.requires_profile

    def profile_prefixes(self, region: str) -> list[str]:
        """The system-profile prefixes callable from ``region`` (``us``, ``global``, ...)."""
        if self.geographies is not None:
            return [prefix for prefix, sources in self.geographies if region in sources]
        if INFERENCE_PROFILE not in self.inference_types:
            return []
        geo = region_geo(region)
        return [g for g in (geo, "global" if self.global_profile else None) if g]

    def profile_regions(self, prefix: str) -> tuple[str, ...]:
        """Regions a ``prefix.model`` profile routes to (its models' ARNs)."""
        if self.geographies is not None:
            for name, sources in self.geographies:
                if name == prefix:
                    return sources
        if prefix == "global":
            return tuple(r for regions in GEO_REGIONS.values() for r in regions)
        return GEO_REGIONS.get(prefix, ())


_BOTH = (ON_DEMAND, INFERENCE_PROFILE)
_BUILTIN: tuple[FoundationModel, ...] = (
    FoundationModel("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", _BOTH),
    FoundationModel(
        "anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", "Anthropic", _BOTH
    ),
    FoundationModel(
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "Claude 3.5 Haiku",
        "Anthropic",
        (INFERENCE_PROFILE,),
    ),
    FoundationModel(
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "Claude 3.7 Sonnet",
        "Anthropic",
        (INFERENCE_PROFILE,),
    ),
    FoundationModel(
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "Claude Sonnet 4",
        "Anthropic",
        (INFERENCE_PROFILE,),
        global_profile=True,
    ),
    FoundationModel(
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "Claude Sonnet 4.5",
        "Anthropic",
        (INFERENCE_PROFILE,),
        global_profile=True,
    ),
    FoundationModel(
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "Claude Haiku 4.5",
        "Anthropic",
        (INFERENCE_PROFILE,),
        global_profile=True,
    ),
    FoundationModel(
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "Claude Opus 4.1",
        "Anthropic",
        (INFERENCE_PROFILE,),
    ),
    FoundationModel("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", _BOTH),
    FoundationModel("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", _BOTH),
    FoundationModel("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", _BOTH),
    FoundationModel("amazon.titan-text-express-v1", "Titan Text G1 - Express", "Amazon"),
    FoundationModel("amazon.titan-text-lite-v1", "Titan Text G1 - Lite", "Amazon"),
    FoundationModel(
        "amazon.titan-embed-text-v1",
        "Titan Embeddings G1 - Text",
        "Amazon",
        output_modality="EMBEDDING",
    ),
    FoundationModel(
        "amazon.titan-embed-text-v2:0",
        "Titan Text Embeddings V2",
        "Amazon",
        output_modality="EMBEDDING",
    ),
    FoundationModel(
        "meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", "Meta", (INFERENCE_PROFILE,)
    ),
    FoundationModel("cohere.command-r-v1:0", "Command R", "Cohere"),
    FoundationModel("cohere.command-r-plus-v1:0", "Command R+", "Cohere"),
    FoundationModel(
        "cohere.embed-english-v3", "Embed English", "Cohere", output_modality="EMBEDDING"
    ),
    FoundationModel(
        "cohere.embed-multilingual-v3", "Embed Multilingual", "Cohere", output_modality="EMBEDDING"
    ),
    FoundationModel("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", "Mistral AI"),
    FoundationModel("mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", "Mistral AI"),
    FoundationModel("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", "Mistral AI"),
)

_PROVIDERS = {
    "anthropic": "Anthropic",
    "amazon": "Amazon",
    "meta": "Meta",
    "mistral": "Mistral AI",
    "cohere": "Cohere",
    "ai21": "AI21 Labs",
    "deepseek": "DeepSeek",
    "openai": "OpenAI",
    "writer": "Writer",
    "qwen": "Qwen",
}


def region_geo(region: str) -> str | None:
    """The cross-region profile prefix (``us``/``eu``/``apac``) serving ``region``.

    The library's region rules give the order; only prefixes :data:`GEO_REGIONS` has source
    Regions for count, so Tokyo gets ``apac`` here (the built-in table has no ``jp`` list).
    """
    return next((geo for geo in geographies_for_region(region) if geo in GEO_REGIONS), None)


def strip_profile_prefix(model_id: str) -> str:
    """``us.anthropic.x`` -> ``anthropic.x``; ids without a geo prefix are returned unchanged."""
    return split_profile_prefix(model_id)[1]


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
    if base.startswith("mistral."):
        return "mistral"
    if base.startswith("cohere.embed"):
        return "cohere-embed"
    if base.startswith("cohere.command-r"):
        return "cohere"
    return "unknown"


# -- hook into bedrock_auth.models --------------------------------------------------------------


def _field(entry: Any, *names: str) -> Any:
    for name in names:
        value = entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)
        if value is not None:
            return value
    return None


def _geographies(entry: Any) -> Geographies | None:
    raw = _field(entry, "geographies")
    if not isinstance(raw, Mapping):
        return None
    return tuple((str(k), tuple(str(r) for r in v)) for k, v in raw.items())


def _entry_to_model(key: str | None, entry: Any) -> FoundationModel | None:
    model_id = _field(entry, "model_id", "modelId", "base_model_id", "id")
    if not isinstance(model_id, str):
        model_id = key
    if not isinstance(model_id, str) or "." not in model_id:
        return None
    model_id = strip_profile_prefix(model_id)
    vendor = model_id.split(".", 1)[0]
    provider = str(_field(entry, "provider_name", "provider") or vendor)
    name = str(_field(entry, "display_name", "name", "model_name") or model_id)
    needs_profile = bool(_field(entry, "requires_profile", "requires_inference_profile"))
    geographies = _geographies(entry)
    on_demand = _field(entry, "on_demand_regions")
    types = tuple(
        t
        for t, wanted in (
            (ON_DEMAND, not needs_profile),
            (INFERENCE_PROFILE, geographies is None or geographies),
        )
        if wanted
    )
    return FoundationModel(
        model_id,
        name,
        _PROVIDERS.get(provider.lower(), provider),
        types,
        geographies=geographies,
        on_demand_regions=tuple(on_demand) if isinstance(on_demand, (tuple, list)) else None,
    )


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
    """Built-in models, overridden and extended by the library catalog when there is one."""
    table = {m.model_id: m for m in _BUILTIN}
    table.update((m.model_id, m) for m in _models_from_library())
    return table
