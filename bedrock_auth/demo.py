"""`bedrock-auth demo`: the whole path, offline, against the embedded Bedrock emulator.

Resolve credentials, validate them through STS, get a cached client, converse, stream, invoke
an agent, and (with langchain-aws installed) run ``get_llm``. Each step reports what it did.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bedrock_auth.agents import invoke_agent
from bedrock_auth.invoke import converse, converse_stream
from bedrock_auth.manager import BedrockClientManager
from bedrock_auth.testing import BedrockEmulator

MODEL = "claude-sonnet-4-5"


def run_demo(say: Callable[[str], None]) -> int:
    """Run the demo, reporting each step through ``say``; returns the process exit code."""
    with BedrockEmulator() as emu:
        say(
            f"Bedrock emulator listening on {emu.endpoint_url} (STS, bedrock, bedrock-runtime, "
            "bedrock-agent-runtime)"
        )
        started = time.perf_counter()
        manager = emu.manager()
        info = manager.auth_info()
        say(
            f"1. credentials: source={info['source']} key={info['access_key_id']} "
            f"region={info['region']}"
        )
        say(
            f"2. validated through STS GetCallerIdentity in "
            f"{(time.perf_counter() - started) * 1000:.0f} ms: {info['arn']}"
        )
        client = manager.client()
        same = manager.client("bedrock-runtime", manager.region) is client
        say(
            f"3. cached bedrock-runtime client: {client.meta.endpoint_url} "
            f"(same object on second call: {same})"
        )

        emu.reply(text="Hello from the emulated Claude Sonnet 4.5.")
        result = converse(MODEL, "Say hello.", manager=manager, max_tokens=100)
        say(
            f"4. converse {MODEL} -> {result.model_id}: {result.text!r} "
            f"({result.usage.total_tokens} tokens)"
        )

        emu.reply(text="Streaming one word at a time.")
        stream = converse_stream(MODEL, "Stream something.", manager=manager)
        deltas = list(stream)
        say(
            f"5. converse_stream: {len(deltas)} chunks -> {stream.text!r} "
            f"(stop reason {stream.stop_reason})"
        )

        answer = invoke_agent(
            "What can you do?", agent_id="DEMOAGENT1", alias_id="TSTALIASID", manager=manager
        )
        say(f"6. invoke_agent: {answer.text!r} (session {answer.session_id})")
        _langchain_step(emu, manager, say)
    say("Done: every step ran against the local emulator, no AWS account used.")
    return 0


def _langchain_step(
    emu: BedrockEmulator, manager: BedrockClientManager, say: Callable[[str], None]
) -> None:
    from bedrock_auth.llm import get_llm

    try:
        llm = get_llm(MODEL, manager=manager)
    except ImportError as missing:
        say(f"7. get_llm skipped: {missing}")
        return
    emu.reply(text="LangChain on the shared client.")
    reply = llm.invoke("Hi from LangChain")
    say(f"7. get_llm({MODEL!r}) -> {type(llm).__name__}: {reply.text!r}")
