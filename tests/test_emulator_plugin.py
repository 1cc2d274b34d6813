"""The pytest plugin, exercised from a throwaway project the way a user's suite would use it."""

from __future__ import annotations

import importlib.metadata

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import boto3

from bedrock_auth.testing import BedrockEmulator

seen: list[BedrockEmulator] = []
MESSAGES = [{"role": "user", "content": [{"text": "ping"}]}]


def test_fixture_is_a_running_emulator(bedrock_emulator):
    seen.append(bedrock_emulator)
    bedrock_emulator.reply("pong")
    runtime = bedrock_emulator.client("bedrock-runtime")
    reply = runtime.converse(modelId="amazon.nova-lite-v1:0", messages=MESSAGES)
    assert reply["output"]["message"]["content"][0]["text"] == "pong"
    assert [r.operation for r in bedrock_emulator.requests] == ["Converse"]


def test_previous_emulator_was_stopped():
    assert seen and not seen[0].running


def test_env_fixture_points_plain_boto3_at_the_emulator(bedrock_emulator_env):
    identity = boto3.client("sts").get_caller_identity()
    assert identity["Account"] == bedrock_emulator_env.account_id
    reply = boto3.client("bedrock-runtime").converse(modelId="amazon.nova-lite-v1:0",
                                                     messages=MESSAGES)
    assert reply["output"]["message"]["content"][0]["text"] == "Emulated reply to: ping"
"""


def _entry_point_installed() -> bool:
    return any(
        ep.name == "bedrock_auth" and ep.value == "bedrock_auth.testing.plugin"
        for ep in importlib.metadata.entry_points(group="pytest11")
    )


def test_fixtures_come_from_the_entry_point(pytester: pytest.Pytester) -> None:
    if not _entry_point_installed():
        pytest.skip("bedrock-auth is not installed (pip install -e .), so no pytest11 entry point")
    pytester.makepyfile(test_user_app=USER_TESTS)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=3)


def test_fixtures_with_the_plugin_named_explicitly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With autoload off, only the explicit -p can provide the fixtures.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_user_app=USER_TESTS)

    result = pytester.runpytest("-p", "bedrock_auth.testing.plugin", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=3)


def test_fixtures_are_listed(pytester: pytest.Pytester) -> None:
    if not _entry_point_installed():
        pytest.skip("bedrock-auth is not installed, so no pytest11 entry point")
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*bedrock_emulator -- *", "*bedrock_emulator_env -- *"])
