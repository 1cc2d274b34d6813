"""Minimal IAM policies for what this library calls; used by error messages and the CLI.

>>> iam_action_for("bedrock-runtime", "ConverseStream")
'bedrock:InvokeModelWithResponseStream'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

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


def iam_action_for(service: str, operation: str) -> str:
    """The IAM action that authorises ``operation`` (falls back to ``<prefix>:<operation>``)."""
    if operation in _ACTIONS:
        return _ACTIONS[operation]
    prefix = "sts" if service == "sts" else "bedrock"
    return f"{prefix}:{operation or '*'}"


def _model_resources(model_id: str, region: str) -> list[str]:
    """Resources for a model id: the foundation model in every region a profile may route to,
    plus the inference profile itself when the id is one."""
    region_part = region or "*"
    if model_id.startswith("arn:"):
        return [model_id]
    prefix, base = split_profile_prefix(model_id)
    resources = [f"arn:aws:bedrock:*::foundation-model/{base}"]
    if prefix is not None:
        resources.append(f"arn:aws:bedrock:{region_part}:*:inference-profile/{model_id}")
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
            resources = tuple(_model_resources(model_id, region)) if model_id else _EVERY_MODEL
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
