"""The bedrock-auth command line: demo, doctor and policy, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bedrock_auth.cli import main
from bedrock_auth.testing import BedrockEmulator


def test_demo_runs_the_whole_path_as_a_module() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ["HOME"],
        # A shell that would break a non-hermetic demo.
        "AWS_PROFILE": "stale",
        "BEDROCK_AUTH_MODE": "api_key",
        "AWS_BEARER_TOKEN_BEDROCK": "ABSKstale-key-0000",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bedrock_auth", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for step in (
        "1. credentials: source=explicit",
        "2. validated through STS",
        "4. converse",
        "5. converse_stream",
        "6. invoke_agent",
        "7. get_llm",
    ):
        assert step in done.stdout


def test_doctor_all_ok_against_the_emulator(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    assert main(["doctor", "--model", "claude-sonnet-4-5", "--call-model"]) == 0
    out = capsys.readouterr().out
    assert "[ok  ] identity (sts:GetCallerIdentity): arn:aws:iam::123456789012:user/emulator" in out
    assert "us.anthropic.claude-sonnet-4-5" in out and "CountTokens" in out
    assert emu.secret_access_key not in out


def test_doctor_reports_missing_credentials_with_fixes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--region", "us-east-1", "--json"]) == 1
    checks = json.loads(capsys.readouterr().out)
    failed = [c for c in checks if not c["ok"]]
    assert failed[0]["name"] == "credentials"
    assert "aws sso login --profile" in failed[0]["detail"]


def test_doctor_reports_a_missing_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--profile", "nope"]) == 1
    assert "AWS profile 'nope' was not found" in capsys.readouterr().out


def test_policy_for_a_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["policy", "--model", "claude-sonnet-4-5", "--region", "eu-west-1", "--agents"]) == 0
    )
    policy = json.loads(capsys.readouterr().out)
    resources = policy["Statement"][0]["Resource"]
    assert (
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0" in resources
    )
    assert any(":inference-profile/eu.anthropic.claude-sonnet-4-5" in r for r in resources)
    assert policy["Statement"][-1]["Action"] == ["bedrock:InvokeAgent"]


def test_bad_input_exits_2_with_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "policy",
                "--model",
                "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "--region",
                "us-east-1",
            ]
        )
        == 2
    )
    assert "us.anthropic.claude-sonnet-4-5" in capsys.readouterr().err


def test_policy_extras_each_get_their_own_resources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--app-profiles", "--doctor"]) == 0
    statements = json.loads(capsys.readouterr().out)["Statement"]
    by_action = {a: s["Resource"] for s in statements for a in s["Action"]}
    assert by_action["bedrock:InvokeModel"] == [
        "arn:aws:bedrock:*::foundation-model/*",
        "arn:aws:bedrock:*:*:inference-profile/*",
    ]
    assert (
        "arn:aws:bedrock:*:*:application-inference-profile/*"
        in by_action["bedrock:GetInferenceProfile"]
    )
    assert "bedrock:CountTokens" in by_action
