"""``bedrock-auth emulator`` run as its own process and driven by boto3 from this one."""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from bedrock_auth.testing import BedrockEmulator

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 30.0


def _read_exports(process: subprocess.Popen[str]) -> dict[str, str]:
    """The exported variables, read until the "stops it" line (bounded by a timer)."""
    assert process.stdout is not None
    timer = threading.Timer(STARTUP_TIMEOUT, process.kill)
    timer.start()
    exports: dict[str, str] = {}
    try:
        for line in process.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                exports[name] = value.strip("'")
            if "stops it" in line:
                break
    finally:
        timer.cancel()
    return exports


@contextmanager
def _standalone(*argv: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        yield process, _read_exports(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=STARTUP_TIMEOUT)
    return process.returncode, out


def _runtime(exports: dict[str, str]) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name=exports["AWS_REGION"],
        endpoint_url=exports["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"],
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        verify=exports.get("AWS_CA_BUNDLE", True),
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.mark.parametrize("tls", [False, True])
def test_cli_emulator_serves_another_process_and_stops_on_sigterm(tls: bool) -> None:
    if tls:
        pytest.importorskip("cryptography")
    flags = ["--tls"] if tls else []
    with _standalone("-m", "bedrock_auth", "emulator", "--region", "eu-west-1", *flags) as (
        process,
        exports,
    ):
        assert exports["AWS_REGION"] == "eu-west-1"
        assert exports["ANTHROPIC_BEDROCK_BASE_URL"].startswith("https" if tls else "http:")
        assert ("AWS_CA_BUNDLE" in exports) is tls
        response = _runtime(exports).converse(
            modelId="amazon.nova-lite-v1:0",
            messages=[{"role": "user", "content": [{"text": "ping"}]}],
        )
        assert response["output"]["message"]["content"][0]["text"].endswith("ping")
        code, out = _stop(process)
    assert code == 0
    assert "stopped" in out


def test_python_m_testing_loads_a_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "replies": [{"text": "seeded answer"}],
                "faults": [{"code": "ThrottlingException", "operation": "InvokeModel"}],
            }
        )
    )
    with _standalone("-m", "bedrock_auth.testing", "--seed", str(seed)) as (process, exports):
        runtime = _runtime(exports)
        response = runtime.converse(
            modelId="amazon.nova-lite-v1:0",
            messages=[{"role": "user", "content": [{"text": "ping"}]}],
        )
        assert response["output"]["message"]["content"] == [{"text": "seeded answer"}]
        with pytest.raises(ClientError, match="ThrottlingException"):
            runtime.invoke_model(modelId="amazon.nova-lite-v1:0", body=json.dumps(NOVA_BODY))
        code, _ = _stop(process)
    assert code == 0


NOVA_BODY = {"messages": [{"role": "user", "content": [{"text": "x"}]}]}
WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
    }
}
# Every seed feature a non-Python suite would use: a text reply, a tool call limited to one
# model, a fault limited to one operation and one that fires twice then stops.
YAML_SEED = """\
# Scripted for a suite that does not speak Python.
replies:
  - text: Seeded from YAML.
  - model: amazon.nova-lite-v1:0
    tool_use:
      name: get_weather
      input: {city: Paris}
faults:
  - code: AccessDeniedException
    operation: InvokeModel
  - code: ThrottlingException
    operation: CountTokens
    times: 2
"""


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_yaml_seed_scripts_replies_and_faults_for_another_process(
    tmp_path: Path, suffix: str
) -> None:
    pytest.importorskip("yaml")
    seed = tmp_path / f"seed{suffix}"
    seed.write_text(YAML_SEED)
    argv = ("-m", "bedrock_auth", "emulator", "--seed", str(seed))
    with _standalone(*argv) as (process, exports):
        runtime = _runtime(exports)
        ask = [{"role": "user", "content": [{"text": "Weather?"}]}]
        text = runtime.converse(modelId="amazon.nova-lite-v1:0", messages=ask)
        assert text["output"]["message"]["content"] == [{"text": "Seeded from YAML."}]
        tool = runtime.converse(
            modelId="amazon.nova-lite-v1:0", messages=ask, toolConfig={"tools": [WEATHER_TOOL]}
        )
        assert tool["stopReason"] == "tool_use"
        call = tool["output"]["message"]["content"][0]["toolUse"]
        assert (call["name"], call["input"]) == ("get_weather", {"city": "Paris"})
        with pytest.raises(ClientError) as denied:
            runtime.invoke_model(modelId="amazon.nova-lite-v1:0", body=json.dumps(NOVA_BODY))
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        # The fault fired once, as armed: the next call is answered (unscripted echo).
        again = json.loads(
            runtime.invoke_model(modelId="amazon.nova-lite-v1:0", body=json.dumps(NOVA_BODY))[
                "body"
            ].read()
        )
        assert again["output"]["message"]["content"] == [{"text": "Emulated reply to: x"}]
        code, _ = _stop(process)
    assert code == 0


@pytest.mark.parametrize(
    ("content", "says"),
    [("- just\n- a list\n", "a seed file holds a mapping"), ("replies: [open\n", "not valid YAML")],
)
def test_bad_yaml_seed_is_one_error_line(tmp_path: Path, content: str, says: str) -> None:
    pytest.importorskip("yaml")
    seed = tmp_path / "seed.yaml"
    seed.write_text(content)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bedrock_auth", "emulator", "--seed", str(seed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=STARTUP_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2
    assert "error: bad --seed" in done.stderr and says in done.stderr
    assert "Traceback" not in done.stderr


def test_yaml_seed_without_pyyaml_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = tmp_path / "seed.yml"
    seed.write_text("replies: []\n")
    real_import = importlib.import_module

    def no_yaml(name: str, *args: Any) -> Any:
        if name == "yaml":
            raise ModuleNotFoundError("No module named 'yaml'", name="yaml")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_yaml)
    with pytest.raises(ValueError, match="pip install pyyaml"):
        BedrockEmulator().seed(seed)


def test_seed_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        BedrockEmulator().seed({"reply": []})


def test_cli_reports_a_taken_port_and_a_bad_seed_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bedrock_auth.cli import main

    with BedrockEmulator() as busy:
        assert main(["emulator", "--port", str(busy.port)]) == 2
    assert "error: cannot start" in capsys.readouterr().err
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"replies": [{"txt": "typo"}]}))
    assert main(["emulator", "--seed", str(seed)]) == 2
    assert "error: bad --seed" in capsys.readouterr().err


def test_the_docs_json_and_yaml_seed_examples_script_the_same(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    doc = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    [as_json] = re.findall(r"```json\n(.*?)```", doc, re.DOTALL)
    [as_yaml] = re.findall(r"```yaml\n(.*?)```", doc, re.DOTALL)
    assert yaml.safe_load(as_yaml) == json.loads(as_json)
    retrying = Config(retries={"mode": "standard", "total_max_attempts": 3})
    for name, text in (("seed.json", as_json), ("seed.yaml", as_yaml)):
        (tmp_path / name).write_text(text)
        with BedrockEmulator() as emu:
            emu.seed(tmp_path / name)
            out = emu.client(config=retrying).converse(
                modelId="amazon.nova-lite-v1:0",
                messages=[{"role": "user", "content": [{"text": "Weather?"}]}],
            )
            assert out["output"]["message"]["content"] == [{"text": "It is sunny."}]
            assert [r.status for r in emu.requests] == [429, 429, 200]
