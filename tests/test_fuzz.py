"""Fuzzing what users type: the only outcomes allowed are a result or a ``BedrockAuthError``.

Manager keyword arguments, environment values, `.env` bytes (invalid UTF-8 included) and
``get_llm`` arguments, all offline: ``validate=False`` and an endpoint nothing listens on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bedrock_auth
from bedrock_auth import BedrockAuthError, BedrockClientManager, get_llm
from bedrock_auth.settings import AUTH_CONFIG_FIELDS

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OFFLINE = {"validate": False, "load_dotenv": False, "endpoint_url": "http://127.0.0.1:9"}

env_text = st.text(
    st.characters(blacklist_characters="\0", blacklist_categories=["Cs"]), max_size=30
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    env_text,
    st.sampled_from(["us-east-1", "us-eats-1", "arn:aws:iam::123456789012:role/r", "http://x"]),
    st.binary(max_size=8),
    st.lists(env_text, max_size=3),
    st.dictionaries(env_text, env_text, max_size=2),
)
OPTIONS = sorted(AUTH_CONFIG_FIELDS - {"validate", "load_dotenv"})
ENV_NAMES = [
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
    "BEDROCK_MAX_RETRIES", "BEDROCK_RETRY_MODE", "BEDROCK_READ_TIMEOUT", "BEDROCK_AUTH_MODE",
    "BEDROCK_FALLBACK_REGIONS", "BEDROCK_ROLE_ARN", "BEDROCK_MAX_POOL_CONNECTIONS",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "BEDROCK_STS_READ_TIMEOUT",
]  # fmt: skip


@contextmanager
def environment(changes: dict[str, str]) -> Iterator[None]:
    """Apply ``changes`` to os.environ and put everything back afterwards."""
    before = dict(os.environ)
    try:
        os.environ.update(changes)
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)
        bedrock_auth.reset()


def build(**options: Any) -> None:
    with suppress(BedrockAuthError):
        BedrockClientManager(**{**OFFLINE, **options})


@FUZZ
@given(st.dictionaries(st.sampled_from(OPTIONS), values, max_size=4))
def test_manager_keyword_arguments(options: dict[str, Any]) -> None:
    with environment({}):
        build(**options)


@FUZZ
@given(st.dictionaries(st.sampled_from(ENV_NAMES), env_text, max_size=4))
def test_environment_values(changes: dict[str, str]) -> None:
    with environment(changes):
        build(region="us-east-1")


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_dotenv_bytes(content: bytes) -> None:
    path = Path(os.environ["HOME"]) / "fuzz.env"
    path.write_bytes(content)
    with environment({"BEDROCK_DOTENV_PATH": str(path)}):
        build(load_dotenv=True, region="us-east-1")


@FUZZ
@given(
    model=st.one_of(st.none(), env_text, st.sampled_from(["haiku", "nova-lite", "gpt-4o"])),
    region=st.one_of(st.none(), env_text, st.just("eu-west-1")),
    api=st.one_of(st.sampled_from(["converse", "invoke"]), env_text),
    fallback=st.one_of(st.none(), st.lists(env_text, max_size=2), env_text),
    extra=st.dictionaries(st.sampled_from(["temperature", "max_tokens", "stop", "nope"]), values),
)
def test_get_llm_arguments(
    model: Any, region: Any, api: Any, fallback: Any, extra: dict[str, Any]
) -> None:
    manager = BedrockClientManager(region="us-east-1", **OFFLINE)
    with suppress(BedrockAuthError):
        get_llm(model, region=region, api=api, fallback_regions=fallback, manager=manager, **extra)
