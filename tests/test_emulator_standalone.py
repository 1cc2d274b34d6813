"""``bedrock-auth emulator`` run as its own process and driven by boto3 from this one."""

from __future__ import annotations

import json
import os
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
                "faults": [{"code": "ThrottlingException", "operation": "CountTokens"}],
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
            runtime.count_tokens(
                modelId="amazon.nova-lite-v1:0",
                input={"converse": {"messages": [{"role": "user", "content": [{"text": "x"}]}]}},
            )
        code, _ = _stop(process)
    assert code == 0


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
