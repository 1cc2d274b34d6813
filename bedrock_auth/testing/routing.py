"""Mapping (method, path) to (service, operation, path parameters).

Templates come from ``requestUri`` in botocore's service models. Paths are split on ``/``
*before* percent-decoding, because botocore encodes an ARN in a label as one segment
(``arn%3Aaws%3Abedrock%3A...%2F...``) and decoding first would break it apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

RUNTIME = "bedrock-runtime"
AGENT_RUNTIME = "bedrock-agent-runtime"
CONTROL = "bedrock"
STS = "sts"

#: Operations whose response is an event stream.
STREAMING_OPERATIONS = frozenset({"ConverseStream", "InvokeModelWithResponseStream", "InvokeAgent"})

# Operations that do not need a signature (botocore sends them unsigned).
UNSIGNED_OPERATIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})

_ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("POST", "/model/{modelId}/converse", RUNTIME, "Converse"),
    ("POST", "/model/{modelId}/converse-stream", RUNTIME, "ConverseStream"),
    ("POST", "/model/{modelId}/invoke", RUNTIME, "InvokeModel"),
    (
        "POST",
        "/model/{modelId}/invoke-with-response-stream",
        RUNTIME,
        "InvokeModelWithResponseStream",
    ),
    ("POST", "/model/{modelId}/count-tokens", RUNTIME, "CountTokens"),
    (
        "POST",
        "/agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text",
        AGENT_RUNTIME,
        "InvokeAgent",
    ),
    ("GET", "/inference-profiles/{inferenceProfileIdentifier}", CONTROL, "GetInferenceProfile"),
    ("GET", "/inference-profiles", CONTROL, "ListInferenceProfiles"),
    ("GET", "/foundation-models/{modelIdentifier}", CONTROL, "GetFoundationModel"),
    ("GET", "/foundation-models", CONTROL, "ListFoundationModels"),
)


@dataclass(frozen=True)
class Route:
    """The operation a request addresses."""

    service: str
    operation: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def model_id(self) -> str | None:
        """The model (or agent) the call is about, when the path names one."""
        return self.params.get("modelId") or self.params.get("agentId")


def _match(template: str, segments: list[str]) -> dict[str, str] | None:
    parts = template.strip("/").split("/")
    if len(parts) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(parts, segments, strict=True):
        if part.startswith("{"):
            if not segment:
                return None
            params[part[1:-1]] = unquote(segment)
        elif part != segment:
            return None
    return params


def flatten_query(raw_query: str) -> dict[str, str]:
    """Query string as a dict of first values (AWS APIs do not repeat these keys)."""
    return {k: v[0] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}


def sts_action(method: str, path: str, form: dict[str, str], query: dict[str, str]) -> str | None:
    """The STS ``Action`` of a query-protocol request, if this is one."""
    if path not in ("", "/"):
        return None
    if method == "POST" and "Action" in form:
        return form["Action"]
    return query.get("Action") if method in ("GET", "POST") else None


def route(method: str, raw_path: str) -> Route | None:
    """The REST route for ``method`` + ``raw_path`` (still percent-encoded), or None."""
    segments = raw_path.strip("/").split("/")
    for verb, template, service, operation in _ROUTES:
        if verb != method:
            continue
        params = _match(template, segments)
        if params is not None:
            return Route(service, operation, params)
    return None
