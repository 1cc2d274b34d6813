"""The emulator answers recorded real-Bedrock requests as Bedrock did, by structure.

Each request in ``tests/data/replay/`` (requests other projects sent to Bedrock and Bedrock's
answers, from their VCR cassettes; the README there says which and how they were trimmed) is
sent, unscripted, to a ``BedrockEmulator`` over a socket. The answer must match Bedrock's by
status and error, keys and types at every depth, enum values, usage fields, headers and stream
grammar (see ``tests/_replay.py``). Text is synthetic and never compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from _replay import (
    Answer,
    Cassette,
    Interaction,
    corpus_headers,
    corpus_keys,
    differences,
    load_cassettes,
    send,
)

from bedrock_auth.testing import BedrockEmulator

CASSETTES = load_cassettes()
CORPUS = corpus_keys(CASSETTES)
HEADERS = corpus_headers(CASSETTES)
#: Bedrock refuses these ids as unknown; the emulator does so in strict mode only.
INVALID_MODEL = "The provided model identifier is invalid."

# Ids Bedrock served when the traffic was recorded and has retired since: the model table
# (bedrock_auth/_data/models.json) lists them as retired, so a strict emulator refuses them.
RETIRED_SINCE_RECORDED = {"anthropic.claude-v2"}


def _cases() -> Iterator[object]:
    for cassette in CASSETTES:
        for index in range(len(cassette.interactions)):
            yield pytest.param(cassette, index, id=f"{cassette.name}#{index}")


@pytest.fixture(scope="module")
def lenient() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def strict() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(strict_models=True) as emulator:
        yield emulator


def _replay(emu: BedrockEmulator, cassette: Cassette, index: int) -> list[str]:
    """Replay a cassette up to ``index`` (earlier calls warm the prompt cache, as they did on
    Bedrock) and compare the answer to the last one."""
    emu.clear()
    for arn, model in cassette.setup.get("inference_profiles", {}).items():
        emu.add_inference_profile(arn, model)
    for earlier in cassette.interactions[:index]:
        send(emu.endpoint_url, earlier, emu.access_key_id, emu.secret_access_key)
    interaction = cassette.interactions[index]
    answer = send(emu.endpoint_url, interaction, emu.access_key_id, emu.secret_access_key)
    return differences(interaction, answer, CORPUS, HEADERS)


def _refused_as_unknown(interaction: Interaction) -> bool:
    return (interaction.response.get("body") or {}).get("message") == INVALID_MODEL


@pytest.mark.parametrize(("cassette", "index"), list(_cases()))
def test_replay(
    cassette: Cassette, index: int, lenient: BedrockEmulator, strict: BedrockEmulator
) -> None:
    interaction = cassette.interactions[index]
    emu = strict if _refused_as_unknown(interaction) else lenient
    problems = _replay(emu, cassette, index)
    assert not problems, f"{cassette.source}\n" + "\n".join(problems)


def _served_models() -> Iterator[object]:
    """The first accepted call for each (model id, region) the recordings used."""
    seen: set[tuple[str, str]] = set()
    for cassette in CASSETTES:
        for index, interaction in enumerate(cassette.interactions):
            key = (interaction.model, interaction.region)
            if interaction.status >= 300 or key in seen:
                continue
            seen.add(key)
            if interaction.model in RETIRED_SINCE_RECORDED:
                continue
            yield pytest.param(cassette, index, id=f"{key[0]}@{key[1]}")


@pytest.mark.parametrize(("cassette", "index"), list(_served_models()))
def test_strict_emulator_accepts_the_models_bedrock_served(
    cassette: Cassette, index: int, strict: BedrockEmulator
) -> None:
    problems = _replay(strict, cassette, index)
    assert not [p for p in problems if p.startswith("status")], problems


# -- the comparison itself ------------------------------------------------------------------


def _claude_answer() -> Interaction:
    [cassette] = [c for c in CASSETTES if c.name == "langchain-aws/test_thinking[v1]"]
    return next(i for i in cassette.interactions if i.operation == "Converse")


def test_comparison_sees_a_missing_key_a_wrong_type_and_an_extra_key() -> None:
    recorded = _claude_answer()
    body = json.loads(json.dumps(recorded.response["body"]))
    answer = Answer(200, {}, body)
    assert differences(recorded, answer, CORPUS, HEADERS) == []

    del body["usage"]["cacheReadInputTokens"]
    body["metrics"]["latencyMs"] = "12"
    body["usage"]["madeUp"] = 1
    assert differences(recorded, answer, CORPUS, HEADERS) == [
        "Converse:body.metrics.latencyMs: string where Bedrock sent number",
        "Converse:body.usage: no 'cacheReadInputTokens'",
        "Converse:body.usage: 'madeUp', which Bedrock never sends there",
    ]


def test_comparison_sees_missing_blocks_and_stream_grammar() -> None:
    [cassette] = [c for c in CASSETTES if c.name == "langchain-aws/test_thinking[v1]"]
    streamed = next(i for i in cassette.interactions if i.operation == "ConverseStream")
    events = [(name, payload) for name, payload in streamed.response["events"]]
    without_reasoning = [
        (name, payload)
        for name, payload in events
        if "reasoningContent" not in json.dumps(payload) and payload.get("contentBlockIndex") != 0
    ]
    problems = differences(streamed, Answer(200, {}, events=without_reasoning), CORPUS, HEADERS)
    assert any(p.startswith("stream blocks") for p in problems), problems
    reordered = [events[-1], *events[:-1]]
    problems = differences(streamed, Answer(200, {}, events=reordered), CORPUS, HEADERS)
    assert any(p.startswith("stream outline") for p in problems), problems


def test_comparison_reads_error_codes_from_botocore() -> None:
    [cassette] = [c for c in CASSETTES if c.name == "pydantic-ai/test_bedrock_error"]
    [refused] = cassette.interactions
    message = refused.response["body"]["message"]
    wrong = Answer(400, {"x-amzn-errortype": "ThrottlingException"}, {"message": message})
    assert differences(refused, wrong, CORPUS, HEADERS) == [
        "error ThrottlingException, Bedrock one of ['ValidationException']"
    ]
