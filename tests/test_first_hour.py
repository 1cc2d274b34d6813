"""A newcomer's first hour (issue 23, items 1 to 11): what the CLI and the API say when a setup
is almost right, run as a user runs them, against the emulator on 127.0.0.1.

Each test names the item it covers. The rule behind all of them: when the cause is local and
knowable (a key not opted into, a missing file, a misspelt region or profile, a missing
package), say that cause and its one fix, not a generic list; and never let a passing run
suggest more than it checked.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_auth import BedrockClientManager, check, converse, errors
from bedrock_auth._failures import section
from bedrock_auth.cli import main
from bedrock_auth.diagnostics import EXIT_CODES
from bedrock_auth.testing import BedrockEmulator

REPO = Path(__file__).resolve().parent.parent
API_KEY = "ABSK" + "Rmlyc3RIb3VyVGVzdEtleQ" * 3
ROLE = "arn:aws:iam::123456789012:role/FirstHour"


@pytest.fixture
def endpoints(emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> BedrockEmulator:
    """The emulator's endpoints and region, but no credentials: the newcomer's own setup
    decides those."""
    emu.clear()
    for name, value in emu.env().items():
        if not name.startswith(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")):
            monkeypatch.setenv(name, value)
    return emu


@pytest.fixture
def shell(endpoints: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> BedrockEmulator:
    """Everything the emulator prints, keys included: a working setup."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", endpoints.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", endpoints.secret_access_key)
    return endpoints


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["doctor", *args])
    return code, capsys.readouterr().out


def doctor_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    main(["doctor", "--json", *args])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def step(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in report["steps"] if s["name"] == name)
    return found


# -- 1. AWS_BEARER_TOKEN_BEDROCK set alone -------------------------------------------------------


def test_1_an_api_key_alone_gets_the_opt_in_not_twelve_sources(
    endpoints: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    code, out = doctor(capsys)
    assert code == EXIT_CODES["CredentialsNotFoundError"]
    assert "[FAIL] credentials: No AWS credentials were found, and AWS_BEARER_TOKEN_BEDROCK" in out
    assert "fix: To use the key: export BEDROCK_AUTH_MODE=api_key" in out
    assert "Sources tried" not in out and "12." not in out
    assert API_KEY not in out
    report = doctor_json(capsys)
    assert any("BEDROCK_AUTH_MODE=api_key" in warning for warning in report["warnings"])


def test_1_api_key_mode_skips_the_endpoints_it_does_not_use(
    endpoints: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BEDROCK_AUTH_MODE", "api_key")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    # Hosts that do not resolve: checking them would fail the run.
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "https://sts.first-hour.invalid")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", "https://agents.first-hour.invalid")
    report = doctor_json(capsys)
    assert report["ok"], report
    for name in ("endpoint sts", "endpoint bedrock-agent-runtime", "identity"):
        assert step(report, name)["detail"].startswith("skipped: a Bedrock API key"), name
    assert step(report, "endpoint bedrock-runtime")["detail"].startswith("http://127.0.0.1")
    # Asked to reach an agent, the agent endpoint matters again (Agents sign with SigV4).
    report = doctor_json(capsys, "--agent-id", "A1", "--agent-alias-id", "B1", "--no-invoke")
    assert not step(report, "endpoint bedrock-agent-runtime")["ok"]


# -- 2. local problems: a missing token file, an MFA function that raises -----------------------


@pytest.mark.parametrize(
    ("args", "failed_step"), [((), "credentials"), (("--mode", "web_identity"), "role")]
)
def test_2_a_missing_web_identity_token_file_is_named(
    args: tuple[str, ...],
    failed_step: str,
    endpoints: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    missing = tmp_path / "token"
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(missing))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE)
    code, out = doctor(capsys, *args)
    assert code == EXIT_CODES["ConfigurationError"], out
    assert (
        f"[FAIL] {failed_step}: local file problem: {missing} not found "
        "(the web identity token file)."
    ) in out
    assert "fix: Create it, or correct the path: AWS_WEB_IDENTITY_TOKEN_FILE" in out
    assert "FileNotFoundError" not in out and "Read the AWS message" not in out


def test_2_an_mfa_function_that_raises_is_named(shell: BedrockEmulator) -> None:
    def no_terminal() -> str:
        raise EOFError("EOF when reading a line")  # what input() says with no terminal

    report = check(
        role_arn=ROLE,
        mfa_serial="arn:aws:iam::123456789012:mfa/me",
        mfa_token_provider=no_terminal,
    )
    failed = next(s for s in report.steps if not s.ok)
    assert (failed.name, failed.error_class) == ("role", "ConfigurationError")
    assert failed.detail.startswith("local problem: mfa_token_provider= raised EOFError")
    assert failed.fix is not None and "run where a terminal is attached" in failed.fix


# -- 3. no model, no claim that Bedrock works ----------------------------------------------------


def test_3_a_run_without_a_model_says_model_access_was_not_checked(
    shell: BedrockEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(capsys)
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert "every step passed" not in last
    assert "model access was not checked" in last and "--model" in last
    assert doctor_json(capsys)["model_checked"] is False
    _code, out = doctor(capsys, "--model", "nova-lite", "--no-invoke")
    assert "without --no-invoke" in out.strip().splitlines()[-1]
    _code, out = doctor(capsys, "--model", "nova-lite")
    assert out.strip().splitlines()[-1] == "doctor: every step passed."
    assert doctor_json(capsys, "--model", "nova-lite")["model_checked"] is True


# -- 4. get_llm(region=...) --------------------------------------------------------------------


def test_4_a_region_given_to_get_llm_is_not_warned_about(
    shell: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pytest.importorskip("langchain_aws")
    from bedrock_auth import get_llm

    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with caplog.at_level(logging.WARNING, logger="bedrock_auth"):
        get_llm("claude-sonnet-4-5", region="us-west-2")
    assert "No AWS region configured" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="bedrock_auth"):
        get_llm("claude-sonnet-4-5")  # this one does use the default region
    assert "No AWS region configured" in caplog.text


def test_4_a_misspelt_region_is_reported_before_missing_credentials() -> None:
    pytest.importorskip("langchain_aws")
    from bedrock_auth import get_llm

    with pytest.raises(errors.ConfigurationError, match="did you mean 'us-east-1'"):
        get_llm("claude-sonnet-4-5", region="us-est-1")


# -- 5. emulator --tls without cryptography -------------------------------------------------------


def test_5_tls_without_cryptography_is_one_error_line() -> None:
    code = (
        "import sys; sys.modules['cryptography'] = None  # as if it were not installed\n"
        "from bedrock_auth.cli import main; sys.exit(main(['emulator', '--tls']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: --tls needs the 'cryptography' package")
    assert "pip install cryptography" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# -- 6. policy --json, and policy's own usage -----------------------------------------------------


def test_6_policy_takes_json_and_shows_its_own_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--json", "--region", "us-east-1"]) == 0
    assert json.loads(capsys.readouterr().out)["Version"] == "2012-10-17"
    with pytest.raises(SystemExit) as exited:
        main(["policy", "--jsn"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: bedrock-auth policy ")
    assert "policy: error: unrecognized arguments: --jsn" in err


# -- 7. the library's own hints are not redacted ---------------------------------------------------


def test_7_placeholders_in_hints_survive_redaction() -> None:
    from bedrock_auth import anthropic_client_from_env

    with pytest.raises(errors.ConfigurationError) as raised:
        anthropic_client_from_env()
    assert "ANTHROPIC_API_KEY=sk-ant-... (or pass api_key=...)" in str(raised.value)
    with pytest.raises(errors.CredentialsNotFoundError) as missing:
        BedrockClientManager(region="us-east-1")
    assert "export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=..." in str(missing.value)


# -- 8. exact fixes: a profile's region line, a misspelt profile ----------------------------------


def test_8_a_bad_profile_region_names_the_line_to_edit(
    shell: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.write_text("[profile work]\nregion = us-est-1\n")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_PROFILE", "work")
    code, out = doctor(capsys)
    assert code == EXIT_CODES["ConfigurationError"]
    assert (
        f"fix: In {config}, under [profile work], change the line `region = us-est-1` to "
        "`region = us-east-1`"
    ) in out


def test_8_a_bad_region_in_dotenv_names_the_line_to_edit(
    shell: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clean_aws_env: Path,
) -> None:
    monkeypatch.delenv("AWS_REGION")
    (clean_aws_env / ".env").write_text("AWS_REGION=us-est-1\n")
    code, out = doctor(capsys)
    assert code == EXIT_CODES["ConfigurationError"]
    assert "change the line AWS_REGION=us-est-1 to AWS_REGION=us-east-1" in out
    assert str(clean_aws_env / ".env") in out


def test_8_a_misspelt_profile_gets_did_you_mean(
    shell: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text("[profile dev]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_PROFILE", "dve")
    code, out = doctor(capsys)
    assert code == EXIT_CODES["ProfileNotFoundError"]
    assert "did you mean 'dev'?" in out and "export AWS_PROFILE=dev" in out
    with pytest.raises(errors.ProfileNotFoundError, match="did you mean 'dev'"):
        BedrockClientManager()


# -- 9. help a wheel user has: bedrock-auth explain ------------------------------------------------


@pytest.mark.parametrize("name", EXIT_CODES)
def test_9_explain_prints_each_class_section(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", str(EXIT_CODES[name])]) == 0
    by_code = capsys.readouterr().out
    assert by_code.startswith("### ") and f"`{name}`" in by_code.splitlines()[0]
    assert "**Fix:**" in by_code
    assert main(["explain", name.lower()]) == 0
    assert capsys.readouterr().out == by_code


def test_9_explain_without_a_topic_lists_the_codes_and_refuses_unknown_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain"]) == 0
    table = capsys.readouterr().out
    assert all(f"| {code} | `{name}` |" in table for name, code in EXIT_CODES.items())
    assert main(["explain", "AccesDenied"]) == 2
    assert "did you mean AccessDeniedError?" in capsys.readouterr().err
    assert main(["explain", "2"]) == 0
    assert capsys.readouterr().out.startswith("exit code 2: a bad flag")


def test_9_doctor_and_cli_errors_point_to_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = doctor(capsys)  # no credentials at all
    assert out.strip().splitlines()[-1].endswith(f"bedrock-auth explain {code}")
    assert "docs/troubleshooting.md" not in out
    assert main(["models", "--region", "us-est-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: region='us-est-1'")
    assert err.strip().endswith(f"bedrock-auth explain {EXIT_CODES['ConfigurationError']}")


def test_9_library_errors_name_their_explain_command(capsys: pytest.CaptureFixture[str]) -> None:
    """An error raised by the API (no credentials at all) names the command that explains it;
    on Python 3.11+ the traceback shows it under the message, which stays as it was."""
    import traceback

    with pytest.raises(errors.CredentialsNotFoundError) as raised:
        BedrockClientManager()
    error = raised.value
    assert error.help == "bedrock-auth explain CredentialsNotFoundError"
    assert "bedrock-auth explain" not in str(error)
    if sys.version_info >= (3, 11):
        shown = "".join(traceback.format_exception(error))
        assert shown.rstrip().endswith(f"Cause and fix: {error.help}")
    assert main(error.help.split()[1:]) == 0
    assert "`CredentialsNotFoundError`" in capsys.readouterr().out.splitlines()[0]


def test_9_the_help_text_ships_in_the_package_and_is_the_docs_page() -> None:
    from fnmatch import fnmatch

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    packaged = REPO / "bedrock_auth" / "_help" / "troubleshooting.md"
    docs = REPO / "docs" / "troubleshooting.md"
    assert docs.read_text("utf-8") == packaged.read_text("utf-8"), (
        "docs/troubleshooting.md is a copy of bedrock_auth/_help/troubleshooting.md: edit the "
        "packaged one, then `cp bedrock_auth/_help/troubleshooting.md docs/`"
    )
    data = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    globs = data["tool"]["setuptools"]["package-data"]["bedrock_auth"]
    assert any(fnmatch("_help/troubleshooting.md", glob) for glob in globs)
    assert section("5").startswith("### 5 `CredentialsNotFoundError`")


def test_9_readme_lists_every_exit_code_and_error_class_once() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    command_line = readme[readme.index("## Command line") : readme.index("## More docs")]
    for name, code in EXIT_CODES.items():
        assert f"{code} `{name}`" in command_line, name
    errors_section = readme[readme.index("## Errors") : readme.index("## Command line")]
    table = set(re.findall(r"^\| `(\w+)`", errors_section, re.MULTILINE))
    assert table == set(EXIT_CODES)
    more = readme[readme.index("## More docs") : readme.index("## Security")]
    assert more.count("(docs/migration.md)") == 1


# -- 10. the async LangChain example prints text ---------------------------------------------------


def test_10_async_langchain_example_prints_text_like_the_sync_one() -> None:
    usage = (REPO / "docs" / "usage.md").read_text("utf-8")
    examples = re.findall(r"for chunk in llm\.a?stream\(.*?\):\n\s+print\((\S+?),", usage)
    assert examples == ["chunk.text", "chunk.text"]


# -- 11. smaller: an API key over http, the emulator's client, a taken port -----------------------


def test_11_an_api_key_over_plain_http_is_a_configuration_error(emu: BedrockEmulator) -> None:
    manager = emu.manager(api_key=API_KEY)  # the emulator serves plain http here
    with pytest.raises(errors.ConfigurationError, match="needs an https endpoint") as raised:
        converse("nova-lite", "Hello", manager=manager)
    assert type(raised.value.__cause__).__name__ == "InvalidEndpointConfigurationError"
    assert API_KEY not in str(raised.value)


def test_11_emulator_client_with_a_missing_profile_raises_ours(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(errors.ProfileNotFoundError, match="'nope' was not found"):
        emu.client()


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_11_a_taken_port_names_the_cli_flag(
    taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", "--port", str(taken_port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot start: 127.0.0.1:{taken_port} is already in use")
    assert "--port 0" in err and "port=0" not in err
