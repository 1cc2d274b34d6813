"""Third-party clients against the emulator, unscripted where the emulator decides."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_auth.testing import BedrockEmulator

MISTRAL = "mistral.mistral-7b-instruct-v0:2"
MISTRAL_LARGE_2 = "mistral.mistral-large-2407-v1:0"  # on demand in us-west-2 only
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


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


def _text(message: Any) -> str:
    # A property in langchain-core 1.x, a method in 0.3 (under the lowest langchain-aws).
    text = message.text
    return str(text) if isinstance(text, str) else str(text())


def test_chat_bedrock_on_mistral_large_2(strict_emu: BedrockEmulator) -> None:
    langchain_aws = pytest.importorskip("langchain_aws")
    runtime = strict_emu.client("bedrock-runtime", region="us-west-2")
    # langchain-aws sends every Mistral model the text-completion body over InvokeModel (it
    # has no reader for the chat-completion one); its Converse mode is what AWS recommends.
    legacy = langchain_aws.ChatBedrock(model_id=MISTRAL_LARGE_2, client=runtime, region="us-west-2")
    assert "Hello Large" in legacy.invoke("Hello Large").content
    assert strict_emu.requests[-1].body.keys() >= {"prompt"}
    converse = langchain_aws.ChatBedrock(
        model_id=MISTRAL_LARGE_2, client=runtime, region="us-west-2", beta_use_converse_api=True
    )
    assert converse.invoke("Hello Converse").content == "Emulated reply to: Hello Converse"
    streamed = "".join(_text(c) for c in converse.stream("Hi again"))
    assert streamed == "Emulated reply to: Hi again"
    called = converse.bind_tools([WEATHER]).invoke("What is the weather? city: Oslo")
    calls = [(c["name"], c["args"]) for c in called.tool_calls]
    assert calls == [("get_weather", {"city": "Oslo"})]
    assert strict_emu.requests[-1].operation == "Converse"


def test_bedrock_embeddings_default_model_in_strict_mode(strict_emu: BedrockEmulator) -> None:
    langchain_aws = pytest.importorskip("langchain_aws")
    embeddings = langchain_aws.BedrockEmbeddings(
        client=strict_emu.client("bedrock-runtime"), region_name="us-east-1"
    )
    vector = embeddings.embed_query("cat")
    # The default model is langchain-aws's (Titan v1 so far); its size is the emulator's.
    titan_v1 = embeddings.model_id.startswith("amazon.titan-embed-text-v1")
    assert strict_emu.requests[-1].model_id == embeddings.model_id
    assert len(vector) == (1536 if titan_v1 else 1024)
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


# -- LiteLLM ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def litellm() -> Any:
    with pytest.MonkeyPatch.context() as env:
        # At import LiteLLM fetches its model price list over the network unless told to use
        # the copy it ships; these tests are offline.
        env.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        return pytest.importorskip("litellm")


def _litellm_auth(emu: BedrockEmulator, region: str) -> dict[str, Any]:
    return {
        "aws_access_key_id": emu.access_key_id,
        "aws_secret_access_key": emu.secret_access_key,
        "aws_region_name": region,
        "aws_bedrock_runtime_endpoint": emu.endpoint_url,
        "num_retries": 0,
    }


def _streamed(chunks: Any) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks)


def test_litellm_converse_route_unscripted(litellm: Any, strict_emu: BedrockEmulator) -> None:
    auth = _litellm_auth(strict_emu, "us-west-2")
    model = f"bedrock/converse/{MISTRAL_LARGE_2}"
    ask = [{"role": "user", "content": "Hello LiteLLM"}]
    answer = litellm.completion(model=model, messages=ask, **auth)
    assert answer.choices[0].message.content == "Emulated reply to: Hello LiteLLM"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (2, 5)
    streamed = litellm.completion(model=model, messages=ask, stream=True, **auth)
    assert _streamed(streamed) == "Emulated reply to: Hello LiteLLM"
    weather = [{"role": "user", "content": "What is the weather? city: Paris"}]
    # LiteLLM 1.106 routes any call with tools through its MCP bridge, which imports the
    # optional `mcp` package; its own switch skips the bridge these plain tools do not need.
    no_mcp = {} if importlib.util.find_spec("mcp") else {"_skip_mcp_handler": True}
    called = litellm.completion(model=model, messages=weather, tools=[WEATHER], **auth, **no_mcp)
    assert called.choices[0].finish_reason == "tool_calls"
    (call,) = called.choices[0].message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "get_weather",
        {"city": "Paris"},
    )
    assert [r.operation for r in strict_emu.requests[-3:]] == [
        "Converse",
        "ConverseStream",
        "Converse",
    ]


@pytest.mark.parametrize(
    ("model", "region", "body_key"),
    [
        (MISTRAL, "us-east-1", "prompt"),  # Mistral's native body: outputs
        (MISTRAL_LARGE_2, "us-west-2", "prompt"),
        (HAIKU, "us-east-1", "messages"),  # Anthropic Messages
    ],
)
def test_litellm_invoke_route_reads_native_bodies(
    litellm: Any, strict_emu: BedrockEmulator, model: str, region: str, body_key: str
) -> None:
    auth = _litellm_auth(strict_emu, region)
    ask = [{"role": "user", "content": "Hello invoke"}]
    answer = litellm.completion(model=f"bedrock/invoke/{model}", messages=ask, **auth)
    assert "Hello invoke" in answer.choices[0].message.content
    assert answer.choices[0].finish_reason == "stop"
    invoked = strict_emu.requests[-1]
    assert (invoked.operation, invoked.model_id) == ("InvokeModel", model)
    assert body_key in invoked.body
    streamed = litellm.completion(
        model=f"bedrock/invoke/{model}", messages=ask, stream=True, **auth
    )
    assert _streamed(streamed) == answer.choices[0].message.content
    assert strict_emu.requests[-1].operation == "InvokeModelWithResponseStream"
