"""bedrock-agent-runtime: InvokeAgent as an event stream of ``trace`` and ``chunk`` events."""

from __future__ import annotations

import base64
import datetime as dt

from . import ids
from .body_format import Json
from .eventstream import event_frame
from .generation import default_text, split_words
from .responses import Response, stream_response, validation_error
from .script import Citation
from .state import Call


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _attribution(text: str, citations: tuple[Citation, ...]) -> Json:
    part = {"textResponsePart": {"text": text, "span": {"start": 0, "end": max(len(text) - 1, 0)}}}
    references = [
        {"content": {"text": c.text}, "location": {"type": "S3", "s3Location": {"uri": c.uri}}}
        for c in citations
    ]
    return {"citations": [{"generatedResponsePart": part, "retrievedReferences": references}]}


def _trace(call: Call, text: str) -> Json:
    params = call.route.params
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rationale = {"text": f"The user asked: {text}", "traceId": ids.current().uuid()}
    return {
        "agentId": params["agentId"],
        "agentAliasId": params["agentAliasId"],
        "sessionId": params["sessionId"],
        "agentVersion": "1",
        "eventTime": now,
        "trace": {"orchestrationTrace": {"rationale": rationale}},
    }


def _streams_final_response(body: Json) -> bool:
    config = body.get("streamingConfigurations")
    return isinstance(config, dict) and config.get("streamFinalResponse") is True


def _chunks(text: str, citations: tuple[Citation, ...], streamed: bool) -> list[Json]:
    # Bedrock sends the final answer as one chunk unless the caller opts into streaming it;
    # clients such as langchain-aws's BedrockAgentsRunnable keep only the last chunk.
    pieces = split_words(text) if streamed else [text]
    chunks: list[Json] = [{"bytes": _b64(piece)} for piece in pieces]
    if citations:
        # Bedrock attaches attribution to the chunk whose text the citations support.
        chunks[-1]["attribution"] = _attribution(text, citations)
    return chunks


def invoke_agent(call: Call) -> Response:
    """POST /agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text."""
    body = call.body if isinstance(call.body, dict) else {}
    input_text = body.get("inputText")
    if input_text is not None and not isinstance(input_text, str):
        raise validation_error("inputText must be a string")
    reply = call.take_reply()
    text = reply.text if reply and reply.text is not None else default_text(input_text or "")
    frames = []
    if body.get("enableTrace"):
        frames.append(event_frame("trace", _trace(call, input_text or "")))
    citations = reply.citations if reply else ()
    streamed = _streams_final_response(body)
    frames += [event_frame("chunk", c) for c in _chunks(text, citations, streamed)]
    headers = {
        "x-amzn-bedrock-agent-content-type": "application/json",
        # The header name is the one botocore's model reads sessionId from.
        "x-amz-bedrock-agent-session-id": call.route.params["sessionId"],
    }
    if isinstance(body.get("memoryId"), str):
        headers["x-amz-bedrock-agent-memory-id"] = body["memoryId"]
    return stream_response(frames, headers)
