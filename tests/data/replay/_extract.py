"""Rebuild the replay data from the public projects' VCR cassettes (maintainers only).

    python tests/data/replay/_extract.py PYDANTIC_AI_CHECKOUT LANGCHAIN_AWS_CHECKOUT

Each argument is a git checkout (a bare mirror works: files are read with ``git show``). The
cassettes named in :data:`KEPT` become one JSON file each under ``tests/data/replay/<project>/``,
holding their bedrock-runtime interactions with the source (repository, path, the commit that
last changed the cassette) noted. What the files keep and what they shorten is described in
``tests/data/replay/README.md``; ``tests/test_emulator_replay.py`` reads them.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from botocore.eventstream import EventStreamBuffer

HERE = Path(__file__).parent
PYDANTIC_AI, LANGCHAIN_AWS = "pydantic/pydantic-ai", "langchain-ai/langchain-aws"
_PAI = "tests/models/cassettes/test_bedrock/"
_EMB = "tests/cassettes/test_embeddings/TestBedrock."
_MM = "tests/models/cassettes/test_multimodal_tool_returns/test_multimodal_tool_return_matrix"
_LCA = "libs/aws/tests/cassettes/"

#: The cassettes kept, whole: every bedrock-runtime interaction in each is replayed.
KEPT: dict[str, tuple[str, ...]] = {
    PYDANTIC_AI: (
        *(
            f"{_EMB}{name}.yaml"
            for name in (
                "test_cohere_v3_minimal",
                "test_cohere_v4_minimal",
                "test_cohere_v4_with_dimensions",
                "test_cohere_v4_batch_documents",
                "test_regional_prefix_embed",
                "test_inference_profile_embed",
                "test_titan_v1_minimal",
                "test_titan_v2_with_dimensions",
                "test_titan_v2_multiple_texts",
                "test_nova_minimal",
                "test_nova_with_dimensions",
                "test_nova_with_embedding_purpose",
            )
        ),
        "tests/models/cassettes/test_anthropic_bedrock_count_tokens/"
        "test_anthropic_bedrock_count_tokens_error.yaml",
        "tests/models/cassettes/test_anthropic_bedrock_count_tokens/"
        "test_anthropic_bedrock_count_tokens_real_api.yaml",
        "tests/models/cassettes/test_anthropic_bedrock_count_tokens/"
        "test_anthropic_bedrock_count_tokens_rejects_server_tools.yaml",
        "tests/models/cassettes/test_anthropic/test_anthropic_cache_bedrock_real_api.yaml",
        "tests/models/cassettes/test_anthropic_mid_conversation_system/"
        "test_mid_conversation_system_prompt_on_bedrock.yaml",
        "tests/cassettes/test_model_name_suggestions/test_model_name_suggestion[bedrock].yaml",
        *(
            f"{_PAI}{name}.yaml"
            for name in (
                "test_bedrock_anthropic_message_history_starting_with_response",
                "test_bedrock_anthropic_tool_result_followed_by_document_accepted",
                "test_bedrock_anthropic_tool_with_thinking",
                "test_bedrock_cache_messages_with_document_as_last_content",
                "test_bedrock_cache_messages_with_video_as_last_content",
                "test_bedrock_cache_point_adds_cache_control[claude-sonnet-4-5]",
                "test_bedrock_cache_point_adds_cache_control[nova-lite]",
                "test_bedrock_cache_usage_includes_cache_tokens",
                "test_bedrock_cache_write_and_read",
                "test_bedrock_count_tokens_additional_model_requests_fields",
                "test_bedrock_count_tokens_error",
                "test_bedrock_count_tokens_tool_config",
                "test_bedrock_error",
                "test_bedrock_inference_profile_converse",
                "test_bedrock_inference_profile_count_tokens",
                "test_bedrock_llama_tool_result_followed_by_text_accepted",
                "test_bedrock_media_kind_delivered_in_tool_result[meta_image]",
                "test_bedrock_media_kind_delivered_in_tool_result[mistral_document]",
                "test_bedrock_mistral_two_tool_returns_images_accepted",
                "test_bedrock_model",
                "test_bedrock_model_anthropic_model_without_tools",
                "test_bedrock_model_code_execution_tool_stream",
                "test_bedrock_model_guardrail_config",
                "test_bedrock_model_iter_stream",
                "test_bedrock_model_max_tokens",
                "test_bedrock_model_performance_config",
                "test_bedrock_model_stream",
                "test_bedrock_model_stream_empty_text_delta",
                "test_bedrock_model_structured_output",
                "test_bedrock_model_thinking_part_anthropic",
                "test_bedrock_model_thinking_part_anthropic_adaptive",
                "test_bedrock_model_thinking_part_anthropic_adaptive_effort",
                "test_bedrock_model_thinking_part_anthropic_legacy",
                "test_bedrock_model_thinking_part_deepseek",
                "test_bedrock_model_thinking_part_from_other_model",
                "test_bedrock_model_thinking_part_redacted",
                "test_bedrock_model_thinking_part_redacted_stream",
                "test_bedrock_model_thinking_part_stream",
                "test_bedrock_model_usage_limit_exceeded",
                "test_bedrock_model_usage_limit_not_exceeded",
                "test_bedrock_model_with_code_execution_tool",
                "test_bedrock_moonshotai_tool_call",
                "test_bedrock_multiple_documents_in_history",
                "test_bedrock_nova_tool_result_followed_by_document_accepted",
                "test_bedrock_streaming_error",
                "test_bedrock_thinking_false_openai_variant_silent_drop",
                "test_bedrock_thinking_false_qwen_variant_silent_drop",
                "test_bedrock_thinking_high_openai_variant",
                "test_bedrock_thinking_high_qwen_variant",
                "test_bedrock_thinking_true_openai_variant",
                "test_bedrock_thinking_true_qwen_variant",
                "test_bedrock_top_k_anthropic_variant",
                "test_bedrock_writer_tool_result_followed_by_text_accepted",
                "test_bedrock_zai_native_output",
                "test_document_url_input",
                "test_image_url_input",
                "test_video_url_input",
            )
        ),
        *(
            f"tests/models/bedrock/cassettes/test_native_output/test_bedrock_native_output_{n}.yaml"
            for n in ("google", "minimax", "mistral", "nvidia", "qwen", "stream", "supported_model")
        ),
        "tests/models/bedrock/cassettes/test_strict_tool_calls/"
        "test_bedrock_strict_tool_with_native_output.yaml",
        "tests/models/bedrock/cassettes/test_strict_tool_calls/test_bedrock_mixed_strict_tool_run.yaml",
        *(
            f"tests/models/cassettes/test_tool_choice_matrix/test_tool_choice_matrix[{n}-bedrock].yaml"
            for n in ("auto", "required", "none_with_output", "tools_plus_output")
        ),
        *(
            f"{_MM}[{case}].yaml"
            for case in (
                "direct-binary-video-bedrock_claude",
                "direct-uploaded_file-image-bedrock_claude",
                "direct-uploaded_file-document-bedrock_claude",
                "tool_return_content-uploaded_file-document-bedrock_claude",
                "direct-uploaded_file-document-bedrock_nova",
                "direct-uploaded_file-video-bedrock_nova",
                "direct-uploaded_file-image-bedrock_nova",
                "tool_return_content-uploaded_file-document-bedrock_nova",
            )
        ),
    ),
    LANGCHAIN_AWS: tuple(
        f"{_LCA}{name}.yaml.gz"
        for name in (
            "test_agent_loop[v1]",
            "test_agent_loop_streaming[v1]",
            "test_citations[document0]",
            "test_citations[document1]",
            "test_citations_v1[v0]",
            "test_pdf_citations",
            "test_thinking[v1]",
        )
    ),
}

#: State the recording account had: application inference profiles the tests created (the
#: model behind each is named in the project's test that recorded the cassette).
SETUP = {
    f"{_PAI}test_bedrock_inference_profile_converse.yaml": {
        "inference_profiles": {
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/mi1dadi0g15f": (
                "amazon.nova-micro-v1:0"
            )
        }
    },
    f"{_EMB}test_inference_profile_embed.yaml": {
        "inference_profiles": {
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/otnfa2ysixqd": (
                "amazon.titan-embed-text-v2:0"
            )
        }
    },
}

_ACCOUNT = re.compile(r"(arn:aws[\w-]*:[\w-]+:[\w-]*:)\d{12}(:)")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")
_LONG_REQUEST_TEXT = 2000
_LONG_RESPONSE_TEXT = 300
_BASE64_KEPT = 64
_NUMBERS_KEPT = 16
_RUN_KEPT = 3


def _git_show(checkout: Path, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(checkout), "show", f"HEAD:{path}"], capture_output=True, check=True
    ).stdout


def _commit(checkout: Path, path: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%H", "HEAD", "--", path],
        capture_output=True,
        check=True,
        text=True,
    )
    return out.stdout.strip()


def _scrub(value: Any, limit: int) -> Any:
    """Account ids out; long strings, base64 blobs and long number lists shortened."""
    if isinstance(value, dict):
        return {k: _scrub(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > _NUMBERS_KEPT and all(isinstance(v, float | int) for v in value):
            return {"__numbers__": len(value)}
        return [_scrub(v, limit) for v in value]
    if isinstance(value, str):
        value = _ACCOUNT.sub(r"\g<1>123456789012\2", value)
        if len(value) > limit:
            if _BASE64.fullmatch(value):
                return value[:_BASE64_KEPT]
            return value[:limit] + " [shortened]"
    return value


def _request_body(request: dict[str, Any]) -> Any:
    if "parsed_body" in request:
        return request["parsed_body"]
    raw = request.get("body")
    if isinstance(raw, dict):
        raw = raw.get("string")
    return json.loads(raw) if raw else None


def _raw_response(response: dict[str, Any]) -> Any:
    raw = response.get("body")
    return raw.get("string") if isinstance(raw, dict) else raw


def _events(raw: bytes) -> list[list[Any]]:
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    out: list[list[Any]] = []
    for message in buffer:
        kind = message.headers.get(":event-type") or message.headers.get(":exception-type")
        out.append([kind, json.loads(message.payload or b"{}")])
    return _shorten_runs(out)


def _delta_kind(event: list[Any]) -> tuple[Any, ...] | None:
    if event[0] != "contentBlockDelta":
        return None
    delta = event[1].get("delta", {})
    inner = next(iter(delta.values()), None)
    keys = tuple(sorted(inner)) if isinstance(inner, dict) else ()
    return (event[1].get("contentBlockIndex"), next(iter(delta), None), keys)


def _shorten_runs(events: list[list[Any]]) -> list[list[Any]]:
    """Keep the first deltas and the last of each run of one kind of delta in one block."""
    out: list[list[Any]] = []
    run: list[list[Any]] = []
    for event in [*events, ["", {}]]:
        if run and _delta_kind(event) == _delta_kind(run[0]):
            run.append(event)
            continue
        out += run if len(run) <= _RUN_KEPT + 1 else [*run[:_RUN_KEPT], run[-1]]
        run = [event] if _delta_kind(event) else []
        if not run and event[0]:
            out.append(event)
    return out


def _response(response: dict[str, Any]) -> dict[str, Any]:
    headers = {
        k.lower(): v[0] if isinstance(v, list) else v
        for k, v in (response.get("headers") or {}).items()
        if k.lower().startswith("x-amzn-bedrock-") or k.lower() == "content-type"
    }
    out: dict[str, Any] = {"status": response["status"]["code"], "headers": headers}
    if "parsed_body" in response:
        out["body"] = response["parsed_body"]
        return out
    raw = _raw_response(response)
    if isinstance(raw, str):
        raw = raw.encode()
    if raw[:1] == b"{":
        out["body"] = json.loads(raw)
    else:
        out["events"] = _events(raw)
    return out


def _interactions(document: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    if "interactions" in document:
        return [(i["request"], i["response"]) for i in document["interactions"] if "request" in i]
    return list(zip(document["requests"], document["responses"], strict=True))


def _replay_entry(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any] | None:
    uri = request.get("uri", "")
    if "bedrock-runtime" not in uri or "/model/" not in uri:
        return None
    return {
        "method": request.get("method", "POST"),
        "uri": _scrub(uri, len(uri)),
        "model": _scrub(unquote(uri.split("/model/", 1)[1].rsplit("/", 1)[0]), len(uri)),
        "request": _scrub(_request_body(request), _LONG_REQUEST_TEXT),
        "response": _scrub(_response(response), _LONG_RESPONSE_TEXT),
    }


def extract(repo: str, checkout: Path, path: str) -> dict[str, Any]:
    raw = _git_show(checkout, path)
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    document = yaml.safe_load(raw)
    entries = [_replay_entry(req, resp) for req, resp in _interactions(document)]
    return {
        "source": {"repo": repo, "path": path, "commit": _commit(checkout, path)},
        **({"setup": SETUP[path]} if path in SETUP else {}),
        "interactions": [e for e in entries if e is not None],
    }


def _output_name(repo: str, path: str) -> Path:
    stem = Path(path).name.removesuffix(".gz").removesuffix(".yaml")
    return HERE / repo.split("/")[1] / f"{stem.removeprefix('TestBedrock.')}.json"


def main(argv: list[str]) -> None:
    checkouts = dict(zip((PYDANTIC_AI, LANGCHAIN_AWS), map(Path, argv), strict=True))
    for repo, paths in KEPT.items():
        for path in paths:
            data = extract(repo, checkouts[repo], path)
            target = _output_name(repo, path)
            target.parent.mkdir(exist_ok=True)
            text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
            assert not re.search(r"AKIA|ASIA[A-Z0-9]{12}|Signature=", text), target
            target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
