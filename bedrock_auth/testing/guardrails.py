"""The guardrail ``trace`` Converse answers with when ``guardrailConfig.trace`` is enabled.

The emulator applies no guardrail policy: the trace reports the guardrail as applied to the
input and the output with no action taken, shaped as Bedrock's (its usage counters are the
members of botocore's ``GuardrailUsage`` shape, all zero).
"""

from __future__ import annotations

import functools
from typing import Any

Json = dict[str, Any]
_ENABLED = ("enabled", "enabled_full")


@functools.cache
def _usage_counters() -> tuple[str, ...]:
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel

    raw = create_loader().load_service_model("bedrock-runtime", "service-2")
    model = ServiceModel(raw, "bedrock-runtime")
    return tuple(model.shape_for("GuardrailUsage").members)


def _assessment(guardrail_id: str, version: str, arn: str, characters: int) -> Json:
    return {
        "invocationMetrics": {
            "guardrailProcessingLatency": 1,
            "usage": dict.fromkeys(_usage_counters(), 0),
            "guardrailCoverage": {"textCharacters": {"guarded": characters, "total": characters}},
        },
        "appliedGuardrailDetails": {
            "guardrailId": guardrail_id,
            "guardrailVersion": version,
            "guardrailArn": arn,
            "guardrailOrigin": ["REQUEST"],
            "guardrailOwnership": "SELF",
        },
    }


def guardrail_trace(
    config: Any, region: str, account_id: str, prompt: str, answer: str
) -> Json | None:
    """``{"guardrail": ...}`` for a ``guardrailConfig`` whose trace is on, else None."""
    if not isinstance(config, dict) or config.get("trace") not in _ENABLED:
        return None
    identifier = str(config.get("guardrailIdentifier", ""))
    guardrail_id = identifier.rsplit("/", 1)[-1]
    arn = (
        identifier
        if identifier.startswith("arn:")
        else (f"arn:aws:bedrock:{region}:{account_id}:guardrail/{guardrail_id}")
    )
    version = str(config.get("guardrailVersion", "DRAFT"))
    return {
        "guardrail": {
            "modelOutput": [],
            "inputAssessment": {guardrail_id: _assessment(guardrail_id, version, arn, len(prompt))},
            "outputAssessments": {
                guardrail_id: [_assessment(guardrail_id, version, arn, len(answer))]
            },
            "actionReason": "No action.",
        }
    }
