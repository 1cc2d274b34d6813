"""Server behaviour: auth errors, bad input, lifecycle, TLS + API keys, secrets, wiring."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, SSLError

from bedrock_auth.testing import BedrockEmulator, EmulatorStartError
from bedrock_auth.testing import dispatch as emulator_dispatch
from bedrock_auth.testing import server as emulator_server

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
ONE_TRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
FAKE_SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=AKIAEMULATOR00000000/20250101/us-west-2/bedrock/"
    "aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"
)
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLXRva2Vu"  # shaped like a Bedrock API key; fake


@pytest.fixture
def emu() -> Iterator[BedrockEmulator]:
    """A fresh emulator per test (overrides conftest's shared one): these tests count requests
    and change keys, identities and profiles, so they must not see each other's state."""
    with BedrockEmulator() as emulator:
        yield emulator


def _raw(
    emu: BedrockEmulator,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


# -- auth -----------------------------------------------------------------------------------


def test_unsigned_requests_get_missing_authentication_token(emu: BedrockEmulator) -> None:
    unsigned = Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1})
    with pytest.raises(ClientError) as runtime_info:
        emu.client("bedrock-runtime", config=unsigned).converse(modelId=HAIKU, messages=MESSAGES)
    with pytest.raises(ClientError) as sts_info:
        emu.client("sts", config=unsigned).get_caller_identity()

    assert runtime_info.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert runtime_info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert sts_info.value.response["Error"]["Code"] == "MissingAuthenticationToken"
    assert [r.auth_scheme for r in emu.requests] == ["none", "none"]


def test_rejected_keys_are_unrecognized(emu: BedrockEmulator) -> None:
    emu.reject_keys({emu.access_key_id})
    with pytest.raises(ClientError) as runtime_info:
        emu.client("bedrock-runtime", config=ONE_TRY).converse(modelId=HAIKU, messages=MESSAGES)
    with pytest.raises(ClientError) as sts_info:
        emu.client("sts", config=ONE_TRY).get_caller_identity()

    assert runtime_info.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert sts_info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert sts_info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    other = emu.client("sts", aws_access_key_id="AKIAOTHERKEY00000000")
    assert other.get_caller_identity()["Account"] == emu.account_id


def test_garbled_authorization_is_unrecognized(emu: BedrockEmulator) -> None:
    status, headers, body = _raw(
        emu,
        "POST",
        f"/model/{HAIKU}/converse",
        b"{}",
        {"Authorization": "AWS4-HMAC-SHA256 garbage"},
    )
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("UnrecognizedClientException")
    assert json.loads(body) == {"message": "The security token included in the request is invalid."}
    assert emu.requests[-1].headers["authorization"] == "***"


def test_sigv4_scope_gives_region_key_and_service(emu: BedrockEmulator) -> None:
    status, headers, _ = _raw(
        emu,
        "POST",
        f"/model/{HAIKU}/converse",
        json.dumps({"messages": MESSAGES}).encode(),
        {"Authorization": FAKE_SIGV4, "Content-Type": "application/json"},
    )
    record = emu.requests[-1]
    assert status == 200
    assert headers["x-amzn-requestid"]
    assert (record.region, record.access_key_id, record.signing_service, record.auth_scheme) == (
        "us-west-2",
        "AKIAEMULATOR00000000",
        "bedrock",
        "sigv4",
    )
    assert record.headers["authorization"].endswith("Signature=***")


def test_bearer_is_accepted_for_runtime_over_http_but_not_for_agents(emu: BedrockEmulator) -> None:
    bearer = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    ok, _, _ = _raw(
        emu, "POST", f"/model/{HAIKU}/converse", json.dumps({"messages": MESSAGES}).encode(), bearer
    )
    denied, headers, _ = _raw(
        emu, "POST", "/agents/A1/agentAliases/B1/sessions/s1/text", b'{"inputText": "hi"}', bearer
    )
    assert ok == 200
    assert denied == 403
    assert headers["x-amzn-errortype"].startswith("UnrecognizedClientException")
    assert [r.auth_scheme for r in emu.requests] == ["bearer", "bearer"]
    assert emu.requests[0].region == emu.region  # 127.0.0.1 names no region


# -- bad input ------------------------------------------------------------------------------


def test_unknown_path_then_server_still_serves(emu: BedrockEmulator) -> None:
    status, headers, body = _raw(
        emu, "GET", "/no/such/thing", headers={"Authorization": FAKE_SIGV4}
    )
    assert status == 404
    assert headers["x-amzn-errortype"].startswith("UnknownOperationException")
    assert "message" in json.loads(body)
    assert emu.requests[-1].operation is None
    runtime = emu.client("bedrock-runtime", config=ONE_TRY)
    assert runtime.converse(modelId=HAIKU, messages=MESSAGES)["stopReason"] == "end_turn"


def test_unimplemented_operation_is_a_client_error(emu: BedrockEmulator) -> None:
    runtime = emu.client("bedrock-runtime", config=ONE_TRY)
    with pytest.raises(ClientError) as info:
        runtime.apply_guardrail(
            guardrailIdentifier="g1",
            guardrailVersion="1",
            source="INPUT",
            content=[{"text": {"text": "hi"}}],
        )
    assert info.value.response["Error"]["Code"] == "UnknownOperationException"


def test_malformed_json_is_validation_error_then_server_still_serves(emu: BedrockEmulator) -> None:
    status, headers, body = _raw(
        emu,
        "POST",
        f"/model/{HAIKU}/converse",
        b'{"messages": [',
        {"Authorization": FAKE_SIGV4, "Content-Type": "application/json"},
    )
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("ValidationException")
    assert headers["content-type"] == "application/json"
    assert "Malformed" in json.loads(body)["message"]
    runtime = emu.client("bedrock-runtime", config=ONE_TRY)
    assert runtime.converse(modelId=HAIKU, messages=MESSAGES)["stopReason"] == "end_turn"


def test_handler_crash_is_internal_server_error(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(call: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setitem(emulator_dispatch.HANDLERS, "Converse", explode)
    runtime = emu.client("bedrock-runtime", config=ONE_TRY)
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=HAIKU, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "InternalServerException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    monkeypatch.undo()
    assert runtime.converse(modelId=HAIKU, messages=MESSAGES)["stopReason"] == "end_turn"


def test_pipeline_crash_is_still_answered(emu: BedrockEmulator,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(state: Any, request: Any) -> Any:
        raise RuntimeError("bug outside any handler")

    monkeypatch.setattr(emulator_server, "process", explode)
    status, headers, _ = _raw(emu, "GET", "/foundation-models")
    assert status == 500
    assert headers["x-amzn-errortype"].startswith("InternalServerException")


# -- lifecycle ------------------------------------------------------------------------------


def test_port_in_use_raises_clear_error(emu: BedrockEmulator) -> None:
    with pytest.raises(EmulatorStartError) as info:
        BedrockEmulator(port=emu.port).start()
    assert isinstance(info.value, OSError)
    assert str(emu.port) in str(info.value)
    assert "port=0" in str(info.value)


def test_stop_returns_promptly_with_a_request_in_flight() -> None:
    emu = BedrockEmulator().start()
    emu.fail(None, delay=30)
    errors: list[BaseException] = []
    client = emu.client("bedrock-runtime", config=ONE_TRY)

    def call() -> None:
        try:
            client.converse(modelId=HAIKU, messages=MESSAGES)
        except Exception as exc:  # the caller sees a closed connection
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    while not emu.requests:
        time.sleep(0.01)
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 2
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert errors


def test_stop_closes_idle_keep_alive_connections_and_frees_port() -> None:
    emu = BedrockEmulator().start()
    port = emu.port
    emu.client("sts").get_caller_identity()  # leaves a pooled keep-alive connection
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 2
    assert not emu.running
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
    emu.stop()  # idempotent


def test_context_manager_and_repr() -> None:
    with BedrockEmulator(region="eu-west-1") as emu:
        assert emu.endpoint_url == f"http://127.0.0.1:{emu.port}"
        assert "eu-west-1" in repr(emu)
        with pytest.raises(RuntimeError, match="already running"):
            emu.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.endpoint_url


# -- TLS and API keys ----------------------------------------------------------------------


def test_tls_with_bearer_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with BedrockEmulator(tls=True) as emu:
        assert emu.endpoint_url.startswith("https://")
        assert emu.ca_bundle and os.path.exists(emu.ca_bundle)
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
        runtime = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=emu.endpoint_url,
            verify=emu.ca_bundle,
            config=ONE_TRY,
        )

        response = runtime.converse(modelId=HAIKU, messages=MESSAGES)

        assert response["stopReason"] == "end_turn"
        record = emu.requests[-1]
        assert record.auth_scheme == "bearer"
        assert record.access_key_id is None
        assert record.headers["authorization"] == "Bearer ***"
        ca_bundle = emu.ca_bundle
    assert not os.path.exists(ca_bundle)


def test_tls_rejects_clients_that_do_not_trust_the_ca() -> None:
    with BedrockEmulator(tls=True) as emu:
        strict = boto3.client(
            "sts",
            region_name="us-east-1",
            endpoint_url=emu.endpoint_url,
            aws_access_key_id="AKIAEMULATOR00000000",
            aws_secret_access_key="x",
            config=ONE_TRY,
        )
        with pytest.raises(SSLError):
            strict.get_caller_identity()
        assert emu.client("sts").get_caller_identity()["Account"] == emu.account_id
        context = ssl.create_default_context(cafile=emu.ca_bundle)
        with (
            socket.create_connection(("127.0.0.1", emu.port)) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            assert tls.version() is not None


def test_rejected_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with BedrockEmulator(tls=True) as emu:
        emu.reject_keys([API_KEY])
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
        runtime = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=emu.endpoint_url,
            verify=emu.ca_bundle,
            config=ONE_TRY,
        )
        with pytest.raises(ClientError) as info:
            runtime.converse(modelId=HAIKU, messages=MESSAGES)
        assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"


# -- secrets --------------------------------------------------------------------------------


def test_recorded_requests_never_hold_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    with BedrockEmulator(tls=True) as emu:
        creds = emu.client("sts").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="secret-test"
        )["Credentials"]
        session = emu.client(
            "bedrock-runtime",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        session.converse(modelId=HAIKU, messages=MESSAGES)
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
        boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=emu.endpoint_url,
            verify=emu.ca_bundle,
        ).converse(modelId=HAIKU, messages=MESSAGES)
        _raw_https_presigned(emu)

        dump = repr(emu.requests)
        secrets = [
            emu.secret_access_key,
            creds["SecretAccessKey"],
            creds["SessionToken"],
            API_KEY,
            "0123456789abcdef",
        ]
        assert [s for s in secrets if s in dump] == []
        assert emu.requests[1].headers["x-amz-security-token"] == "***"
        assert emu.requests[1].access_key_id == creds["AccessKeyId"]
        assert "Signature=***" in emu.requests[1].headers["authorization"]


def _raw_https_presigned(emu: BedrockEmulator) -> None:
    context = ssl.create_default_context(cafile=emu.ca_bundle)
    conn = http.client.HTTPSConnection("127.0.0.1", emu.port, context=context, timeout=5)
    query = (
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAEMULATOR00000000%2F20250101%2Fus-east-1%2Fsts%2Faws4_request"
        "&X-Amz-Signature=0123456789abcdef"
    )
    conn.request("GET", f"/?{query}")
    assert conn.getresponse().status == 200
    conn.close()
    assert emu.requests[-1].query["X-Amz-Signature"] == "***"


# -- wiring ---------------------------------------------------------------------------------


def test_env_points_the_sdk_at_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    with BedrockEmulator(tls=True, region="eu-central-1") as emu:
        env = emu.env()
        assert env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == emu.endpoint_url
        assert env["AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME"] == emu.endpoint_url
        assert env["AWS_ENDPOINT_URL_BEDROCK"] == emu.endpoint_url
        assert env["AWS_ENDPOINT_URL_STS"] == emu.endpoint_url
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-central-1"
        assert env["AWS_CA_BUNDLE"] == emu.ca_bundle
        for name, value in env.items():
            monkeypatch.setenv(name, value)

        session = boto3.Session()
        assert session.client("sts").get_caller_identity()["Account"] == emu.account_id
        session.client("bedrock-runtime").converse(modelId=HAIKU, messages=MESSAGES)
        assert [r.region for r in emu.requests] == ["eu-central-1", "eu-central-1"]
    with BedrockEmulator() as plain:
        assert "AWS_CA_BUNDLE" not in plain.env()
        assert plain.env()["AWS_ACCESS_KEY_ID"] == "AKIAEMULATOR00000000"


def test_manager_is_wired_without_touching_environ() -> None:
    pytest.importorskip("bedrock_auth.manager")
    before = dict(os.environ)
    with BedrockEmulator() as emu:
        manager = emu.manager()
        runtime = manager.client("bedrock-runtime")
        runtime.converse(modelId=HAIKU, messages=MESSAGES)
        assert dict(os.environ) == before
        assert {r.operation for r in emu.requests} >= {"Converse"}
        assert all(r.access_key_id == emu.access_key_id for r in emu.requests)


def test_manager_validates_identity_against_the_emulator() -> None:
    pytest.importorskip("bedrock_auth.manager")
    # A key no other test uses: the manager caches identities per credential per process.
    key = f"AKIAEMULATOR{uuid.uuid4().int % 10**8:08d}"
    with BedrockEmulator() as emu:
        emu.set_identity(key, "arn:aws:iam::444455556666:user/ci")
        manager = emu.manager(validate=True, access_key_id=key, secret_access_key="fake")
        identity = manager.identity
        assert identity is not None
        assert (identity.account, identity.arn) == (
            "444455556666",
            "arn:aws:iam::444455556666:user/ci",
        )
        assert [r.operation for r in emu.requests] == ["GetCallerIdentity"]


def test_manager_with_api_key_over_tls() -> None:
    pytest.importorskip("bedrock_auth.manager")
    with BedrockEmulator(tls=True) as emu:
        manager = emu.manager(api_key=API_KEY, validate=False)
        manager.client("bedrock-runtime").converse(modelId=HAIKU, messages=MESSAGES)
        assert emu.requests[-1].auth_scheme == "bearer"


def test_import_isolation() -> None:
    code = (
        "import sys, bedrock_auth.testing\n"
        "assert not [m for m in sys.modules if m.startswith(('langchain', 'langchain_aws'))]\n"
        "assert 'cryptography' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    code = "import sys, bedrock_auth\nassert 'bedrock_auth.testing' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_concurrent_calls_each_get_one_scripted_reply(emu: BedrockEmulator) -> None:
    replies = {f"reply {i}" for i in range(16)}
    for text in sorted(replies):
        emu.reply(text)
    runtime = emu.client(
        "bedrock-runtime", config=Config(max_pool_connections=16, retries={"total_max_attempts": 1})
    )
    results: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        out = runtime.converse(modelId=HAIKU, messages=MESSAGES)
        with lock:
            results.append(out["output"]["message"]["content"][0]["text"])

    workers = [threading.Thread(target=call) for _ in range(16)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)

    assert sorted(results) == sorted(replies)
    assert len(emu.requests) == 16
