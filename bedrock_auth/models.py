"""The model catalog: canonical Bedrock ids, aliases and where each model can be called.

Newer models on Bedrock run on demand only through a cross-region inference profile: the
canonical id with a geography prefix (``us.``, ``eu.``, ``apac.``, ``jp.``, ``au.``,
``us-gov.``) or ``global.`` in front. Which prefix works depends on the Region the call is
made from. This module holds that knowledge as one data table, :data:`CATALOG`, and a few
small functions that read it; no function branches on a particular model.

>>> resolve_model_id("claude-sonnet-4-5", "eu-west-1")
'eu.anthropic.claude-sonnet-4-5-20250929-v1:0'
>>> resolve_model_id("claude-sonnet-4-20250514", "us-east-1")
'us.anthropic.claude-sonnet-4-20250514-v1:0'
>>> resolve_model_id("mistral.mistral-7b-instruct-v0:2", "eu-west-3")
'mistral.mistral-7b-instruct-v0:2'

Sources: the AWS Bedrock user guide model cards ("Regional availability", "Geo inference
details", "Global inference details"), the retired "Supported Regions and models for
inference profiles" tables, and Anthropic's "Claude on Amazon Bedrock" model table. Entries
that could not be re-confirmed against a current AWS page say so in a comment; for those the
region lists are the smaller, safer ones.

The geography prefixes, which Region tries which geography, and the check of Region names
live in :mod:`bedrock_auth.regions`; :data:`GEOGRAPHY_PREFIXES` is re-exported from there.

Importing this module is cheap: it needs only the standard library,
:mod:`bedrock_auth.errors`, :mod:`bedrock_auth.regions` and the process-state registry.
"""

from __future__ import annotations

import difflib
import logging
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from bedrock_auth._state import OnceSet
from bedrock_auth.errors import ConfigurationError, LegacyModelWarning, ModelNotAvailableError
from bedrock_auth.regions import (
    GEOGRAPHY_PREFIXES,
    check_region,
    geographies_for_region,
    split_profile_prefix,
)

__all__ = [
    "CATALOG",
    "GEOGRAPHY_PREFIXES",
    "KNOWN_PROVIDERS",
    "RETIRED",
    "ListedModel",
    "Listing",
    "ModelInfo",
    "base_model_from_arn",
    "geography_for_region",
    "get_model_info",
    "is_bedrock_model",
    "list_models",
    "provider_of",
    "resolve_model_id",
]

_log = logging.getLogger("bedrock_auth")

#: Provider prefixes of Bedrock model ids (``<provider>.<model>``). An id with one of these
#: is treated as a Bedrock id even when it is newer than the catalog.
KNOWN_PROVIDERS: frozenset[str] = frozenset(
    {
        "ai21", "amazon", "anthropic", "cohere", "deepseek", "google", "luma", "meta",
        "minimax", "mistral", "moonshotai", "nvidia", "openai", "qwen", "stability",
        "twelvelabs", "writer",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ModelInfo:
    """One Bedrock model and where it can be called on demand.

    ``geographies`` maps an inference-profile prefix (``us``, ``eu``, ``global``, ...) to the
    *source* Regions a request with that profile may be sent from. ``on_demand_regions``
    lists the Regions where the plain ``model_id`` is accepted on demand; when it is empty
    the model needs a profile everywhere and ``requires_profile`` is true.

    >>> info = get_model_info("sonnet-4.5")
    >>> info.model_id, info.requires_profile, "jp" in info.geographies
    ('anthropic.claude-sonnet-4-5-20250929-v1:0', True, True)
    """

    model_id: str
    provider: str
    display_name: str
    aliases: tuple[str, ...] = ()
    requires_profile: bool = False
    # hash=False: a mapping is not hashable, and model_id already identifies the entry.
    geographies: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    on_demand_regions: tuple[str, ...] = ()
    streaming: bool = True
    tool_use: bool = True
    #: AWS lists the model as Legacy: it still resolves, but new work should move off it.
    legacy: bool = False
    #: For a legacy model, the alias of the catalog model to move to (named in its warning).
    replacement: str | None = None

    def __post_init__(self) -> None:
        # Freeze the mapping too, so a caller cannot edit the shared catalog by accident.
        object.__setattr__(self, "geographies", MappingProxyType(dict(self.geographies)))

    @property
    def regions(self) -> tuple[str, ...]:
        """Every Region the model can be called from, on demand or through a profile."""
        found = set(self.on_demand_regions)
        for sources in self.geographies.values():
            found.update(sources)
        return tuple(sorted(found))


@dataclass(frozen=True)
class ListedModel:
    """A foundation model as Bedrock lists it in one Region (``ListFoundationModels``).

    ``status`` is ``ACTIVE`` or ``LEGACY``; the dates are set when Bedrock gave them and the
    installed botocore knows the field (older ones only parse the status).
    """

    model_id: str
    name: str
    provider: str
    #: The plain id is accepted on demand in this Region (``ON_DEMAND`` is listed).
    on_demand: bool
    status: str = "ACTIVE"
    legacy_since: datetime | None = None
    end_of_life: datetime | None = None


@dataclass(frozen=True)
class Listing:
    """What Bedrock lists for the caller's account in one Region: the live catalog's answer.

    ``profiles`` maps each inference profile callable here (system profile id such as
    ``jp.anthropic...``, or application profile ARN) to the foundation model it routes to.
    """

    region: str
    models: Mapping[str, ListedModel] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    profiles: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def profiles_for(self, model_id: str) -> list[str]:
        """The system profile ids that route to ``model_id``, sorted."""
        return sorted(
            p for p, base in self.profiles.items() if base == model_id and not p.startswith("arn:")
        )


# --- Region groups, as the AWS model cards list them ---------------------------------------
# Reused below so that a correction to one group fixes every model that shares it.

_US3 = ("us-east-1", "us-east-2", "us-west-2")
_US4 = (*_US3, "us-west-1")
_US_CA = (*_US4, "ca-central-1")
_US_CA2 = (*_US_CA, "ca-west-1")
_GOV = ("us-gov-east-1", "us-gov-west-1")
_EU4 = ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3")
_EU6 = (*_EU4, "eu-south-1", "eu-south-2")
_EU8 = (*_EU6, "eu-central-2", "eu-west-2")
_JP = ("ap-northeast-1", "ap-northeast-3")
_AU = ("ap-southeast-2", "ap-southeast-4")
_AU_NZ = (*_AU, "ap-southeast-6")
_APAC5 = ("ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2")
_APAC7 = (*_APAC5, "ap-northeast-3", "ap-south-2")
# Source Regions of the global profiles of current Claude models (Sonnet 4.5 onwards).
_GLOBAL = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1",
    "sa-east-1", "mx-central-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
    "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "af-south-1",
    "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
)  # fmt: skip
# Regions where Llama 3 8B and 70B run on demand.
_LLAMA3 = ("us-east-1", "us-west-2", "us-gov-west-1", "ca-central-1", "eu-west-2", "ap-south-1")
# Regions where the older Mistral models (7B, Mixtral, Large 24.02) run on demand.
_MISTRAL_V1 = (
    "us-east-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "ap-south-1", "ap-southeast-2",
)  # fmt: skip


def _geos(**sources: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    # Keyword names cannot hold a dash or be a keyword, so ``us_gov`` stands for ``us-gov``
    # and ``global_`` for ``global``.
    return {
        name.rstrip("_").replace("_", "-"): tuple(sorted(set(regions)))
        for name, regions in sources.items()
    }


def _model(
    model_id: str,
    name: str,
    aliases: tuple[str, ...],
    geographies: Mapping[str, tuple[str, ...]] | None = None,
    on_demand: tuple[str, ...] = (),
    *,
    tool_use: bool = True,
    legacy: bool = False,
    replacement: str | None = None,
) -> ModelInfo:
    return ModelInfo(
        model_id=model_id,
        # Every Bedrock model id starts with its provider: "anthropic.claude-...".
        provider=model_id.split(".", 1)[0],
        display_name=name,
        aliases=aliases,
        requires_profile=not on_demand,
        geographies=geographies or {},
        on_demand_regions=tuple(sorted(on_demand)),
        tool_use=tool_use,
        legacy=legacy,
        replacement=replacement,
    )


#: Every model the library knows, oldest first within each provider. Aliases are matched
#: case-insensitively, with ``.``, ``_`` and spaces read as ``-`` (so ``sonnet-4.5`` and
#: ``sonnet-4-5`` are the same alias). The family names ``sonnet``, ``haiku`` and ``opus``
#: belong to the newest model of that family in this table.
CATALOG: tuple[ModelInfo, ...] = (
    # ---------------------------------------------------------------- Anthropic Claude
    # AWS model card, current: in-Region in 15 Regions, us/eu profiles, us-gov from
    # us-gov-east-1 only (us-gov-west-1 runs it in-Region). No APAC profile is listed any more.
    _model(
        "anthropic.claude-3-haiku-20240307-v1:0",
        "Claude 3 Haiku",
        ("claude-3-haiku-20240307", "claude-3-haiku", "haiku-3"),
        _geos(us=_US3, us_gov=("us-gov-east-1",), eu=("eu-central-1", "eu-west-1", "eu-west-3")),
        on_demand=(
            "us-east-1",
            "us-west-2",
            "us-gov-west-1",
            "ca-central-1",
            "sa-east-1",
            "eu-central-1",
            "eu-central-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-south-1",
            "ap-southeast-1",
            "ap-southeast-2",
        ),
    ),
    # Legacy on Bedrock; no current model card. Lists are from the 2025 inference-profile
    # and supported-models tables, not re-confirmed.
    _model(
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "Claude 3.5 Sonnet",
        ("claude-3-5-sonnet-20240620", "claude-3-5-sonnet-v1", "sonnet-3.5-v1"),
        _geos(us=_US3, us_gov=_GOV, eu=("eu-central-1", "eu-west-1", "eu-west-3"), apac=_APAC5),
        on_demand=(
            "us-east-1",
            "us-west-2",
            "us-gov-west-1",
            "eu-central-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-southeast-1",
        ),
        legacy=True,
        replacement="sonnet",
    ),
    # Legacy; lists from the 2025 tables, not re-confirmed. On demand only in us-west-2.
    _model(
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "Claude 3.5 Sonnet v2",
        (
            "claude-3-5-sonnet-20241022",
            "claude-3-5-sonnet-latest",
            "claude-3-5-sonnet",
            "claude-3-5-sonnet-v2",
            "sonnet-3.5",
            "sonnet-3.5-v2",
        ),
        _geos(us=_US3, apac=_APAC7),
        on_demand=("us-west-2",),
        legacy=True,
        replacement="sonnet",
    ),
    # Legacy (its US profile is being retired); lists from the 2025 tables.
    _model(
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "Claude 3.5 Haiku",
        ("claude-3-5-haiku-20241022", "claude-3-5-haiku-latest", "claude-3-5-haiku", "haiku-3.5"),
        _geos(us=_US3),
        on_demand=("us-west-2",),
        legacy=True,
        replacement="haiku",
    ),
    # Legacy; lists from the 2025 tables. Anthropic's table: us, eu, apac; no global.
    _model(
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "Claude 3.7 Sonnet",
        (
            "claude-3-7-sonnet-20250219",
            "claude-3-7-sonnet-latest",
            "claude-3-7-sonnet",
            "sonnet-3.7",
        ),
        _geos(us=_US3, us_gov=_GOV, eu=_EU4, apac=_APAC7),
        legacy=True,
        replacement="sonnet",
    ),
    # AWS model card. The APAC source list is the card's detail table; its summary table also
    # ticks ap-east-2 and ap-southeast-3/4/5/7, left out here until a detail table lists them.
    _model(
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "Claude Sonnet 4",
        ("claude-sonnet-4-20250514", "claude-sonnet-4-0", "claude-sonnet-4", "sonnet-4"),
        _geos(
            us=_US4,
            eu=(*_EU6, "il-central-1"),
            apac=_APAC7,
            # The Sonnet 4 global profile is offered from five Regions only.
            global_=("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"),
        ),
    ),
    # No current AWS model card found; US-only profile per the 2025 tables and Anthropic's.
    _model(
        "anthropic.claude-opus-4-20250514-v1:0",
        "Claude Opus 4",
        ("claude-opus-4-20250514", "claude-opus-4-0", "claude-opus-4", "opus-4"),
        _geos(us=_US3),
    ),
    # AWS model card: US profile only, no global.
    _model(
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "Claude Opus 4.1",
        ("claude-opus-4-1-20250805", "claude-opus-4-1", "opus-4.1"),
        _geos(us=_US3),
    ),
    # AWS model card (incl. GovCloud, Canada, Zurich/London, New Zealand).
    _model(
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "Claude Sonnet 4.5",
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "sonnet-4.5"),
        _geos(us=_US_CA, us_gov=_GOV, eu=_EU8, jp=_JP, au=_AU_NZ, global_=_GLOBAL),
    ),
    # AWS model card. Its in-Region ticks belong to the bedrock-mantle endpoint; on
    # bedrock-runtime the card gives no in-Region URL, so a profile is always used.
    _model(
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "Claude Haiku 4.5",
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5", "haiku-4.5", "haiku"),
        _geos(us=_US_CA, eu=_EU8, jp=_JP, au=_AU_NZ, global_=_GLOBAL),
    ),
    # No AWS model card found. Anthropic's table: global, us, eu (no jp/apac). Source lists
    # are the smallest ones every Claude 4.x profile shares; global assumed as for Sonnet 4.5.
    _model(
        "anthropic.claude-opus-4-5-20251101-v1:0",
        "Claude Opus 4.5",
        ("claude-opus-4-5-20251101", "claude-opus-4-5", "opus-4.5"),
        _geos(us=_US3, eu=_EU6, global_=_GLOBAL),
    ),
    # AWS model card: us, eu, au and global (Anthropic's table also lists jp and apac; not on
    # the AWS card, so not used). The card's global list has no ap-southeast-6.
    _model(
        "anthropic.claude-opus-4-6-v1",
        "Claude Opus 4.6",
        ("claude-opus-4-6", "opus-4.6"),
        _geos(
            us=_US_CA2,
            eu=_EU8,
            au=_AU,
            global_=tuple(r for r in _GLOBAL if r != "ap-southeast-6"),
        ),
    ),
    # AWS model card. It also ticks in-Region for eu-west-2, which the eu. profile serves too.
    _model(
        "anthropic.claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        ("claude-sonnet-4-6", "sonnet-4.6", "sonnet"),
        _geos(us=_US_CA2, eu=_EU8, jp=_JP, au=_AU_NZ, global_=_GLOBAL),
    ),
    # AWS model card.
    _model(
        "anthropic.claude-opus-4-7",
        "Claude Opus 4.7",
        ("claude-opus-4-7", "opus-4.7"),
        _geos(us=_US_CA2, eu=_EU8, jp=_JP, au=_AU, global_=_GLOBAL),
    ),
    # AWS model card. The card ticks GovCloud for "Geo" but names no us-gov. profile id, so
    # GovCloud is left out until one is documented.
    _model(
        "anthropic.claude-opus-4-8",
        "Claude Opus 4.8",
        ("claude-opus-4-8", "opus-4.8", "opus"),
        _geos(us=_US_CA2, eu=_EU8, jp=_JP, au=_AU, global_=_GLOBAL),
    ),
    # ---------------------------------------------------------------- Amazon Nova
    # Micro and Lite: in-Region list from the AWS batch-inference table; profile sources from
    # that table's inference-profile column (us/eu/apac split by Region name).
    _model(
        "amazon.nova-micro-v1:0",
        "Amazon Nova Micro",
        ("nova-micro", "amazon-nova-micro"),
        _geos(us=_US3, eu=_EU6, apac=_APAC5),
        on_demand=("us-east-1", "us-gov-west-1"),
    ),
    _model(
        "amazon.nova-lite-v1:0",
        "Amazon Nova Lite",
        ("nova-lite", "amazon-nova-lite"),
        _geos(us=_US3, eu=_EU6, apac=_APAC5),
        on_demand=("us-east-1", "us-gov-west-1"),
    ),
    # AWS model card. The APAC profile comes from the card's summary table (Geo ticked for
    # Tokyo, Seoul, Mumbai, Singapore, Sydney); the programmatic-access table omits it.
    _model(
        "amazon.nova-pro-v1:0",
        "Amazon Nova Pro",
        ("nova-pro", "amazon-nova-pro"),
        _geos(us=_US4, eu=(*_EU6, "il-central-1"), apac=_APAC5),
        on_demand=(
            "us-east-1",
            "us-gov-west-1",
            "eu-west-2",
            "ap-southeast-2",
            "ap-southeast-3",
            "me-central-1",
        ),
    ),
    # AWS model card: US profile only.
    _model(
        "amazon.nova-premier-v1:0",
        "Amazon Nova Premier",
        ("nova-premier", "amazon-nova-premier"),
        _geos(us=_US3),
    ),
    # ---------------------------------------------------------------- Meta Llama
    # Llama 3 and 3.1 8B/70B, 3.2: from the 2025 supported-models and inference-profile
    # tables, not re-confirmed against a current model card.
    _model(
        "meta.llama3-8b-instruct-v1:0",
        "Llama 3 8B Instruct",
        ("llama-3-8b", "llama3-8b"),
        on_demand=_LLAMA3,
        tool_use=False,
    ),
    _model(
        "meta.llama3-70b-instruct-v1:0",
        "Llama 3 70B Instruct",
        ("llama-3-70b", "llama3-70b"),
        on_demand=_LLAMA3,
        tool_use=False,
    ),
    _model(
        "meta.llama3-1-8b-instruct-v1:0",
        "Llama 3.1 8B Instruct",
        ("llama-3.1-8b", "llama3.1-8b"),
        _geos(us=_US3),
        on_demand=("us-west-2",),
    ),
    _model(
        "meta.llama3-1-70b-instruct-v1:0",
        "Llama 3.1 70B Instruct",
        ("llama-3.1-70b", "llama3.1-70b"),
        _geos(us=_US3),
        on_demand=("us-west-2",),
    ),
    # AWS model card: in-Region in us-west-2; the US profile is offered from us-east-2 only.
    _model(
        "meta.llama3-1-405b-instruct-v1:0",
        "Llama 3.1 405B Instruct",
        ("llama-3.1-405b", "llama3.1-405b"),
        _geos(us=("us-east-2",)),
        on_demand=("us-west-2",),
    ),
    _model(
        "meta.llama3-2-1b-instruct-v1:0",
        "Llama 3.2 1B Instruct",
        ("llama-3.2-1b", "llama3.2-1b"),
        _geos(us=_US3, eu=("eu-central-1", "eu-west-1", "eu-west-3")),
        tool_use=False,
    ),
    _model(
        "meta.llama3-2-3b-instruct-v1:0",
        "Llama 3.2 3B Instruct",
        ("llama-3.2-3b", "llama3.2-3b"),
        _geos(us=_US3, eu=("eu-central-1", "eu-west-1", "eu-west-3")),
        tool_use=False,
    ),
    _model(
        "meta.llama3-2-11b-instruct-v1:0",
        "Llama 3.2 11B Vision Instruct",
        ("llama-3.2-11b", "llama3.2-11b"),
        _geos(us=_US3),
    ),
    _model(
        "meta.llama3-2-90b-instruct-v1:0",
        "Llama 3.2 90B Vision Instruct",
        ("llama-3.2-90b", "llama3.2-90b"),
        _geos(us=_US3),
    ),
    # AWS model card: in-Region in us-east-2, US profile from the three US Regions.
    _model(
        "meta.llama3-3-70b-instruct-v1:0",
        "Llama 3.3 70B Instruct",
        ("llama-3.3-70b", "llama3.3-70b"),
        _geos(us=_US3),
        on_demand=("us-east-2",),
    ),
    # ---------------------------------------------------------------- Mistral AI
    # 7B, Mixtral, Large/Small 24.02, Large 24.07: from the 2025 supported-models table, not
    # re-confirmed against a current model card.
    _model(
        "mistral.mistral-7b-instruct-v0:2",
        "Mistral 7B Instruct",
        ("mistral-7b",),
        on_demand=_MISTRAL_V1,
        tool_use=False,
    ),
    _model(
        "mistral.mixtral-8x7b-instruct-v0:1",
        "Mixtral 8x7B Instruct",
        ("mixtral-8x7b",),
        on_demand=_MISTRAL_V1,
        tool_use=False,
    ),
    # ``mistral-large`` names this one because it runs in the most Regions.
    _model(
        "mistral.mistral-large-2402-v1:0",
        "Mistral Large (24.02)",
        ("mistral-large-2402", "mistral-large"),
        on_demand=_MISTRAL_V1,
    ),
    _model(
        "mistral.mistral-large-2407-v1:0",
        "Mistral Large 2 (24.07)",
        ("mistral-large-2407", "mistral-large-2"),
        on_demand=("us-west-2",),
    ),
    _model(
        "mistral.mistral-small-2402-v1:0",
        "Mistral Small (24.02)",
        ("mistral-small-2402", "mistral-small"),
        on_demand=("us-east-1",),
    ),
    # AWS model card: US and EU profiles, no in-Region.
    _model(
        "mistral.pixtral-large-2502-v1:0",
        "Pixtral Large (25.02)",
        ("pixtral-large",),
        _geos(us=_US3, eu=_EU4),
    ),
    # ---------------------------------------------------------------- Cohere
    # From the 2025 supported-models table, not re-confirmed.
    _model(
        "cohere.command-r-v1:0",
        "Cohere Command R",
        ("command-r", "cohere-command-r"),
        on_demand=("us-east-1", "us-west-2"),
    ),
    _model(
        "cohere.command-r-plus-v1:0",
        "Cohere Command R+",
        ("command-r-plus", "command-r+", "cohere-command-r-plus"),
        on_demand=("us-east-1", "us-west-2"),
    ),
    # ---------------------------------------------------------------- DeepSeek
    # AWS model card: US profile only.
    _model(
        "deepseek.r1-v1:0",
        "DeepSeek-R1",
        ("deepseek-r1",),
        _geos(us=_US3),
        tool_use=False,
    ),
)


def _alias_key(text: str) -> str:
    # One spelling per alias: "Sonnet 4.5", "sonnet_4.5" and "sonnet-4-5" all meet here.
    return re.sub(r"[\s._]+", "-", text.strip().lower())


#: Models AWS has retired from Bedrock (end of life), by their Bedrock id and the Anthropic API
#: names people still type, with the catalog alias to use instead. They are not in
#: :data:`CATALOG` (nothing can call them, and ``is_bedrock_model`` stays false for their API
#: names); :func:`resolve_model_id` refuses them, naming the replacement, instead of passing
#: them on to fail in Bedrock as "The provided model identifier is invalid".
RETIRED: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "anthropic.claude-3-opus-20240229-v1:0",
        "Claude 3 Opus",
        ("claude-3-opus-20240229", "claude-3-opus-latest", "claude-3-opus"),
        "opus",
    ),
    (
        "anthropic.claude-3-sonnet-20240229-v1:0",
        "Claude 3 Sonnet",
        ("claude-3-sonnet-20240229", "claude-3-sonnet"),
        "sonnet",
    ),
    ("anthropic.claude-v2:1", "Claude 2.1", ("claude-2.1",), "sonnet"),
    ("anthropic.claude-v2", "Claude 2", ("claude-2.0", "claude-2"), "sonnet"),
    ("anthropic.claude-instant-v1", "Claude Instant", ("claude-instant-1.2",), "haiku"),
)


_BY_ID: Mapping[str, ModelInfo] = MappingProxyType({m.model_id: m for m in CATALOG})
_BY_ALIAS: Mapping[str, ModelInfo] = MappingProxyType(
    {_alias_key(alias): m for m in CATALOG for alias in m.aliases}
)
_RETIRED: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        _alias_key(name): (display, replacement)
        for model_id, display, names, replacement in RETIRED
        for name in (model_id, *names)
    }
)

_ARN = re.compile(
    r"arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d*):"
    r"(?P<kind>[a-z-]+)/(?P<resource>.+)"
)
# Resource types in a Bedrock ARN that name something a caller can invoke.
_INVOCABLE_ARN_KINDS = frozenset(
    {
        "foundation-model",
        "inference-profile",
        "application-inference-profile",
        "provisioned-model",
        "custom-model",
        "imported-model",
        "prompt-router",
        "default-prompt-router",
    }
)


def _lookup(model: str) -> ModelInfo | None:
    return _BY_ID.get(model.lower()) or _BY_ALIAS.get(_alias_key(model))


def _profile_prefix(info: ModelInfo, region: str) -> str | None:
    for geography in geographies_for_region(region):
        if region in info.geographies.get(geography, ()):
            return geography
    return None


def _retired(model: str, display: str, replacement: str) -> ModelNotAvailableError:
    info = _BY_ALIAS[_alias_key(replacement)]
    return ModelNotAvailableError(
        f"{display} ({model}) has been retired from Amazon Bedrock; calls to it fail. "
        f"Use {info.display_name} instead: model={info.aliases[0]!r} ({info.model_id})."
    )


def _not_offered(info: ModelInfo, region: str) -> str:
    return (
        f"{info.display_name} ({info.model_id}) is not offered in {region}, neither on demand "
        f"nor through an inference profile. Regions where it can be called: "
        f"{', '.join(info.regions)}. Set AWS_REGION to one of them, or pick another model."
    )


def _resolve_known(info: ModelInfo, region: str, *, prefer_profile: bool = False) -> str:
    prefix = _profile_prefix(info, region)
    if region in info.on_demand_regions and not (prefer_profile and prefix):
        return info.model_id
    if prefix is None:
        raise ModelNotAvailableError(_not_offered(info, region))
    return f"{prefix}.{info.model_id}"


def _check_explicit_prefix(model: str, prefix: str, info: ModelInfo, region: str) -> str:
    if region in info.geographies.get(prefix, ()):
        return model
    if prefix not in info.geographies and prefix in geographies_for_region(region):
        # The prefix fits the Region but the catalog has no such profile for this model:
        # the catalog may be behind AWS, so let Bedrock decide.
        _log.debug("profile %r is not in the bedrock_auth catalog; using it unchanged", model)
        return model
    try:
        working = _resolve_known(info, region)
    except ModelNotAvailableError as exc:
        raise ModelNotAvailableError(f"{model} cannot be called from {region}. {exc}") from None
    raise ModelNotAvailableError(f"{model} cannot be called from {region}; use {working}")


class _Listings(Protocol):
    def listing(self, region: str) -> Listing | None: ...


class _HasCatalog(Protocol):
    # What resolve_model_id needs of a manager, by shape: models.py cannot import the manager
    # (the manager imports the catalog, which reads this module).
    @property
    def catalog(self) -> _Listings: ...


def resolve_model_id(
    model: str,
    region: str,
    *,
    prefer_profile: bool = False,
    manager: _HasCatalog | None = None,
) -> str:
    """Return the model id Bedrock accepts for ``model`` when called from ``region``.

    ``model`` may be an alias (``sonnet``, ``claude-sonnet-4-5``), an Anthropic API name
    (``claude-sonnet-4-20250514``), a canonical Bedrock id, an inference-profile id or an ARN.
    Known models get the inference-profile prefix their Region needs; explicit profile ids
    and ARNs are returned unchanged; ids newer than the catalog pass through untouched.

    Where the plain id also runs on demand, the plain id is returned, unless
    ``prefer_profile`` is true: then a profile is used whenever one serves the Region (more
    throughput; also the right suggestion after Bedrock refused the plain id on demand).

    With ``manager`` (a :class:`~bedrock_auth.BedrockClientManager` whose live catalog is on,
    the default), the answer follows what Bedrock lists for that account in ``region``: the
    inference profile that really exists there, models newer than the catalog once listed, and
    :class:`ModelNotAvailableError` (with the Regions the catalog knows, or the closest id) for
    a model not offered there; a LEGACY model warns once (:class:`LegacyModelWarning`). When
    the listing is off, denied or unreachable, the catalog below answers, silently.

    Raises :class:`ConfigurationError` for an empty model or a Region name that
    :func:`bedrock_auth.regions.check_region` refuses (malformed, or unknown to botocore), and
    :class:`ModelNotAvailableError` when a known model, or the given profile, cannot be
    called from ``region``, or when AWS retired the model (see :data:`RETIRED`); the message
    names the id, the Regions that would work, or the replacement.

    >>> resolve_model_id("sonnet-4.5", "ap-northeast-1")
    'jp.anthropic.claude-sonnet-4-5-20250929-v1:0'
    >>> resolve_model_id("claude-haiku-4-5-20251001", "sa-east-1")
    'global.anthropic.claude-haiku-4-5-20251001-v1:0'
    >>> resolve_model_id("nova-pro", "us-east-1")
    'amazon.nova-pro-v1:0'
    >>> resolve_model_id("nova-pro", "us-east-1", prefer_profile=True)
    'us.amazon.nova-pro-v1:0'
    >>> resolve_model_id("anthropic.claude-some-future-model-v1", "us-east-1")
    'anthropic.claude-some-future-model-v1'
    >>> resolve_model_id("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1")
    Traceback (most recent call last):
    ...
    bedrock_auth.errors.ModelNotAvailableError: eu.anthropic.claude-sonnet-4-5-20250929-v1:0 \
cannot be called from us-east-1; use us.anthropic.claude-sonnet-4-5-20250929-v1:0
    """
    listings = manager.catalog.listing if manager is not None else None
    return resolve_with(model, region, listings, prefer_profile=prefer_profile)


def resolve_with(
    model: str,
    region: str,
    listings: Callable[[str], Listing | None] | None,
    *,
    prefer_profile: bool = False,
) -> str:
    """:func:`resolve_model_id` with the live listing asked of ``listings(region)``, if given.

    The listing is asked for only when the answer depends on it (not for ARNs or retired names).
    """
    text = model.strip() if isinstance(model, str) else ""
    if not text:
        raise ConfigurationError(
            "No model given. Pass a model id or alias such as 'claude-sonnet-4-5', "
            "or set BEDROCK_MODEL_ID."
        )
    region = check_region(region)
    if text.lower().startswith("arn:"):
        return text
    prefix, base = split_profile_prefix(text)
    info = _lookup(base)
    if info is None and _alias_key(base) in _RETIRED:
        raise _retired(text, *_RETIRED[_alias_key(base)])
    listing = listings(region) if listings is not None else None
    if listing is not None:
        model_id = info.model_id if info else base
        return _resolve_listed(text, prefix, model_id, info, listing, prefer_profile=prefer_profile)
    if info is None:
        _log.debug("model %r is not in the bedrock_auth catalog; passing it unchanged", text)
        return text
    if prefix is not None:
        return _check_explicit_prefix(text, prefix, info, region)
    return _resolve_known(info, region, prefer_profile=prefer_profile)


# -- the live path: what Bedrock lists for this account in the Region -------------------------


def _listed_profile(listing: Listing, model_id: str) -> str | None:
    """The listed system profile for ``model_id``, in the Region's geography order."""
    for geography in geographies_for_region(listing.region):
        if f"{geography}.{model_id}" in listing.profiles:
            return f"{geography}.{model_id}"
    others = listing.profiles_for(model_id)  # a prefix newer than bedrock_auth.regions
    return others[0] if others else None


def listed_id(model_id: str, listing: Listing, *, prefer_profile: bool = False) -> str | None:
    """The id to call ``model_id`` with where ``listing`` was made, or None if it cannot be.

    The plain id where Bedrock lists it on demand (unless ``prefer_profile`` and a profile
    exists), else the listed profile in the Region's geography order.
    """
    listed = listing.models.get(model_id)
    profile = _listed_profile(listing, model_id)
    if listed is not None and listed.on_demand and not (prefer_profile and profile):
        return model_id
    return profile


def _resolve_listed(
    text: str,
    prefix: str | None,
    model_id: str,
    info: ModelInfo | None,
    listing: Listing,
    *,
    prefer_profile: bool = False,
) -> str:
    if prefix is not None and text in listing.profiles:
        chosen: str | None = text
    else:
        chosen = listed_id(model_id, listing, prefer_profile=prefer_profile)
    if chosen is None:
        raise ModelNotAvailableError(_not_listed(text, model_id, info, listing))
    if prefix is not None and chosen != text:
        raise ModelNotAvailableError(
            f"{text} is not an inference profile Bedrock lists in {listing.region}; use {chosen}"
        )
    _warn_if_legacy(listing.models.get(model_id), info)
    return chosen


def _not_listed(text: str, model_id: str, info: ModelInfo | None, listing: Listing) -> str:
    region = listing.region
    if info is not None:
        # One Region's listing cannot say where else the model runs: the static table can.
        profiles = ", ".join(f"{geo}.{info.model_id}" for geo in info.geographies) or "none"
        return (
            f"{info.display_name} ({info.model_id}) is not offered to this account in {region}: "
            f"Bedrock lists it there neither on demand nor through an inference profile. "
            f"Regions where the bedrock_auth catalog lists it: {', '.join(info.regions)} "
            f"(profiles: {profiles}). Set AWS_REGION to one of them, or pick another model "
            f"(`bedrock-auth models --region {region}` lists what this account can call there)."
        )
    names = [
        *listing.models,
        *(p for p in listing.profiles if not p.startswith("arn:")),
        *(alias for m in CATALOG for alias in m.aliases),  # as written, not as keys
    ]
    close = difflib.get_close_matches(model_id, names, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"{text!r} is not a model Bedrock lists for this account in {region}.{hint} "
        f"`bedrock-auth models --region {region}` lists the ids this account can call there."
    )


# LEGACY models already warned about: once per process (``bedrock_auth.reset()`` forgets).
_warned = OnceSet(__name__)


def _warn_if_legacy(listed: ListedModel | None, info: ModelInfo | None) -> None:
    """One :class:`LegacyModelWarning` per model per process (``reset()`` forgets them)."""
    if listed is None or listed.status != "LEGACY":
        return
    if not _warned.first(listed.model_id):
        return
    warnings.warn(_legacy_message(listed, info), LegacyModelWarning, stacklevel=_caller_level())


def _legacy_message(listed: ListedModel, info: ModelInfo | None) -> str:
    when = (
        f"AWS retires it on {listed.end_of_life:%Y-%m-%d}"
        if listed.end_of_life is not None
        else "Bedrock lists no retirement date for it yet"
    )
    replacement = _BY_ALIAS.get(_alias_key(info.replacement)) if info and info.replacement else None
    instead = (
        f"Move to {replacement.display_name}: model={replacement.aliases[0]!r} "
        f"({replacement.model_id})."
        if replacement is not None
        else "Move to a current model: `bedrock-auth models` lists each one's status."
    )
    return f"{listed.name} ({listed.model_id}) is LEGACY on Amazon Bedrock: {when}. {instead}"


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside bedrock_auth: the warning names user code."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "bedrock_auth"
    ):
        frame, level = frame.f_back, level + 1
    return level


def geography_for_region(region: str) -> str:
    """Return the inference-profile geography a caller in ``region`` uses first.

    That is ``us-gov`` for GovCloud, ``us`` for US and Canada, ``eu`` for Europe (and Tel
    Aviv), ``jp`` for Tokyo and Osaka, ``au`` for Sydney, Melbourne and Auckland, ``apac`` for
    the rest of Asia Pacific, and ``global`` where AWS documents no geography profile (São
    Paulo, Mexico, the Middle East, Africa, and Regions outside the commercial and GovCloud
    partitions, where the catalog offers no profile at all). For a given model,
    :func:`resolve_model_id` falls back from ``jp``/``au`` to ``apac`` and then to ``global``
    when the first choice is not offered.

    >>> geography_for_region("eu-central-1"), geography_for_region("ap-southeast-2")
    ('eu', 'au')
    >>> geography_for_region("sa-east-1")
    'global'
    """
    return geographies_for_region(check_region(region))[0]


def _base_id(model: str) -> str | None:
    """The model id inside an id, profile id or ARN; None for an opaque ARN."""
    text = model.strip()
    if text.lower().startswith("arn:"):
        return base_model_from_arn(text)
    return split_profile_prefix(text)[1]


def get_model_info(model: str) -> ModelInfo | None:
    """Return the catalog entry for an alias, id, profile id or model ARN, or None.

    >>> get_model_info("us.anthropic.claude-opus-4-1-20250805-v1:0").display_name
    'Claude Opus 4.1'
    >>> get_model_info("gpt-4o") is None
    True
    """
    base = _base_id(model) if isinstance(model, str) else None
    return _lookup(base) if base else None


def list_models() -> list[ModelInfo]:
    """Return every catalog entry, in catalog order.

    >>> any(m.model_id == "deepseek.r1-v1:0" for m in list_models())
    True
    """
    return list(CATALOG)


def base_model_from_arn(arn: str) -> str | None:
    """Return the model id named by a foundation-model or system inference-profile ARN.

    Application inference profiles, provisioned and custom models have opaque ids; for those
    (and for anything that is not a Bedrock ARN) this returns None, and the caller has to ask
    Bedrock (``get_inference_profile``) which model is behind them.

    >>> base_model_from_arn("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0")
    'amazon.nova-pro-v1:0'
    >>> base_model_from_arn(
    ...     "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/"
    ...     "eu.anthropic.claude-sonnet-4-5-20250929-v1:0")
    'anthropic.claude-sonnet-4-5-20250929-v1:0'
    """
    match = _ARN.fullmatch(arn.strip()) if isinstance(arn, str) else None
    if match is None:
        return None
    if match["kind"] == "foundation-model":
        return match["resource"]
    if match["kind"] == "inference-profile":
        return split_profile_prefix(match["resource"])[1]
    return None


def provider_of(model_or_arn_or_profile_id: str) -> str | None:
    """Return the provider (``anthropic``, ``amazon``, ``meta``, ...) of a model, or None.

    Works for aliases, canonical ids, profile ids and foundation-model or inference-profile
    ARNs. An id shaped like ``<provider>.<name>`` with a known provider counts even when the
    model is newer than the catalog.

    >>> provider_of("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
    'anthropic'
    >>> provider_of("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0")
    'meta'
    >>> provider_of("gpt-4o") is None
    True
    """
    info = get_model_info(model_or_arn_or_profile_id)
    if info is not None:
        return info.provider
    text = model_or_arn_or_profile_id
    base = _base_id(text) if isinstance(text, str) else None
    head, dot, _ = (base or "").partition(".")
    return head.lower() if dot and head.lower() in KNOWN_PROVIDERS else None


def is_bedrock_model(name: str) -> bool:
    """Tell whether ``name`` is something Bedrock can run.

    True for catalog aliases and Anthropic API names of catalogued models, canonical ids,
    profile ids, invocable Bedrock ARNs (foundation model, inference profile, application
    inference profile, provisioned, custom or imported model, prompt router), and ids shaped
    like ``<provider>.<name>`` with a known provider. False for other names, such as OpenAI
    or Gemini model names, and for Anthropic API names of models that are not in the catalog
    (``claude-3-opus`` was retired from Bedrock, so it is not a Bedrock model here).

    >>> is_bedrock_model("claude-sonnet-4-20250514"), is_bedrock_model("gpt-4o")
    (True, False)
    """
    if not isinstance(name, str) or not name.strip():
        return False
    text = name.strip()
    match = _ARN.fullmatch(text)
    if match is not None:
        return match["kind"] in _INVOCABLE_ARN_KINDS
    return get_model_info(text) is not None or provider_of(text) is not None
