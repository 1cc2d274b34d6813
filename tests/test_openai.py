"""``get_openai_client()``: the real ``openai`` package against the emulator's OpenAI-compatible
APIs, on runtime and on Mantle, signed with SigV4 or sent short-term API keys over TLS."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_auth import (
    AccessDeniedError,
    BedrockClientManager,
    ConfigurationError,
    ExpiredCredentialsError,
    ModelNotAvailableError,
    ThrottlingError,
    get_openai_client,
)
from bedrock_auth.testing import BedrockEmulator
from bedrock_auth.testing.script import RecordedRequest

openai = pytest.importorskip("openai")
pytest.importorskip("aws_bedrock_token_generator")

ENDPOINTS = ("runtime", "mantle")
AUTHS = ("iam", "api_key")
MODEL = "gpt-oss-120b"  # an alias: runtime and Mantle each get their own id for it
IDS = {"runtime": "openai.gpt-oss-120b-1:0", "mantle": "openai.gpt-oss-120b"}
SERVICES = {"runtime": "bedrock-runtime", "mantle": "bedrock-mantle"}
HI = [{"role": "user", "content": "hi there"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FORCED = {"type": "function", "function": {"name": "get_weather"}}
ROLE = "arn:aws:iam::210987654321:role/openai-user"


@pytest.fixture(scope="module")
def tls_emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(tls=True) as emulator:
        yield emulator


@pytest.fixture
def manager(tls_emu: BedrockEmulator) -> Iterator[BedrockClientManager]:
    with tls_emu.manager() as built:
        yield built


def openai_calls(emu: BedrockEmulator, since: int = 0) -> list[RecordedRequest]:
    return [
        r
        for r in emu.requests[since:]
        if r.operation in ("CreateChatCompletion", "CreateResponse", "ListModels")
    ]


def check_auth(request: RecordedRequest, endpoint: str, auth: str) -> None:
    assert request.service == SERVICES[endpoint]
    if auth == "iam":
        assert request.auth_scheme == "sigv4"
        assert request.signing_service == {"runtime": "bedrock", "mantle": "bedrock-mantle"}[
            endpoint
        ]
    else:
        assert request.auth_scheme == "bearer"


# -- the four calls, sync and async, on every endpoint and auth ------------------------------


def sync_calls(client: Any) -> list[str]:
    answer = client.chat.completions.create(model=MODEL, messages=HI)
    stream = client.chat.completions.create(model=MODEL, messages=HI, stream=True)
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    forced = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "city: Oslo"}],
        tools=[WEATHER],
        tool_choice=FORCED,
    )
    call = forced.choices[0].message.tool_calls[0].function
    response = client.responses.create(model=MODEL, input="hello responses")
    return [
        answer.choices[0].message.content,
        streamed,
        f"{forced.choices[0].finish_reason} {call.name} {call.arguments}",
        response.output_text,
    ]


async def async_calls(client: Any) -> list[str]:
    answer = await client.chat.completions.create(model=MODEL, messages=HI)
    stream = await client.chat.completions.create(model=MODEL, messages=HI, stream=True)
    streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    forced = await client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "city: Oslo"}],
        tools=[WEATHER],
        tool_choice=FORCED,
    )
    call = forced.choices[0].message.tool_calls[0].function
    response = await client.responses.create(model=MODEL, input="hello responses")
    return [
        answer.choices[0].message.content,
        streamed,
        f"{forced.choices[0].finish_reason} {call.name} {call.arguments}",
        response.output_text,
    ]


EXPECTED = [
    "Emulated reply to: hi there",
    "Emulated reply to: hi there",
    'tool_calls get_weather {"city": "Oslo"}',
    "Emulated reply to: hello responses",
]


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("async_", [False, True], ids=["sync", "async"])
def test_completions_streams_tools_and_responses(
    tls_emu: BedrockEmulator,
    manager: BedrockClientManager,
    endpoint: str,
    auth: str,
    async_: bool,
) -> None:
    before = len(tls_emu.requests)
    client = get_openai_client(endpoint=endpoint, auth=auth, async_=async_, manager=manager)  # type: ignore[call-overload]
    assert isinstance(client, openai.AsyncOpenAI if async_ else openai.OpenAI)
    answers = asyncio.run(async_calls(client)) if async_ else sync_calls(client)
    assert answers == EXPECTED
    calls = openai_calls(tls_emu, before)
    assert [c.status for c in calls] == [200] * 4
    assert {c.model_id for c in calls} == {IDS[endpoint]}
    for request in calls:
        check_auth(request, endpoint, auth)


def test_each_model_goes_to_its_mantle_path(
    tls_emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    before = len(tls_emu.requests)
    client = get_openai_client(endpoint="mantle", manager=manager)
    for model in ("gpt-oss-120b", "openai.gpt-5.5", "openai.gpt-oss-120b-1:0"):
        client.chat.completions.create(model=model, messages=HI)
    client.responses.create(model="openai.gpt-5.5", input="hi")
    assert client.models.list().data  # GET /v1/models: no model, the default path
    sent = [(c.path, c.model_id) for c in openai_calls(tls_emu, before)]
    assert sent == [
        ("/v1/chat/completions", "openai.gpt-oss-120b"),
        ("/openai/v1/chat/completions", "openai.gpt-5.5"),
        ("/v1/chat/completions", "openai.gpt-oss-120b"),
        ("/openai/v1/responses", "openai.gpt-5.5"),
        ("/v1/models", None),
    ]


def test_a_model_not_on_the_endpoint_is_refused_before_sending(
    tls_emu: BedrockEmulator, manager: BedrockClientManager
) -> None:
    before = len(tls_emu.requests)
    mantle = get_openai_client(endpoint="mantle", manager=manager)
    with pytest.raises(ModelNotAvailableError, match="endpoint='runtime'"):
        mantle.chat.completions.create(model="claude-sonnet-4-5", messages=HI)
    runtime = get_openai_client(manager=manager)
    with pytest.raises(ModelNotAvailableError, match=r"openai\.gpt-5\.5"):
        runtime.chat.completions.create(model="openai.gpt-5.5", messages=HI)
    assert openai_calls(tls_emu, before) == []


# -- credentials that expire during the run --------------------------------------------------


def test_a_run_across_role_expiries_never_sends_expired_credentials_or_keys() -> None:
    """5-second role credentials: every endpoint x auth keeps answering across two refreshes,
    and the emulator (which refuses expired credentials and keys, as AWS does) never has to."""
    with BedrockEmulator(tls=True, assume_role_duration=5) as emu, emu.manager(
        role_arn=ROLE
    ) as manager:
        clients = {
            (endpoint, auth): get_openai_client(endpoint=endpoint, auth=auth, manager=manager)  # type: ignore[call-overload]
            for endpoint in ENDPOINTS
            for auth in AUTHS
        }

        def assumed() -> int:
            return sum(r.operation == "AssumeRole" for r in emu.requests)

        first, deadline = assumed(), time.monotonic() + 90
        while assumed() < first + 2:
            assert time.monotonic() < deadline, "the role was not refreshed twice in 90 s"
            for client in clients.values():
                client.chat.completions.create(model=MODEL, messages=HI)
        for client in clients.values():  # the third credentials sign too
            client.chat.completions.create(model=MODEL, messages=HI)
        calls = openai_calls(emu)
    assert {(c.status, c.error_code) for c in calls} == {(200, None)}
    signers = {c.access_key_id for c in calls if c.auth_scheme == "sigv4"}
    keys = {c.masked["headers.authorization"] for c in calls if c.auth_scheme == "bearer"}
    assert len(signers) >= 3 and all(k and k.startswith("ASIA") for k in signers)
    assert len(keys) >= 3  # new keys after each expiry


def test_a_key_expires_with_its_credentials() -> None:
    with BedrockEmulator(tls=True, assume_role_duration=60) as emu, emu.manager(
        role_arn=ROLE
    ) as manager:
        client = get_openai_client(auth="api_key", manager=manager, max_retries=0)
        client.chat.completions.create(model=MODEL, messages=HI)
        emu.clock_skew = 61  # AWS's clock: the role's minute is over, so is the key
        with pytest.raises(ExpiredCredentialsError) as expired:
            client.chat.completions.create(model=MODEL, messages=HI)
        emu.clock_skew = 0
    assert isinstance(expired.value.__cause__, openai.APIStatusError)


def test_expires_in_300_is_refused_after_300_seconds(tls_emu: BedrockEmulator) -> None:
    manager = tls_emu.manager()
    key = manager.api_key(expires_in=300)
    client = openai.OpenAI(
        provider=openai.providers.bedrock(
            endpoint="mantle",
            region="us-east-1",
            base_url=f"{tls_emu.mantle_url}/v1",
            api_key=key,
        ),
        http_client=openai.DefaultHttpxClient(
            verify=ssl.create_default_context(cafile=tls_emu.ca_bundle)
        ),
        max_retries=0,
    )
    client.chat.completions.create(model="openai.gpt-oss-120b", messages=HI)
    tls_emu.clock_skew = 301
    try:
        with pytest.raises(openai.PermissionDeniedError):
            client.chat.completions.create(model="openai.gpt-oss-120b", messages=HI)
    finally:
        tls_emu.clock_skew = 0


# -- what the client refuses, and what cannot redirect it -----------------------------------


def test_a_key_is_never_sent_over_http() -> None:
    with BedrockEmulator() as emu, emu.manager() as manager:
        for endpoint in ENDPOINTS:
            with pytest.raises(ConfigurationError, match="never sent over plain http"):
                get_openai_client(endpoint=endpoint, auth="api_key", manager=manager)  # type: ignore[call-overload]
        api_key_mode = emu.manager(api_key=emu.api_key)
        with pytest.raises(ConfigurationError, match="never sent over plain http"):
            get_openai_client(manager=api_key_mode)
        assert openai_calls(emu) == []


def test_environment_variables_cannot_redirect_or_change_auth(
    tls_emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = "https://127.0.0.1:9"  # nothing listens there
    monkeypatch.setenv("AWS_BEDROCK_BASE_URL", elsewhere)
    monkeypatch.setenv("OPENAI_BASE_URL", elsewhere)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-bedrock")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "Authorization: Bearer sk-custom")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", tls_emu.api_key)  # valid: it must not be used
    before = len(tls_emu.requests)
    with tls_emu.manager() as manager:
        for endpoint in ENDPOINTS:
            client = get_openai_client(endpoint=endpoint, manager=manager)  # type: ignore[call-overload]
            assert str(client.base_url).startswith(
                tls_emu.endpoint_url if endpoint == "runtime" else tls_emu.mantle_url
            )
            client.chat.completions.create(model=MODEL, messages=HI)
    calls = openai_calls(tls_emu, before)
    assert [c.auth_scheme for c in calls] == ["sigv4", "sigv4"]
    assert not any(c.sent("headers.authorization", tls_emu.api_key) for c in calls)


def test_clients_are_cached_and_closed_with_the_manager(tls_emu: BedrockEmulator) -> None:
    manager = tls_emu.manager()
    client = get_openai_client(manager=manager)
    assert get_openai_client(manager=manager) is client
    assert get_openai_client(manager=manager, endpoint="mantle") is not client
    assert get_openai_client(manager=manager, max_retries=1) is not client  # the caller's own
    manager.close()
    assert client.is_closed()
    assert get_openai_client(manager=manager) is not client


def test_async_clients_close_with_the_manager(tls_emu: BedrockEmulator) -> None:
    manager = tls_emu.manager()

    async def run() -> bool:
        client = get_openai_client(manager=manager, async_=True)
        await client.chat.completions.create(model=MODEL, messages=HI)
        manager.close()
        await asyncio.sleep(0)  # the close scheduled on this loop runs
        await asyncio.sleep(0)
        return client.is_closed()

    assert asyncio.run(run())


def test_the_manager_settings_carry_over(tls_emu: BedrockEmulator) -> None:
    manager = tls_emu.manager(read_timeout=42, connect_timeout=3, max_retries=5)
    client = get_openai_client(manager=manager)
    assert client.max_retries == 5
    assert (client.timeout.read, client.timeout.connect) == (42, 3)  # type: ignore[union-attr]
    copied = client.with_options(max_retries=0)
    assert type(copied) is type(client) and copied.manager is manager  # type: ignore[attr-defined]
    assert copied.chat.completions.create(model=MODEL, messages=HI).choices
    with pytest.raises(ConfigurationError, match="base_url"):
        get_openai_client(manager=manager, base_url="https://api.openai.com/v1")
    with pytest.raises(ConfigurationError, match="base_url"):
        client.with_options(base_url="https://api.openai.com/v1")
    with pytest.raises(ConfigurationError, match="auth="):
        get_openai_client(manager=manager, auth="bearer")  # type: ignore[call-overload]


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_denied_and_throttled_calls_are_typed(
    tls_emu: BedrockEmulator, manager: BedrockClientManager, endpoint: str
) -> None:
    client = get_openai_client(endpoint=endpoint, manager=manager, max_retries=0)  # type: ignore[call-overload]
    tls_emu.fail("AccessDeniedException", status=403)
    with pytest.raises(AccessDeniedError) as denied:
        client.chat.completions.create(model=MODEL, messages=HI)
    action = {"runtime": "bedrock:InvokeModel", "mantle": "bedrock-mantle:CreateInference"}
    assert action[endpoint] in str(denied.value)
    tls_emu.fail("ThrottlingException")
    with pytest.raises(ThrottlingError):
        client.chat.completions.create(model=MODEL, messages=HI)


def causes(error: BaseException) -> list[BaseException]:
    found, seen = [], error
    while seen is not None:
        found.append(seen)
        seen = seen.__cause__ or seen.__context__
    return found


def shown(error: BaseException) -> str:
    """Everything an error shows or carries: messages, args, notes, the SDK's response."""
    parts = []
    for each in causes(error):
        parts += [str(each), repr(each), repr(each.args), repr(vars(each))]
        response = getattr(each, "response", None)
        request = getattr(response, "request", None) or getattr(each, "request", None)
        if isinstance(request, str):  # scrubbed by the library: only a placeholder is left
            parts.append(request)
        elif request is not None:
            parts += [str(request.url), repr(dict(request.headers))]
        with contextlib.suppress(Exception):  # what does not pickle carries nothing away
            parts.append(pickle.dumps(each).decode("latin-1"))
    return "\n".join(parts)


def test_no_key_in_errors_logs_or_reprs(
    tls_emu: BedrockEmulator, manager: BedrockClientManager, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = get_openai_client(endpoint="mantle", auth="api_key", manager=manager, max_retries=0)
    client.chat.completions.create(model=MODEL, messages=HI)
    key = client._bedrock.keys()  # type: ignore[attr-defined]
    assert len(key) > 100
    errors = []
    for code in ("AccessDeniedException", "ExpiredTokenException", "ValidationException"):
        tls_emu.fail(code, status=403 if code != "ValidationException" else 400)
        with pytest.raises(Exception) as caught:
            client.chat.completions.create(model=MODEL, messages=HI)
        errors.append(caught.value)
    assert isinstance(errors[0], AccessDeniedError)
    assert isinstance(errors[1], ExpiredCredentialsError)
    assert isinstance(errors[2], openai.BadRequestError)  # not ours: the SDK's, but clean
    for error in errors:
        text = shown(error)
        assert key not in text and key[16:80] not in text
    assert key not in repr(client) and key not in repr(manager)
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert key not in logged and key[16:80] not in logged


def test_a_credential_failure_inside_the_sdk_is_ours(tls_emu: BedrockEmulator) -> None:
    """AssumeRole refused while the SDK asks for credentials: the typed STS error, not the
    SDK's generic wrapper."""
    manager = tls_emu.manager(role_arn=ROLE, validate=False)
    tls_emu.fail("AccessDenied", operation="AssumeRole", message="not authorized", times=None)
    try:
        for auth in AUTHS:
            client = get_openai_client(auth=auth, manager=manager, max_retries=0)  # type: ignore[call-overload]
            with pytest.raises(AccessDeniedError, match="sts:AssumeRole"):
                client.chat.completions.create(model="openai.gpt-oss-120b-1:0", messages=HI)
    finally:
        tls_emu.clear()


def test_import_loads_neither_openai_nor_the_generator() -> None:
    code = (
        "import sys, bedrock_auth\n"
        "assert callable(bedrock_auth.get_openai_client)\n"
        "assert callable(bedrock_auth.BedrockClientManager.api_key)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('openai', 'httpx2', 'aws_bedrock_token_generator', 'bedrock_auth._openai')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- policy and doctor ------------------------------------------------------------------------


def test_policy_adds_mantle_and_its_key_action() -> None:
    from bedrock_auth.policy import build_policy

    def actions(document: dict[str, Any]) -> list[str]:
        return [a for statement in document["Statement"] for a in statement["Action"]]

    assert "bedrock-mantle:CreateInference" not in actions(build_policy([], "us-east-1"))
    both = actions(build_policy([], "us-east-1", mantle=True, bearer=True))
    for action in (
        "bedrock-mantle:CreateInference",
        "bedrock:CallWithBearerToken",
        "bedrock-mantle:CallWithBearerToken",
    ):
        assert action in both
    assert "bedrock-mantle:CallWithBearerToken" not in actions(
        build_policy([], "us-east-1", mantle=True)
    )
    out = subprocess.run(
        [sys.executable, "-m", "bedrock_auth", "policy", "--mantle", "--region", "us-east-1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "bedrock-mantle:CreateInference" in out.stdout


def test_doctor_checks_the_openai_endpoints_when_asked(tls_emu: BedrockEmulator) -> None:
    from bedrock_auth import check

    manager = tls_emu.manager()
    assert "openai endpoints" not in [s.name for s in check(manager=manager).steps]
    before = len(tls_emu.requests)
    report = check("gpt-oss-120b", manager=manager, openai=True)
    step = report.steps[-1]
    assert (step.name, step.ok) == ("openai endpoints", True), step
    assert "1-token Chat Completion" in step.detail and "listed" in step.detail
    assert [c.operation for c in openai_calls(tls_emu, before)] == [
        "CreateChatCompletion",
        "ListModels",
    ]
    tls_emu.fail("AccessDeniedException", status=403, service="bedrock-mantle", times=None)
    try:
        failed = check(manager=manager, openai=True).steps[-1]
    finally:
        tls_emu.clear()
    assert (failed.ok, failed.error_class) == (False, "AccessDeniedError")
    assert "bedrock-mantle:CreateInference" in failed.fix + failed.detail
