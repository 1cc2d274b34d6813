"""The emulator's OpenAI-compatible APIs on the wire: routes, SigV4 service names, API keys.

Plain urllib and botocore's signer, so these run without the openai SDK (the SDK's own use of
these APIs is tests/test_openai.py). Keys minted by AWS's generator need it installed.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bedrock_auth.testing import BedrockEmulator

ASK = {"model": "openai.gpt-oss-120b", "messages": [{"role": "user", "content": "hi"}]}
RUNTIME_ASK = {**ASK, "model": "openai.gpt-oss-120b-1:0"}


@pytest.fixture(scope="module")
def emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        yield emulator


def send(
    url: str,
    body: Any = None,
    *,
    service: str | None = None,
    bearer: str | None = None,
    credentials: Credentials | None = None,
    region: str = "us-east-1",
    ca_bundle: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request, SigV4-signed for ``service`` or with a bearer token; (status, headers, body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = AWSRequest(
        "POST" if data is not None else "GET", url, data=data,
        headers={"content-type": "application/json", **(headers or {})},
    )
    if service is not None:
        keys = credentials or Credentials(
            "AKIAEMULATOR00000000", "emulator/secret/key/not/a/real/one/00000"
        )
        SigV4Auth(keys, service, region).add_auth(request)
    if bearer is not None:
        request.headers["Authorization"] = f"Bearer {bearer}"
    sent = urllib.request.Request(
        url, data=data, headers=dict(request.headers.items()), method=request.method
    )
    try:
        context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else None
        with urllib.request.urlopen(sent, timeout=30, context=context) as reply:
            return reply.status, dict(reply.headers.items()), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def error_type(headers: dict[str, str]) -> str:
    return {k.lower(): v for k, v in headers.items()}["x-amzn-errortype"].split(":")[0]


# -- routes and SigV4 service names -----------------------------------------------------------


def test_each_endpoint_takes_its_own_service_name(emu: BedrockEmulator) -> None:
    runtime = f"{emu.endpoint_url}/openai/v1/chat/completions"
    mantle = f"{emu.mantle_url}/v1/chat/completions"
    assert send(runtime, RUNTIME_ASK, service="bedrock")[0] == 200
    assert send(mantle, ASK, service="bedrock-mantle")[0] == 200
    for url, body, wrong, right in (
        (runtime, RUNTIME_ASK, "bedrock-mantle", "bedrock"),
        (mantle, ASK, "bedrock", "bedrock-mantle"),
    ):
        status, headers, text = send(url, body, service=wrong)
        assert (status, error_type(headers)) == (403, "InvalidSignatureException")
        assert f"Credential should be scoped to correct service: '{right}'" in text.decode()


def test_the_listeners_serve_their_own_paths(emu: BedrockEmulator) -> None:
    converse = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    assert send(f"{emu.mantle_url}/model/x/converse", converse, service="bedrock")[0] == 404
    assert send(f"{emu.endpoint_url}/v1/chat/completions", ASK, service="bedrock")[0] == 404
    status, _, body = send(f"{emu.mantle_url}/v1/models", service="bedrock-mantle")
    listed = {m["id"] for m in json.loads(body)["data"]}
    assert status == 200 and "openai.gpt-oss-120b" in listed and "openai.gpt-5.5" not in listed
    status, _, body = send(f"{emu.mantle_url}/openai/v1/models", service="bedrock-mantle")
    assert "openai.gpt-5.5" in {m["id"] for m in json.loads(body)["data"]}


def test_a_client_cannot_pass_for_the_mantle_listener(emu: BedrockEmulator) -> None:
    url = f"{emu.endpoint_url}/v1/chat/completions"
    request = urllib.request.Request(
        url,
        data=json.dumps(ASK).encode(),
        headers={"x-bedrock-emulator-listener": "mantle", "content-type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 404


@pytest.mark.parametrize(
    ("path", "model", "says"),
    [
        ("/v1", "openai.gpt-5.5", "served at /openai/v1"),
        ("/openai/v1", "openai.gpt-oss-120b", "served at /v1"),
        ("/v1", "openai.gpt-oss-120b-1:0", "use openai.gpt-oss-120b"),
        ("/v1", "anthropic.claude-sonnet-4-5-20250929-v1:0", "does not exist on bedrock-mantle"),
    ],
)
def test_mantle_takes_bare_ids_on_their_own_path(
    emu: BedrockEmulator, path: str, model: str, says: str
) -> None:
    url = f"{emu.mantle_url}{path}/chat/completions"
    status, headers, body = send(url, {**ASK, "model": model}, service="bedrock-mantle")
    assert (status, error_type(headers)) == (404, "ResourceNotFoundException")
    assert says in body.decode()


def test_chat_completions_stream_as_server_sent_events(emu: BedrockEmulator) -> None:
    url = f"{emu.mantle_url}/v1/chat/completions"
    status, headers, body = send(url, {**ASK, "stream": True}, service="bedrock-mantle")
    lines = [line for line in body.decode().split("\n\n") if line]
    assert status == 200 and headers["Content-Type"] == "text/event-stream"
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    text = "".join(
        json.loads(line[6:])["choices"][0]["delta"].get("content") or "" for line in lines[:-1]
    )
    assert text == "Emulated reply to: hi"


def test_faults_and_replies_reach_mantle(emu: BedrockEmulator) -> None:
    url = f"{emu.mantle_url}/v1/chat/completions"
    emu.reply("scripted", model="openai.gpt-oss-120b")
    body = json.loads(send(url, ASK, service="bedrock-mantle")[2])
    assert body["choices"][0]["message"]["content"] == "scripted"
    emu.fail("ThrottlingException")
    status, headers, _ = send(url, ASK, service="bedrock-mantle")
    assert (status, error_type(headers)) == (429, "ThrottlingException")


def test_env_and_the_manager_point_at_the_mantle_listener(emu: BedrockEmulator) -> None:
    assert emu.env()["AWS_ENDPOINT_URL_BEDROCK_MANTLE"] == emu.mantle_url
    with emu.manager() as manager:
        assert manager.settings.mantle_endpoint_url == emu.mantle_url


# -- bearer keys ------------------------------------------------------------------------------


@pytest.fixture
def tls_emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(tls=True, assume_role_duration=60) as emulator:
        yield emulator


def test_the_emulators_own_key_is_accepted_and_others_refused(tls_emu: BedrockEmulator) -> None:
    emu, ca = tls_emu, tls_emu.ca_bundle
    url = f"{emu.mantle_url}/v1/chat/completions"
    assert send(url, ASK, bearer=emu.api_key, ca_bundle=ca)[0] == 200
    runtime = f"{emu.endpoint_url}/openai/v1/chat/completions"
    assert send(runtime, RUNTIME_ASK, bearer=emu.api_key, ca_bundle=ca)[0] == 200
    forged = "ABSK" + base64.b64encode(b"BedrockAPIKey-someone-else:x").decode()
    status, headers, _ = send(url, ASK, bearer=forged, ca_bundle=ca)
    assert (status, error_type(headers)) == (403, "UnrecognizedClientException")


def minted(credentials: Credentials, region: str = "us-east-1", seconds: int = 300) -> str:
    generator = pytest.importorskip("aws_bedrock_token_generator")
    from datetime import timedelta

    class Loaded:
        def load(self) -> Credentials:
            return credentials

    key: str = generator.provide_token(region, Loaded(), timedelta(seconds=seconds))
    return key


def test_minted_keys_are_checked(tls_emu: BedrockEmulator) -> None:
    emu = tls_emu
    own = Credentials(emu.access_key_id, emu.secret_access_key)
    url = f"{emu.mantle_url}/v1/chat/completions"
    good = minted(own)
    assert send(url, ASK, bearer=good, ca_bundle=emu.ca_bundle)[0] == 200
    prefix = "bedrock-api-key-"
    url_text = base64.b64decode(good[len(prefix) :]).decode()
    longer = url_text.replace("Expires=300", "Expires=900").encode()
    refusals = {
        "tampered": prefix + base64.b64encode(longer).decode(),
        "other region": minted(own, "us-west-2"),
        "other secret": minted(Credentials(emu.access_key_id, "x" * 40)),
        "unknown key id": minted(Credentials("AKIAUNKNOWN000000000", "x" * 40)),
    }
    for why, key in refusals.items():
        assert send(url, ASK, bearer=key, ca_bundle=emu.ca_bundle)[0] == 403, why
    emu.clock_skew = 301  # the key's five minutes are over by the emulated AWS clock
    try:
        status, headers, _ = send(url, ASK, bearer=good, ca_bundle=emu.ca_bundle)
        assert (status, error_type(headers)) == (403, "ExpiredTokenException")
    finally:
        emu.clock_skew = 0


def test_a_key_from_issued_credentials_lasts_as_long_as_they_do(tls_emu: BedrockEmulator) -> None:
    emu = tls_emu
    role = emu.client("sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/keys", RoleSessionName="keys"
    )["Credentials"]
    session = Credentials(role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"])
    key = minted(session, seconds=3600)  # longer than the session, as the generator allows
    url = f"{emu.endpoint_url}/openai/v1/chat/completions"
    assert send(url, RUNTIME_ASK, bearer=key, ca_bundle=emu.ca_bundle)[0] == 200
    emu.clock_skew = 61  # the role's 60 seconds are over; the key's hour is not
    try:
        status, headers, _ = send(url, RUNTIME_ASK, bearer=key, ca_bundle=emu.ca_bundle)
        assert (status, error_type(headers)) == (403, "ExpiredTokenException")
    finally:
        emu.clock_skew = 0
