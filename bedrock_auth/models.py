"""Model ids: canonical Bedrock ids, aliases and where each model can be called.

Newer models on Bedrock run on demand only through a cross-region inference profile: the
canonical id with a geography prefix (``us.``, ``eu.``, ``apac.``, ``jp.``, ``au.``,
``us-gov.``) or ``global.`` in front. Which prefix works depends on the Region the call is
made from. The facts live in one data file, ``bedrock_auth/_data/models.json`` (its format is
described in :mod:`bedrock_auth._data`); this module resolves ids from them, and no function
branches on a particular model.

>>> resolve_model_id("claude-sonnet-4-5", "eu-west-1")
'eu.anthropic.claude-sonnet-4-5-20250929-v1:0'
>>> info = get_model_info("gpt-oss-120b")
>>> info.capabilities.reasoning, info.mantle.path if info.mantle else None
('always', '/v1')

Each entry of the data names its sources (AWS model cards and tables, Anthropic's table,
recorded Bedrock traffic of public projects, ...). Entries whose Region lists hold only what a
source confirmed say so (``regions_complete`` false): outside those Regions their ids pass
through unchanged, as ids newer than the data do, and Bedrock decides.

The geography prefixes, which Region tries which geography, and the check of Region names
live in :mod:`bedrock_auth.regions`; :data:`GEOGRAPHY_PREFIXES` is re-exported from there.

Importing this module is cheap: it needs only the standard library, a few small
``bedrock_auth`` modules and the process-state registry, and the data file is read on the first
lookup, not at import. :data:`CATALOG`, :data:`RETIRED` and :data:`KNOWN_PROVIDERS` are read
from it on first access.
"""

from __future__ import annotations

import logging
import re
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from bedrock_auth._state import OnceSet
from bedrock_auth.errors import (
    BedrockAuthError,
    ConfigurationError,
    LegacyModelWarning,
    ModelNotAvailableError,
)
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
    "Capabilities",
    "Lifecycle",
    "ListedModel",
    "Listing",
    "MantleRoute",
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

if TYPE_CHECKING:
    from bedrock_auth._data import Capabilities, Lifecycle, MantleRoute, ModelInfo, Table

    #: Every model the library knows, oldest first within each provider. Aliases are matched
    #: case-insensitively, with ``.``, ``_`` and spaces read as ``-`` (so ``sonnet-4.5`` and
    #: ``sonnet-4-5`` are the same alias). The family names ``sonnet``, ``haiku`` and ``opus``
    #: belong to the newest model of that family whose Regions the data knows in full.
    CATALOG: tuple[ModelInfo, ...]
    #: Models AWS has retired from Bedrock (end of life): (Bedrock id, display name, the
    #: Anthropic API names people still type, catalog alias to use instead). They are not in
    #: :data:`CATALOG` (nothing can call them, and ``is_bedrock_model`` stays false for their
    #: API names); :func:`resolve_model_id` refuses them, naming the replacement, instead of
    #: passing them on to fail in Bedrock as "The provided model identifier is invalid".
    RETIRED: tuple[tuple[str, str, tuple[str, ...], str], ...]
    #: Provider prefixes of Bedrock model ids (``<provider>.<model>``). An id with one of these
    #: is treated as a Bedrock id even when it is newer than the catalog.
    KNOWN_PROVIDERS: frozenset[str]


def _table() -> Table:
    """The parsed model data (:func:`bedrock_auth._data.table`), read on the first call."""
    # Imported here, not at the top: importing bedrock_auth then costs neither the file nor
    # the data module's classes.
    from bedrock_auth._data import table as parsed

    return parsed()


def _alias_key(text: str) -> str:
    from bedrock_auth._data import alias_key

    return alias_key(text)


def _data_class(name: str) -> Callable[[], object]:
    def load() -> object:
        from bedrock_auth import _data

        return getattr(_data, name)

    return load


# Read on first access, so that importing this module reads no file and builds no table.
_LAZY: Mapping[str, Callable[[], object]] = {
    "CATALOG": lambda: _table().models,
    "RETIRED": lambda: _table().retired,
    "KNOWN_PROVIDERS": lambda: frozenset(_table().providers),
    **{
        name: _data_class(name)
        for name in ("Capabilities", "Lifecycle", "MantleRoute", "ModelInfo")
    },
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    data = _table()
    return data.by_id.get(model.lower()) or data.by_alias.get(_alias_key(model))


def _profile_prefix(info: ModelInfo, region: str) -> str | None:
    for geography in geographies_for_region(region):
        if region in info.geographies.get(geography, ()):
            return geography
    return None


def _retired(model: str, display: str, replacement: str) -> ModelNotAvailableError:
    info = _table().by_alias[_alias_key(replacement)]
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
    if info.on_demand_in(region) and not (prefer_profile and prefix):
        return info.model_id
    if prefix is not None:
        return f"{prefix}.{info.model_id}"
    if not info.regions_complete:
        # The data lists only the Regions a source confirmed: elsewhere, let Bedrock decide.
        _log.debug("no known route for %r from %s; using it unchanged", info.model_id, region)
        return info.model_id
    raise ModelNotAvailableError(_not_offered(info, region))


def _check_explicit_prefix(model: str, prefix: str, info: ModelInfo, region: str) -> str:
    if region in info.geographies.get(prefix, ()):
        return model
    unlisted = prefix not in info.geographies or not info.regions_complete
    if unlisted and prefix in geographies_for_region(region):
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
    the listing is off, denied or unreachable, the static data answers, silently.

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
cannot be called from us-east-1; use us.anthropic.claude-sonnet-4-5-20250929-v1:0...
    """
    listings = manager.catalog.listing if manager is not None else None
    return resolve_with(model, region, listings, prefer_profile=prefer_profile)


def in_table(model: str) -> bool:
    """Whether the static table places ``model`` on its own: an ARN (passed through as it is),
    an id, profile id, alias or API name of a catalogued or retired model, or no model at all
    (refused either way). Only other ids need Bedrock's listing to be resolved.

    >>> in_table("sonnet-4.5"), in_table("anthropic.claude-some-future-model-v1")
    (True, False)
    """
    text = model.strip() if isinstance(model, str) else ""
    if not text or text.lower().startswith("arn:"):
        return True
    base = split_profile_prefix(text)[1]
    return _lookup(base) is not None or _alias_key(base) in _table().retired_names


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
    retired = _table().retired_names.get(_alias_key(base)) if info is None else None
    if retired is not None:
        raise _retired(text, *retired)
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
        *(alias for m in _table().models for alias in m.aliases),  # as written, not as keys
    ]
    import difflib  # only for an id Bedrock does not list: not worth its import otherwise

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
    aliases = _table().by_alias
    replacement = aliases.get(_alias_key(info.replacement)) if info and info.replacement else None
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


def foundation_model(model: str) -> str:
    """The foundation model behind an id, profile id or ARN (model access is granted per
    foundation model); ``model`` itself when neither the table nor the ARN names one."""
    info = get_model_info(model)
    return info.model_id if info else base_model_from_arn(model) or model


def profile_id_for(model: str, region: str) -> str:
    """An inference-profile id to suggest for ``model`` from ``region`` in an error message:
    the table's, else the ``us.`` one."""
    base = base_model_from_arn(model) or model
    try:
        return resolve_model_id(base, region, prefer_profile=True)
    except BedrockAuthError:
        return f"us.{base}"


def list_models() -> list[ModelInfo]:
    """Return every catalog entry, in catalog order.

    >>> any(m.model_id == "deepseek.r1-v1:0" for m in list_models())
    True
    """
    return list(_table().models)


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
    return head.lower() if dot and head.lower() in _table().providers else None


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
