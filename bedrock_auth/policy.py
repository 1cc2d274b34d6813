"""Minimal IAM policies for what this library calls; used by error messages, doctor and the CLI.

>>> iam_action_for("bedrock-runtime", "ConverseStream")
'bedrock:InvokeModelWithResponseStream'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bedrock_auth.errors import ConfigurationError
from bedrock_auth.models import get_model_info, list_models, resolve_model_id
from bedrock_auth.regions import split_profile_prefix

# Bedrock authorises Converse with the InvokeModel actions, and each API with its own action.
_ACTIONS = {
    "Converse": "bedrock:InvokeModel",
    "InvokeModel": "bedrock:InvokeModel",
    "CountTokens": "bedrock:CountTokens",
    "ConverseStream": "bedrock:InvokeModelWithResponseStream",
    "InvokeModelWithResponseStream": "bedrock:InvokeModelWithResponseStream",
    "InvokeAgent": "bedrock:InvokeAgent",
    "GetInferenceProfile": "bedrock:GetInferenceProfile",
    "ListInferenceProfiles": "bedrock:ListInferenceProfiles",
    "ListFoundationModels": "bedrock:ListFoundationModels",
    "GetCallerIdentity": "sts:GetCallerIdentity",
    "AssumeRole": "sts:AssumeRole",
}

#: What an app using every helper of this library needs.
DEFAULT_ACTIONS = (
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
)


# IAM prefixes of the services that are not "bedrock:" (bedrock-mantle's inference calls are
# all bedrock-mantle:CreateInference).
_PREFIXES = {"sts": "sts", "bedrock-mantle": "bedrock-mantle"}


def iam_action_for(service: str, operation: str) -> str:
    """The IAM action that authorises ``operation`` (falls back to ``<prefix>:<operation>``).

    >>> iam_action_for("bedrock-mantle", "CreateInference")
    'bedrock-mantle:CreateInference'
    """
    prefix = _PREFIXES.get(service, "bedrock")
    if operation in _ACTIONS and prefix == "bedrock":
        return _ACTIONS[operation]
    return f"{prefix}:{operation or '*'}"


def model_resources(model_id: str, region: str = "", account: str = "*") -> list[str]:
    """Resources for a model id: the foundation model in every region a profile may route to,
    plus the inference profile itself (in ``region``, owned by ``account``) when the id is one.

    >>> model_resources("us.amazon.nova-lite-v1:0", "us-east-1", "123456789012")
    ... # doctest: +NORMALIZE_WHITESPACE
    ['arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0',
     'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0']
    """
    if model_id.startswith("arn:"):
        return [model_id]
    prefix, base = split_profile_prefix(model_id)
    resources = [f"arn:aws:bedrock:*::foundation-model/{base}"]
    if prefix is not None:
        resources.append(f"arn:aws:bedrock:{region or '*'}:{account}:inference-profile/{model_id}")
    return resources


_EVERY_MODEL = ("arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:*:*:inference-profile/*")
# Actions that act on something other than a model.
_OWN_RESOURCES = {
    "bedrock:InvokeAgent": ("arn:aws:bedrock:*:*:agent-alias/*",),
    "bedrock:GetInferenceProfile": (
        "arn:aws:bedrock:*:*:application-inference-profile/*",
        "arn:aws:bedrock:*:*:inference-profile/*",
    ),
    "bedrock:ListFoundationModels": ("*",),
    "bedrock:ListInferenceProfiles": ("*",),
}


def policy_document(
    actions: Sequence[str] = DEFAULT_ACTIONS,
    *,
    model_id: str = "",
    region: str = "",
    resource: str = "",
) -> dict[str, Any]:
    """An IAM policy document allowing ``actions`` on ``model_id`` (every model if empty).

    Actions outside Bedrock (``sts:AssumeRole``) apply to ``resource``, or to ``*``.

    >>> policy_document(["bedrock:InvokeModel"], model_id="amazon.nova-lite-v1:0")["Statement"][0][
    ...     "Resource"]
    ['arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0']
    """
    by_resources: dict[tuple[str, ...], list[str]] = {}
    for action in sorted(set(actions)):
        resources = _OWN_RESOURCES.get(action)
        if resources is None:
            resources = tuple(model_resources(model_id, region)) if model_id else _EVERY_MODEL
        if not action.startswith("bedrock:"):
            resources = (resource or "*",)
        by_resources.setdefault(resources, []).append(action)
    statements = [
        {"Effect": "Allow", "Action": grouped, "Resource": list(resources)}
        for resources, grouped in by_resources.items()
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def policy_json(
    actions: Sequence[str] = DEFAULT_ACTIONS,
    *,
    model_id: str = "",
    region: str = "",
    resource: str = "",
) -> str:
    """:func:`policy_document` as indented JSON, ready to paste into the IAM console."""
    document = policy_document(actions, model_id=model_id, region=region, resource=resource)
    return json.dumps(document, indent=2)


# -- the policy `bedrock-auth policy` prints --------------------------------------------------


def known_model_id(model: str, region: str) -> str:
    """``model`` resolved for ``region``; a name the catalog does not know is refused, with the
    closest known names, because a policy for a misspelt id grants nothing.

    >>> known_model_id("gpt-4o", "us-east-1")
    Traceback (most recent call last):
    ...
    bedrock_auth.errors.ConfigurationError: 'gpt-4o' is not a model bedrock-auth knows...
    """
    if not model.lower().startswith("arn:") and get_model_info(model) is None:
        names = sorted({n for m in list_models() for n in (m.model_id, *m.aliases)})
        import difflib  # only for an unknown model: not worth its import otherwise

        close = difflib.get_close_matches(model, names, n=3)
        hint = f" Did you mean {', '.join(repr(n) for n in close)}?" if close else ""
        raise ConfigurationError(
            f"{model!r} is not a model bedrock-auth knows.{hint} For a model newer than the "
            "catalog, pass its exact Bedrock id with --allow-unknown; `bedrock-auth policy` "
            "without --model covers every model."
        )
    return resolve_model_id(model, region)


def _statement(actions: Sequence[str], resources: Sequence[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": list(resources)}


def _profile_resources(model_ids: Sequence[str], region: str) -> list[str]:
    """What bedrock:GetInferenceProfile needs for these models: their profiles."""
    resources = [m for m in model_ids if ":application-inference-profile/" in m]
    resources += [
        f"arn:aws:bedrock:{region}:*:inference-profile/{m}"
        for m in model_ids
        if not m.startswith("arn:") and split_profile_prefix(m)[0] is not None
    ]
    return resources or [f"arn:aws:bedrock:{region}:*:application-inference-profile/*"]


#: What calls to bedrock-mantle (Chat Completions, Responses, Messages) need.
MANTLE_ACTION = "bedrock-mantle:CreateInference"
#: The listing actions ``--list`` adds (they take no resource but ``*``).
LISTING_ACTIONS = ("bedrock:ListFoundationModels", "bedrock:ListInferenceProfiles")


def build_policy(
    model_ids: Sequence[str] = (),
    region: str = "",
    *,
    agents: bool = False,
    app_profiles: bool = False,
    assume_role: str | None = None,
    bearer: bool = False,
    listing: bool = False,
    mantle: bool = False,
) -> dict[str, Any]:
    """The policy for resolved ``model_ids`` (every model if empty), plus the extras asked for.

    ``mantle`` adds ``bedrock-mantle:CreateInference`` (the OpenAI-compatible APIs on
    bedrock-mantle); with ``bearer`` too, API keys need ``bedrock-mantle:CallWithBearerToken``.

    >>> doc = build_policy(["amazon.nova-lite-v1:0"], "eu-west-1", bearer=True)
    >>> [s["Action"] for s in doc["Statement"]]
    ... # doctest: +NORMALIZE_WHITESPACE
    [['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
     ['bedrock:CallWithBearerToken']]
    """
    statements: list[dict[str, Any]] = []
    for model_id in model_ids or [""]:
        statements += policy_document(DEFAULT_ACTIONS, model_id=model_id, region=region)[
            "Statement"
        ]
    extras = (
        (agents, ["bedrock:InvokeAgent"], _OWN_RESOURCES["bedrock:InvokeAgent"]),
        (
            app_profiles,
            ["bedrock:GetInferenceProfile"],
            _profile_resources(model_ids, region or "*")
            if model_ids
            else _OWN_RESOURCES["bedrock:GetInferenceProfile"],
        ),
        (bool(assume_role), ["sts:AssumeRole"], [assume_role or ""]),
        # CallWithBearerToken, Mantle and the listing actions: no resource-level permissions.
        (bearer, ["bedrock:CallWithBearerToken"], ["*"]),
        (mantle, [MANTLE_ACTION], ["*"]),
        (mantle and bearer, ["bedrock-mantle:CallWithBearerToken"], ["*"]),
        (listing, list(LISTING_ACTIONS), ["*"]),
    )
    statements += [_statement(actions, res) for wanted, actions, res in extras if wanted]
    return {"Version": "2012-10-17", "Statement": statements}
