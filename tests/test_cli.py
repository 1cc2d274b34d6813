"""The bedrock-auth command line: demo, doctor and policy, run as a user would."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import bedrock_auth
from bedrock_auth.cli import _parser, main
from bedrock_auth.diagnostics import EXIT_CODES
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
    assert main(["doctor", "--model", "claude-sonnet-4-5"]) == 0
    out = capsys.readouterr().out
    assert "[ok  ] identity: arn:aws:iam::123456789012:user/emulator" in out
    assert "us.anthropic.claude-sonnet-4-5" in out and "1-token Converse" in out
    assert emu.secret_access_key not in out


def test_doctor_reports_missing_credentials_with_fixes(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["doctor", "--region", "us-east-1", "--json"])
        == EXIT_CODES["CredentialsNotFoundError"]
    )
    report = json.loads(capsys.readouterr().out)
    failed = [c for c in report["steps"] if not c["ok"]]
    assert failed[0]["name"] == "credentials"
    assert "aws sso login --profile" in failed[0]["fix"]


def test_doctor_reports_a_missing_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--profile", "nope"]) == EXIT_CODES["ProfileNotFoundError"]
    assert "AWS profile 'nope' was not found" in capsys.readouterr().out


# -- the parser ------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"bedrock-auth {bedrock_auth.__version__}"


@pytest.mark.parametrize("argv", [["-v", "policy"], ["policy", "-v"], ["policy", "--verbose"]])
def test_verbose_before_or_after_the_subcommand(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _parser().parse_args(argv).verbose is True
    assert _parser().parse_args(["policy"]).verbose is False


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {"bedrock-auth": parser, **sub.choices}


@pytest.mark.parametrize(
    "command", ["bedrock-auth", "doctor", "policy", "models", "demo", "emulator"]
)
def test_every_flag_has_help_and_descriptions_are_plain(command: str) -> None:
    parser = _subparsers()[command]
    for action in parser._actions:
        assert action.help, f"{command} {action.option_strings} has no help"
    text = parser.format_help()
    assert "``" not in text and ":func:" not in text and ":class:" not in text
    assert parser.description


def test_main_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "{doctor,policy,models,explain,demo,emulator}" in out and "``" not in out


# -- policy ----------------------------------------------------------------------------------


def _policy(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["policy", *args]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert document["Version"] == "2012-10-17"
    for statement in document["Statement"]:
        assert not any("*" in action for action in statement["Action"]), statement
        if any(a.startswith("bedrock:Invoke") for a in statement["Action"]):
            assert "*" not in statement["Resource"], statement
    return document


def _by_action(document: dict[str, Any]) -> dict[str, list[str]]:
    return {a: s["Resource"] for s in document["Statement"] for a in s["Action"]}


def test_policy_for_a_model(capsys: pytest.CaptureFixture[str]) -> None:
    policy = _policy(capsys, "--model", "claude-sonnet-4-5", "--region", "eu-west-1", "--agents")
    resources = policy["Statement"][0]["Resource"]
    assert (
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0" in resources
    )
    assert any(":inference-profile/eu.anthropic.claude-sonnet-4-5" in r for r in resources)
    assert policy["Statement"][-1]["Action"] == ["bedrock:InvokeAgent"]


@pytest.mark.parametrize(
    "where",
    ["AWS_REGION", "AWS_DEFAULT_REGION", "profile", ".env"],
)
def test_policy_region_is_resolved_as_the_manager_does(
    where: str,
    clean_aws_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if where == "profile":
        Path(os.environ["AWS_CONFIG_FILE"]).write_text("[profile dev]\nregion = eu-west-1\n")
        monkeypatch.setenv("AWS_PROFILE", "dev")
    elif where == ".env":
        (clean_aws_env / ".env").write_text("AWS_REGION=eu-west-1\n")
    else:
        monkeypatch.setenv(where, "eu-west-1")
    resources = _by_action(_policy(capsys, "--model", "haiku"))["bedrock:InvokeModel"]
    assert any(":eu-west-1:*:inference-profile/eu.anthropic.claude-haiku" in r for r in resources)
    assert not any(":us-east-1:" in r or "/us." in r for r in resources)


def test_policy_region_flag_wins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    resources = _by_action(_policy(capsys, "--model", "haiku", "--region", "ap-northeast-1"))
    assert any("/jp.anthropic" in r for r in resources["bedrock:InvokeModel"])


def test_policy_refuses_an_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--model", "gpt-4o", "--region", "us-east-1"]) == 2
    err = capsys.readouterr().err
    assert "'gpt-4o' is not a model bedrock-auth knows" in err and "--allow-unknown" in err
    assert main(["policy", "--model", "claude-sonet-4-5", "--region", "us-east-1"]) == 2
    assert "Did you mean 'claude-sonnet-4-5'" in capsys.readouterr().err


def test_policy_allow_unknown_passes_the_id_through(capsys: pytest.CaptureFixture[str]) -> None:
    new_model = "anthropic.claude-future-9-v1:0"
    policy = _policy(capsys, "--model", new_model, "--region", "us-east-1", "--allow-unknown")
    assert _by_action(policy)["bedrock:InvokeModel"] == [
        f"arn:aws:bedrock:*::foundation-model/{new_model}"
    ]


def test_policy_extras(capsys: pytest.CaptureFixture[str]) -> None:
    role = "arn:aws:iam::210987654321:role/BedrockInvoke"
    policy = _policy(
        capsys, "--region", "us-east-1", "--assume-role", role, "--bearer", "--list", "--agents"
    )
    by_action = _by_action(policy)
    assert by_action["sts:AssumeRole"] == [role]
    assert by_action["bedrock:CallWithBearerToken"] == ["*"]
    assert by_action["bedrock:ListFoundationModels"] == ["*"]
    assert by_action["bedrock:ListInferenceProfiles"] == ["*"]
    assert by_action["bedrock:InvokeAgent"] == ["arn:aws:bedrock:*:*:agent-alias/*"]


def test_policy_with_a_missing_profile_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "missing")
    assert main(["policy"]) == 2
    assert "AWS profile 'missing' was not found" in capsys.readouterr().err


def test_policy_refuses_a_malformed_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--region", "us-east-1", "--assume-role", "BedrockInvoke"]) == 2
    assert "is not an IAM role ARN" in capsys.readouterr().err


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
    by_action = _by_action(_policy(capsys, "--app-profiles", "--region", "us-east-1"))
    assert by_action["bedrock:InvokeModel"] == [
        "arn:aws:bedrock:*::foundation-model/*",
        "arn:aws:bedrock:*:*:inference-profile/*",
    ]
    assert (
        "arn:aws:bedrock:*:*:application-inference-profile/*"
        in by_action["bedrock:GetInferenceProfile"]
    )


def test_policy_app_profiles_scoped_to_the_models(capsys: pytest.CaptureFixture[str]) -> None:
    app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    models = ["--model", app, "--model", "haiku"]
    by_action = _by_action(_policy(capsys, "--app-profiles", *models, "--region", "us-east-1"))
    assert by_action["bedrock:GetInferenceProfile"] == [
        app,
        "arn:aws:bedrock:us-east-1:*:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0",
    ]


def test_policy_has_no_doctor_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["policy", "--region", "us-east-1", "--doctor"])
    assert info.value.code == 2 and "--doctor" in capsys.readouterr().err  # argparse refuses it
