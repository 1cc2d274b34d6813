"""`bedrock-auth doctor` and `bedrock_auth.check()` against the emulator, over real sockets.

Each scenario runs the CLI in text and in JSON, and checks the exit code, the failing step,
its fix, and that no planted secret reaches stdout or stderr. The moto and SSO scenarios are
in tests/chain/test_doctor.py (they need a clean child process and a temp HOME).
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import bedrock_auth
from bedrock_auth import errors
from bedrock_auth.cli import main
from bedrock_auth.diagnostics import EXIT_CODES, Report, Step
from bedrock_auth.testing import BedrockEmulator

REPO = Path(__file__).resolve().parent.parent
PLANTED_SECRET = "pLaNtEd/SeCrEt/kEy/0123456789abcdefABCDE"
PLANTED_TOKEN = "PlAnTeDsEsSiOnToKeN/" + "Zq9" * 40
PLANTED_API_KEY = "ABSK" + "UGxhbnRlZEFwaUtleQ" * 4
SECRETS = (PLANTED_SECRET, PLANTED_TOKEN, PLANTED_API_KEY)


@pytest.fixture
def shell(emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[BedrockEmulator]:
    """The emulator's environment, with planted secrets that must never be printed."""
    emu.clear()
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", PLANTED_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", PLANTED_TOKEN)
    yield emu
    emu.clear()


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


@dataclass(frozen=True)
class Scenario:
    """One setup: what to change, the flags, and what doctor must answer."""

    args: tuple[str, ...] = ()
    env: dict[str, str | None] = field(default_factory=dict)
    arrange: Callable[[BedrockEmulator, Path], None] = lambda emu, home: None
    exit_code: int = 0
    failed_step: str | None = None
    error_class: str | None = None
    fix: tuple[str, ...] = ()
    warning: str | None = None


def _credentials_file(emu: BedrockEmulator, home: Path) -> None:
    (home / ".aws" / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIADEVPROFILE000001\n"
        f"aws_secret_access_key = {PLANTED_SECRET[::-1]}\n"
    )


SCENARIOS = {
    "healthy": Scenario(args=("--model", "claude-sonnet-4-5")),
    "no credentials": Scenario(
        env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None},
        exit_code=EXIT_CODES["CredentialsNotFoundError"],
        failed_step="credentials",
        error_class="CredentialsNotFoundError",
        fix=("aws sso login --profile <name>", "aws configure"),
    ),
    "bad keys": Scenario(
        env={"AWS_ACCESS_KEY_ID": "AKIAREJECTEDKEY00001"},
        arrange=lambda emu, home: emu.reject_keys(["AKIAREJECTEDKEY00001"]),
        exit_code=EXIT_CODES["InvalidCredentialsError"],
        failed_step="identity",
        error_class="InvalidCredentialsError",
        fix=("check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",),
    ),
    "region typo": Scenario(
        env={"AWS_REGION": "us-eats-1"},
        exit_code=EXIT_CODES["ConfigurationError"],
        failed_step="region",
        error_class="ConfigurationError",
        fix=("export AWS_REGION=us-east-1, then run doctor again",),
    ),
    "assume role denied": Scenario(
        args=("--role-arn", "arn:aws:iam::123456789012:role/Nope"),
        arrange=lambda emu, home: emu.fail(
            "AccessDenied", service="sts", operation="AssumeRole", times=None
        ),
        exit_code=EXIT_CODES["AccessDeniedError"],
        failed_step="role",
        error_class="AccessDeniedError",
        fix=(
            "needs sts:AssumeRole",
            "trust policy must also trust arn:aws:iam::123456789012:user/emulator",
            "bedrock-auth policy --assume-role arn:aws:iam::123456789012:role/Nope",
        ),
    ),
    "model denied": Scenario(
        args=("--model", "claude-sonnet-4-5"),
        arrange=lambda emu, home: emu.fail("AccessDeniedException", operation="Converse"),
        exit_code=EXIT_CODES["AccessDeniedError"],
        failed_step="model access",
        error_class="AccessDeniedError",
        fix=(
            "The identity needs bedrock:InvokeModel",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ),
    ),
    "agent alias not found": Scenario(
        env={"BEDROCK_AGENT_ID": "AGENT0001", "BEDROCK_AGENT_ALIAS_ID": "ALIAS0001"},
        arrange=lambda emu, home: emu.fail("ResourceNotFoundException", operation="InvokeAgent"),
        exit_code=EXIT_CODES["ServiceError"],
        failed_step="agent",
        error_class="ServiceError",
        fix=("aws bedrock-agent list-agent-aliases --agent-id AGENT0001 --region us-east-1",),
    ),
    "endpoint does not resolve": Scenario(
        args=("--model", "nova-lite"),
        env={"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://bedrock-runtime.doctor-test.invalid"},
        exit_code=EXIT_CODES["EndpointUnreachableError"],
        failed_step="endpoint bedrock-runtime",
        error_class="EndpointUnreachableError",
        fix=("com.amazonaws.us-east-1.bedrock-runtime with private DNS enabled",),
    ),
    "env keys shadow a profile": Scenario(
        env={"AWS_PROFILE": "dev"},
        arrange=_credentials_file,
        warning="shadow AWS_PROFILE=dev",
    ),
    "bearer token in the shell": Scenario(
        args=("--model", "nova-lite"),
        env={"AWS_BEARER_TOKEN_BEDROCK": PLANTED_API_KEY},
        warning="pinned to SigV4",
    ),
}


def _arrange(
    scenario: Scenario, emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in scenario.env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    scenario.arrange(emu, Path(os.environ["HOME"]))


@pytest.mark.parametrize("name", SCENARIOS)
def test_doctor_text(
    name: str,
    shell: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = SCENARIOS[name]
    _arrange(scenario, shell, monkeypatch)
    code = main(["doctor", *scenario.args])
    out, err = capsys.readouterr()
    assert code == scenario.exit_code, out
    assert_no_secret(out, err)
    if scenario.failed_step is None:
        # Only a model call shows that Bedrock answers; without one doctor says so.
        called = "--model" in scenario.args
        assert "[FAIL]" not in out
        assert ("doctor: every step passed." in out) is called
        assert ("model access was not checked" in out) is not called
    else:
        assert f"[FAIL] {scenario.failed_step}: " in out
        assert f"'{scenario.failed_step}' failed ({scenario.error_class})" in out
    for text in scenario.fix:
        assert text in out
    if scenario.warning:
        assert "[warn] " in out and scenario.warning in out


@pytest.mark.parametrize("name", SCENARIOS)
def test_doctor_json(
    name: str,
    shell: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = SCENARIOS[name]
    _arrange(scenario, shell, monkeypatch)
    code = main(["doctor", "--json", *scenario.args])
    out, err = capsys.readouterr()
    report = json.loads(out)  # one object, nothing else on stdout
    assert_no_secret(out, err)
    assert err == ""  # warnings are in the object
    assert set(report) == {"ok", "exit_code", "model_checked", "steps", "warnings"}
    assert code == report["exit_code"] == scenario.exit_code
    assert report["ok"] is (scenario.failed_step is None)
    for step in report["steps"]:
        assert set(step) == {"name", "ok", "detail", "error_class", "fix"}
    failed = [step for step in report["steps"] if not step["ok"]]
    if scenario.failed_step is not None:
        assert failed[0]["name"] == scenario.failed_step
        assert failed[0]["error_class"] == scenario.error_class
        for text in scenario.fix:
            assert text in failed[0]["fix"]
    if scenario.warning:
        assert any(scenario.warning in warning for warning in report["warnings"])


def test_healthy_steps_in_order(shell: BedrockEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", "--json", "--model", "haiku", "--agent-id", "A1", "--agent-alias-id", "B1"])
    report = json.loads(capsys.readouterr().out)
    assert [step["name"] for step in report["steps"]] == [
        "settings",
        "region",
        "credentials",
        "identity",
        "endpoint bedrock-runtime",
        "endpoint bedrock",
        "endpoint bedrock-agent-runtime",
        "endpoint sts",
        "model id",
        "model access",
        "agent",
    ]
    by_name = {step["name"]: step["detail"] for step in report["steps"]}
    assert "key AKIA************0000" in by_name["identity"]
    assert "loopback" in by_name["endpoint bedrock-runtime"]
    assert "1-token Converse" in by_name["model access"]
    assert "alias B1 of agent A1 answered" in by_name["agent"]
    calls = [(r.operation, r.body) for r in shell.requests if r.operation == "Converse"]
    [(_, body)] = calls
    assert body["inferenceConfig"] == {"maxTokens": 1}  # access is proven by Converse, cheaply
    assert not [r for r in shell.requests if r.operation == "CountTokens"]


def test_model_from_bedrock_model_id_and_dotenv_named(
    shell: BedrockEmulator, clean_aws_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_aws_env / ".env").write_text("BEDROCK_MODEL_ID=nova-lite\n")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f".env: {clean_aws_env / '.env'} (set BEDROCK_MODEL_ID)" in out
    assert "nova-lite (BEDROCK_MODEL_ID, from .env" in out
    assert "amazon.nova-lite-v1:0 answered a 1-token Converse" in out


def test_no_invoke_makes_no_model_or_agent_call(
    shell: BedrockEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = ["--agent-id", "A", "--agent-alias-id", "B"]
    assert main(["doctor", "--no-invoke", "--model", "nova-lite", *agent]) == 0
    out = capsys.readouterr().out
    assert "[ok  ] model access: skipped: no call made" in out
    assert "[ok  ] agent: skipped: no call made" in out
    assert not [r for r in shell.requests if r.operation in ("Converse", "InvokeAgent")]


def test_doctor_has_no_call_model_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["doctor", "--json", "--call-model"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "--call-model" in err  # argparse refuses it


def test_doctor_accepts_the_manager_options(
    shell: BedrockEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    role = "arn:aws:iam::123456789012:role/Partner"
    args = ["--mode", "assume_role", "--role-arn", role, "--external-id", "partner-7"]
    url = f"http://localhost:{shell.port}"
    assert main(["doctor", *args, "--endpoint-url", url, "--no-invoke"]) == 0
    out = capsys.readouterr().out
    assert "[ok  ] settings: mode assume_role" in out
    assert f"[ok  ] endpoint bedrock-runtime: {url} -> " in out
    [assume] = [r for r in shell.requests if r.operation == "AssumeRole"]
    assert assume.body["RoleArn"] == role and assume.sent("body.ExternalId", "partner-7")
    assert "partner-7" not in out  # an external id is a secret: never printed


def test_bearer_token_in_the_shell_is_not_sent(
    shell: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", PLANTED_API_KEY)
    assert main(["doctor", "--model", "nova-lite"]) == 0
    [converse] = [r for r in shell.requests if r.operation == "Converse"]
    assert converse.auth_scheme == "sigv4"
    assert "AWS_BEARER_TOKEN_BEDROCK is set and ignored" in capsys.readouterr().out


# -- the API ---------------------------------------------------------------------------------


def test_a_denied_assume_role_is_named_outside_doctor_too(shell: BedrockEmulator) -> None:
    shell.fail("AccessDenied", service="sts", operation="AssumeRole")
    with pytest.raises(bedrock_auth.AccessDeniedError) as denied:
        shell.manager(role_arn="arn:aws:iam::123456789012:role/Nope")
    assert "Access denied for sts AssumeRole" in str(denied.value)
    assert "needs sts:AssumeRole" in str(denied.value)


def test_check_returns_the_report_doctor_prints(
    shell: BedrockEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    report = bedrock_auth.check("nova-lite")
    assert isinstance(report, Report) and report.ok and report.exit_code == 0
    assert all(isinstance(step, Step) for step in report.steps)
    main(["doctor", "--json", "--model", "nova-lite"])
    printed = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in printed["steps"]] == [s.name for s in report.steps]
    assert report.to_dict()["steps"][0].keys() == printed["steps"][0].keys()
    assert capsys.readouterr() == ("", "")  # check() itself prints nothing


def test_check_never_raises_for_a_failed_step(shell: BedrockEmulator) -> None:
    report = bedrock_auth.check(region="us-eats-1", profile="missing")
    assert not report.ok
    assert report.steps[-1].error_class == "ProfileNotFoundError"
    assert report.exit_code == EXIT_CODES["ProfileNotFoundError"]
    wrong_type = bedrock_auth.check(max_retries="3")  # type: ignore[arg-type]
    assert wrong_type.steps[0].error_class == "ConfigurationError"
    # A pinned mode missing its keys fails in the settings step, not in the region step.
    [settings] = bedrock_auth.check(mode="static").steps
    assert settings.name == "settings" and "mode='static' needs" in settings.detail


def test_check_with_a_manager_and_callbacks(shell: BedrockEmulator) -> None:
    manager = bedrock_auth.BedrockClientManager(validate=False)
    started: list[str] = []
    finished: list[Step] = []
    report = bedrock_auth.check(
        manager=manager, invoke=False, on_start=started.append, on_step=finished.append
    )
    assert report.ok
    assert started == [step.name for step in report.steps] == [step.name for step in finished]
    with pytest.raises(bedrock_auth.ConfigurationError, match="either manager="):
        bedrock_auth.check(manager=manager, region="us-east-1")


def test_acheck_runs_in_a_thread(shell: BedrockEmulator) -> None:
    report = asyncio.run(bedrock_auth.acheck("nova-lite"))
    assert report.ok and report.steps[-2].name == "model access"


def test_import_stays_cheap() -> None:
    code = (
        "import sys, bedrock_auth; bedrock_auth.check; print(sorted(m for m in sys.modules "
        "if m.startswith(('langchain', 'bedrock_auth.invoke'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]", done.stderr


# -- a hung STS, run as a user would ---------------------------------------------------------


class HungServer:
    """Accepts connections and never answers: an STS endpoint behind a broken network path."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.held: list[socket.socket] = []
        self.stopped = threading.Event()

    def __enter__(self) -> HungServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                continue

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        for conn in self.held:
            conn.close()
        self.sock.close()


def _child_env(emu: BedrockEmulator, home: Path, **extra: str) -> dict[str, str]:
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "PYTHONPATH": str(REPO),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **emu.env(),
        "AWS_SECRET_ACCESS_KEY": PLANTED_SECRET,
        "BEDROCK_STS_READ_TIMEOUT": "1",
        **extra,
    }


def test_hung_sts_fails_in_bounded_time_printing_as_it_goes(
    emu: BedrockEmulator, tmp_path: Path
) -> None:
    with HungServer() as sts:
        env = _child_env(emu, tmp_path / "home", AWS_ENDPOINT_URL_STS=sts.url)
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "bedrock_auth", "doctor"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        first_line = child.stdout.readline()
        first_at = time.monotonic()
        rest, err = child.communicate(timeout=60)
        ended = time.monotonic()
    assert first_line.startswith("[ok  ] settings")
    assert ended - first_at > 1.5  # the first line came before the STS attempts timed out
    assert ended - started < 30  # 2 attempts x 1 s read timeout, plus start-up
    assert child.returncode == EXIT_CODES["CredentialEndpointUnreachableError"]
    assert "[FAIL] identity: STS did not answer" in rest
    assert "BEDROCK_STS_READ_TIMEOUT" in rest
    assert_no_secret(first_line, rest, err)
    assert err == ""


def test_on_a_terminal_a_running_step_shows_a_line(emu: BedrockEmulator, tmp_path: Path) -> None:
    with HungServer() as sts:
        env = _child_env(emu, tmp_path / "home", AWS_ENDPOINT_URL_STS=sts.url)
        primary, secondary = pty.openpty()
        child = subprocess.Popen(
            [sys.executable, "-m", "bedrock_auth", "doctor", "--no-invoke"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=secondary,
            stderr=subprocess.PIPE,
        )
        os.close(secondary)
        seen = b""
        while b"identity \xe2\x80\xa6" not in seen:  # "[ .. ] identity …" while STS hangs
            ready, _, _ = select.select([primary], [], [], 30)
            assert ready, seen
            seen += os.read(primary, 4096)
        assert child.poll() is None  # still waiting for STS
        child.wait(timeout=60)
        os.close(primary)
    assert child.returncode == EXIT_CODES["CredentialEndpointUnreachableError"]


def test_exit_codes_are_documented() -> None:
    """docs/troubleshooting.md's table and EXIT_CODES say the same, and every error class of
    bedrock_auth.errors has a code of its own."""
    page = (REPO / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    documented = {
        name: int(code) for code, name in re.findall(r"^\| (\d+) \| `(\w+)` \|", page, re.MULTILINE)
    }
    assert documented == dict(EXIT_CODES)
    classes = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.BedrockAuthError)
    }
    assert classes - {"BedrockAuthError"} == set(EXIT_CODES)
    assert len(set(EXIT_CODES.values())) == len(EXIT_CODES)
