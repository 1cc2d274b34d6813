"""Unscripted answers have the fields real Bedrock sends, read through real clients.

One test (or a few) per finding of issue 24, each through boto3 and, where a framework reads
the field, through LangChain, pydantic-ai or the Anthropic SDK. ``tests/test_emulator_replay.py``
checks the same behaviours against recorded Bedrock traffic, by structure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bedrock_auth.testing import DEFAULT_ACCOUNT_ID, BedrockEmulator

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA_LITE = "amazon.nova-lite-v1:0"
NOVA_2_LITE = "us.amazon.nova-2-lite-v1:0"
GPT_OSS = "openai.gpt-oss-120b-1:0"
DEEPSEEK_R1 = "us.deepseek.r1-v1:0"
THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
MAGIC = {
    "toolSpec": {
        "name": "magic_function",
        "description": "Applies magic.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"input": {"type": "integer"}},
                "required": ["input"],
            }
        },
    }
}
FINAL = {
    "toolSpec": {
        "name": "final_result",
        "description": "The final answer.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"answer": {"type": "string"}},
                "required": ["answer"],
            }
        },
    }
}


def _ask(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def _content(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return list(answer["output"]["message"]["content"])


def _modelled(shape: str, member: str) -> bool:
    """Does the installed botocore know ``shape.member``? (Older ones drop unknown fields.)"""
    from botocore.session import get_session

    model = get_session().get_service_model("bedrock-runtime")
    return member in model.shape_for(shape).members


@pytest.fixture
def runtime(emu: BedrockEmulator) -> Iterator[Any]:
    emu.clear()
    yield emu.client("bedrock-runtime")


def _events(stream: Any) -> list[tuple[str, dict[str, Any]]]:
    return [next(iter(event.items())) for event in stream["stream"]]


def _after_result() -> list[dict[str, Any]]:
    """A conversation whose last message carries the result of a magic_function call."""
    return [
        *_ask("magic_function(3)?"),
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "t1", "name": "magic_function", "input": {"input": 3}}}
            ],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "5"}]}}],
        },
    ]


# -- 1. toolUse blocks carry "type": "tool_use" on Claude 4.5 and later -----------------------


@pytest.mark.skipif(not _modelled("ToolUseBlock", "type"), reason="botocore drops toolUse.type")
@pytest.mark.parametrize(
    ("model", "kind"), [(SONNET_45, "tool_use"), (HAIKU_3, None), (NOVA_LITE, None)]
)
def test_tool_calls_carry_their_type_as_the_family_does(
    runtime: Any, model: str, kind: str | None
) -> None:
    tools = {"tools": [MAGIC]}
    answer = runtime.converse(modelId=model, messages=_ask("magic_function(3)?"), toolConfig=tools)
    call = _content(answer)[-1]["toolUse"]
    assert (call["name"], call["input"], call.get("type")) == ("magic_function", {"input": 3}, kind)
    stream = runtime.converse_stream(
        modelId=model, messages=_ask("magic_function(3)?"), toolConfig=tools
    )
    [start] = [p["start"]["toolUse"] for name, p in _events(stream) if name == "contentBlockStart"]
    assert start.get("type") == kind


# -- 2. reasoning when asked (Claude, Qwen, Nova 2) or always (DeepSeek-R1, gpt-oss, Kimi) -----


def test_claude_reasons_when_thinking_is_asked(runtime: Any) -> None:
    plain = runtime.converse(modelId=SONNET_45, messages=_ask("hi"))
    assert [next(iter(b)) for b in _content(plain)] == ["text"]
    answer = runtime.converse(
        modelId=SONNET_45, messages=_ask("hi"), additionalModelRequestFields=THINKING
    )
    reasoning, text = _content(answer)
    signed = reasoning["reasoningContent"]["reasoningText"]
    assert signed["text"] == "Emulated reasoning about: hi" and signed["signature"]
    assert text == {"text": "Emulated reply to: hi"}
    words = f"{signed['text']} {text['text']}"
    assert answer["usage"]["outputTokens"] == len(words.split())


def test_reasoning_streams_text_then_signature(runtime: Any) -> None:
    stream = runtime.converse_stream(
        modelId=SONNET_45, messages=_ask("hi"), additionalModelRequestFields=THINKING
    )
    deltas = [
        (p["contentBlockIndex"], next(iter(p["delta"]["reasoningContent"])))
        for name, p in _events(stream)
        if name == "contentBlockDelta" and "reasoningContent" in p["delta"]
    ]
    assert deltas == [(0, "text")] * 4 + [(0, "signature")]


def test_reasoning_models_always_reason_and_nova_1_never(runtime: Any) -> None:
    gpt = _content(runtime.converse(modelId=GPT_OSS, messages=_ask("hi")))
    assert [next(iter(b)) for b in gpt] == ["reasoningContent", "text"]
    assert "signature" not in gpt[0]["reasoningContent"]["reasoningText"]
    deepseek = _content(runtime.converse(modelId=DEEPSEEK_R1, messages=_ask("hi")))
    assert [next(iter(b)) for b in deepseek] == ["text", "reasoningContent"]
    nova = runtime.converse(
        modelId=NOVA_LITE, messages=_ask("hi"), additionalModelRequestFields=THINKING
    )
    assert [next(iter(b)) for b in _content(nova)] == ["text"]


def test_anthropic_test_string_gets_redacted_reasoning(runtime: Any) -> None:
    trigger = (
        "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253"
    )
    answer = runtime.converse(
        modelId=SONNET_45, messages=_ask(trigger), additionalModelRequestFields=THINKING
    )
    redacted = _content(answer)[0]["reasoningContent"]["redactedContent"]
    assert isinstance(redacted, bytes) and redacted


def test_no_new_reasoning_when_answering_tool_results(runtime: Any) -> None:
    answer = runtime.converse(
        modelId=SONNET_45,
        messages=_after_result(),
        toolConfig={"tools": [MAGIC]},
        additionalModelRequestFields=THINKING,
    )
    assert [next(iter(b)) for b in _content(answer)] == ["text"]


def test_langchain_reads_reasoning_blocks(emu: BedrockEmulator) -> None:
    from bedrock_auth import get_llm

    llm = get_llm(SONNET_45, manager=emu.manager(), additional_model_request_fields=THINKING)
    message = llm.invoke("hi")
    kinds = [block["type"] for block in message.content]
    assert kinds == ["reasoning_content", "text"]
    assert message.content[0]["reasoning_content"]["signature"]
    streamed = [b for chunk in llm.stream("hi") for b in chunk.content if isinstance(b, dict)]
    assert any(b.get("type") == "reasoning_content" for b in streamed)


def test_pydantic_ai_gets_thinking_parts(emu: BedrockEmulator) -> None:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ThinkingPart

    from bedrock_auth import get_pydantic_ai_model

    model = get_pydantic_ai_model(
        SONNET_45, manager=emu.manager(), bedrock_additional_model_requests_fields=THINKING
    )
    result = Agent(model).run_sync("hi")
    [thinking] = [p for p in result.all_messages()[-1].parts if isinstance(p, ThinkingPart)]
    assert thinking.content == "Emulated reasoning about: hi" and thinking.signature


def _anthropic(emu: BedrockEmulator) -> Any:
    anthropic = pytest.importorskip("anthropic")
    return anthropic.AnthropicBedrock(
        aws_access_key=emu.access_key_id,
        aws_secret_key=emu.secret_access_key,
        aws_region="us-east-1",
        base_url=emu.endpoint_url,
    )


def test_anthropic_sdk_reads_thinking_blocks(emu: BedrockEmulator) -> None:
    client = _anthropic(emu)
    ask = [{"role": "user", "content": "hi"}]
    thinking = {"type": "enabled", "budget_tokens": 1024}
    answer = client.messages.create(
        model=SONNET_45, max_tokens=2048, messages=ask, thinking=thinking
    )
    assert [b.type for b in answer.content] == ["thinking", "text"]
    assert (
        answer.content[0].thinking == "Emulated reasoning about: hi" and answer.content[0].signature
    )
    with client.messages.stream(
        model=SONNET_45, max_tokens=2048, messages=ask, thinking=thinking
    ) as s:
        final = s.get_final_message()
    assert final.content[0].type == "thinking" and final.content[0].signature


# -- 3. prompt-cache usage and headers ------------------------------------------------------


SYSTEM = [
    {"text": "You answer questions about the weather briefly."},
    {"cachePoint": {"type": "default"}},
]


def test_cache_points_write_then_read(runtime: Any) -> None:
    first = runtime.converse(modelId=SONNET_45, system=SYSTEM, messages=_ask("hi"))["usage"]
    second = runtime.converse(modelId=SONNET_45, system=SYSTEM, messages=_ask("hi"))["usage"]
    words = len(SYSTEM[0]["text"].split())
    assert (first["cacheWriteInputTokens"], first["cacheReadInputTokens"]) == (words, 0)
    assert (second["cacheWriteInputTokens"], second["cacheReadInputTokens"]) == (0, words)
    assert second["inputTokens"] == 1
    assert second["totalTokens"] == 1 + words + second["outputTokens"]
    nova = runtime.converse(modelId=NOVA_LITE, messages=_ask("hi"))["usage"]
    assert "cacheReadInputTokens" not in nova
    nova_cached = runtime.converse(modelId=NOVA_LITE, system=SYSTEM, messages=_ask("hi"))["usage"]
    assert nova_cached["cacheWriteInputTokens"] == words


def test_langchain_reports_cache_reads(emu: BedrockEmulator) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    from bedrock_auth import get_llm

    emu.clear()
    llm = get_llm(SONNET_45, manager=emu.manager())
    system = SystemMessage(content=[{"type": "text", "text": SYSTEM[0]["text"]}, SYSTEM[1]])
    llm.invoke([system, HumanMessage("hi")])
    usage = llm.invoke([system, HumanMessage("hi")]).usage_metadata
    assert usage is not None
    assert usage["input_token_details"]["cache_read"] == len(SYSTEM[0]["text"].split())


def test_anthropic_cache_control_and_headers(emu: BedrockEmulator) -> None:
    emu.clear()
    client = _anthropic(emu)
    system = [{"type": "text", "text": SYSTEM[0]["text"], "cache_control": {"type": "ephemeral"}}]
    ask = [{"role": "user", "content": "hi"}]
    first = client.messages.create(model=SONNET_45, max_tokens=100, system=system, messages=ask)
    raw = client.messages.with_raw_response.create(
        model=SONNET_45, max_tokens=100, system=system, messages=ask
    )
    second = raw.parse()
    words = len(SYSTEM[0]["text"].split())
    assert (first.usage.cache_creation_input_tokens, first.usage.cache_read_input_tokens) == (
        words,
        0,
    )
    assert (second.usage.cache_creation_input_tokens, second.usage.cache_read_input_tokens) == (
        0,
        words,
    )
    assert raw.headers["x-amzn-bedrock-cache-read-input-token-count"] == str(words)
    assert raw.headers["x-amzn-bedrock-cache-write-input-token-count"] == "0"


# -- 4. embeddings answer with the invocation-latency header --------------------------------


@pytest.mark.parametrize(
    ("model", "body"),
    [
        ("amazon.titan-embed-text-v2:0", {"inputText": "cat"}),
        ("cohere.embed-english-v3", {"texts": ["cat"], "input_type": "search_query"}),
    ],
)
def test_embeddings_report_their_latency(runtime: Any, model: str, body: dict[str, Any]) -> None:
    answer = runtime.invoke_model(modelId=model, body=json.dumps(body))
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 1
    assert headers["x-amzn-bedrock-input-token-count"] == "1"


# -- 5. citations ---------------------------------------------------------------------------

POLICY = "Employees get 20 days of annual leave. Consult your manager for details."
DOCUMENT = {
    "document": {
        "format": "txt",
        "name": "policy",
        "source": {"text": POLICY},
        "citations": {"enabled": True},
    }
}
CITED = [{"role": "user", "content": [DOCUMENT, {"text": "How many days of leave?"}]}]


def test_claude_cites_documents_with_citations_enabled(runtime: Any) -> None:
    blocks = _content(runtime.converse(modelId=SONNET_45, messages=CITED))
    [cited] = [b["citationsContent"] for b in blocks if "citationsContent" in b]
    [citation] = cited["citations"]
    sentence = "Employees get 20 days of annual leave. "
    assert citation["location"] == {
        "documentChar": {"documentIndex": 0, "start": 0, "end": len(sentence)}
    }
    assert (citation["title"], citation["sourceContent"]) == ("policy", [{"text": sentence}])
    assert cited["content"] == [{"text": sentence}]
    stream = runtime.converse_stream(modelId=SONNET_45, messages=CITED)
    [delta] = [
        p["delta"]["citation"] for n, p in _events(stream) if "citation" in p.get("delta", {})
    ]
    assert delta["title"] == "policy"
    nova = _content(runtime.converse(modelId=NOVA_LITE, messages=CITED))
    assert not [b for b in nova if "citationsContent" in b]


def test_langchain_reads_citations(emu: BedrockEmulator) -> None:
    from bedrock_auth import get_llm

    llm = get_llm(SONNET_45, manager=emu.manager())
    message = llm.invoke(
        [
            {
                "role": "user",
                "content": [
                    {"type": "document", **DOCUMENT},
                    {"type": "text", "text": "How many days?"},
                ],
            }
        ]
    )
    cited = [b for b in message.content if isinstance(b, dict) and b.get("citations")]
    assert cited and cited[0]["citations"][0]["title"] == "policy"


def _anthropic_document(source: dict[str, Any], title: str) -> dict[str, Any]:
    return {"type": "document", "source": source, "title": title, "citations": {"enabled": True}}


def test_anthropic_sdk_reads_citations_over_invoke_model(emu: BedrockEmulator) -> None:
    """InvokeModel with Anthropic's body: cited text blocks, and citations_delta when streamed."""
    from bedrock_auth import get_anthropic_client

    client = get_anthropic_client(manager=emu.manager())
    text = {"type": "text", "media_type": "text/plain", "data": POLICY}
    chunks = {"type": "content", "content": [{"type": "text", "text": "Leave is 20 days."}]}
    ask = [
        {
            "role": "user",
            "content": [
                _anthropic_document(text, "policy"),
                _anthropic_document(chunks, "summary"),
                {"type": "text", "text": "How many days of leave?"},
            ],
        }
    ]
    answer = client.messages.create(model=SONNET_45, max_tokens=256, messages=ask)
    [cited] = [b for b in answer.content if b.type == "text" and b.citations]
    [citation] = cited.citations
    sentence = "Employees get 20 days of annual leave. "
    assert citation.type == "char_location" and citation.cited_text == sentence
    assert (citation.document_index, citation.document_title) == (0, "policy")
    assert (citation.start_char_index, citation.end_char_index) == (0, len(sentence))
    assert cited.text == sentence
    with client.messages.stream(model=SONNET_45, max_tokens=256, messages=ask) as stream:
        kinds = [e.delta.type for e in stream if e.type == "content_block_delta"]
        final = stream.get_final_message()
    assert "citations_delta" in kinds
    [streamed] = [b for b in final.content if b.type == "text" and b.citations]
    assert streamed.text == sentence and streamed.citations[0] == citation
    # A family that does not cite (the model data says so) answers without citations.
    plain = client.messages.create(model=HAIKU_3, max_tokens=256, messages=ask)
    assert not [b for b in plain.content if b.type == "text" and b.citations]


def test_anthropic_citations_locate_blocks_and_pages(emu: BedrockEmulator) -> None:
    from bedrock_auth import get_anthropic_client

    client = get_anthropic_client(manager=emu.manager())
    chunks = {"type": "content", "content": [{"type": "text", "text": "Leave is 20 days."}]}
    pdf = {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"}
    for source, kind, span in (
        (chunks, "content_block_location", (0, 1)),
        (pdf, "page_location", (1, 2)),
    ):
        content = [_anthropic_document(source, "doc"), {"type": "text", "text": "Cite it."}]
        ask = [{"role": "user", "content": content}]
        answer = client.messages.create(model=SONNET_45, max_tokens=256, messages=ask)
        [citation] = next(b.citations for b in answer.content if b.type == "text" and b.citations)
        where = {"content_block_location": "block_index", "page_location": "page_number"}[kind]
        assert citation.type == kind
        assert (getattr(citation, f"start_{where}"), getattr(citation, f"end_{where}")) == span


# -- 6. Cohere Embed v4 -----------------------------------------------------------------------


def test_cohere_embed_v4_answers_vectors_by_type(runtime: Any) -> None:
    body = {"texts": ["cat", "dog"], "input_type": "search_document"}
    default = json.loads(
        runtime.invoke_model(modelId="cohere.embed-v4:0", body=json.dumps(body))["body"].read()
    )
    assert default["response_type"] == "embeddings_by_type"
    assert [len(v) for v in default["embeddings"]["float"]] == [1536, 1536]
    sized = {**body, "output_dimension": 256, "embedding_types": ["float", "int8"]}
    answer = json.loads(
        runtime.invoke_model(modelId="cohere.embed-v4:0", body=json.dumps(sized))["body"].read()
    )
    assert {t: [len(v) for v in vs] for t, vs in answer["embeddings"].items()} == {
        "float": [256, 256],
        "int8": [256, 256],
    }
    v3 = json.loads(
        runtime.invoke_model(modelId="cohere.embed-english-v3", body=json.dumps(body))[
            "body"
        ].read()
    )
    assert v3["response_type"] == "embeddings_floats" and len(v3["embeddings"][0]) == 1024


def test_langchain_embeds_with_cohere_v4(emu: BedrockEmulator) -> None:
    langchain_aws = pytest.importorskip("langchain_aws")
    embeddings = langchain_aws.BedrockEmbeddings(
        model_id="cohere.embed-v4:0", client=emu.client("bedrock-runtime"), region_name="us-east-1"
    )
    assert len(embeddings.embed_query("cat")) == 1536


# -- 7. forced tool choice and structured output after tool results ---------------------------


def test_forced_tool_choice_holds_after_tool_results(runtime: Any) -> None:
    config = {"tools": [MAGIC, FINAL], "toolChoice": {"any": {}}}
    claude = runtime.converse(modelId=SONNET_45, messages=_after_result(), toolConfig=config)
    assert claude["stopReason"] == "tool_use"
    assert _content(claude)[-1]["toolUse"]["name"] == "final_result"  # the one not called yet
    nova = runtime.converse(modelId=NOVA_LITE, messages=_after_result(), toolConfig=config)
    assert nova["stopReason"] == "end_turn"  # Nova 1 answers tool results in text


@pytest.mark.skipif(
    not _modelled("ConverseRequest", "outputConfig"), reason="botocore has no outputConfig"
)
def test_structured_output_after_tool_results(runtime: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
    }
    output = {
        "textFormat": {
            "type": "json_schema",
            "structure": {"jsonSchema": {"name": "A", "schema": json.dumps(schema)}},
        }
    }
    answer = runtime.converse(
        modelId=SONNET_45,
        messages=_after_result(),
        toolConfig={"tools": [MAGIC]},
        outputConfig=output,
    )
    assert answer["stopReason"] == "end_turn"
    assert json.loads(_content(answer)[0]["text"]) == {"answer": 1}


def test_pydantic_ai_agent_loop_ends_with_its_output_tool(emu: BedrockEmulator) -> None:
    from pydantic import BaseModel
    from pydantic_ai import Agent

    from bedrock_auth import get_pydantic_ai_model

    class Weather(BaseModel):
        city: str

    agent = Agent(get_pydantic_ai_model(SONNET_45, manager=emu.manager()), output_type=Weather)
    looked_up: list[str] = []

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        looked_up.append(city)
        return "sunny"

    # pydantic-ai forces a tool (toolChoice any) when only its output tool may end the run: the
    # model calls get_weather, then, after its result, the output tool it has not called yet.
    result = agent.run_sync("What is the weather? city: Paris")
    assert isinstance(result.output, Weather)
    assert looked_up == ["Paris"]


# -- 8. server-side tools -------------------------------------------------------------------


@pytest.mark.skipif(not _modelled("Tool", "systemTool"), reason="botocore has no systemTool")
def test_nova_2_runs_its_code_interpreter(runtime: Any) -> None:
    config = {"tools": [FINAL, {"systemTool": {"name": "nova_code_interpreter"}}]}
    answer = runtime.converse(
        modelId=NOVA_2_LITE, messages=_ask("What is 1234 * 5678?"), toolConfig=config
    )
    call, result, text = _content(answer)
    assert call["toolUse"]["type"] == "server_tool_use"
    assert call["toolUse"]["input"] == {"snippet": "1234 * 5678"}
    assert result["toolResult"]["type"] == "nova_code_interpreter_result"
    assert result["toolResult"]["content"][0]["json"]["stdOut"] == "7006652"
    assert "text" in text and answer["stopReason"] == "end_turn"
    stream = runtime.converse_stream(
        modelId=NOVA_2_LITE, messages=_ask("What is 2 + 2?"), toolConfig=config
    )
    starts = [next(iter(p["start"])) for n, p in _events(stream) if n == "contentBlockStart"]
    assert starts == ["toolUse", "toolResult"]


def test_pydantic_ai_reads_the_code_interpreter_run(emu: BedrockEmulator) -> None:
    """pydantic-ai offers its CodeExecutionTool as nova_code_interpreter and reads the run back."""
    from pydantic_ai import Agent
    from pydantic_ai.capabilities.native_tool import NativeTool
    from pydantic_ai.messages import NativeToolCallPart, NativeToolReturnPart
    from pydantic_ai.native_tools import CodeExecutionTool

    from bedrock_auth import get_pydantic_ai_model

    model = get_pydantic_ai_model(NOVA_2_LITE, manager=emu.manager())
    agent = Agent(model, capabilities=[NativeTool(CodeExecutionTool())])
    result = agent.run_sync("What is 1234 * 5678?")
    parts = result.all_messages()[-1].parts
    [call] = [p for p in parts if isinstance(p, NativeToolCallPart)]
    [run] = [p for p in parts if isinstance(p, NativeToolReturnPart)]
    assert call.args == {"snippet": "1234 * 5678"} and run.tool_call_id == call.tool_call_id
    assert run.content["stdOut"] == "7006652"


def test_server_tools_only_where_the_model_has_them(runtime: Any) -> None:
    """nova_grounding is accepted on Nova 2 but not emulated; other models refuse systemTool."""
    grounding = {"tools": [{"systemTool": {"name": "nova_grounding"}}]}
    ask = _ask("What is 1 + 1 today?")
    answer = runtime.converse(modelId=NOVA_2_LITE, messages=ask, toolConfig=grounding)
    assert [next(iter(b)) for b in _content(answer)] == ["text"]
    for model, tool in ((SONNET_45, "nova_code_interpreter"), (NOVA_LITE, "nova_grounding")):
        config = {"tools": [FINAL, {"systemTool": {"name": tool}}]}
        with pytest.raises(ClientError) as refused:
            runtime.converse(modelId=model, messages=ask, toolConfig=config)
        message = refused.value.response["Error"]["Message"]
        assert message.startswith("This model doesn't support the toolConfig.tools.1.systemTool")


def test_anthropic_server_tools_are_refused_over_invoke_model(emu: BedrockEmulator) -> None:
    """Bedrock takes Anthropic's client tool types only: web_search is a 400, as in CountTokens."""
    anthropic = pytest.importorskip("anthropic")
    from bedrock_auth import get_anthropic_client

    client = get_anthropic_client(manager=emu.manager())
    ask = [{"role": "user", "content": "What is the weather in Paris?"}]
    search = [{"type": "web_search_20250305", "name": "web_search", "max_uses": 1}]
    with pytest.raises(anthropic.BadRequestError, match="Input tag 'web_search_20250305'"):
        client.messages.create(model=SONNET_45, max_tokens=100, messages=ask, tools=search)
    editor = [{"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}]
    answer = client.messages.create(model=SONNET_45, max_tokens=100, messages=ask, tools=editor)
    assert answer.stop_reason in ("end_turn", "tool_use")


# -- 9. performanceConfig echoed, guardrail trace -------------------------------------------


def test_performance_config_is_echoed(runtime: Any) -> None:
    answer = runtime.converse(
        modelId=NOVA_LITE, messages=_ask("hi"), performanceConfig={"latency": "optimized"}
    )
    assert answer["performanceConfig"] == {"latency": "optimized"}


def test_guardrail_trace(runtime: Any) -> None:
    from botocore.session import get_session

    guardrail = {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "enabled"}
    answer = runtime.converse(modelId=NOVA_LITE, messages=_ask("hi"), guardrailConfig=guardrail)
    trace = answer["trace"]["guardrail"]
    details = trace["inputAssessment"]["gr1"]["appliedGuardrailDetails"]
    assert (details["guardrailId"], details["guardrailVersion"]) == ("gr1", "1")
    assert (
        details["guardrailArn"] == f"arn:aws:bedrock:us-east-1:{DEFAULT_ACCOUNT_ID}:guardrail/gr1"
    )
    counters = (
        get_session().get_service_model("bedrock-runtime").shape_for("GuardrailUsage").members
    )
    usage = trace["outputAssessments"]["gr1"][0]["invocationMetrics"]["usage"]
    assert usage == dict.fromkeys(counters, 0)
    assert "trace" not in runtime.converse(modelId=NOVA_LITE, messages=_ask("hi"))


def test_langchain_reads_the_echo_and_the_trace(emu: BedrockEmulator) -> None:
    from bedrock_auth import get_llm

    guardrail = {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "enabled"}
    latency = {"latency": "optimized"}
    llm = get_llm(
        NOVA_LITE, manager=emu.manager(), performance_config=latency, guardrail_config=guardrail
    )
    metadata = llm.invoke("hi").response_metadata
    assert metadata["performanceConfig"] == latency
    assert "gr1" in metadata["trace"]["guardrail"]["inputAssessment"]


# -- 10. Nova 2 multimodal embeddings -------------------------------------------------------


def test_nova_2_multimodal_embeddings(runtime: Any) -> None:
    body = {
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "text": {"value": "cat", "truncationMode": "END"},
        },
    }
    model = "amazon.nova-2-multimodal-embeddings-v1:0"
    [embedding] = json.loads(
        runtime.invoke_model(modelId=model, body=json.dumps(body))["body"].read()
    )["embeddings"]
    assert embedding["embeddingType"] == "TEXT" and len(embedding["embedding"]) == 3072
    body["singleEmbeddingParams"]["embeddingDimension"] = 256
    [small] = json.loads(runtime.invoke_model(modelId=model, body=json.dumps(body))["body"].read())[
        "embeddings"
    ]
    assert len(small["embedding"]) == 256


def test_pydantic_ai_embeds_with_nova_2(emu: BedrockEmulator) -> None:
    from pydantic_ai import Embedder
    from pydantic_ai.embeddings.bedrock import BedrockEmbeddingModel
    from pydantic_ai.providers.bedrock import BedrockProvider

    provider = BedrockProvider(bedrock_client=emu.client("bedrock-runtime"))
    model = BedrockEmbeddingModel("amazon.nova-2-multimodal-embeddings-v1:0", provider=provider)
    result = Embedder(model).embed_query_sync("cat")
    assert len(result.embeddings[0]) == 3072


# -- 11. a conversation may start with an assistant message on Claude -----------------------


def test_claude_takes_a_conversation_that_starts_with_its_own_message(runtime: Any) -> None:
    messages = [
        {"role": "assistant", "content": [{"text": "Hello there!"}]},
        *_ask("Now say goodbye."),
    ]
    assert runtime.converse(modelId=SONNET_45, messages=messages)["stopReason"] == "end_turn"
    with pytest.raises(ClientError, match="must start with a user message"):
        runtime.converse(modelId=NOVA_LITE, messages=messages)


def test_pydantic_ai_history_starting_with_a_response(emu: BedrockEmulator) -> None:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart

    from bedrock_auth import get_pydantic_ai_model

    agent = Agent(get_pydantic_ai_model(SONNET_45, manager=emu.manager()))
    history = [ModelResponse(parts=[TextPart(content="Hello there!")])]
    assert agent.run_sync("Now say goodbye.", message_history=history).output == (
        "Emulated reply to: Now say goodbye."
    )


# -- 12. requests Bedrock refuses ------------------------------------------------------------


def _refused(call: Any) -> str:
    with pytest.raises(ClientError) as info:
        call()
    assert info.value.response["Error"]["Code"] == "ValidationException"
    return str(info.value.response["Error"]["Message"])


def test_claude_refuses_video_and_media_in_s3(runtime: Any) -> None:
    video = {"video": {"format": "mp4", "source": {"bytes": b"\x00\x00"}}}
    message = _refused(
        lambda: runtime.converse(
            modelId=SONNET_45, messages=[{"role": "user", "content": [video, {"text": "?"}]}]
        )
    )
    assert message.startswith("This model doesn't support the video content block")
    image = {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://bucket/cat.png"}}}}
    message = _refused(
        lambda: runtime.converse(
            modelId=SONNET_45, messages=[{"role": "user", "content": [image, {"text": "?"}]}]
        )
    )
    assert message == "This model doesn't support the s3Uri field. Remove s3Uri and try again."
    assert runtime.converse(
        modelId=NOVA_LITE, messages=[{"role": "user", "content": [video, {"text": "?"}]}]
    )


def test_nova_2_lite_refuses_an_s3_document_in_a_tool_result(runtime: Any) -> None:
    document = {
        "document": {
            "name": "d",
            "format": "pdf",
            "source": {"s3Location": {"uri": "s3://b/d.pdf"}},
        }
    }
    messages = [
        *_ask("get_file"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "get_file", "input": {}}}],
        },
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [document]}}]},
    ]
    spec = {"toolSpec": {"name": "get_file", "inputSchema": {"json": {"type": "object"}}}}
    message = _refused(
        lambda: runtime.converse(
            modelId=NOVA_2_LITE, messages=messages, toolConfig={"tools": [spec]}
        )
    )
    assert "#/messages/2/content/0: extraneous key [toolResult] is not permitted" in message


def test_count_tokens_refuses_profile_ids_and_server_tools(runtime: Any) -> None:
    converse = {"converse": {"messages": _ask("hi")}}
    message = _refused(lambda: runtime.count_tokens(modelId=SONNET_45, input=converse))
    assert message == "The provided model doesn't support counting tokens."
    base = SONNET_45.removeprefix("us.")
    assert runtime.count_tokens(modelId=base, input=converse)["inputTokens"] == 1
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "web_search_20250305", "name": "web_search"}],
    }
    invoke = {"invokeModel": {"body": json.dumps(body).encode()}}
    message = _refused(lambda: runtime.count_tokens(modelId=base, input=invoke))
    assert message.startswith("tools.0: Input tag 'web_search_20250305' found using 'type'")
