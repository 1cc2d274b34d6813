"""Which models and inference profiles exist, per region, and what an id or ARN resolves to."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from .catalog import GEO_NAMES, INFERENCE_PROFILE, ON_DEMAND, FoundationModel, strip_profile_prefix

SYSTEM_DEFINED = "SYSTEM_DEFINED"
APPLICATION = "APPLICATION"
_APP_PROFILE = "application-inference-profile/"
_SYS_PROFILE = "inference-profile/"
_FOUNDATION = "foundation-model/"


@dataclass(frozen=True)
class InferenceProfile:
    """An inference profile as GetInferenceProfile describes it."""

    profile_id: str
    arn: str
    name: str
    kind: str
    model_arns: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class _AppProfile:
    profile_id: str
    region: str
    model_id: str
    name: str


def foundation_model_arn(region: str, model_id: str) -> str:
    """``arn:aws:bedrock:REGION::foundation-model/ID`` (foundation models have no account)."""
    return f"arn:aws:bedrock:{region}::{_FOUNDATION}{model_id}"


def parse_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, resource) of a Bedrock ARN, or None if it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "bedrock":
        return None
    return parts[3], parts[4], parts[5]


class ModelRegistry:
    """The emulator's foundation models plus the application profiles a test registered."""

    def __init__(self, account_id: str, models: dict[str, FoundationModel]) -> None:
        self._account_id = account_id
        self._models = dict(models)
        self._lock = threading.Lock()
        self._apps: dict[str, _AppProfile] = {}
        # (model id, region) -> the system-profile prefixes a test says exist there.
        self._prefixes: dict[tuple[str, str], tuple[str, ...]] = {}

    # -- foundation models -------------------------------------------------------------------

    def foundation_models(self) -> list[FoundationModel]:
        """All known foundation models."""
        with self._lock:
            return list(self._models.values())

    def find_model(self, model_id: str) -> FoundationModel | None:
        """The foundation model with this exact (unprefixed) id."""
        with self._lock:
            return self._models.get(model_id)

    def add_model(self, model: FoundationModel) -> None:
        """Add or replace a foundation model."""
        with self._lock:
            self._models[model.model_id] = model

    def set_lifecycle(
        self, model_id: str, status: str, legacy_since: str | None, end_of_life: str | None
    ) -> None:
        """Change a model's ``modelLifecycle`` (``ACTIVE`` or ``LEGACY``, ISO dates)."""
        with self._lock:
            model = self._models.get(model_id)
            if model is None:
                raise KeyError(f"the emulator has no foundation model {model_id!r}")
            changed = replace(
                model, status=status, legacy_since=legacy_since, end_of_life=end_of_life
            )
            self._models[model_id] = changed

    def inference_types(self, model: FoundationModel, region: str) -> tuple[str, ...]:
        """How ``model`` can be called from ``region``: ON_DEMAND, INFERENCE_PROFILE, or ()."""
        kinds = (
            (ON_DEMAND, model.on_demand_in(region)),
            (INFERENCE_PROFILE, bool(self.profile_prefixes(model, region))),
        )
        return tuple(kind for kind, offered in kinds if offered)

    def models_in(self, region: str) -> list[tuple[FoundationModel, tuple[str, ...]]]:
        """The models ListFoundationModels gives in ``region``, each with its inference types."""
        found = ((m, self.inference_types(m, region)) for m in self.foundation_models())
        return [(model, kinds) for model, kinds in found if kinds]

    # -- application inference profiles ------------------------------------------------------

    def add_application_profile(
        self, arn_or_id: str, model_id: str, region: str, name: str | None = None
    ) -> str:
        """Register an application inference profile; returns its ARN."""
        parsed = parse_arn(arn_or_id)
        if parsed is not None:
            region, _account, resource = parsed
            if not resource.startswith(_APP_PROFILE):
                raise ValueError(f"not an application inference profile ARN: {arn_or_id}")
            profile_id = resource[len(_APP_PROFILE) :]
        else:
            profile_id = arn_or_id
        app = _AppProfile(profile_id, region, model_id, name or profile_id)
        with self._lock:
            self._apps[profile_id] = app
        return self._app_arn(app)

    def _app_arn(self, app: _AppProfile) -> str:
        return f"arn:aws:bedrock:{app.region}:{self._account_id}:{_APP_PROFILE}{app.profile_id}"

    def _routes(self, model_id: str, region: str) -> tuple[str, ...]:
        """Regions a (possibly geo-prefixed) id sends requests to, seen from ``region``."""
        base = strip_profile_prefix(model_id)
        model = self.find_model(base)
        if base == model_id or model is None:
            return (region,)
        return model.profile_regions(model_id.split(".", 1)[0]) or (region,)

    def _app_profile(self, app: _AppProfile) -> InferenceProfile:
        base = strip_profile_prefix(app.model_id)
        regions = self._routes(app.model_id, app.region)
        arns = tuple(foundation_model_arn(r, base) for r in regions)
        return InferenceProfile(app.profile_id, self._app_arn(app), app.name, APPLICATION, arns)

    def _find_app(self, identifier: str) -> _AppProfile | None:
        parsed = parse_arn(identifier)
        if parsed is not None:
            resource = parsed[2]
            if not resource.startswith(_APP_PROFILE):
                return None
            identifier = resource[len(_APP_PROFILE) :]
        with self._lock:
            return self._apps.get(identifier)

    # -- system-defined (cross-region) profiles ----------------------------------------------

    def _system_profile(self, geo: str, model: FoundationModel, region: str) -> InferenceProfile:
        profile_id = f"{geo}.{model.model_id}"
        regions = model.profile_regions(geo) or (region,)
        return InferenceProfile(
            profile_id,
            f"arn:aws:bedrock:{region}:{self._account_id}:{_SYS_PROFILE}{profile_id}",
            f"{GEO_NAMES.get(geo, geo.upper())} {model.name}",
            SYSTEM_DEFINED,
            tuple(foundation_model_arn(r, model.model_id) for r in regions),
            f"Routes requests to {model.name} in {', '.join(regions)}.",
        )

    def set_profile_prefixes(self, model_id: str, region: str, prefixes: tuple[str, ...]) -> None:
        """Make exactly these system profiles of ``model_id`` callable from ``region``."""
        with self._lock:
            self._prefixes[(model_id, region)] = prefixes

    def profile_prefixes(self, model: FoundationModel, region: str) -> list[str]:
        """The system-profile prefixes of ``model`` callable from ``region``."""
        with self._lock:
            chosen = self._prefixes.get((model.model_id, region))
        return list(chosen) if chosen is not None else model.profile_prefixes(region)

    def system_profiles(self, region: str) -> list[InferenceProfile]:
        """The cross-region profiles callable from ``region``."""
        return [
            self._system_profile(prefix, model, region)
            for model in self.foundation_models()
            for prefix in self.profile_prefixes(model, region)
        ]

    def application_profiles(self, region: str) -> list[InferenceProfile]:
        """Application profiles registered in ``region``."""
        with self._lock:
            apps = [a for a in self._apps.values() if a.region == region]
        return [self._app_profile(a) for a in apps]

    def get_profile(self, identifier: str, region: str) -> InferenceProfile | None:
        """Look up a profile by id or ARN as GetInferenceProfile does in ``region``."""
        app = self._find_app(identifier)
        if app is not None:
            return self._app_profile(app) if app.region == region else None
        parsed = parse_arn(identifier)
        if parsed is not None:
            if not parsed[2].startswith(_SYS_PROFILE):
                return None
            identifier = parsed[2][len(_SYS_PROFILE) :]
        return next((p for p in self.system_profiles(region) if p.profile_id == identifier), None)

    # -- runtime resolution ------------------------------------------------------------------

    def resolve(self, model_id: str) -> str | None:
        """The foundation model id behind any id/ARN a runtime call may use (None if unknown)."""
        parsed = parse_arn(model_id)
        if parsed is None:
            return strip_profile_prefix(model_id)
        resource = parsed[2]
        if resource.startswith(_FOUNDATION):
            return resource[len(_FOUNDATION) :]
        if resource.startswith(_SYS_PROFILE):
            return strip_profile_prefix(resource[len(_SYS_PROFILE) :])
        app = self._find_app(model_id)
        return strip_profile_prefix(app.model_id) if app else None

    def strict_error(self, model_id: str, region: str, *, on_demand: bool = True) -> str | None:
        """Why real Bedrock would refuse ``model_id`` in ``region`` (strict mode), or None.

        ``on_demand=False`` (CountTokens, which counts for base model ids only) skips the check
        that a model needing an inference profile is not called by its bare id."""
        invalid = "The provided model identifier is invalid."
        base = self.resolve(model_id)
        model = self.find_model(base) if base else None
        if model is None:
            return invalid
        parsed = parse_arn(model_id)
        via_profile = model_id != base if parsed is None else not parsed[2].startswith(_FOUNDATION)
        if not via_profile:
            if model.on_demand_in(region) or not on_demand:
                return None
            return (
                f"Invocation of model ID {base} with on-demand throughput isn't supported. "
                "Retry your request with the ID or ARN of an inference profile that "
                "contains this model."
            )
        if parsed is None and self.get_profile(model_id, region) is None:
            return invalid
        return None
