"""Every script in examples/ runs unchanged against the emulator, configured only by env vars."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bedrock_auth.testing import BedrockEmulator

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"


def run_example(
    emu: BedrockEmulator, name: str, *args: str, extra_env: dict[str, str] | None = None
) -> str:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ["HOME"],
        "PYTHONPATH": str(PROJECT),  # this checkout's package, not whichever one is installed
        **emu.env(),
        "AWS_EC2_METADATA_DISABLED": "true",
        "BEDROCK_AGENT_ID": "AGENT00001",
        "BEDROCK_AGENT_ALIAS_ID": "ALIAS00001",
        "BEDROCK_MAX_RETRIES": "1",
        **(extra_env or {}),
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_example_is_tested() -> None:
    tested = {
        "converse_basic.py",
        "converse_streaming.py",
        "invoke_model_native.py",
        "agent_invoke.py",
        "region_failover.py",
        "langchain_chat.py",
        "anthropic_messages.py",
        "pydantic_ai_agent.py",
    }
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_converse_basic(emu: BedrockEmulator) -> None:
    emu.reply(text="Bedrock hosts foundation models.")
    out = run_example(emu, "converse_basic.py", "What is Bedrock?")
    assert "Bedrock hosts foundation models." in out and "stop=end_turn" in out


def test_converse_streaming(emu: BedrockEmulator) -> None:
    emu.reply(text="clouds drift over regions")
    assert "clouds drift over regions" in run_example(emu, "converse_streaming.py")


def test_invoke_model_native(emu: BedrockEmulator) -> None:
    emu.reply(text="us-east-1, eu-west-1, ap-south-1")
    emu.reply(text="streamed regions list")
    out = run_example(emu, "invoke_model_native.py")
    assert "us-east-1, eu-west-1, ap-south-1" in out and "streamed regions list" in out


def test_agent_invoke(emu: BedrockEmulator) -> None:
    emu.reply(text="I can answer refund questions.")
    emu.reply(text="Refunds in thirty days.")
    out = run_example(emu, "agent_invoke.py")
    assert "I can answer refund questions." in out and "Refunds in thirty days." in out


def test_region_failover(emu: BedrockEmulator) -> None:
    emu.clear()
    emu.fail("ThrottlingException", times=100, region="us-east-1")
    out = run_example(emu, "region_failover.py", "us-east-1", "us-west-2")
    assert out.startswith("us-west-2 answered with us.anthropic.claude-sonnet-4-5")
    emu.clear()


def test_langchain_chat(emu: BedrockEmulator) -> None:
    emu.reply(text="Use inference profiles.")
    emu.reply(text="one two three four five")
    out = run_example(emu, "langchain_chat.py")
    assert "Use inference profiles." in out and "one two three four five" in out


def test_anthropic_messages(emu: BedrockEmulator) -> None:
    emu.clear()
    emu.reply(text="us-east-1")
    emu.reply(text="one two three four five")
    emu.reply(tool_use={"name": "get_weather", "input": {"city": "Paris"}})
    emu.reply(text="Sunny in Paris.")
    out = run_example(emu, "anthropic_messages.py", extra_env={"CLAUDE_CODE_USE_BEDROCK": "1"})
    assert out.splitlines() == [
        "us-east-1",
        "one two three four five",
        "get_weather({'city': 'Paris'}) -> Sunny in Paris.",
    ]
    assert {r.model_id for r in emu.requests if r.service == "bedrock-runtime"} == {
        "us.anthropic.claude-sonnet-4-6"
    }


def test_pydantic_ai_agent(emu: BedrockEmulator) -> None:
    emu.clear()
    emu.reply(text="A managed service for foundation models.")
    emu.reply(tool_use={"name": "get_weather", "input": {"city": "Paris"}})
    emu.reply(text="It is sunny in Paris.")
    out = run_example(emu, "pydantic_ai_agent.py")
    assert out.splitlines() == ["A managed service for foundation models.", "It is sunny in Paris."]
    tool_turn = [r for r in emu.requests if r.service == "bedrock-runtime"][-1]
    assert "sunny, 21 C in Paris" in str(tool_turn.body["messages"])
