"""`doctor`: check each step from settings to a model call, and say how to fix the first failure.

>>> from bedrock_auth.diagnostics import run_checks
>>> checks = run_checks(region="us-east-1")                   # doctest: +SKIP
>>> [c.name for c in checks if not c.ok]                        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bedrock_auth._translate import ErrorContext, translate_error
from bedrock_auth.manager import BedrockClientManager
from bedrock_auth.models import resolve_model_id


@dataclass(frozen=True)
class Check:
    """One step of the diagnosis: what was checked, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


def _step(name: str, action: Callable[[], str], ctx: ErrorContext | None = None) -> Check:
    try:
        return Check(name, True, action())
    except Exception as exc:
        return Check(name, False, str(translate_error(exc, ctx)))


def _identity(manager: BedrockClientManager) -> str:
    identity = manager.validate()
    if identity is None:
        return "skipped: API-key mode has no IAM identity"
    key = manager.auth_info()["access_key_id"]
    return f"{identity.arn} (account {identity.account}, key {key})"


def _model_access(manager: BedrockClientManager, model_id: str) -> str:
    reply = manager.client().count_tokens(
        modelId=model_id,
        input={"converse": {"messages": [{"role": "user", "content": [{"text": "ping"}]}]}},
    )
    return f"{model_id} answered CountTokens ({reply.get('inputTokens', '?')} tokens)"


def _settings(manager: BedrockClientManager) -> str:
    info = manager.auth_info()
    return (
        f"mode={info['mode']}, region={info['region']} (from {info['region_source']}), "
        f"profile={info['profile'] or '-'}"
    )


def run_checks(
    model: str | None = None, *, call_model: bool = False, **options: Any
) -> list[Check]:
    """Run the checks in order, stopping after the first one that the rest depend on.

    ``options`` are :class:`BedrockClientManager` options (``profile=``, ``region=``, ...).
    """
    try:
        manager = BedrockClientManager(validate=False, **options)
    except Exception as exc:
        return [Check("settings", False, str(translate_error(exc)))]
    checks = [_step("settings", lambda: _settings(manager))]
    checks.append(_step("credentials", lambda: f"source={manager.credential_source}"))
    if not checks[-1].ok:
        return checks
    sts = ErrorContext(service="sts", operation="GetCallerIdentity", region=manager.region)
    checks.append(_step("identity (sts:GetCallerIdentity)", lambda: _identity(manager), sts))
    checks.append(_step("bedrock-runtime client", lambda: str(manager.client().meta.endpoint_url)))
    if not model:
        return checks
    try:
        model_id = resolve_model_id(model, manager.region)
    except Exception as exc:
        return [*checks, Check("model id", False, str(translate_error(exc)))]
    checks.append(Check("model id", True, f"{model} -> {model_id} in {manager.region}"))
    if call_model:
        ctx = ErrorContext(
            service="bedrock-runtime",
            operation="CountTokens",
            region=manager.region,
            model_id=model_id,
        )
        checks.append(
            _step("model access (CountTokens)", lambda: _model_access(manager, model_id), ctx)
        )
    return checks


def format_checks(checks: Sequence[Check]) -> str:
    """Human-readable report: one line per check, the fix indented under a failure."""
    lines = []
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        first, *rest = check.detail.splitlines() or [""]
        lines.append(f"[{mark}] {check.name}: {first}")
        lines.extend(f"       {line}" for line in rest)
    return "\n".join(lines)


def all_ok(checks: Sequence[Check]) -> bool:
    """True when every check passed."""
    return all(c.ok for c in checks)


__all__ = ["Check", "all_ok", "format_checks", "run_checks"]
