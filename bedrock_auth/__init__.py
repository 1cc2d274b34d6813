"""Validated AWS Bedrock access through the standard AWS credential chain.

>>> from bedrock_auth import get_llm
>>> llm = get_llm("claude-sonnet-4-5")        # doctest: +SKIP
>>> llm.invoke("Hello").content               # doctest: +SKIP

The import is cheap: botocore is loaded, LangChain only when ``get_llm`` is called.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from bedrock_auth._version import __version__
from bedrock_auth.errors import (
    AccessDeniedError,
    BedrockAuthError,
    ClockSkewError,
    ConfigurationError,
    CredentialEndpointUnreachableError,
    CredentialServiceError,
    CredentialsNotFoundError,
    EndpointUnreachableError,
    ExpiredCredentialsError,
    InvalidCredentialsError,
    LegacyModelWarning,
    ModelError,
    ModelNotAvailableError,
    ModelTimeoutError,
    ProfileNotFoundError,
    ServiceError,
    ServiceUnavailableError,
    SSOLoginRequiredError,
    ThrottlingError,
)
from bedrock_auth.manager import BedrockClientManager, CallerIdentity, get_manager, reset
from bedrock_auth.settings import AuthConfig, CredentialValues

if TYPE_CHECKING:
    from bedrock_auth._logfilter import RedactingFilter
    from bedrock_auth._translate import ErrorContext, translate_error
    from bedrock_auth.adapters import (
        anthropic_client_from_env,
        get_anthropic_client,
        get_embeddings,
        get_pydantic_ai_model,
        model_from_env,
    )
    from bedrock_auth.diagnostics import acheck, check
    from bedrock_auth.invoke import (
        AgentResult,
        AgentStream,
        AsyncAgentStream,
        AsyncConverseStream,
        AsyncInvokeStream,
        ConverseResult,
        ConverseStream,
        InvokeResult,
        InvokeStream,
        Usage,
        aconverse,
        aconverse_stream,
        ainvoke_agent,
        ainvoke_agent_stream,
        ainvoke_model,
        ainvoke_model_stream,
        converse,
        converse_stream,
        invoke_agent,
        invoke_agent_stream,
        invoke_model,
        invoke_model_stream,
    )
    from bedrock_auth.llm import get_llm
    from bedrock_auth.models import is_bedrock_model, resolve_model_id

__all__ = [
    "AccessDeniedError",
    "AgentResult",
    "AgentStream",
    "AsyncAgentStream",
    "AsyncConverseStream",
    "AsyncInvokeStream",
    "AuthConfig",
    "BedrockAuthError",
    "BedrockClientManager",
    "CallerIdentity",
    "ClockSkewError",
    "ConfigurationError",
    "ConverseResult",
    "ConverseStream",
    "CredentialEndpointUnreachableError",
    "CredentialServiceError",
    "CredentialValues",
    "CredentialsNotFoundError",
    "EndpointUnreachableError",
    "ErrorContext",
    "ExpiredCredentialsError",
    "InvalidCredentialsError",
    "InvokeResult",
    "InvokeStream",
    "LegacyModelWarning",
    "ModelError",
    "ModelNotAvailableError",
    "ModelTimeoutError",
    "ProfileNotFoundError",
    "RedactingFilter",
    "SSOLoginRequiredError",
    "ServiceError",
    "ServiceUnavailableError",
    "ThrottlingError",
    "Usage",
    "__version__",
    "acheck",
    "aconverse",
    "aconverse_stream",
    "ainvoke_agent",
    "ainvoke_agent_stream",
    "ainvoke_model",
    "ainvoke_model_stream",
    "anthropic_client_from_env",
    "check",
    "converse",
    "converse_stream",
    "get_anthropic_client",
    "get_embeddings",
    "get_llm",
    "get_manager",
    "get_pydantic_ai_model",
    "invoke_agent",
    "invoke_agent_stream",
    "invoke_model",
    "invoke_model_stream",
    "is_bedrock_model",
    "model_from_env",
    "reset",
    "resolve_model_id",
    "translate_error",
]

# Names served from modules that are imported on first use, to keep `import bedrock_auth` cheap.
_LAZY = {
    "converse": "bedrock_auth.invoke",
    "converse_stream": "bedrock_auth.invoke",
    "invoke_model": "bedrock_auth.invoke",
    "invoke_model_stream": "bedrock_auth.invoke",
    "invoke_agent": "bedrock_auth.invoke",
    "invoke_agent_stream": "bedrock_auth.invoke",
    "ConverseResult": "bedrock_auth.invoke",
    "ConverseStream": "bedrock_auth.invoke",
    "InvokeResult": "bedrock_auth.invoke",
    "InvokeStream": "bedrock_auth.invoke",
    "AgentResult": "bedrock_auth.invoke",
    "AgentStream": "bedrock_auth.invoke",
    "Usage": "bedrock_auth.invoke",
    "aconverse": "bedrock_auth.invoke",
    "aconverse_stream": "bedrock_auth.invoke",
    "ainvoke_model": "bedrock_auth.invoke",
    "ainvoke_model_stream": "bedrock_auth.invoke",
    "ainvoke_agent": "bedrock_auth.invoke",
    "ainvoke_agent_stream": "bedrock_auth.invoke",
    "AsyncConverseStream": "bedrock_auth.invoke",
    "AsyncInvokeStream": "bedrock_auth.invoke",
    "AsyncAgentStream": "bedrock_auth.invoke",
    "get_llm": "bedrock_auth.llm",
    "RedactingFilter": "bedrock_auth._logfilter",
    "get_anthropic_client": "bedrock_auth.adapters",
    "anthropic_client_from_env": "bedrock_auth.adapters",
    "model_from_env": "bedrock_auth.adapters",
    "get_pydantic_ai_model": "bedrock_auth.adapters",
    "get_embeddings": "bedrock_auth.adapters",
    "translate_error": "bedrock_auth._translate",
    "ErrorContext": "bedrock_auth._translate",
    "resolve_model_id": "bedrock_auth.models",
    "is_bedrock_model": "bedrock_auth.models",
    "check": "bedrock_auth.diagnostics",
    "acheck": "bedrock_auth.diagnostics",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bedrock_auth' has no attribute {name!r}")
    return getattr(import_module(module), name)
