"""A seeded emulator answers the same requests with the same bytes (issue 24: "seedable").

Each run below sends one sequence of requests through boto3 (Converse with a tool call, its
stream, InvokeModel, a scripted tool call, an error, STS AssumeRole) and keeps the raw HTTP
answers as botocore received them. Only what the clock decides is set aside: the ``Date`` and
latency headers (and so ``Content-Length``), latencies inside bodies and STS expirations.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bedrock_auth.testing import BedrockEmulator
from bedrock_auth.testing.emulator import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "lookup",
                "inputSchema": {"json": {"type": "object", "properties": {}}},
            }
        }
    ],
    "toolChoice": {"any": {}},
}
# Content-Length too: a latency of 9 ms or 10 ms is one byte more or less.
_CLOCK_HEADERS = frozenset({"date", "x-amzn-bedrock-invocation-latency", "content-length"})
# Clock-derived values inside bodies: latencies (JSON) and expirations (STS XML).
_CLOCK_VALUES = re.compile(
    rb'("(?:latencyMs|invocationLatency|firstByteLatency)":\s*)\d+|<Expiration>[^<]*</Expiration>'
)


def _answers(seed: int | None) -> list[tuple[dict[str, str], bytes]]:
    """The raw answers one fresh emulator gives to the same sequence of requests."""
    seen: list[tuple[dict[str, str], bytes]] = []

    def keep(response_dict: dict[str, Any], **_: Any) -> None:
        body = response_dict["body"]
        if isinstance(body, bytes):  # streamed bodies are compared as read, below
            seen.append(_timeless(response_dict["headers"], body))

    with BedrockEmulator(random_seed=seed) as emu:
        runtime, sts = emu.client("bedrock-runtime"), emu.client("sts")
        for client in (runtime, sts):
            client.meta.events.register("before-parse", keep)
        ask = [{"role": "user", "content": [{"text": "look it up"}]}]
        runtime.converse(modelId=SONNET_45, messages=ask, toolConfig=TOOLS)
        emu.reply(tool_use={"name": "lookup", "input": {}})
        runtime.converse(modelId=SONNET_45, messages=ask, toolConfig=TOOLS)
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": ask}
        invoked = runtime.invoke_model(modelId=SONNET_45, body=json.dumps(body))
        seen.append(_timeless(invoked["ResponseMetadata"]["HTTPHeaders"], invoked["body"].read()))
        with pytest.raises(ClientError):
            runtime.converse(modelId=SONNET_45, messages=[])
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="seeded")
        stream = runtime.converse_stream(modelId=SONNET_45, messages=ask, toolConfig=TOOLS)
        events = list(stream["stream"])
    streamed = json.dumps(_without_latency(events), sort_keys=True).encode()
    return [*seen, ({}, streamed)]


def _timeless(headers: Any, body: bytes) -> tuple[dict[str, str], bytes]:
    kept = {k.lower(): v for k, v in headers.items() if k.lower() not in _CLOCK_HEADERS}
    return kept, _CLOCK_VALUES.sub(rb"\1", body)


def _without_latency(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for event in events:
        event.get("metadata", {}).pop("metrics", None)
    return events


def test_the_same_seed_gives_the_same_answers() -> None:
    first, second = _answers(7), _answers(7)
    assert len(first) == 6
    assert first == second


def test_another_seed_or_none_gives_other_ids() -> None:
    seeded = _answers(7)
    assert _answers(8) != seeded
    one, two = _answers(None), _answers(None)
    request_ids = [h["x-amzn-requestid"] for h, _ in one[:-1]]
    assert request_ids != [h["x-amzn-requestid"] for h, _ in two[:-1]]


def _first_request_id(endpoint_url: str, emu: BedrockEmulator | None = None) -> str:
    runtime = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id=emu.access_key_id if emu else TEST_ACCESS_KEY_ID,
        aws_secret_access_key=emu.secret_access_key if emu else TEST_SECRET_ACCESS_KEY,
    )
    ask = [{"role": "user", "content": [{"text": "hi"}]}]
    answer = runtime.converse(modelId=SONNET_45, messages=ask)
    return str(answer["ResponseMetadata"]["RequestId"])


def test_the_seed_comes_from_the_seed_file_and_the_command_line(tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps({"random_seed": 7, "replies": [{"text": "hi"}]}))
    emu = BedrockEmulator()
    emu.seed(seed_file)
    assert emu.random_seed == 7
    with pytest.raises(ValueError, match="whole number"):
        emu.seed({"random_seed": "seven"})
    with BedrockEmulator(random_seed=7) as in_process:
        expected = _first_request_id(in_process.endpoint_url, in_process)
    # A standalone emulator given the same seed answers with the same id.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    command = [sys.executable, "-m", "bedrock_auth", "emulator", "--random-seed", "7"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            endpoint_url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
            assert _first_request_id(endpoint_url) == expected
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
