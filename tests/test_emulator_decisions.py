"""Unscripted decisions: tool calls built from JSON schemas, answers to tool results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_auth.testing import BedrockEmulator
from bedrock_auth.testing.decisions import Tool, Turn, arguments, decide

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "amazon.nova-lite-v1:0"
MAGIC = {
    "type": "object",
    "properties": {"input": {"type": "integer"}},
    "required": ["input"],
}
WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer"},
        "note": {"type": "string"},
    },
    "required": ["city", "unit", "days"],
}


@pytest.fixture(scope="module")
def emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def runtime(emu: BedrockEmulator) -> Any:
    return emu.client("bedrock-runtime")


def _converse_tools(*specs: tuple[str, str, dict[str, Any]], choice: Any = None) -> Any:
    config: dict[str, Any] = {
        "tools": [
            {"toolSpec": {"name": n, "description": d, "inputSchema": {"json": s}}}
            for n, d, s in specs
        ]
    }
    if choice is not None:
        config["toolChoice"] = choice
    return config


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def test_arguments_take_prompt_values_then_typed_placeholders() -> None:
    assert arguments(MAGIC, "What is magic_function(3)?", "magic_function") == {"input": 3}
    assert arguments(WEATHER, "Weather for city: Paris, please", "weather") == {
        "city": "Paris",
        "unit": "celsius",
        "days": 1,
    }
    assert arguments({"type": "object", "properties": {}}, "anything") == {}


def test_arguments_follow_refs_and_optional_unions() -> None:
    schema = {
        "$defs": {"Size": {"enum": ["small", "large"]}},
        "type": "object",
        "properties": {
            "size": {"$ref": "#/$defs/Size"},
            "rating": {"anyOf": [{"type": "null"}, {"type": "number"}]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "required": ["size", "rating", "tags"],
    }
    assert arguments(schema, "") == {"size": "small", "rating": 1.0, "tags": ["example"]}


@pytest.mark.parametrize(
    ("prompt", "choice", "called"),
    [
        ("What is magic_function(3)?", "auto", "magic_function"),
        ("How is the weather in Paris?", "auto", "get_weather"),
        ("Use a tool, please.", "auto", "magic_function"),
        ("Hello there", "auto", None),
        ("Hello there", "any", "magic_function"),
        ("Hello there", "get_weather", "get_weather"),
        ("What is magic_function(3)?", "none", None),
    ],
)
def test_tool_choice_rules(prompt: str, choice: str, called: str | None) -> None:
    tools = (
        Tool("magic_function", "Applies a magic function to an input.", MAGIC),
        Tool("get_weather", "Current weather in a city.", WEATHER),
    )
    decision = decide(Turn(prompt, tools, choice))
    assert (decision.name if decision else None) == called


def test_converse_calls_the_mentioned_tool_unscripted(runtime: Any) -> None:
    response = runtime.converse(
        modelId=NOVA,
        messages=_user("What is the value of magic_function(3)? Use the tool."),
        toolConfig=_converse_tools(("magic_function", "Applies magic.", MAGIC)),
    )
    assert response["stopReason"] == "tool_use"
    (block,) = response["output"]["message"]["content"]
    assert block["toolUse"]["name"] == "magic_function"
    assert block["toolUse"]["input"] == {"input": 3}


def test_converse_forced_tool_and_stream(runtime: Any) -> None:
    config = _converse_tools(
        ("magic_function", "Applies magic.", MAGIC),
        ("get_weather", "Weather.", WEATHER),
        choice={"tool": {"name": "get_weather"}},
    )
    response = runtime.converse_stream(
        modelId=HAIKU, messages=_user("city is Oslo"), toolConfig=config
    )
    events = list(response["stream"])
    start = next(e for e in events if "contentBlockStart" in e)
    assert start["contentBlockStart"]["start"]["toolUse"]["name"] == "get_weather"
    raw = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    )
    assert json.loads(raw) == {"city": "Oslo", "unit": "celsius", "days": 1}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"


def test_converse_answers_a_tool_result_in_text(runtime: Any) -> None:
    messages = [
        *_user("magic_function(3)?"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "magic_function", "input": {}}}],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"v": 5}}]}}],
        },
    ]
    response = runtime.converse(
        modelId=NOVA,
        messages=messages,
        toolConfig=_converse_tools(("magic_function", "Applies magic.", MAGIC)),
    )
    assert response["stopReason"] == "end_turn"
    assert '{"v": 5}' in response["output"]["message"]["content"][0]["text"]


def test_scripted_reply_wins_over_the_decision(runtime: Any, emu: BedrockEmulator) -> None:
    emu.reply("scripted")
    response = runtime.converse(
        modelId=NOVA,
        messages=_user("magic_function(3)"),
        toolConfig=_converse_tools(("magic_function", "Applies magic.", MAGIC)),
    )
    assert response["output"]["message"]["content"] == [{"text": "scripted"}]


def test_anthropic_body_tool_choice_and_bedrock_shaped_ids(runtime: Any) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "get_weather", "description": "Weather.", "input_schema": WEATHER}],
        "tool_choice": {"type": "any"},
    }
    reply = json.loads(runtime.invoke_model(modelId=HAIKU, body=json.dumps(body))["body"].read())
    assert reply["stop_reason"] == "tool_use"
    (block,) = reply["content"]
    assert block["name"] == "get_weather"
    assert block["id"].startswith("toolu_bdrk_01")
    assert block["input"] == {"city": "city", "unit": "celsius", "days": 1}


def test_arguments_take_quoted_values_after_a_word_of_the_property_name() -> None:
    schema = {
        "type": "object",
        "properties": {"customer_name": {"type": "string"}},
        "required": ["customer_name"],
    }
    prompt = "Create a customer named '你好啊集团' (Hello Group)"
    assert arguments(schema, prompt) == {"customer_name": "你好啊集团"}
    assert arguments(schema, 'customer_name is "Acme Inc"') == {"customer_name": "Acme Inc"}


def _botocore_sends_output_config() -> bool:
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    return "outputConfig" in model.operation_model("Converse").input_shape.members


@pytest.mark.skipif(
    not _botocore_sends_output_config(), reason="this botocore has no Converse outputConfig"
)
def test_converse_output_config_gets_json_valid_against_the_schema(runtime: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
    }
    output_config = {
        "textFormat": {
            "type": "json_schema",
            "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "forecast"}},
        }
    }
    response = runtime.converse(
        modelId=NOVA, messages=_user("city: Lima"), outputConfig=output_config
    )
    text = response["output"]["message"]["content"][0]["text"]
    assert json.loads(text) == {"city": "Lima", "days": 1}


def test_assert_all_replies_used_names_the_unused_ones() -> None:
    with BedrockEmulator() as emu:
        emu.reply("taken")
        emu.reply("left over", model=NOVA)
        emu.client("bedrock-runtime").converse(modelId=HAIKU, messages=_user("q"))
        with pytest.raises(AssertionError, match=r"1 scripted reply\(ies\) never used: 'left"):
            emu.assert_all_replies_used()
        emu.clear()
        emu.assert_all_replies_used()


def test_a_schema_string_that_is_not_json_counts_as_empty(runtime: Any) -> None:
    spec = {"name": "t", "inputSchema": {"json": "not json"}}
    body = {
        "messages": _user("hi"),
        "toolConfig": {"tools": [{"toolSpec": spec}], "toolChoice": {"any": {}}},
    }
    raw = runtime.invoke_model(modelId=NOVA, body=json.dumps(body))["body"].read()
    content = json.loads(raw)["output"]["message"]["content"]
    assert content[0]["toolUse"]["input"] == {}
