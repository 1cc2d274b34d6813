"""The emulator answers recorded real-Bedrock requests as Bedrock did, by structure.

Each request in ``tests/data/replay/`` (requests other projects sent to Bedrock and Bedrock's
answers, from their VCR cassettes; the README there says which and how they were trimmed) is
sent, unscripted, to a ``BedrockEmulator`` over a socket. The answer must match Bedrock's by
status and error, keys and types at every depth, enum values, usage fields, headers and stream
grammar (see ``tests/_replay.py``). Text is synthetic and never compared.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _replay import (
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

# needs the 2026 model table: ids Bedrock served that the strict emulator does not know yet.
NEEDS_MODEL_TABLE: set[str] = set()


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
