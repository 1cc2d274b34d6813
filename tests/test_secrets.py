"""Planted secrets never appear in an error message, repr, str, CLI output or log record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from bedrock_auth import (
    AuthConfig,
    BedrockAuthError,
    BedrockClientManager,
    converse,
    converse_stream,
    get_llm,
    invoke_agent,
)
from bedrock_auth.settings import resolve_settings
from bedrock_auth.testing import BedrockEmulator

# Planted in tests that check nothing secret leaks; shaped like the real thing.
SECRET_KEY = "zQ8rT4vW1xY7uI0oP3aS6dF9gH2jK5lZ8xC1vB4n"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN" + "Zm9vYmFy" * 20
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLXNlY3JldC1rZXk="
ACCESS_KEY = "AKIAPLANTEDKEY000001"

SECRETS = (SECRET_KEY, SESSION_TOKEN, API_KEY)


@pytest.fixture
def planted(emu: BedrockEmulator) -> Callable[..., BedrockClientManager]:
    emu.clear()

    def make(**overrides: Any) -> BedrockClientManager:
        options: dict[str, Any] = {
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "session_token": SESSION_TOKEN,
            "max_retries": 0,
        }
        return emu.manager(**{**options, **overrides})

    return make


def assert_clean(*texts: object) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text), f"secret leaked into: {str(text)[:200]}"


def echoing(secret: str) -> str:
    return f"The request signature we calculated does not match; key={secret} token {secret}"


def error_paths(
    emu: BedrockEmulator, make: Callable[..., BedrockClientManager]
) -> list[Callable[[], object]]:
    """Each callable drives one failure; all must raise a BedrockAuthError."""

    def rejected() -> object:
        emu.reject_keys({"AKIAPLANTEDREJECTED1"})
        return make(access_key_id="AKIAPLANTEDREJECTED1")

    def with_fault(
        code: str, call: Callable[[BedrockClientManager], object], **kw: Any
    ) -> Callable[[], object]:
        def run() -> object:
            manager = make()
            emu.fail(code, times=5, message=echoing(SECRET_KEY) + " " + SESSION_TOKEN, **kw)
            try:
                return call(manager)
            finally:
                emu.clear()

        return run

    def streamed(manager: BedrockClientManager) -> object:
        return list(converse_stream("nova-lite", "hi", manager=manager))

    return [
        rejected,
        with_fault("AccessDeniedException", lambda m: converse("nova-lite", "hi", manager=m)),
        with_fault("ThrottlingException", lambda m: converse("nova-lite", "hi", manager=m)),
        with_fault("ExpiredTokenException", lambda m: converse("nova-lite", "hi", manager=m)),
        with_fault("ValidationException", lambda m: converse("nova-lite", "hi", manager=m)),
        with_fault("ServiceUnavailableException", streamed, after_chunks=2),
        with_fault("AccessDeniedException", lambda m: get_llm("nova-lite", manager=m).invoke("hi")),
        with_fault(
            "ResourceNotFoundException",
            lambda m: invoke_agent("hi", agent_id="A", alias_id="B", manager=m),
        ),
        lambda: BedrockClientManager(
            endpoint_url={"sts": "http://127.0.0.1:9"},
            region="us-east-1",
            access_key_id="AKIAPLANTEDOFFLINE01",
            secret_access_key=SECRET_KEY,
            session_token=SESSION_TOKEN,
            max_retries=0,
            connect_timeout=1,
        ),
        lambda: BedrockClientManager(
            api_key=API_KEY, access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY
        ),
        lambda: BedrockClientManager(api_key=API_KEY, region="us-east1"),
        lambda: BedrockClientManager(
            api_key=API_KEY, endpoint_url=emu.endpoint_url, region="us-east-1"
        ).client("bedrock-agent-runtime"),
    ]


def test_no_secret_in_errors_reprs_or_logs(
    emu: BedrockEmulator,
    planted: Callable[..., BedrockClientManager],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bedrock_auth")
    raised = []
    for path in error_paths(emu, planted):
        with pytest.raises(BedrockAuthError) as info:
            path()
        raised.append(info.value)
        assert_clean(info.value, repr(info.value), info.value.args, info.value.partial_text)
    assert len(raised) == 12
    manager = planted()
    assert_clean(repr(manager), str(manager), manager.auth_info(), emu.requests)
    api_manager = BedrockClientManager(
        api_key=API_KEY, endpoint_url=emu.endpoint_url, region="us-east-1"
    )
    assert_clean(repr(api_manager), api_manager.auth_info())
    config = AuthConfig(external_id=SECRET_KEY, session_token=SESSION_TOKEN, api_key=API_KEY)
    assert_clean(repr(config), repr(resolve_settings(config, environ={})))
    records = [r for r in caplog.records if r.name.startswith("bedrock_auth")]
    assert records, "the library logged nothing at DEBUG: the scan would prove nothing"
    assert_clean(*(r.getMessage() for r in records))
