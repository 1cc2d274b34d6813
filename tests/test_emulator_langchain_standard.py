"""LangChain's standard chat-model suites against ``get_llm`` on the emulator, nothing scripted.

They prove that the emulator's own decisions (tool calls, structured output, answers to tool
results) are what LangChain expects of a Bedrock chat model.
"""

from __future__ import annotations

import json
import os
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


class SerializedModel:
    """What ``dumpd(model)`` must equal, for the standard ``test_serdes``.

    The standard test compares with a stored snapshot, which pins one langchain-aws release's
    serialized fields and defaults (1.x added ``bedrock_api_key``). This holds for any release:
    the constructor names the class, carries every parameter given with its value and nothing
    the model does not hold, and names secrets by their variables, never their values. The
    standard test then loads it back and compares the two models itself.
    """

    def __init__(self, model: BaseChatModel, given: dict[str, Any]) -> None:
        self.model, self.given = model, given

    def __call__(self, *, name: str) -> SerializedModel:
        return self

    def __eq__(self, serialized: object) -> bool:
        model = self.model
        assert isinstance(serialized, dict)
        assert (serialized["type"], serialized["id"]) == ("constructor", type(model).lc_id())
        kwargs = serialized["kwargs"]
        secret = {name: {"lc": 1, "type": "secret", "id": [variable]}
                  for name, variable in model.lc_secrets.items()}
        fields = type(model).model_fields
        for param, value in self.given.items():
            name = next(n for n, f in fields.items() if param in (n, f.alias))
            assert kwargs[name] == secret.get(name, value), name
        for name, value in kwargs.items():
            held = getattr(model, name)
            assert value == secret.get(name, list(held) if isinstance(held, tuple) else held), name
        assert os.environ["AWS_SECRET_ACCESS_KEY"] not in json.dumps(serialized)
        return True

    __hash__ = None  # type: ignore[assignment]


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

    @pytest.fixture
    def snapshot(self, model: BaseChatModel) -> SerializedModel:
        """In place of syrupy's stored snapshot in the standard ``test_serdes``."""
        return SerializedModel(model, {**self.standard_chat_model_params, **self.chat_model_params})


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
