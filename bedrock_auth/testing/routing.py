"""Mapping (method, path) to (service, operation, path parameters).

Templates, methods and which operations stream come from botocore's service models. Paths are
split on ``/`` *before* percent-decoding, because botocore encodes an ARN in a label as one segment
(``arn%3Aaws%3Abedrock%3A...%2F...``) and decoding first would break it apart.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

RUNTIME = "bedrock-runtime"
AGENT_RUNTIME = "bedrock-agent-runtime"
CONTROL = "bedrock"
STS = "sts"

# Operations that do not need a signature (botocore sends them unsigned).
UNSIGNED_OPERATIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})

#: The REST operations the emulator serves. Their method, path template and whether they
#: answer with an event stream are read from botocore's service models, so they cannot drift
#: from what clients send; an operation the installed botocore lacks has no route (no client
#: built on that botocore can call it either).
SERVED: dict[str, tuple[str, ...]] = {
    RUNTIME: (
        "Converse",
        "ConverseStream",
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "CountTokens",
    ),
    AGENT_RUNTIME: ("InvokeAgent",),
    CONTROL: (
        "GetInferenceProfile",
        "ListInferenceProfiles",
        "GetFoundationModel",
        "ListFoundationModels",
    ),
}


@dataclass(frozen=True)
class _RestOperation:
    method: str
    template: str
    service: str
    operation: str
    streams: bool


@functools.cache
def _rest_operations() -> tuple[_RestOperation, ...]:
    # botocore's loader and model classes, without a Session: a Session built here, on a
    # request thread, would be counted by tests that count the sessions a manager builds.
    from botocore.loaders import create_loader
    from botocore.model import ServiceModel

    loader = create_loader()
    found: list[_RestOperation] = []
    for service, operations in SERVED.items():
        model = ServiceModel(loader.load_service_model(service, "service-2"), service)
        for name in (op for op in operations if op in model.operation_names):
            operation = model.operation_model(name)
            uri = operation.http["requestUri"].split("?", 1)[0]
            found.append(
                _RestOperation(
                    operation.http["method"], uri, service, name, operation.has_event_stream_output
                )
            )
    return tuple(found)


def service_of(operation: str) -> str | None:
    """The service that serves the REST ``operation`` (None for STS and unknown names)."""
    return next((svc for svc, ops in SERVED.items() if operation in ops), None)


@functools.lru_cache(maxsize=64)  # asked per request; bounded: STS action names are the client's
def is_streaming(operation: str) -> bool:
    """Does ``operation`` answer with an event stream?"""
    return any(op.streams for op in _rest_operations() if op.operation == operation)


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


@functools.cache  # a handful of templates, split once rather than for every request
def _template_parts(template: str) -> tuple[str, ...]:
    return tuple(template.strip("/").split("/"))


def _match(template: str, segments: list[str]) -> dict[str, str] | None:
    parts = _template_parts(template)
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
    for op in _rest_operations():
        params = _match(op.template, segments) if op.method == method else None
        if params is not None:
            return Route(op.service, op.operation, params)
    return None
