"""Validated AWS Bedrock access through the standard AWS credential chain.

>>> from bedrock_auth import get_llm
>>> llm = get_llm("claude-sonnet-4-5")        # doctest: +SKIP
>>> llm.invoke("Hello").content               # doctest: +SKIP

The import is cheap: botocore is loaded, LangChain only when ``get_llm`` is called.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Loaded with the package: every use needs the manager (which brings botocore, the settings
# and the error classes). Everything else is imported on first use.
from bedrock_auth import errors, manager, settings  # noqa: F401
from bedrock_auth._version import __version__ as __version__

#: The public API, each name once, with the module that defines it. ``__all__`` and the
#: lazy attribute lookup below are made from it; type checkers read the block under
#: TYPE_CHECKING, which tests/test_structure.py checks names exactly these.
_EXPORTS: dict[str, str] = {
    "AccessDeniedError": "bedrock_auth.errors",
    "BedrockAuthError": "bedrock_auth.errors",
    "ClockSkewError": "bedrock_auth.errors",
    "ConfigurationError": "bedrock_auth.errors",
    "CredentialEndpointUnreachableError": "bedrock_auth.errors",
    "CredentialServiceError": "bedrock_auth.errors",
    "CredentialsNotFoundError": "bedrock_auth.errors",
    "EndpointUnreachableError": "bedrock_auth.errors",
    "ExpiredCredentialsError": "bedrock_auth.errors",
    "InvalidCredentialsError": "bedrock_auth.errors",
    "LegacyModelWarning": "bedrock_auth.errors",
    "ModelError": "bedrock_auth.errors",
    "ModelNotAvailableError": "bedrock_auth.errors",
    "ModelTimeoutError": "bedrock_auth.errors",
    "ProfileNotFoundError": "bedrock_auth.errors",
    "SSOLoginRequiredError": "bedrock_auth.errors",
    "ServiceError": "bedrock_auth.errors",
    "ServiceUnavailableError": "bedrock_auth.errors",
    "ThrottlingError": "bedrock_auth.errors",
    "BedrockClientManager": "bedrock_auth.manager",
    "CallerIdentity": "bedrock_auth.manager",
    "get_manager": "bedrock_auth.manager",
    "reset": "bedrock_auth.manager",
    "AuthConfig": "bedrock_auth.settings",
    "CredentialValues": "bedrock_auth._options",
    "ErrorContext": "bedrock_auth._translate",
    "translate_error": "bedrock_auth._translate",
    "RedactingFilter": "bedrock_auth._logfilter",
    "is_bedrock_model": "bedrock_auth.models",
    "resolve_model_id": "bedrock_auth.models",
    "AsyncConverseStream": "bedrock_auth.invoke",
    "AsyncInvokeStream": "bedrock_auth.invoke",
    "ConverseResult": "bedrock_auth.invoke",
    "ConverseStream": "bedrock_auth.invoke",
    "InvokeResult": "bedrock_auth.invoke",
    "InvokeStream": "bedrock_auth.invoke",
    "Usage": "bedrock_auth.invoke",
    "aconverse": "bedrock_auth.invoke",
    "aconverse_stream": "bedrock_auth.invoke",
    "ainvoke_model": "bedrock_auth.invoke",
    "ainvoke_model_stream": "bedrock_auth.invoke",
    "converse": "bedrock_auth.invoke",
    "converse_stream": "bedrock_auth.invoke",
    "invoke_model": "bedrock_auth.invoke",
    "invoke_model_stream": "bedrock_auth.invoke",
    "AgentResult": "bedrock_auth.agents",
    "AgentStream": "bedrock_auth.agents",
    "AsyncAgentStream": "bedrock_auth.agents",
    "ainvoke_agent": "bedrock_auth.agents",
    "ainvoke_agent_stream": "bedrock_auth.agents",
    "invoke_agent": "bedrock_auth.agents",
    "invoke_agent_stream": "bedrock_auth.agents",
    "get_llm": "bedrock_auth.llm",
    "anthropic_client_from_env": "bedrock_auth.adapters",
    "anthropic_model_from_env": "bedrock_auth.adapters",
    "get_anthropic_client": "bedrock_auth.adapters",
    "get_embeddings": "bedrock_auth.adapters",
    "get_openai_client": "bedrock_auth.adapters",
    "get_pydantic_ai_model": "bedrock_auth.adapters",
    "acheck": "bedrock_auth.diagnostics",
    "check": "bedrock_auth.diagnostics",
}

if TYPE_CHECKING:
    # ``name as name``: an explicit re-export, for mypy --strict in user code. One statement
    # per module (ruff's isort would split every ``as`` import into its own statement).
    # isort: off
    from bedrock_auth._logfilter import (
        RedactingFilter as RedactingFilter,
    )
    from bedrock_auth._translate import (
        ErrorContext as ErrorContext,
        translate_error as translate_error,
    )
    from bedrock_auth.adapters import (
        anthropic_client_from_env as anthropic_client_from_env,
        anthropic_model_from_env as anthropic_model_from_env,
        get_anthropic_client as get_anthropic_client,
        get_embeddings as get_embeddings,
        get_openai_client as get_openai_client,
        get_pydantic_ai_model as get_pydantic_ai_model,
    )
    from bedrock_auth.agents import (
        AgentResult as AgentResult,
        AgentStream as AgentStream,
        AsyncAgentStream as AsyncAgentStream,
        ainvoke_agent as ainvoke_agent,
        ainvoke_agent_stream as ainvoke_agent_stream,
        invoke_agent as invoke_agent,
        invoke_agent_stream as invoke_agent_stream,
    )
    from bedrock_auth.diagnostics import (
        acheck as acheck,
        check as check,
    )
    from bedrock_auth.errors import (
        AccessDeniedError as AccessDeniedError,
        BedrockAuthError as BedrockAuthError,
        ClockSkewError as ClockSkewError,
        ConfigurationError as ConfigurationError,
        CredentialEndpointUnreachableError as CredentialEndpointUnreachableError,
        CredentialServiceError as CredentialServiceError,
        CredentialsNotFoundError as CredentialsNotFoundError,
        EndpointUnreachableError as EndpointUnreachableError,
        ExpiredCredentialsError as ExpiredCredentialsError,
        InvalidCredentialsError as InvalidCredentialsError,
        LegacyModelWarning as LegacyModelWarning,
        ModelError as ModelError,
        ModelNotAvailableError as ModelNotAvailableError,
        ModelTimeoutError as ModelTimeoutError,
        ProfileNotFoundError as ProfileNotFoundError,
        SSOLoginRequiredError as SSOLoginRequiredError,
        ServiceError as ServiceError,
        ServiceUnavailableError as ServiceUnavailableError,
        ThrottlingError as ThrottlingError,
    )
    from bedrock_auth.invoke import (
        AsyncConverseStream as AsyncConverseStream,
        AsyncInvokeStream as AsyncInvokeStream,
        ConverseResult as ConverseResult,
        ConverseStream as ConverseStream,
        InvokeResult as InvokeResult,
        InvokeStream as InvokeStream,
        Usage as Usage,
        aconverse as aconverse,
        aconverse_stream as aconverse_stream,
        ainvoke_model as ainvoke_model,
        ainvoke_model_stream as ainvoke_model_stream,
        converse as converse,
        converse_stream as converse_stream,
        invoke_model as invoke_model,
        invoke_model_stream as invoke_model_stream,
    )
    from bedrock_auth.llm import (
        get_llm as get_llm,
    )
    from bedrock_auth.manager import (
        BedrockClientManager as BedrockClientManager,
        CallerIdentity as CallerIdentity,
        get_manager as get_manager,
        reset as reset,
    )
    from bedrock_auth.models import (
        is_bedrock_model as is_bedrock_model,
        resolve_model_id as resolve_model_id,
    )
    from bedrock_auth._options import CredentialValues as CredentialValues
    from bedrock_auth.settings import AuthConfig as AuthConfig
    # isort: on
else:
    # Hidden from type checkers: mypy would take a computed __all__ as exporting nothing, and a
    # module __getattr__ as typing every misspelt name Any.
    __all__ = ["__version__", *_EXPORTS]

    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'bedrock_auth' has no attribute {name!r}")
        value = getattr(import_module(module), name)
        globals()[name] = value  # found once: later lookups are plain attribute reads
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
