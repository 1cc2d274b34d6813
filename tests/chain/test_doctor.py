"""`bedrock-auth doctor` where the credential chain itself fails: moto with auth enforced, and
expired SSO sessions in a temp HOME (botocore fixes its SSO cache directory at import, so each
run is a clean child process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bedrock_auth.diagnostics import EXIT_CODES

from .helpers import ACCOUNT, Chain, MotoAdmin, aws_files
from .servers import SSOPortal
from .test_sources import _SSO_ROLE, _sso_setup

REPO = Path(__file__).resolve().parents[2]


def run_doctor(chain: Chain, *args: str, env: Mapping[str, str | None] | None = None,
               ) -> subprocess.CompletedProcess[str]:
    """``python -m bedrock_auth doctor`` in a clean child: the chain's env plus ``env``."""
    config, credentials = aws_files(chain.home)
    merged: dict[str, str | None] = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(chain.home),
        "PYTHONPATH": str(REPO),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_EC2_METADATA_DISABLED": "true",
        **chain.env,
        **(env or {}),
    }
    child_env = {name: value for name, value in merged.items() if value is not None}
    return subprocess.run(
        [sys.executable, "-m", "bedrock_auth", "doctor", *args],
        env=child_env, cwd=chain.cwd, capture_output=True, text=True, timeout=90, check=False,
    )


def both_forms(chain: Chain, *args: str, env: Mapping[str, str | None] | None = None,
               ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """The text run and the parsed ``--json`` report of the same setup; same exit code."""
    text = run_doctor(chain, *args, env=env)
    as_json = run_doctor(chain, "--json", *args, env=env)
    report: dict[str, Any] = json.loads(as_json.stdout)
    assert as_json.returncode == text.returncode == report["exit_code"], text.stdout
    assert as_json.stderr == ""
    return text, report


def first_failure(report: dict[str, Any]) -> dict[str, Any]:
    return next(step for step in report["steps"] if not step["ok"])


def assert_quiet_and_secret_free(done: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret not in done.stdout and secret not in done.stderr
    # botocore's own warning tracebacks (an expired SSO token) never reach the terminal.
    assert "Traceback" not in done.stderr and "WARNING" not in done.stderr, done.stderr


@contextmanager
def enforcing(moto_admin: MotoAdmin) -> Iterator[MotoAdmin]:
    """moto checking every access key, signature and IAM policy, until the block ends.

    The setting is process-wide in moto, so it is put back whatever happens.
    """
    previous = moto_admin.set_auth(0)
    try:
        yield moto_admin
    finally:
        moto_admin.set_auth(float(previous))


@pytest.fixture
def offline_bedrock(chain: Chain) -> Chain:
    """Bedrock endpoints on 127.0.0.1 (the STS proxy's address), so DNS answers offline."""
    sts_url = str(chain.env["AWS_ENDPOINT_URL_STS"])
    for service in ("BEDROCK_RUNTIME", "BEDROCK", "BEDROCK_AGENT_RUNTIME"):
        chain.env[f"AWS_ENDPOINT_URL_{service}"] = sts_url
    return chain


def test_bad_keys_against_moto(offline_bedrock: Chain, moto_admin: MotoAdmin) -> None:
    secret = "unknown/secret/key/doctor/00000000000001"
    env = {"AWS_ACCESS_KEY_ID": "AKIAUNKNOWNDOCTOR001", "AWS_SECRET_ACCESS_KEY": secret}
    with enforcing(moto_admin):
        text, report = both_forms(offline_bedrock, env=env)
    assert text.returncode == EXIT_CODES["InvalidCredentialsError"]
    failed = first_failure(report)
    assert (failed["name"], failed["error_class"]) == ("identity", "InvalidCredentialsError")
    assert "InvalidClientTokenId" in failed["detail"]
    assert "AWS_SESSION_TOKEN is set for temporary keys" in failed["fix"]
    assert "[FAIL] identity: AWS rejected the credentials" in text.stdout
    assert_quiet_and_secret_free(text, secret)


def test_assume_role_denied_against_moto(offline_bedrock: Chain, moto_admin: MotoAdmin) -> None:
    user = moto_admin.create_user("no-assume")  # no policy: moto denies its AssumeRole
    role = f"arn:aws:iam::{ACCOUNT}:role/BedrockInvoker"
    env = {"AWS_ACCESS_KEY_ID": user.access_key_id,
           "AWS_SECRET_ACCESS_KEY": user.secret_access_key}
    with enforcing(moto_admin):
        text, report = both_forms(offline_bedrock, "--role-arn", role, env=env)
    assert text.returncode == EXIT_CODES["AccessDeniedError"]
    names = [step["name"] for step in report["steps"]]
    assert names[:5] == ["settings", "region", "credentials", "base identity", "role"]
    assert "identity" not in names  # nothing to check once the role is refused
    failed = first_failure(report)
    assert failed["name"] == "role" and "sts AssumeRole" in failed["detail"]
    assert "GetCallerIdentity" not in failed["detail"] + failed["fix"]
    assert "needs sts:AssumeRole" in failed["fix"]
    assert f"must also trust {user.arn}" in failed["fix"]
    assert f"[ok  ] base identity: {user.arn}" in text.stdout
    assert_quiet_and_secret_free(text, user.secret_access_key)


@pytest.mark.parametrize("legacy", [False, True], ids=["sso-session", "legacy-sso"])
def test_expired_sso(offline_bedrock: Chain, moto_admin: MotoAdmin, legacy: bool) -> None:
    creds = moto_admin.assume_role(_SSO_ROLE, "alice")
    _sso_setup(offline_bedrock, "sso-access-token-old", -timedelta(hours=1), legacy)
    with SSOPortal("sso-access-token-old", ACCOUNT, "BedrockUsers", creds) as portal:
        env = {"AWS_PROFILE": "sso-dev", "AWS_ENDPOINT_URL_SSO": portal.url}
        text, report = both_forms(offline_bedrock, "--model", "nova-lite", env=env)
        assert portal.records == []  # an expired token is never sent
    assert text.returncode == EXIT_CODES["SSOLoginRequiredError"]
    failed = first_failure(report)
    assert (failed["name"], failed["error_class"]) == ("credentials", "SSOLoginRequiredError")
    assert failed["fix"] == "aws sso login --profile sso-dev"
    assert "[FAIL] credentials: The SSO session for profile 'sso-dev'" in text.stdout
    assert "fix: aws sso login --profile sso-dev" in text.stdout
    assert_quiet_and_secret_free(text, "sso-access-token-old", creds.secret_access_key)


@pytest.mark.parametrize("named_by", ["AWS_PROFILE", "profile="])
def test_get_llm_names_the_sso_profile(
    chain: Chain, moto_admin: MotoAdmin, named_by: str
) -> None:
    """The expiry is hit inside a LangChain call: the message still names the profile, whether
    the environment or the manager's argument named it."""
    pytest.importorskip("langchain_aws")
    creds = moto_admin.assume_role(_SSO_ROLE, "alice")
    _sso_setup(chain, "sso-access-token-old", -timedelta(hours=1))
    after = """
        from bedrock_auth import get_llm
        try:
            get_llm("nova-lite", manager=manager).invoke("hi")
        except Exception as exc:
            result.update(llm_error=type(exc).__name__, llm_message=str(exc))
    """
    with SSOPortal("sso-access-token-old", ACCOUNT, "BedrockUsers", creds) as portal:
        env = {"AWS_ENDPOINT_URL_SSO": portal.url, "PYTHONPATH": str(REPO)}
        options: dict[str, object] = {"validate": False}
        if named_by == "AWS_PROFILE":
            env["AWS_PROFILE"] = "sso-dev"
        else:
            options["profile"] = "sso-dev"
        result = chain.run(options, env, after=after)
    assert result["llm_error"] == "SSOLoginRequiredError", result
    assert "aws sso login --profile sso-dev" in result["llm_message"]
