"""The live catalog: what Bedrock lists for one manager's account, per Region, cached.

Bedrock knows which inference profiles exist for the caller in a Region and which models run
there on demand (``ListInferenceProfiles``, ``ListFoundationModels``); the static table in
:mod:`bedrock_auth.models` can only guess. :class:`LiveCatalog` asks once per Region on first
need, keeps the answer for :data:`LISTING_TTL`, and lets concurrent callers share one listing.
A denied or unreachable listing is remembered for the same time and logged once at DEBUG: the
caller falls back to the static table (least-privilege roles often lack the listing actions,
and a private subnet may have no ``bedrock`` endpoint).

When a call needs a model (:meth:`LiveCatalog.resolve`), the static table answers first: a
listing is a ``bedrock`` client and three control-plane calls with large replies, which a cold
start (a new Lambda container) would pay before its first token. The listing is asked only
when the table cannot place the model (an id newer than the data, or one the data says is not
offered in the Region), and when Bedrock refuses the id the table chose
(:func:`refused_id`, :meth:`LiveCatalog.after_rejection`): the call is then sent once more with
the id the listing gives. ``resolve_model_id(..., manager=...)``, ``bedrock-auth models`` and
doctor ask the listing directly. Each answer is kept per (model, Region): for good when the
table gave it, for as long as the listing it came from otherwise.

This is the one place that asks the ``bedrock`` control plane about models, application
inference profiles (``GetInferenceProfile``) included, and every such call is bounded alike:
one attempt of at most :data:`LISTING_TIMEOUT` seconds to connect and as long to read. Several
Regions that each need a listing are listed at once (:meth:`LiveCatalog.resolve_each`), so a hung
control plane costs ``get_llm`` with fallback Regions one timeout, not one per Region.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from bedrock_auth._redact import redact_exception
from bedrock_auth._state import SingleFlightCache
from bedrock_auth._translate import CREDENTIAL_CODES, ErrorContext, cause_of, translate_error
from bedrock_auth.errors import ModelNotAvailableError
from bedrock_auth.models import (
    ListedModel,
    Listing,
    base_model_from_arn,
    in_table,
    provider_of,
    resolve_with,
)
from bedrock_auth.regions import Region, check_region, split_profile_prefix

logger = logging.getLogger("bedrock_auth")

#: Seconds a Region's listing, or its failure, is kept.
LISTING_TTL = 3600.0
#: Every control-plane call (the listings, ``GetInferenceProfile``) connects and reads within
#: this many seconds, in one attempt: a slow or absent endpoint costs about this much (a failed
#: listing once per :data:`LISTING_TTL`). The client's ``Config`` is made of it in
#: :func:`bedrock_auth.manager.listing_config_for`.
LISTING_TIMEOUT = 2.0
#: At most this many Regions are listed at once (``get_llm`` with fallback Regions).
MAX_PARALLEL_LISTINGS = 8
_PROFILE_TYPES = ("SYSTEM_DEFINED", "APPLICATION")
_LISTINGS = frozenset({"ListInferenceProfiles", "ListFoundationModels"})
# FoundationModelLifecycle members read when the installed botocore's shape has them.
_LIFECYCLE_DATES = {"legacyTime": "legacy_since", "endOfLifeTime": "end_of_life"}


#: Resolutions kept per catalog (model as asked, Region); past it, the cache starts again.
MAX_RESOLVED = 1024
# Bedrock's words when it refuses the model id itself (ValidationException): an id it does not
# know, or a model that this Region serves only through an inference profile.
_REFUSED_ID_WORDS = ("model identifier", "inference profile")


@dataclass(frozen=True)
class ResolvedModel:
    """One model as a call from one Region needs it: the id to send there, and, looked up
    only when asked (an application profile costs a ``GetInferenceProfile``), its foundation
    model and provider."""

    model_id: str
    #: Checked once, where the call came in; the client for the call is made in it.
    region: Region
    catalog: LiveCatalog = field(repr=False, compare=False)
    #: The model as the caller wrote it (alias, id, profile id or ARN).
    asked: str = field(default="", compare=False)
    #: True when the live listing chose ``model_id``; False when the static table did.
    listed: bool = field(default=False, compare=False)
    # Error contexts by (service, operation): made once, on first need, then shared by calls.
    _contexts: dict[tuple[str, str], ErrorContext] = field(
        default_factory=dict, repr=False, compare=False
    )

    @functools.cached_property
    def base_model(self) -> str | None:
        """The foundation model behind a profile id or ARN (the id itself for a plain id)."""
        return self.catalog.base_model(self.model_id, self.region)

    @property
    def provider(self) -> str | None:
        """``anthropic``, ``amazon``, ...: whose request format the model takes."""
        return provider_of(self.base_model or self.model_id)

    def context(self, operation: str, service: str = "bedrock-runtime") -> ErrorContext:
        """What an error of ``operation`` on this model reports; the same object every call."""
        ctx = self._contexts.get((service, operation))
        if ctx is None:
            ctx = self._contexts[service, operation] = ErrorContext(
                service=service,
                operation=operation,
                region=self.region,
                model_id=self.model_id,
                profile=self.catalog.profile,
            )
        return ctx


def refused_id(exc: BaseException | None) -> bool:
    """Did Bedrock refuse the model id itself (unknown there, or on demand where only a
    profile serves)? Not an access denial: the listing cannot grant model access."""
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    if not isinstance(error, dict):
        return False
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code == "ResourceNotFoundException":
        return True
    return code == "ValidationException" and any(w in message for w in _REFUSED_ID_WORDS)


class _Entry(NamedTuple):
    listing: Listing | None
    why: str | None  # why the listing failed, for doctor and `bedrock-auth models`


def is_application_profile(model_id: str) -> bool:
    """True for ``arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>``."""
    return model_id.startswith("arn:") and ":application-inference-profile/" in model_id


class LiveCatalog:
    """One manager's view of what Bedrock lists, per Region (see the module docstring).

    ``listing_client(region)`` gives the short-timeout, one-attempt ``bedrock`` client that
    every control-plane call uses: the listings, and ``GetInferenceProfile`` (whose error is
    raised, typed). With ``enabled=False`` no listing is made; an application-profile ARN is
    still looked up, its provider is needed.
    """

    def __init__(
        self, listing_client: Callable[[str], Any], *, enabled: bool, profile: str = ""
    ) -> None:
        self.enabled = enabled
        #: The manager's profile, for the SSO message of a failed call or lookup.
        self.profile = profile
        self._listing_client = listing_client
        # Region -> listing; application profile ARN -> foundation model id. Single-flight:
        # the first caller lists, concurrent ones wait for its answer, other Regions never wait.
        self._listings: SingleFlightCache[str, _Entry] = SingleFlightCache()
        self._apps: SingleFlightCache[str, str | None] = SingleFlightCache()
        # (model as asked, Region) -> (its resolution, monotonic deadline). Read on every call
        # without a lock: a dict read is atomic, and two threads that both miss resolve alike.
        self._resolved: dict[tuple[str, str], tuple[ResolvedModel, float]] = {}

    # -- listings -----------------------------------------------------------------------------

    def listing(self, region: str) -> Listing | None:
        """What Bedrock lists in ``region``; None when disabled, denied or unreachable."""
        return self._entry(region).listing if self.enabled else None

    def failure(self, region: str) -> str | None:
        """Why the listing of ``region`` failed (None if it did not, or is disabled)."""
        return self._entry(region).why if self.enabled else None

    def _entry(self, region: str) -> _Entry:
        region = check_region(region)
        return self._listings.fetch(region, lambda: self._fetch(region))

    def _fetch(self, region: str) -> tuple[_Entry, float]:
        """The listing of ``region``, or why it failed, and how many seconds to keep it.

        Any failure: the static table answers, and a failure that is not the listing's own
        (the credentials, a source that raised) is met again, typed, by the call itself.
        """
        try:
            listing = self._list(region)
        except Exception as exc:
            redact_exception(exc)  # kept by nothing, but a debugger or reporter may see it
            why, kept = _reason(exc), LISTING_TTL if _lasting(exc) else 0.0
            logger.debug(
                "live model catalog unavailable in %s (%s): the static table answers%s",
                region,
                why,
                f" for {kept / 60:.0f} min" if kept else " (credentials: asked again next time)",
            )
            return _Entry(None, why), kept
        return _Entry(listing, None), LISTING_TTL

    def _list(self, region: str) -> Listing:
        client = self._listing_client(region)
        # The three listings at once (botocore clients are thread-safe): the first model call
        # in a Region waits for the slowest of them, not for their sum.
        with ThreadPoolExecutor(3, thread_name_prefix="bedrock-auth-catalog") as pool:
            kinds = [pool.submit(_profiles, client, kind) for kind in _PROFILE_TYPES]
            listed = pool.submit(_models, client)
            profiles = {k: v for kind in kinds for k, v in kind.result().items()}
            models = listed.result()
        return Listing(region, MappingProxyType(models), MappingProxyType(profiles))

    # -- one model --------------------------------------------------------------------------

    def resolve(self, model: str, region: Region) -> ResolvedModel:
        """``model`` as a call from ``region`` needs it (its provider and base model on demand).

        The static table answers when it can place the model; the listing otherwise (see the
        module docstring). ``region`` is a checked :class:`~bedrock_auth.regions.Region`:
        callers come through ``bedrock_auth._calls.resolve``, which checks a name once per call.
        """
        known = self.known(model, region)
        return known if known is not None else self._listed(model, region)

    def resolve_each(self, model: str, regions: Sequence[Region]) -> tuple[ResolvedModel, ...]:
        """:meth:`resolve` in each of ``regions``, in order. The Regions whose answer needs a
        listing are listed at once, on at most :data:`MAX_PARALLEL_LISTINGS` threads: a hung
        control plane costs one :data:`LISTING_TIMEOUT`, not one per Region."""
        answers = {region: self.known(model, region) for region in regions}
        missing = [region for region, known in answers.items() if known is None]
        if len(missing) > 1:
            workers = min(len(missing), MAX_PARALLEL_LISTINGS)
            with ThreadPoolExecutor(workers, thread_name_prefix="bedrock-auth-catalog") as pool:
                # In order: the first Region's error is raised first, as one at a time would.
                listed = pool.map(functools.partial(self._listed, model), missing)
                answers.update(zip(missing, listed, strict=True))
        return tuple(answers[r] or self._listed(model, r) for r in regions)

    def known(self, model: str, region: Region) -> ResolvedModel | None:
        """:meth:`resolve`'s answer when it asks no one (kept from before, or the static
        table's), else None: the listing must be asked. Never blocks on the network, so an
        event loop may call it and move only the rest to a thread."""
        hit = self._resolved.get((model, region))
        if hit is not None:
            if hit[1] > self._listings.clock():
                return hit[0]
            if hit[0].listed:  # the table's answer was refused before: ask the listing again
                return None
        if self.enabled and not in_table(model):
            return None
        try:
            model_id = resolve_with(model, region, None)
        except ModelNotAvailableError:
            if not self.enabled:
                raise
            return None  # not offered here, says the table: the listing may know better
        return self._keep(ResolvedModel(model_id, region, self, model), math.inf)

    def _listed(self, model: str, region: Region) -> ResolvedModel:
        """The listing's answer (the static table's when the listing failed), kept as long."""
        model_id = resolve_with(model, region, self.listing)
        listed = self.listing(region) is not None
        entry = self._listings.entries.get(region)
        until = entry[1] if entry is not None else 0.0  # a failure not kept: ask again
        return self._keep(ResolvedModel(model_id, region, self, model, listed), until)

    def _keep(self, resolved: ResolvedModel, until: float) -> ResolvedModel:
        if len(self._resolved) >= MAX_RESOLVED:
            self._resolved.clear()
        self._resolved[resolved.asked, resolved.region] = (resolved, until)
        return resolved

    def after_rejection(self, rejected: ResolvedModel) -> ResolvedModel | None:
        """The id to send once more after Bedrock refused ``rejected`` (see :func:`refused_id`),
        or None: the listing is off, failed, chose ``rejected`` itself, or gives the same id.

        Raises the listing's :class:`ModelNotAvailableError` (naming the Regions and profiles
        that would work) when it does not offer the model there at all. An explicit profile id
        is never swapped for another: the listing's refusal says which one to use.
        """
        if not self.enabled or rejected.listed or self.listing(rejected.region) is None:
            return None
        retry = self._listed(rejected.asked, rejected.region)
        if retry.model_id == rejected.model_id:
            return None
        logger.info(
            "Bedrock refused %s in %s; using %s, which its listing gives for %r",
            rejected.model_id,
            rejected.region,
            retry.model_id,
            rejected.asked,
        )
        return retry

    def base_model(self, model_id: str, region: str) -> str | None:
        """The foundation model behind an id, profile id or ARN; None for an opaque ARN.

        An application profile is answered by the listing, else by ``GetInferenceProfile``,
        once per ARN.
        """
        if not is_application_profile(model_id):
            if model_id.startswith("arn:"):
                return base_model_from_arn(model_id)
            return split_profile_prefix(model_id)[1]
        # A listing made already answers; none is made for it: GetInferenceProfile is one call.
        entry = self._listings.get(check_region(region)) if self.enabled else None
        listing = entry.listing if entry is not None else None
        if listing is not None and model_id in listing.profiles:
            return listing.profiles[model_id]
        return self._apps.fetch(model_id, lambda: self._application_profile(model_id, region))

    def _application_profile(self, arn: str, region: str) -> tuple[str | None, float]:
        """The profile's foundation model, kept for good once known (an ARN's never changes)."""
        ctx = ErrorContext(
            service="bedrock",
            operation="GetInferenceProfile",
            region=region,
            model_id=arn,
            profile=self.profile,
        )
        try:
            client = self._listing_client(region)
            reply = client.get_inference_profile(inferenceProfileIdentifier=arn)
        except Exception as exc:
            raise translate_error(exc, ctx) from cause_of(exc)
        base = _routed_model(reply)
        return base, math.inf if base is not None else 0.0

    # -- lifecycle ----------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every listing, failure, profile lookup and resolution: the next call asks
        again."""
        self._listings.clear()
        self._apps.clear()
        self._resolved.clear()


def _profiles(client: Any, kind: str) -> dict[str, str]:
    """``{profile id or ARN: foundation model id}`` for every profile of one type."""
    profiles: dict[str, str] = {}
    for page in client.get_paginator("list_inference_profiles").paginate(typeEquals=kind):
        for summary in page.get("inferenceProfileSummaries", []):
            profiles.update(_profile_entry(summary))
    return profiles


def _models(client: Any) -> dict[str, ListedModel]:
    dates = _lifecycle_dates(client)
    summaries = client.list_foundation_models().get("modelSummaries", [])
    return {s["modelId"]: _listed_model(s, dates) for s in summaries if s.get("modelId")}


def _profile_entry(summary: dict[str, Any]) -> dict[str, str]:
    """``{profile id or ARN: foundation model id}`` for one inference profile summary."""
    arn = summary.get("inferenceProfileArn", "")
    key = arn if summary.get("type") == "APPLICATION" else summary.get("inferenceProfileId", "")
    base = _routed_model(summary)
    if base is None and not key.startswith("arn:"):
        base = split_profile_prefix(key)[1]
    return {key: base} if key and base else {}


def _routed_model(profile: dict[str, Any]) -> str | None:
    """The foundation model an inference profile routes to: its first model ARN's id."""
    routes = [m.get("modelArn", "") for m in profile.get("models") or []]
    return routes[0].rsplit("/", 1)[-1] if routes and routes[0] else None


def _lifecycle_dates(client: Any) -> dict[str, str]:
    """The lifecycle dates the installed botocore parses: older ones know only the status."""
    model = client.meta.service_model
    if "FoundationModelLifecycle" not in model.shape_names:
        return {}
    members = model.shape_for("FoundationModelLifecycle").members
    return {wire: ours for wire, ours in _LIFECYCLE_DATES.items() if wire in members}


def _listed_model(summary: dict[str, Any], dates: dict[str, str]) -> ListedModel:
    lifecycle = summary.get("modelLifecycle") or {}
    when = {ours: _date(lifecycle.get(wire)) for wire, ours in dates.items()}
    return ListedModel(
        model_id=summary["modelId"],
        name=summary.get("modelName") or summary["modelId"],
        provider=summary.get("providerName", ""),
        on_demand="ON_DEMAND" in (summary.get("inferenceTypesSupported") or ()),
        status=lifecycle.get("status") or "ACTIVE",
        legacy_since=when.get("legacy_since"),
        end_of_life=when.get("end_of_life"),
    )


def _date(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _lasting(exc: BaseException) -> bool:
    """Would listing again within the TTL fail the same way: denied, or unreachable?

    A refusal of the credentials (expired, rejected, a role that could not be assumed) is not
    the listing's: it is not remembered, and the call that follows reports it.
    """
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotocoreConnectionError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        return exc.operation_name in _LISTINGS and code not in CREDENTIAL_CODES
    return isinstance(exc, (BotocoreConnectionError, HTTPClientError))


def _reason(exc: BaseException) -> str:
    """The error code or class only: never a message that could carry a request detail."""
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code or type(exc).__name__)
