"""LangChain chat models that run on a manager's clients and raise this library's errors.

Imported only by :func:`bedrock_auth.get_llm`, so ``import bedrock_auth`` never loads LangChain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_aws import ChatBedrock, ChatBedrockConverse
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from bedrock_auth._translate import ErrorContext, translate_error


def _context(model: Any, operation: str) -> ErrorContext:
    return ErrorContext(
        service="bedrock-runtime",
        operation=operation,
        region=getattr(model.client.meta, "region_name", "") or "",
        model_id=model.model_id,
    )


class _TypedErrors:
    """Mixin: failures of ``_generate``/``_stream`` arrive as our typed errors.

    ``_operations`` names the (call, stream) operations for the message and IAM action.
    """

    _operations: tuple[str, str]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            result: ChatResult = super()._generate(  # type: ignore[misc]
                messages, stop=stop, run_manager=run_manager, **kwargs
            )
        except Exception as exc:
            raise translate_error(exc, _context(self, self._operations[0])) from exc
        return result

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        try:
            yield from super()._stream(  # type: ignore[misc]
                messages, stop=stop, run_manager=run_manager, **kwargs
            )
        except Exception as exc:
            raise translate_error(exc, _context(self, self._operations[1])) from exc


class SharedChatBedrockConverse(_TypedErrors, ChatBedrockConverse):
    """``ChatBedrockConverse`` whose failures arrive as :class:`~bedrock_auth.BedrockAuthError`."""

    _operations = ("Converse", "ConverseStream")


class SharedChatBedrock(_TypedErrors, ChatBedrock):
    """Legacy ``ChatBedrock`` (InvokeModel API) on shared clients, with typed errors.

    Its converse path reuses both clients, where langchain-aws builds a new control-plane
    client on every call.
    """

    _operations = ("InvokeModel", "InvokeModelWithResponseStream")

    @property
    def _as_converse(self) -> ChatBedrockConverse:
        return SharedChatBedrockConverse(
            client=self.client,
            bedrock_client=self.bedrock_client,
            model=self.model_id,
            region_name=self.region_name,
            provider=self.provider or "",
            **_converse_kwargs(self),
        )


def _converse_kwargs(model: ChatBedrock) -> dict[str, Any]:
    keep = (
        "stop",
        "stop_sequences",
        "max_tokens",
        "temperature",
        "top_p",
        "additional_model_request_fields",
        "additional_model_response_field_paths",
        "performance_config",
        "request_metadata",
        "service_tier",
    )
    kwargs = {k: v for k, v in (model.model_kwargs or {}).items() if k in keep}
    for name in ("max_tokens", "temperature", "stop_sequences", "service_tier", "request_metadata"):
        if getattr(model, name, None) is not None:
            kwargs[name] = getattr(model, name)
    if getattr(model, "base_model_id", None):
        kwargs["base_model"] = model.base_model_id
    if getattr(model, "_guardrails_enabled", False):
        kwargs["guardrail_config"] = model.guardrails
    return kwargs
