"""5. Cold start to the first streamed token, in a fresh process, as a script would do it.

Each child notes the time before its first import, builds what it needs, opens a stream and
stops the clock at the first non-empty text. Pairs alternate (ABBA); interpreter start-up is
not counted, being the same for both sides.

- ``converse_stream`` (default manager: env keys validated with STS first) vs raw boto3;
- ``get_llm().stream`` vs plain ``ChatBedrockConverse(...).stream`` with env keys.
"""

from __future__ import annotations

from benchmarks._common import MODEL, Row, clean_env, interleaved, ms, offline, ratio_row, run_child

CHILD = r"""
import time
started = time.perf_counter()
import json, os, sys
side, model = sys.argv[1], sys.argv[2]

def first_text(texts):
    for text in texts:
        if text:
            return text

if side == "converse_stream":
    from bedrock_auth import converse_stream
    first_text(converse_stream(model, "Say hi"))
elif side == "boto3":
    import boto3
    client = boto3.client("bedrock-runtime")
    reply = client.converse_stream(
        modelId=model, messages=[{"role": "user", "content": [{"text": "Say hi"}]}])
    first_text(e.get("contentBlockDelta", {}).get("delta", {}).get("text")
               for e in reply["stream"])
elif side == "get_llm":
    from bedrock_auth import get_llm
    first_text(chunk.content for chunk in get_llm(model).stream("Say hi"))
else:
    from langchain_aws import ChatBedrockConverse
    llm = ChatBedrockConverse(model=model, region_name=os.environ["AWS_REGION"])
    first_text(chunk.content for chunk in llm.stream("Say hi"))
print(json.dumps(time.perf_counter() - started))
"""


def run(quick: bool) -> list[Row]:
    pairs = 2 if quick else 10
    rows = []
    with offline() as emu:
        env = clean_env(emu.env())

        def side(name: str) -> float:
            return float(run_child(CHILD, [name, MODEL], env))

        for ours, theirs, label, limit in (
            ("converse_stream", "boto3", "converse_stream vs raw boto3", 1.1),
            ("get_llm", "langchain", "get_llm().stream vs plain ChatBedrockConverse", 1.0),
        ):
            a, b = interleaved(lambda o=ours: side(o), lambda t=theirs: side(t), pairs)
            rows.append(
                ratio_row(f"5. cold start to first token: {label}", a, b, ms, f"<= {limit}x", limit)
            )
    return rows
