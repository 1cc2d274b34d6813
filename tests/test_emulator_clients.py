"""Third-party clients against the emulator, unscripted where the emulator decides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_auth.testing import BedrockEmulator

MISTRAL = "mistral.mistral-7b-instruct-v0:2"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture(scope="module")
def strict_emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(strict_models=True) as emulator:
        yield emulator


# langchain-aws's ChatBedrock has no Cohere chat support ("Provider cohere model does not
# support chat"); the Cohere Command R body is covered in test_emulator_runtime.py.
def test_chat_bedrock_reads_the_mistral_body(strict_emu: BedrockEmulator) -> None:
    langchain_aws = pytest.importorskip("langchain_aws")
    llm = langchain_aws.ChatBedrock(
        model_id=MISTRAL, client=strict_emu.client("bedrock-runtime"), region="us-east-1"
    )
    assert "Hello model" in llm.invoke("Hello model").content
    streamed = "".join(str(c.content) for c in llm.stream("Hello again"))
    assert "Hello again" in streamed


def test_bedrock_embeddings_default_model_in_strict_mode(strict_emu: BedrockEmulator) -> None:
    langchain_aws = pytest.importorskip("langchain_aws")
    embeddings = langchain_aws.BedrockEmbeddings(
        client=strict_emu.client("bedrock-runtime"), region_name="us-east-1"
    )
    vector = embeddings.embed_query("cat")
    assert len(vector) == 1536
    assert embeddings.embed_documents(["cat"])[0] == pytest.approx(vector)


def test_bedrock_agents_runnable_gets_the_whole_answer(strict_emu: BedrockEmulator) -> None:
    agents = pytest.importorskip("langchain_aws.agents")
    strict_emu.reply("The refund policy is thirty days.")
    runnable = agents.BedrockAgentsRunnable(
        agent_id="AGENT12345",
        agent_alias_id="ALIAS12345",
        client=strict_emu.client("bedrock-agent-runtime"),
    )
    finish = runnable.invoke({"input": "What is the refund policy?"})
    assert finish.return_values["output"] == "The refund policy is thirty days."


def test_anthropic_bedrock_runs_a_tool_loop_unscripted(strict_emu: BedrockEmulator) -> None:
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.AnthropicBedrock(
        aws_access_key=strict_emu.access_key_id,
        aws_secret_key=strict_emu.secret_access_key,
        aws_region="us-east-1",
        base_url=strict_emu.endpoint_url,
    )
    tools: list[Any] = [
        {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        }
    ]
    messages: list[Any] = [{"role": "user", "content": "What is the weather? city: Paris"}]
    first = client.messages.create(model=HAIKU, max_tokens=200, messages=messages, tools=tools)
    assert first.stop_reason == "tool_use"
    (call,) = [b for b in first.content if b.type == "tool_use"]
    assert call.input == {"city": "Paris"}
    assert call.id.startswith("toolu_bdrk_01")
    messages += [
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny"}],
        },
    ]
    second = client.messages.create(model=HAIKU, max_tokens=200, messages=messages, tools=tools)
    assert second.stop_reason == "end_turn"
    assert "sunny" in second.content[0].text
    assert second.usage.output_tokens == len(second.content[0].text.split())
