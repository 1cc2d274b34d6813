"""bedrock-agent-runtime, bedrock (control plane) and STS through real boto3 clients."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from bedrock_auth.testing import BedrockEmulator

ONE_TRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
ROLE = "arn:aws:iam::210987654321:role/team/BedrockRole"


@pytest.fixture
def emu() -> Iterator[BedrockEmulator]:
    """A fresh emulator per test (overrides conftest's shared one): these tests count requests
    and change keys, identities and profiles, so they must not see each other's state."""
    with BedrockEmulator() as emulator:
        yield emulator


def _error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


# -- InvokeAgent ----------------------------------------------------------------------------


def _invoke_agent(emu: BedrockEmulator, **kwargs: Any) -> tuple[dict[str, Any], list[Any]]:
    agent = emu.client("bedrock-agent-runtime", config=ONE_TRY)
    response = agent.invoke_agent(
        agentId="AGENT12345",
        agentAliasId="ALIAS12345",
        sessionId="session-1",
        inputText="What is 6 x 7?",
        **kwargs,
    )
    return response, list(response["completion"])


def test_invoke_agent_sends_the_final_answer_in_one_chunk(emu: BedrockEmulator) -> None:
    emu.reply("The answer is 42.")

    _, events = _invoke_agent(emu)

    assert [e["chunk"]["bytes"] for e in events] == [b"The answer is 42."]


def test_invoke_agent_streams_chunks_and_session_headers(emu: BedrockEmulator) -> None:
    emu.reply("The answer is 42.")

    response, events = _invoke_agent(emu, streamingConfigurations={"streamFinalResponse": True})

    assert response["sessionId"] == "session-1"
    assert response["contentType"] == "application/json"
    assert all("chunk" in e for e in events)
    assert len(events) == 4
    assert b"".join(e["chunk"]["bytes"] for e in events).decode() == "The answer is 42."
    record = emu.requests[-1]
    assert record.operation == "InvokeAgent"
    assert record.service == "bedrock-agent-runtime"
    assert record.params == {
        "agentId": "AGENT12345",
        "agentAliasId": "ALIAS12345",
        "sessionId": "session-1",
    }


def test_invoke_agent_default_reply_and_trace(emu: BedrockEmulator) -> None:
    _, plain = _invoke_agent(emu)
    _, traced = _invoke_agent(emu, enableTrace=True)

    assert not any("trace" in e for e in plain)
    assert "trace" in traced[0]
    trace = traced[0]["trace"]
    assert trace["agentId"] == "AGENT12345"
    assert "rationale" in trace["trace"]["orchestrationTrace"]
    text = b"".join(e["chunk"]["bytes"] for e in traced if "chunk" in e).decode()
    assert text == "Emulated reply to: What is 6 x 7?"


def test_invoke_agent_citations_become_attribution(emu: BedrockEmulator) -> None:
    emu.reply(
        "Paris is the capital.",
        citations=[{"uri": "s3://kb/france.txt", "text": "Paris is France's capital"}],
    )

    _, events = _invoke_agent(emu)

    attributed = [e["chunk"]["attribution"] for e in events if "attribution" in e["chunk"]]
    [citation] = attributed[0]["citations"]
    assert citation["generatedResponsePart"]["textResponsePart"]["text"] == "Paris is the capital."
    [ref] = citation["retrievedReferences"]
    assert ref["location"]["s3Location"]["uri"] == "s3://kb/france.txt"
    assert ref["content"]["text"] == "Paris is France's capital"


# -- control plane --------------------------------------------------------------------------


def test_get_system_inference_profile_by_id_and_arn(emu: BedrockEmulator) -> None:
    bedrock = emu.client("bedrock", config=ONE_TRY)

    by_id = bedrock.get_inference_profile(inferenceProfileIdentifier=f"us.{HAIKU}")
    by_arn = bedrock.get_inference_profile(inferenceProfileIdentifier=by_id["inferenceProfileArn"])

    assert by_id["type"] == "SYSTEM_DEFINED"
    assert by_id["status"] == "ACTIVE"
    assert by_arn["inferenceProfileId"] == f"us.{HAIKU}"
    assert {m["modelArn"] for m in by_id["models"]} == {
        f"arn:aws:bedrock:{r}::foundation-model/{HAIKU}"
        for r in ("us-east-1", "us-east-2", "us-west-2")
    }


def test_application_inference_profile_lookup(emu: BedrockEmulator) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    assert emu.add_inference_profile(arn, HAIKU, name="team-a") == arn
    bedrock = emu.client("bedrock", config=ONE_TRY)

    profile = bedrock.get_inference_profile(inferenceProfileIdentifier=arn)

    assert profile["type"] == "APPLICATION"
    assert profile["inferenceProfileName"] == "team-a"
    assert profile["inferenceProfileId"] == "abc123"
    assert profile["models"] == [
        {"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"}
    ]
    listed = bedrock.list_inference_profiles(typeEquals="APPLICATION")
    assert [p["inferenceProfileArn"] for p in listed["inferenceProfileSummaries"]] == [arn]


def test_unknown_or_foreign_profiles_are_not_found(emu: BedrockEmulator) -> None:
    emu.add_inference_profile("west-only", HAIKU, region="us-west-2")
    bedrock = emu.client("bedrock", config=ONE_TRY)
    for identifier in (
        f"eu.{HAIKU}",
        "nope",
        "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/west-only",
    ):
        with pytest.raises(ClientError) as info:
            bedrock.get_inference_profile(inferenceProfileIdentifier=identifier)
        assert _error_code(info) == "ResourceNotFoundException"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_inference_profiles_pages_through_region_geo(emu: BedrockEmulator) -> None:
    bedrock = emu.client("bedrock", region="eu-west-1", config=ONE_TRY)
    pages = bedrock.get_paginator("list_inference_profiles").paginate(
        PaginationConfig={"PageSize": 3}
    )

    ids = [p["inferenceProfileId"] for page in pages for p in page["inferenceProfileSummaries"]]

    assert ids, "expected system profiles"
    assert all(i.startswith(("eu.", "global.")) for i in ids)
    assert len(ids) == len(set(ids))
    assert f"eu.{HAIKU}" in ids


def test_list_and_get_foundation_models(emu: BedrockEmulator) -> None:
    bedrock = emu.client("bedrock", config=ONE_TRY)

    anthropic = bedrock.list_foundation_models(byProvider="anthropic")["modelSummaries"]
    on_demand = bedrock.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]
    detail = bedrock.get_foundation_model(modelIdentifier=HAIKU)["modelDetails"]

    assert anthropic and all(m["providerName"] == "Anthropic" for m in anthropic)
    assert all("ON_DEMAND" in m["inferenceTypesSupported"] for m in on_demand)
    assert "anthropic.claude-sonnet-4-5-20250929-v1:0" not in {m["modelId"] for m in on_demand}
    assert detail["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"


def test_added_foundation_model_is_listed(emu: BedrockEmulator) -> None:
    emu.add_foundation_model("acme.widget-v1:0", name="Widget", provider="Acme")
    models = emu.client("bedrock").list_foundation_models(byProvider="Acme")["modelSummaries"]
    assert [m["modelId"] for m in models] == ["acme.widget-v1:0"]


# -- STS ------------------------------------------------------------------------------------


def test_get_caller_identity_for_plain_keys(emu: BedrockEmulator) -> None:
    identity = emu.client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == "arn:aws:iam::123456789012:user/emulator"
    assert identity["UserId"].startswith("AIDA")
    assert emu.requests[-1].operation == "GetCallerIdentity"
    assert emu.requests[-1].signing_service == "sts"


def test_set_identity_changes_the_answer(emu: BedrockEmulator) -> None:
    emu.set_identity("AKIAOTHER0000EXAMPLE", "arn:aws:iam::111122223333:user/alice")
    sts = emu.client("sts", aws_access_key_id="AKIAOTHER0000EXAMPLE")
    identity = sts.get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (
        "111122223333",
        "arn:aws:iam::111122223333:user/alice",
    )


def _assume(emu: BedrockEmulator, **kwargs: Any) -> dict[str, Any]:
    return dict(emu.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="ci", **kwargs))


def _session_client(emu: BedrockEmulator, service: str, creds: dict[str, Any]) -> Any:
    return emu.client(
        service,
        config=ONE_TRY,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def test_assume_role_issues_temporary_credentials(emu: BedrockEmulator) -> None:
    before = dt.datetime.now(dt.timezone.utc)
    response = _assume(emu, DurationSeconds=1800, ExternalId="ext-1")

    creds = response["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    lifetime = (creds["Expiration"] - before).total_seconds()
    assert 1795 <= lifetime <= 1805
    assumed = "arn:aws:sts::210987654321:assumed-role/BedrockRole/ci"
    assert response["AssumedRoleUser"]["Arn"] == assumed
    assert emu.requests[-1].body["ExternalId"] == "***"
    assert emu.requests[-1].sent("body.ExternalId", "ext-1")
    identity = _session_client(emu, "sts", creds).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::210987654321:assumed-role/BedrockRole/ci"
    assert identity["Account"] == "210987654321"
    assert identity["UserId"].endswith(":ci")


def test_assume_role_requires_role_arn(emu: BedrockEmulator) -> None:
    sts = emu.client("sts", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleSessionName="x")
    assert _error_code(info) == "ValidationError"


def test_short_lived_credentials_expire(emu: BedrockEmulator) -> None:
    emu.assume_role_duration = 3  # whole seconds: valid for 2 to 3 s, time for the first call
    creds = _assume(emu)["Credentials"]
    runtime = _session_client(emu, "bedrock-runtime", creds)
    sts = _session_client(emu, "sts", creds)
    runtime.converse(modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "q"}]}])

    time.sleep(3.1)  # now expired

    with pytest.raises(ClientError) as bedrock_info:
        runtime.converse(modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "q"}]}])
    with pytest.raises(ClientError) as sts_info:
        sts.get_caller_identity()
    assert _error_code(bedrock_info) == "ExpiredTokenException"
    assert bedrock_info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert _error_code(sts_info) == "ExpiredToken"


def test_issued_key_with_wrong_session_token_is_unrecognized(emu: BedrockEmulator) -> None:
    creds = _assume(emu)["Credentials"]
    runtime = _session_client(emu, "bedrock-runtime", {**creds, "SessionToken": "forged"})
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "q"}]}])
    assert _error_code(info) == "UnrecognizedClientException"


def test_assume_role_with_web_identity_needs_no_signature(emu: BedrockEmulator) -> None:
    sts = emu.client("sts", config=Config(signature_version=UNSIGNED))
    # header.payload.signature, payload = {"sub": "system:serviceaccount:ns:app", "aud": "sts"}
    token = "e30.eyJzdWIiOiAic3lzdGVtOnNlcnZpY2VhY2NvdW50Om5zOmFwcCIsICJhdWQiOiAic3RzIn0.sig"

    response = sts.assume_role_with_web_identity(
        RoleArn=ROLE, RoleSessionName="pod", WebIdentityToken=token
    )

    assert response["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert response["SubjectFromWebIdentityToken"] == "system:serviceaccount:ns:app"
    assert response["Audience"] == "sts"
    assert emu.requests[-1].auth_scheme == "none"
    assert emu.requests[-1].body["WebIdentityToken"] == "***"


def test_unknown_sts_action_is_invalid_action(emu: BedrockEmulator) -> None:
    with pytest.raises(ClientError) as info:
        emu.client("sts", config=ONE_TRY).get_session_token()
    assert _error_code(info) == "InvalidAction"
    assert emu.requests[-1].operation == "GetSessionToken"
