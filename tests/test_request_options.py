"""``service_tier=``, ``project=`` and ``request_metadata=`` on the helpers and ``get_llm``.

Through boto3 and the library against the emulator: each option reaches the wire as Converse's
member or InvokeModel's header, Bedrock's echo of the tier comes back, and a value the installed
botocore's shapes refuse is a ``ConfigurationError`` before anything is sent. Tiers, limits and
patterns are read from botocore, never written down here.
"""

from __future__ import annotations

import asyncio
import json
import pickle
from types import SimpleNamespace
from typing import Any, ClassVar

import botocore
import pytest
from installed_botocore import operation

from bedrock_auth import (
    ConfigurationError,
    aconverse,
    ainvoke_model_stream,
    converse,
    converse_stream,
    get_llm,
    invoke_model,
    invoke_model_stream,
    resolve_model_id,
)
from bedrock_auth import _request_options as request_options
from bedrock_auth.testing import BedrockEmulator

CONVERSE = operation("bedrock-runtime", "Converse").input_shape.members
INVOKE = operation("bedrock-runtime", "InvokeModel").input_shape.members
pytestmark = pytest.mark.skipif(
    not {"serviceTier", "projectIdentifier", "requestMetadata"} <= set(CONVERSE) & set(INVOKE),
    reason=f"botocore {botocore.__version__} lacks the 2026 request options",
)

TIERS: list[str] = list(INVOKE["serviceTier"].enum) if "serviceTier" in INVOKE else []
PAIRS_MAX = int(CONVERSE["requestMetadata"].metadata["max"]) if "requestMetadata" in CONVERSE else 0
CLAUDE = "claude-haiku-4-5"
BODY = {"max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
OPTIONS: dict[str, Any] = {
    "service_tier": "flex",
    "project": "search-team",
    "request_metadata": {"team": "search", "env": "test"},
}


@pytest.fixture
def fresh(emu: BedrockEmulator) -> BedrockEmulator:
    emu.clear()
    return emu


def _bedrock_headers(emu: BedrockEmulator) -> dict[str, str]:
    return {k: v for k, v in emu.requests[-1].headers.items() if k.startswith("x-amzn-bedrock")}


def _assert_converse_wire(emu: BedrockEmulator) -> None:
    body = emu.requests[-1].body
    assert body["serviceTier"] == {"type": "flex"}
    assert body["projectIdentifier"] == "search-team"
    assert body["requestMetadata"] == {"team": "search", "env": "test"}


def _assert_invoke_wire(emu: BedrockEmulator) -> None:
    headers = _bedrock_headers(emu)
    assert headers["x-amzn-bedrock-service-tier"] == "flex"
    assert headers["x-amzn-bedrock-projectidentifier"] == "search-team"
    assert headers["x-amzn-bedrock-request-metadata"] == '{"team":"search","env":"test"}'


# -- the emulator echoes the tier as Bedrock does --------------------------------------------


def test_boto3_gets_the_tier_echoed_by_converse_and_invoke_model(fresh: BedrockEmulator) -> None:
    client = fresh.client()
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    reply = client.converse(modelId="amazon.nova-lite-v1:0", messages=messages,
                            serviceTier={"type": "priority"})
    assert reply["serviceTier"] == {"type": "priority"}
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", **BODY})
    native = client.invoke_model(
        modelId=resolve_model_id(CLAUDE, fresh.region), body=body, serviceTier="priority"
    )
    assert native["serviceTier"] == "priority"


# -- the helpers ------------------------------------------------------------------------------


def test_converse_sends_the_options_and_returns_the_echoed_tier(fresh: BedrockEmulator) -> None:
    result = converse("nova-lite", "hi", manager=fresh.manager(), **OPTIONS)
    assert result.service_tier == "flex"
    _assert_converse_wire(fresh)


def test_converse_stream_reports_the_tier_once_exhausted(fresh: BedrockEmulator) -> None:
    stream = converse_stream("nova-lite", "hi", manager=fresh.manager(), **OPTIONS)
    assert "".join(stream) and stream.service_tier == "flex"
    _assert_converse_wire(fresh)


def test_invoke_model_sends_the_options_as_headers(fresh: BedrockEmulator) -> None:
    result = invoke_model(CLAUDE, BODY, manager=fresh.manager(), **OPTIONS)
    assert result.service_tier == "flex" and result.text
    _assert_invoke_wire(fresh)


def test_invoke_model_stream_sends_the_options_as_headers(fresh: BedrockEmulator) -> None:
    stream = invoke_model_stream(CLAUDE, BODY, manager=fresh.manager(), **OPTIONS)
    assert "".join(stream) and stream.service_tier == "flex"
    _assert_invoke_wire(fresh)


def test_the_async_twins_take_the_options(fresh: BedrockEmulator) -> None:
    manager = fresh.manager()

    async def calls() -> tuple[str | None, str | None]:
        result = await aconverse("nova-lite", "hi", manager=manager, **OPTIONS)
        async with await ainvoke_model_stream(CLAUDE, BODY, manager=manager, **OPTIONS) as s:
            async for _ in s:
                pass
        return result.service_tier, s.service_tier

    assert asyncio.run(calls()) == ("flex", "flex")
    _assert_invoke_wire(fresh)


def test_no_option_sends_no_member(fresh: BedrockEmulator) -> None:
    result = converse("nova-lite", "hi", manager=fresh.manager())
    assert result.service_tier is None
    sent = set(fresh.requests[-1].body)
    assert not {"serviceTier", "projectIdentifier", "requestMetadata"} & sent


# -- checked against botocore's shapes, before anything is sent ------------------------------


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"service_tier": "turbo"}, ", ".join(TIERS)),
        ({"service_tier": 1}, "takes a string"),
        ({"project": "not a project!"}, "does not match"),
        ({"request_metadata": {f"k{i}": "v" for i in range(PAIRS_MAX + 1)}}, f"to {PAIRS_MAX}"),
        ({"request_metadata": {"team": "a\x00b"}}, "the value of pair 1"),
        ({"request_metadata": ["team"]}, "takes a mapping"),
    ],
)
def test_a_refused_value_is_a_configuration_error_before_sending(
    fresh: BedrockEmulator, options: dict[str, Any], words: str
) -> None:
    manager = fresh.manager(validate=False)  # so that nothing at all may be sent
    for helper, what in ((converse, "hi"), (invoke_model, BODY)):
        with pytest.raises(ConfigurationError) as caught:
            helper("nova-lite", what, manager=manager, **options)
        assert words in str(caught.value)
    with pytest.raises(ConfigurationError):
        get_llm("nova-lite", manager=manager, **options)
    assert fresh.requests == []


def test_request_metadata_values_never_appear_in_the_message(fresh: BedrockEmulator) -> None:
    with pytest.raises(ConfigurationError) as caught:
        converse("nova-lite", "hi", manager=fresh.manager(),
                 request_metadata={"secret-ish": "value with ! mark"})
    assert "value with" not in str(caught.value) and "secret-ish" not in str(caught.value)


def test_a_botocore_without_the_member_is_named_with_the_release_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = request_options.service_model("bedrock-runtime")

    def without_project(api: str) -> Any:
        members = {k: v for k, v in real.operation_model(api).input_shape.members.items()
                   if k != "projectIdentifier"}
        return SimpleNamespace(input_shape=SimpleNamespace(members=members))

    older = SimpleNamespace(operation_model=without_project)
    monkeypatch.setattr(request_options, "service_model", lambda service: older)
    with pytest.raises(ConfigurationError) as caught:
        converse("nova-lite", "hi", project="search-team")
    message = str(caught.value)
    assert "project= needs botocore" in message and botocore.__version__ in message
    assert "pip install -U" in message


# -- get_llm ----------------------------------------------------------------------------------


def test_get_llm_sends_the_options_with_every_call(fresh: BedrockEmulator) -> None:
    llm = get_llm("nova-lite", manager=fresh.manager(), **OPTIONS)
    assert llm.service_tier == "flex"
    llm.invoke("hi")
    _assert_converse_wire(fresh)
    list(llm.stream("hi"))
    assert fresh.requests[-1].operation == "ConverseStream"
    _assert_converse_wire(fresh)


def test_get_llm_invoke_api_sends_them_as_headers(fresh: BedrockEmulator) -> None:
    llm = get_llm(CLAUDE, api="invoke", manager=fresh.manager(), max_tokens=20, **OPTIONS)
    llm.invoke("hi")
    headers = _bedrock_headers(fresh)
    assert headers["x-amzn-bedrock-service-tier"] == "flex"
    assert headers["x-amzn-bedrock-projectidentifier"] == "search-team"
    assert "search" in headers["x-amzn-bedrock-request-metadata"]


def test_the_project_stays_with_its_model(fresh: BedrockEmulator) -> None:
    manager = fresh.manager(allow_pickle_secrets=True)
    with_project = get_llm("nova-lite", manager=manager, project="search-team")
    get_llm("nova-lite", manager=manager).invoke("hi")  # the same shared client
    assert "projectIdentifier" not in fresh.requests[-1].body
    pickle.loads(pickle.dumps(with_project)).invoke("hi")
    assert fresh.requests[-1].body["projectIdentifier"] == "search-team"


def test_the_project_goes_with_a_callers_own_client(fresh: BedrockEmulator) -> None:
    llm = get_llm("nova-lite", manager=fresh.manager(), client=fresh.client(), project="own")
    llm.invoke("hi")
    assert fresh.requests[-1].body["projectIdentifier"] == "own"


def test_a_langchain_aws_without_the_field_is_named() -> None:
    from langchain_aws import ChatBedrockConverse

    from bedrock_auth.llm import _add_request_options

    class Older:  # a langchain-aws model class from before service_tier
        model_fields: ClassVar[dict[str, Any]] = {}
        _lc_base = ChatBedrockConverse

    options = {"service_tier": "flex", "project": None, "request_metadata": None}
    with pytest.raises(ConfigurationError, match="ChatBedrockConverse has a service_tier field"):
        _add_request_options({}, Older, "converse", options)
