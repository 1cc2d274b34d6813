"""The emulator's model table: foundation models, system inference profiles, provider families.

Model knowledge comes from the library's model data (``bedrock_auth/_data/models.json``, read
through :mod:`bedrock_auth.models`), so the emulator and the library agree on which ids exist,
where they run on demand, which profiles serve them, what they can do and their lifecycle.
Profile prefixes and which Region tries which geography come from :mod:`bedrock_auth.regions`,
the library's one table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bedrock_auth._data import Capabilities, ModelInfo, table
from bedrock_auth.models import list_models
from bedrock_auth.regions import GEOGRAPHY_PREFIXES, geographies_for_region, split_profile_prefix

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
    input_modalities: tuple[str, ...] = ("TEXT",)
    #: ``responseStreamingSupported``; None: text models stream, others do not.
    streaming: bool | None = None
    global_profile: bool = False
    geographies: Geographies | None = None
    on_demand_regions: tuple[str, ...] | None = None
    #: ``modelLifecycle`` as ListFoundationModels gives it: ACTIVE or LEGACY, ISO dates.
    status: str = "ACTIVE"
    legacy_since: str | None = None
    end_of_life: str | None = None

    @property
    def streams(self) -> bool:
        """``responseStreamingSupported`` as ListFoundationModels gives it."""
        return self.output_modality == "TEXT" if self.streaming is None else self.streaming

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


def region_geo(region: str) -> str | None:
    """The cross-region profile prefix (``us``/``eu``/``apac``) serving ``region``.

    The library's region rules give the order; only prefixes :data:`GEO_REGIONS` has source
    Regions for count, so Tokyo gets ``apac`` here (the built-in table has no ``jp`` list).
    """
    return next((geo for geo in geographies_for_region(region) if geo in GEO_REGIONS), None)


def strip_profile_prefix(model_id: str) -> str:
    """``us.anthropic.x`` -> ``anthropic.x``; ids without a geo prefix are returned unchanged."""
    return split_profile_prefix(model_id)[1]


# -- the library catalog -----------------------------------------------------------------------


def _from_library(info: ModelInfo) -> FoundationModel:
    geographies = tuple((prefix, tuple(regions)) for prefix, regions in info.geographies.items())
    types = tuple(
        kind
        for kind, offered in ((ON_DEMAND, info.on_demand_regions), (INFERENCE_PROFILE, geographies))
        if offered
    )
    capabilities, lifecycle = info.capabilities, info.lifecycle
    return FoundationModel(
        info.model_id,
        info.display_name,
        info.provider_name,
        types,
        output_modality=capabilities.output_modalities[0],
        input_modalities=capabilities.input_modalities,
        streaming=capabilities.streaming,
        geographies=geographies,
        # None: on demand in every Region, as ModelInfo.on_demand_in says of an entry whose
        # Region lists are partial (the emulator takes what the library would pass through).
        on_demand_regions=info.on_demand_regions if info.regions_complete else None,
        status=lifecycle.status,
        legacy_since=lifecycle.legacy_since,
        end_of_life=lifecycle.end_of_life,
    )


def load_models() -> dict[str, FoundationModel]:
    """Every model the library's data knows that bedrock-runtime serves somewhere."""
    return {m.model_id: _from_library(m) for m in list_models() if m.regions}


# -- what a model's answers look like ---------------------------------------------------------

#: Every input a Converse request can carry.
_ANY_INPUT = ("TEXT", "IMAGE", "DOCUMENT", "VIDEO", "AUDIO")


@functools.cache
def unknown_model() -> Capabilities:
    """A model the data does not know (one newer than it, or added with
    ``add_foundation_model``) is taken to accept every input, CountTokens and every server
    tool some model has, as the library passes unknown ids through: the emulator refuses only
    what it knows Bedrock refuses."""
    tools = sorted({t for m in table().models for t in m.capabilities.system_tools})
    return Capabilities(count_tokens=True, input_modalities=_ANY_INPUT, system_tools=tuple(tools))


def base_model_id(model_id: str) -> str:
    """``us.anthropic.x`` or ``arn:...:foundation-model/anthropic.x`` -> ``anthropic.x``."""
    return strip_profile_prefix(model_id.rsplit("/", 1)[-1])


def capabilities_for(model_id: str | None) -> Capabilities:
    """What the model data says ``model_id`` does (its profile and ARN forms too), which
    decides how the emulator answers for it; :func:`unknown_model` for an id it lacks."""
    info = table().by_id.get(base_model_id(model_id or ""))
    return info.capabilities if info is not None else unknown_model()
