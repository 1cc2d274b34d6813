"""bedrock-runtime operations through real boto3 clients against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from bedrock_auth.testing import BedrockEmulator

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "amazon.nova-lite-v1:0"
TITAN = "amazon.titan-text-express-v1"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"
ONE_TRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


@pytest.fixture
def emu() -> Iterator[BedrockEmulator]:
    """A fresh emulator per test (overrides conftest's shared one): these tests count requests
    and change keys, identities and profiles, so they must not see each other's state."""
    with BedrockEmulator() as emulator:
        yield emulator


@pytest.fixture
def runtime(emu: BedrockEmulator) -> Any:
    return emu.client("bedrock-runtime", config=ONE_TRY)


def _invoke(runtime: Any, model: str, body: dict[str, Any]) -> dict[str, Any]:
    response = runtime.invoke_model(modelId=model, body=json.dumps(body))
    assert response["contentType"] == "application/json"
    return dict(json.loads(response["body"].read()))


def _invoke_stream(runtime: Any, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = runtime.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


# -- Converse -------------------------------------------------------------------------------


def test_converse_echoes_last_user_text_with_usage(runtime: Any, emu: BedrockEmulator) -> None:
    response = runtime.converse(
        modelId=HAIKU, messages=_user("Hello there"), system=[{"text": "Be brief"}]
    )

    assert response["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "Emulated reply to: Hello there"}],
    }
    assert response["stopReason"] == "end_turn"
    # Claude's Converse answers always count cached tokens, zero without cache points.
    usage = response["usage"]
    assert (usage["inputTokens"], usage["outputTokens"], usage["totalTokens"]) == (4, 5, 9)
    assert usage["cacheReadInputTokens"] == usage["cacheWriteInputTokens"] == 0
    assert response["metrics"]["latencyMs"] >= 1
    [record] = emu.requests
    assert (record.operation, record.service, record.model_id) == (
        "Converse",
        "bedrock-runtime",
        HAIKU,
    )
    assert record.body["messages"] == _user("Hello there")


def test_scripted_replies_are_fifo_and_model_scoped(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply("only for nova", model=NOVA)
    emu.reply("first")
    emu.reply("second")

    texts = [
        runtime.converse(modelId=m, messages=_user("q"))["output"]["message"]["content"][0]["text"]
        for m in (HAIKU, HAIKU, f"us.{NOVA}", HAIKU)
    ]

    assert texts == ["first", "second", "only for nova", "Emulated reply to: q"]


def test_converse_tool_use_reply(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply(tool_use={"name": "get_weather", "input": {"city": "Paris"}})
    tools = {
        "tools": [
            {"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}
        ]
    }

    response = runtime.converse(modelId=HAIKU, messages=_user("Weather?"), toolConfig=tools)

    [block] = response["output"]["message"]["content"]
    assert block["toolUse"]["name"] == "get_weather"
    assert block["toolUse"]["input"] == {"city": "Paris"}
    assert block["toolUse"]["toolUseId"].startswith("tooluse_")
    assert response["stopReason"] == "tool_use"


def test_converse_tool_result_turn_is_echoed(runtime: Any) -> None:
    tools = {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {}}}}]}
    messages = [
        *_user("Weather?"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "1", "name": "t", "input": {}}}],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "1", "content": [{"text": "sunny"}]}}],
        },
    ]
    response = runtime.converse(modelId=HAIKU, messages=messages, toolConfig=tools)
    assert response["output"]["message"]["content"][0]["text"] == "Emulated reply to: sunny"


def test_converse_max_tokens_truncates(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply("one two three four five")
    response = runtime.converse(
        modelId=HAIKU, messages=_user("q"), inferenceConfig={"maxTokens": 2}
    )
    assert response["output"]["message"]["content"][0]["text"] == "one two"
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 2


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([{"role": "assistant", "content": [{"text": "hi"}]}], "must start with a user message"),
        ([*_user("a"), *_user("b")], "must alternate"),
        (
            [{"role": "user", "content": [{"toolResult": {"toolUseId": "1", "content": []}}]}],
            "toolConfig field must be defined",
        ),
    ],
)
def test_converse_rejects_invalid_conversations(
    runtime: Any, messages: list[Any], fragment: str
) -> None:
    # Nova: Claude accepts a conversation that starts with an assistant message.
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId="amazon.nova-lite-v1:0", messages=messages)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in info.value.response["Error"]["Message"]


def test_converse_stream_sends_words_as_separate_deltas(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply("The quick brown fox")

    events = list(runtime.converse_stream(modelId=HAIKU, messages=_user("q"))["stream"])

    names = [next(iter(e)) for e in events]
    assert names == [
        "messageStart",
        *["contentBlockDelta"] * 4,
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert text == "The quick brown fox"
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    metadata = events[-1]["metadata"]
    usage = metadata["usage"]
    assert (usage["inputTokens"], usage["outputTokens"], usage["totalTokens"]) == (1, 4, 5)
    assert "cacheReadInputTokens" not in usage  # streams count the cache with cache points only
    assert metadata["metrics"]["latencyMs"] >= 1


def test_converse_stream_tool_use(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply("Let me check.", tool_use={"name": "get_weather", "input": {"city": "Oslo"}})

    events = list(runtime.converse_stream(modelId=HAIKU, messages=_user("q"))["stream"])

    [start] = [e["contentBlockStart"] for e in events if "contentBlockStart" in e]
    assert start["contentBlockIndex"] == 1
    assert start["start"]["toolUse"]["name"] == "get_weather"
    tool_json = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    )
    assert json.loads(tool_json) == {"city": "Oslo"}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"


# -- InvokeModel, per provider ----------------------------------------------------------------

ANTHROPIC_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "Hi Claude"}],
}


def test_invoke_anthropic(runtime: Any) -> None:
    body = _invoke(runtime, HAIKU, ANTHROPIC_BODY)

    assert body["type"] == "message"
    assert body["role"] == "assistant"
    assert body["content"] == [{"type": "text", "text": "Emulated reply to: Hi Claude"}]
    assert body["stop_reason"] == "end_turn"
    usage = body["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (2, 5)
    assert usage["cache_read_input_tokens"] == usage["cache_creation_input_tokens"] == 0
    assert body["id"].startswith("msg_bdrk_")


def test_invoke_anthropic_tool_use(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply(tool_use={"name": "lookup", "input": {"q": "x"}, "id": "toolu_1"})
    body = _invoke(runtime, HAIKU, ANTHROPIC_BODY)
    assert body["content"] == [
        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}}
    ]
    assert body["stop_reason"] == "tool_use"


def test_invoke_anthropic_stream(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply("Hello from Claude")

    chunks = _invoke_stream(runtime, HAIKU, ANTHROPIC_BODY)

    types = [c["type"] for c in chunks]
    assert types == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    text = "".join(c["delta"]["text"] for c in chunks if c["type"] == "content_block_delta")
    assert text == "Hello from Claude"
    assert chunks[-2]["delta"]["stop_reason"] == "end_turn"
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (2, 3)
    assert all("amazon-bedrock-invocationMetrics" not in c for c in chunks[:-1])


def test_invoke_anthropic_stream_tool_use(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply(tool_use={"name": "lookup", "input": {"q": "some query"}})
    chunks = _invoke_stream(runtime, HAIKU, ANTHROPIC_BODY)
    [start] = [c for c in chunks if c["type"] == "content_block_start"]
    assert start["content_block"]["type"] == "tool_use"
    partial = "".join(
        c["delta"]["partial_json"] for c in chunks if c["type"] == "content_block_delta"
    )
    assert json.loads(partial) == {"q": "some query"}


NOVA_BODY = {
    "messages": [{"role": "user", "content": [{"text": "Hi Nova"}]}],
    "inferenceConfig": {"maxTokens": 50},
}


def test_invoke_nova(runtime: Any) -> None:
    body = _invoke(runtime, NOVA, NOVA_BODY)
    assert body["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "Emulated reply to: Hi Nova"}],
    }
    assert body["stopReason"] == "end_turn"
    assert body["usage"]["inputTokens"] == 2
    assert body["usage"]["outputTokens"] == 5
    assert body["usage"]["totalTokens"] == 7


def test_invoke_nova_stream(runtime: Any) -> None:
    chunks = _invoke_stream(runtime, f"us.{NOVA}", NOVA_BODY)
    keys = [next(k for k in c if k != "amazon-bedrock-invocationMetrics") for c in chunks]
    assert keys[0] == "messageStart"
    assert keys[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    text = "".join(
        c["contentBlockDelta"]["delta"]["text"] for c in chunks if "contentBlockDelta" in c
    )
    assert text == "Emulated reply to: Hi Nova"
    assert chunks[-1]["metadata"]["usage"]["outputTokens"] == 5
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]


TITAN_BODY = {"inputText": "Hi Titan", "textGenerationConfig": {"maxTokenCount": 50}}


def test_invoke_titan(runtime: Any) -> None:
    body = _invoke(runtime, TITAN, TITAN_BODY)
    assert body == {
        "inputTextTokenCount": 2,
        "results": [
            {
                "tokenCount": 5,
                "outputText": "Emulated reply to: Hi Titan",
                "completionReason": "FINISH",
            }
        ],
    }


def test_invoke_titan_stream(runtime: Any) -> None:
    chunks = _invoke_stream(runtime, TITAN, TITAN_BODY)
    assert len(chunks) == 5
    assert "".join(c["outputText"] for c in chunks) == "Emulated reply to: Hi Titan"
    assert chunks[0]["inputTextTokenCount"] == 2
    assert chunks[0]["completionReason"] is None
    assert chunks[-1]["completionReason"] == "FINISH"
    assert chunks[-1]["totalOutputTextTokenCount"] == 5
    assert set(chunks[0]) >= {
        "outputText",
        "index",
        "totalOutputTextTokenCount",
        "completionReason",
        "inputTextTokenCount",
    }


def test_invoke_llama_and_stream(runtime: Any) -> None:
    body = {"prompt": "Hi Llama", "max_gen_len": 2}
    assert _invoke(runtime, LLAMA, body) == {
        "generation": "Emulated reply",
        "prompt_token_count": 2,
        "generation_token_count": 2,
        "stop_reason": "length",
    }
    chunks = _invoke_stream(runtime, LLAMA, body)
    assert "".join(c["generation"] for c in chunks) == "Emulated reply"


def test_invoke_mistral_answers_in_outputs_and_streams(runtime: Any) -> None:
    body = {"prompt": "<s>[INST] Hi Mistral [/INST]", "max_tokens": 2}
    mistral = "mistral.mistral-7b-instruct-v0:2"
    assert _invoke(runtime, mistral, body) == {
        "outputs": [{"text": "Emulated reply", "stop_reason": "length"}]
    }
    chunks = _invoke_stream(runtime, mistral, body)
    assert "".join(c["outputs"][0]["text"] for c in chunks) == "Emulated reply"
    assert [c["outputs"][0]["stop_reason"] for c in chunks] == [None, "length"]
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]


MISTRAL_LARGE_2 = "mistral.mistral-large-2407-v1:0"
MISTRAL_TOOLS = [
    {
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
]


@pytest.fixture
def large_2() -> Iterator[Any]:
    """Mistral Large 2 runs on demand in us-west-2 only: a strict emulator checks that too."""
    with BedrockEmulator(strict_models=True) as emulator:
        yield emulator.client("bedrock-runtime", region="us-west-2", config=ONE_TRY)


def test_invoke_mistral_chat_body_answers_in_choices(large_2: Any) -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi Mistral"},
        ],
        "max_tokens": 100,
    }
    out = _invoke(large_2, MISTRAL_LARGE_2, body)
    assert (out["object"], out["model"]) == ("chat.completion", "mistral-large-2407")
    assert out["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Emulated reply to: Hi Mistral",
                "tool_calls": None,
            },
            "finish_reason": "stop",
        }
    ]
    assert out["usage"] == {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9}
    short = _invoke(large_2, MISTRAL_LARGE_2, {**body, "max_tokens": 2})
    assert short["choices"][0]["message"]["content"] == "Emulated reply"
    assert short["choices"][0]["finish_reason"] == "length"


def test_invoke_mistral_chat_tool_loop_unscripted(large_2: Any) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "What is the weather? city: Paris"}
    ]
    first = _invoke(large_2, MISTRAL_LARGE_2, {"messages": messages, "tools": MISTRAL_TOOLS})
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert len(call["id"]) == 9 and call["id"].isalnum()
    messages += [
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
    ]
    second = _invoke(large_2, MISTRAL_LARGE_2, {"messages": messages, "tools": MISTRAL_TOOLS})
    assert second["choices"][0]["finish_reason"] == "stop"
    assert second["choices"][0]["message"]["content"] == "Emulated reply to: sunny"


@pytest.mark.parametrize(("choice", "calls"), [("none", False), ("any", True), ("auto", False)])
def test_invoke_mistral_chat_tool_choice(large_2: Any, choice: str, calls: bool) -> None:
    body = {
        "messages": [{"role": "user", "content": "Hello"}],
        "tools": MISTRAL_TOOLS,
        "tool_choice": choice,
    }
    reason = _invoke(large_2, MISTRAL_LARGE_2, body)["choices"][0]["finish_reason"]
    assert reason == ("tool_calls" if calls else "stop")


def test_invoke_mistral_chat_stream(large_2: Any) -> None:
    body = {"messages": [{"role": "user", "content": "Hi Mistral"}]}
    chunks = _invoke_stream(large_2, MISTRAL_LARGE_2, body)
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert "".join(d["content"] for d in deltas) == "Emulated reply to: Hi Mistral"
    assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["usage"]["completion_tokens"] == 5
    assert last["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 5


def test_invoke_mistral_chat_stream_tool_call(large_2: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": "get_weather(city='Oslo')"}],
        "tools": MISTRAL_TOOLS,
    }
    chunks = _invoke_stream(large_2, MISTRAL_LARGE_2, body)
    calls = [d["tool_calls"] for c in chunks if "tool_calls" in (d := c["choices"][0]["delta"])]
    assert len(calls) == 1  # the whole call in one delta, as Mistral streams them
    ((call,),) = calls
    assert call["index"] == 0
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Oslo"}'}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_mistral_body_format_follows_the_body_and_the_model(emu: BedrockEmulator) -> None:
    runtime = emu.client("bedrock-runtime", config=ONE_TRY)
    chat = {"messages": [{"role": "user", "content": "Hi"}]}
    # Large 24.02's chat answers name the reason "stop_reason", as AWS documents them.
    choice = _invoke(runtime, "mistral.mistral-large-2402-v1:0", chat)["choices"][0]
    assert choice["stop_reason"] == "stop" and "finish_reason" not in choice
    # A text-completion body gets the text-completion answer, whatever the Mistral model.
    prompt = {"prompt": "<s>[INST] Hi [/INST]"}
    assert _invoke(runtime, MISTRAL_LARGE_2, prompt) == {
        "outputs": [{"text": "Emulated reply to: <s>[INST] Hi [/INST]", "stop_reason": "stop"}]
    }


def test_titan_embed_v1_is_known_in_strict_mode_with_its_own_body() -> None:
    with BedrockEmulator(strict_models=True) as emu:
        runtime = emu.client("bedrock-runtime", config=ONE_TRY)
        body = _invoke(runtime, "amazon.titan-embed-text-v1", {"inputText": "cat dog"})
    assert set(body) == {"embedding", "inputTextTokenCount"}
    assert len(body["embedding"]) == 1536
    assert body["inputTextTokenCount"] == 2


def test_invoke_titan_embeddings_are_deterministic(runtime: Any) -> None:
    body = {"inputText": "cat", "dimensions": 256}
    first = _invoke(runtime, "amazon.titan-embed-text-v2:0", body)
    again = _invoke(runtime, "amazon.titan-embed-text-v2:0", body)
    assert len(first["embedding"]) == 256
    assert first["embedding"] == again["embedding"]
    assert abs(sum(v * v for v in first["embedding"]) - 1) < 1e-3


def test_provider_is_detected_from_body_for_unknown_model_ids(runtime: Any) -> None:
    body = _invoke(runtime, "arn:aws:bedrock:us-east-1:123456789012:custom-model/x", TITAN_BODY)
    assert "results" in body


@pytest.mark.parametrize(
    ("model", "body", "fragment"),
    [
        (HAIKU, {"messages": [], "max_tokens": 5}, "[anthropic_version]"),
        (NOVA, {"inferenceConfig": {}}, "[messages]"),
        ("some.unknown-model", {"foo": 1}, "Malformed input request"),
    ],
)
def test_invoke_malformed_body_is_validation_error(
    runtime: Any, model: str, body: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=model, body=json.dumps(body))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in info.value.response["Error"]["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_invoke_non_json_body_is_validation_error(runtime: Any, emu: BedrockEmulator) -> None:
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=HAIKU, body=b"{not json")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert emu.requests[-1].body == "{not json"


# -- CountTokens ----------------------------------------------------------------------------


def test_count_tokens_for_converse_and_invoke_inputs(runtime: Any) -> None:
    if not hasattr(runtime, "count_tokens"):
        pytest.skip("this botocore predates the CountTokens operation")
    counted = "anthropic.claude-3-5-haiku-20241022-v1:0"  # count_tokens in the model data
    converse = runtime.count_tokens(
        modelId=counted,
        input={"converse": {"messages": _user("one two three"), "system": [{"text": "four"}]}},
    )
    invoke = runtime.count_tokens(
        modelId=counted, input={"invokeModel": {"body": json.dumps(ANTHROPIC_BODY).encode()}}
    )
    assert converse["inputTokens"] == 4
    assert invoke["inputTokens"] == 2
    # Claude 3 Haiku predates CountTokens: the data says so, and Bedrock refuses it.
    with pytest.raises(ClientError, match="doesn't support counting tokens"):
        runtime.count_tokens(modelId=HAIKU, input={"converse": {"messages": _user("one")}})


# -- model ids: ARNs and inference profiles -------------------------------------------------


def test_application_profile_arn_is_decoded_and_matched(runtime: Any, emu: BedrockEmulator) -> None:
    arn = emu.add_inference_profile("app-123", f"us.{HAIKU}")
    emu.reply("via profile", model=HAIKU)

    response = runtime.converse(modelId=arn, messages=_user("q"))

    assert response["output"]["message"]["content"][0]["text"] == "via profile"
    record = emu.requests[-1]
    assert record.model_id == arn
    assert quote(arn, safe="") in record.path  # the wire form was percent-encoded


def test_application_profile_arn_works_with_invoke_model(
    runtime: Any, emu: BedrockEmulator
) -> None:
    arn = emu.add_inference_profile(
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc", NOVA
    )
    assert "output" in _invoke(runtime, arn, NOVA_BODY)


def test_strict_models_enforces_profiles_like_bedrock() -> None:
    with BedrockEmulator(strict_models=True) as emu:
        runtime = emu.client("bedrock-runtime", config=ONE_TRY)
        sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0"
        for bad, fragment in [
            (sonnet, "on-demand throughput isn't supported"),
            (f"eu.{sonnet}", "model identifier is invalid"),
            ("anthropic.claude-nonexistent", "model identifier is invalid"),
        ]:
            with pytest.raises(ClientError) as info:
                runtime.converse(modelId=bad, messages=_user("q"))
            assert info.value.response["Error"]["Code"] == "ValidationException"
            assert fragment in info.value.response["Error"]["Message"]
        for good in (f"us.{sonnet}", f"global.{sonnet}", HAIKU):
            runtime.converse(modelId=good, messages=_user("q"))


def test_invoke_cohere_command_r_and_stream(runtime: Any) -> None:
    body = {"message": "Hi Cohere", "chat_history": [{"role": "USER", "message": "x y"}]}
    reply = _invoke(runtime, "cohere.command-r-v1:0", body)
    assert reply["text"] == "Emulated reply to: Hi Cohere"
    assert reply["finish_reason"] == "COMPLETE"
    assert reply["meta"]["billed_units"] == {"input_tokens": 4, "output_tokens": 5}
    chunks = _invoke_stream(runtime, "cohere.command-r-v1:0", {**body, "max_tokens": 2})
    text = "".join(c.get("text", "") for c in chunks if c["event_type"] == "text-generation")
    assert text == "Emulated reply"
    assert chunks[-1]["is_finished"] is True
    assert chunks[-1]["finish_reason"] == "MAX_TOKENS"


def test_invoke_cohere_embed(runtime: Any) -> None:
    body = {"texts": ["cat", "dog"], "input_type": "search_document"}
    reply = _invoke(runtime, "cohere.embed-english-v3", body)
    assert reply["response_type"] == "embeddings_floats"
    assert [len(v) for v in reply["embeddings"]] == [1024, 1024]
    assert reply["texts"] == ["cat", "dog"]


@pytest.mark.parametrize("version", ["bedrock-2023-05-31", "2026-10-21"])
def test_anthropic_version_dated_forms_are_accepted(runtime: Any, version: str) -> None:
    body = {"anthropic_version": version, "max_tokens": 5, "messages": _user("hi")}
    assert _invoke(runtime, HAIKU, body)["stop_reason"] == "end_turn"


def test_anthropic_version_must_be_well_formed(runtime: Any) -> None:
    body = {"anthropic_version": "latest", "max_tokens": 5, "messages": _user("hi")}
    with pytest.raises(ClientError, match="anthropic_version"):
        _invoke(runtime, HAIKU, body)
