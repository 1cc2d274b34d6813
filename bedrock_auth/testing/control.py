"""bedrock (control plane): inference profiles and foundation models."""

from __future__ import annotations

from .body_format import Json
from .catalog import FoundationModel
from .registry import InferenceProfile, foundation_model_arn
from .responses import ApiError, Response, json_response, validation_error
from .state import Call

# A fixed date keeps responses deterministic; botocore only needs a parsable timestamp.
_CREATED = "2024-08-27T00:00:00Z"
_PAGE_MAX = 1000


def _profile_json(profile: InferenceProfile) -> Json:
    return {
        "inferenceProfileName": profile.name,
        "description": profile.description,
        "createdAt": _CREATED,
        "updatedAt": _CREATED,
        "inferenceProfileArn": profile.arn,
        "models": [{"modelArn": arn} for arn in profile.model_arns],
        "inferenceProfileId": profile.profile_id,
        "status": "ACTIVE",
        "type": profile.kind,
    }


def get_inference_profile(call: Call) -> Response:
    """GET /inference-profiles/{inferenceProfileIdentifier}."""
    identifier = call.route.params["inferenceProfileIdentifier"]
    profile = call.state.registry.get_profile(identifier, call.region)
    if profile is None:
        raise ApiError(
            "ResourceNotFoundException", f"Inference profile {identifier} not found.", 404
        )
    return json_response(_profile_json(profile))


def _page_bounds(call: Call) -> tuple[int, int]:
    try:
        start = int(call.query.get("nextToken") or 0)
        size = int(call.query.get("maxResults") or _PAGE_MAX)
    except ValueError as exc:
        raise validation_error("Invalid pagination parameters.") from exc
    if start < 0 or not 1 <= size <= _PAGE_MAX:
        raise validation_error("Invalid pagination parameters.")
    return start, size


def list_inference_profiles(call: Call) -> Response:
    """GET /inference-profiles (``type`` filter, ``maxResults``/``nextToken`` paging)."""
    registry = call.state.registry
    kind = call.query.get("type", "SYSTEM_DEFINED")
    if kind not in ("SYSTEM_DEFINED", "APPLICATION"):
        raise validation_error(f"Invalid inference profile type: {kind}")
    profiles = (
        registry.application_profiles(call.region)
        if kind == "APPLICATION"
        else registry.system_profiles(call.region)
    )
    start, size = _page_bounds(call)
    page = profiles[start : start + size]
    out: Json = {"inferenceProfileSummaries": [_profile_json(p) for p in page]}
    if start + size < len(profiles):
        out["nextToken"] = str(start + size)
    return json_response(out)


def _lifecycle_json(model: FoundationModel) -> Json:
    dates = {"legacyTime": model.legacy_since, "endOfLifeTime": model.end_of_life}
    return {"status": model.status, **{k: f"{v}T00:00:00Z" for k, v in dates.items() if v}}


def _model_json(model: FoundationModel, region: str, kinds: tuple[str, ...]) -> Json:
    return {
        "modelArn": foundation_model_arn(region, model.model_id),
        "modelId": model.model_id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": list(model.input_modalities),
        "outputModalities": [model.output_modality],
        "responseStreamingSupported": model.streams,
        "customizationsSupported": [],
        "inferenceTypesSupported": list(kinds),
        "modelLifecycle": _lifecycle_json(model),
    }


def _wanted(model: FoundationModel, kinds: tuple[str, ...], query: dict[str, str]) -> bool:
    provider = query.get("byProvider")
    modality = query.get("byOutputModality")
    inference = query.get("byInferenceType")
    return (
        (provider is None or provider.lower() == model.provider.lower())
        and (modality is None or modality == model.output_modality)
        and (inference is None or inference in kinds)
    )


def list_foundation_models(call: Call) -> Response:
    """GET /foundation-models with the byProvider/byOutputModality/byInferenceType filters.

    As Bedrock does, only the models callable from the request's region, each with how
    (on demand, through a profile) it can be called there.
    """
    listed = call.state.registry.models_in(call.region)
    summaries = [_model_json(m, call.region, k) for m, k in listed if _wanted(m, k, call.query)]
    return json_response({"modelSummaries": summaries})


def get_foundation_model(call: Call) -> Response:
    """GET /foundation-models/{modelIdentifier} (id or foundation-model ARN)."""
    identifier = call.route.params["modelIdentifier"].rsplit("/", 1)[-1]
    model = call.state.registry.find_model(identifier)
    if model is None:
        raise ApiError("ValidationException", "The provided model identifier is invalid.", 400)
    kinds = call.state.registry.inference_types(model, call.region) or model.inference_types
    return json_response({"modelDetails": _model_json(model, call.region, kinds)})
