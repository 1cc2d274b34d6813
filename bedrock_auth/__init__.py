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
    ConfigurationError,
    CredentialsNotFoundError,
    EndpointUnreachableError,
    ExpiredCredentialsError,
    InvalidCredentialsError,
    ModelNotAvailableError,
    ProfileNotFoundError,
    ServiceError,
    SSOLoginRequiredError,
    ThrottlingError,
)
from bedrock_auth.manager import BedrockClientManager, CallerIdentity, get_manager
from bedrock_auth.settings import AuthConfig

if TYPE_CHECKING:
    from bedrock_auth.models import is_bedrock_model, resolve_model_id

__all__ = [
    "AccessDeniedError",
    "AuthConfig",
    "BedrockAuthError",
    "BedrockClientManager",
    "CallerIdentity",
    "ConfigurationError",
    "CredentialsNotFoundError",
    "EndpointUnreachableError",
    "ExpiredCredentialsError",
    "InvalidCredentialsError",
    "ModelNotAvailableError",
    "ProfileNotFoundError",
    "SSOLoginRequiredError",
    "ServiceError",
    "ThrottlingError",
    "__version__",
    "get_manager",
    "is_bedrock_model",
    "resolve_model_id",
]

# Names served from modules that are imported on first use, to keep `import bedrock_auth` cheap.
_LAZY = {
    "resolve_model_id": "bedrock_auth.models",
    "is_bedrock_model": "bedrock_auth.models",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bedrock_auth' has no attribute {name!r}")
    return getattr(import_module(module), name)
