"""Against real AWS: skipped unless RUN_BEDROCK_INTEGRATION=1 (they need an account and cost
a few tokens). Credentials and region come from the caller's shell, as in an app.

    RUN_BEDROCK_INTEGRATION=1 AWS_PROFILE=dev AWS_REGION=us-east-1 python -m pytest -m integration
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.integration

MODEL = os.environ.get("BEDROCK_MODEL_ID", "nova-lite")


@pytest.fixture(autouse=True)
def real_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the offline isolation of conftest: these tests use the caller's own AWS setup."""
    monkeypatch.undo()


def test_manager_validates_real_credentials() -> None:
    from bedrock_auth import BedrockClientManager

    manager = BedrockClientManager()
    assert manager.identity is not None and manager.identity.arn.startswith("arn:aws")


def test_converse_and_stream() -> None:
    from bedrock_auth import converse, converse_stream

    assert converse(MODEL, "Reply with the word ok.", max_tokens=10).text
    stream = converse_stream(MODEL, "Count to three.", max_tokens=30)
    assert "".join(stream) and stream.usage.output_tokens > 0


def test_get_llm_invoke() -> None:
    from bedrock_auth import get_llm

    assert get_llm(MODEL, max_tokens=10).invoke("Reply with the word ok.").text
