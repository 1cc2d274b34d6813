"""``doctor --openai``: the OpenAI-compatible endpoints, checked through the openai SDK.

For each endpoint: the base URL the client would use, then (unless no call is wanted) a
signed request: on bedrock-runtime a one-token Chat Completion with the model doctor resolved
(when there is one), on bedrock-mantle ``GET /v1/models`` (nothing billed). The openai SDK is
imported only here, when the step runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bedrock_auth.errors import ConfigurationError

if TYPE_CHECKING:
    from bedrock_auth.manager import BedrockClientManager

__all__ = ["check_openai_endpoints"]

_PING = [{"role": "user", "content": "ping"}]


def _client(manager: BedrockClientManager, endpoint: str) -> Any:
    from bedrock_auth.adapters import get_openai_client

    try:
        return get_openai_client(endpoint=endpoint, manager=manager)  # type: ignore[call-overload]
    except ImportError as exc:
        raise ConfigurationError(str(exc)) from None


def _runtime(client: Any, model_id: str | None) -> str:
    if model_id is None:
        return "no call made: no model to call (pass --model)"
    answer = client.chat.completions.create(model=model_id, messages=_PING, max_tokens=1)
    return f"{answer.model} answered a 1-token Chat Completion"


def _mantle(client: Any, model_id: str | None) -> str:
    listed = client.models.list().data
    return f"GET models listed {len(listed)} model(s)"


_CALLS = {"runtime": _runtime, "mantle": _mantle}


def check_openai_endpoints(
    manager: BedrockClientManager, model_id: str | None, invoke: bool
) -> str:
    """One line per endpoint: its URL, and what a signed call there answered."""
    lines = []
    for endpoint, call in _CALLS.items():
        client = _client(manager, endpoint)
        outcome = call(client, model_id) if invoke else "no call made (invoke=False / --no-invoke)"
        lines.append(f"{endpoint}: {client.base_url} ({client._bedrock.auth}): {outcome}")
    return "\n".join(lines)
