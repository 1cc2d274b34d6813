"""LangChain's standard chat-model suites against ``get_llm`` on the emulator, nothing scripted.

They prove that the emulator's own decisions (tool calls, structured output, answers to tool
results) are what LangChain expects of a Bedrock chat model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("langchain_tests")
pytest.importorskip("pytest_asyncio")  # its async tests need it (pytest.ini: asyncio_mode)

from langchain_aws import ChatBedrockConverse
from langchain_core.language_models import BaseChatModel
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from bedrock_auth import get_llm
from bedrock_auth.testing import BedrockEmulator

MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture(scope="module")
def standard_emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        yield emulator


class TestGetLlmUnit(ChatModelUnitTests):
    """``ChatModelUnitTests`` on the class ``get_llm`` returns; these make no calls."""

    @pytest.fixture(autouse=True)
    def _emulator_env(self, standard_emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
        for name, value in standard_emu.env().items():
            monkeypatch.setenv(name, value)

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatBedrockConverse

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "region_name": "us-east-1"}



class TestGetLlmOnEmulator(ChatModelIntegrationTests):
    """``ChatModelIntegrationTests`` with the model built by ``get_llm``."""

    @pytest.fixture(autouse=True)
    def _emulator_env(self, standard_emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
        # Tests that build the class directly find the emulator through the environment.
        for name, value in standard_emu.env().items():
            monkeypatch.setenv(name, value)
        self._emu = standard_emu

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatBedrockConverse

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL}

    @pytest.fixture
    def model(self, request: Any) -> BaseChatModel:
        extra = getattr(request, "param", None) or {}
        params = {**self.standard_chat_model_params, **extra}
        return get_llm(MODEL, manager=self._emu.manager(), **params)

    @pytest.mark.xfail(reason="replays langchain-tests' recorded network cassettes", strict=True)
    def test_stream_time(self, model: BaseChatModel, benchmark: Any, vcr: Any) -> None:
        super().test_stream_time(model, benchmark, vcr)
