"""The model data file (``bedrock_auth/_data/models.json``): its layout, what real Bedrock
traffic says about it, and the maintainer command that refreshes it from real listings."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import tomllib
from botocore.config import Config
from botocore.exceptions import ClientError

from bedrock_auth import _data
from bedrock_auth._data import MANTLE_PATHS, REASONING, dumps
from bedrock_auth._data.refresh import SOURCE, Merge, main
from bedrock_auth.invoke import converse
from bedrock_auth.models import get_model_info, list_models, resolve_model_id
from bedrock_auth.regions import GEOGRAPHY_PREFIXES, check_region
from bedrock_auth.testing import BedrockEmulator
from bedrock_auth.testing.providers import FAMILIES

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bedrock_auth" / "_data" / "models.json"
ONE_TRY = Config(retries={"max_attempts": 1, "mode": "standard"})

_BEDROCK = "pydantic/pydantic-ai tests/models/cassettes/test_bedrock/"
_NATIVE = "pydantic/pydantic-ai tests/models/bedrock/cassettes/test_native_output/"
_CACHE = "pydantic/pydantic-ai tests/models/bedrock/cassettes/test_cache/"
_EMBED = "pydantic/pydantic-ai tests/cassettes/test_embeddings/TestBedrock."
_ANTHROPIC = "pydantic/pydantic-ai tests/models/cassettes/test_anthropic/"
_MID = "pydantic/pydantic-ai tests/models/cassettes/test_anthropic_mid_conversation_system/"
_SETTINGS = "pydantic/pydantic-ai tests/cassettes/test_settings/"
_LANGCHAIN = "langchain-ai/langchain-aws libs/aws/tests/cassettes/"
#: Every (operation, model id as sent, Region) of a 2xx bedrock-runtime answer in the public
#: recordings read for the data (pydantic-ai's cassettes, all versions in its history, and
#: langchain-aws's), with one recording that holds it. Left out: application-profile ARNs
#: (one account's), ``anthropic.claude-v2`` (recorded before AWS retired it; the data lists it
#: as retired) and the 4xx answers (bad ids on purpose).
TRAFFIC: list[tuple[str, str, str, str]] = [
    ("invoke", "eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-central-1",
     _ANTHROPIC + "test_anthropic_cache_bedrock_real_api.yaml"),
    ("invoke", "amazon.nova-2-multimodal-embeddings-v1:0", "us-east-1",
     _EMBED + "test_amazon_nova_2_multimodal_embeddings_v1_query.yaml"),
    ("invoke", "amazon.titan-embed-text-v1", "us-east-1", _EMBED + "test_titan_v1_minimal.yaml"),
    ("invoke", "amazon.titan-embed-text-v2:0", "us-east-1",
     _EMBED + "test_amazon_titan_embed_text_v2_documents.yaml"),
    ("count-tokens", "anthropic.claude-sonnet-4-20250514-v1:0", "us-east-1",
     _ANTHROPIC + "test_anthropic_bedrock_count_tokens_real_api.yaml"),
    ("invoke", "cohere.embed-english-v3", "us-east-1",
     _EMBED + "test_cohere_embed_english_v3_documents.yaml"),
    ("invoke", "cohere.embed-multilingual-v3", "us-east-1",
     _EMBED + "test_cohere_v3_with_base_truncate.yaml"),
    ("invoke", "cohere.embed-v4:0", "us-east-1", _EMBED + "test_cohere_batch_documents.yaml"),
    ("invoke", "us.cohere.embed-v4:0", "us-east-1", _EMBED + "test_regional_prefix_embed.yaml"),
    ("converse", "google.gemma-3-27b-it", "us-east-1",
     _NATIVE + "test_bedrock_native_output_google.yaml"),
    ("converse", "minimax.minimax-m2", "us-east-1",
     _NATIVE + "test_bedrock_native_output_minimax.yaml"),
    ("converse", "mistral.mistral-large-3-675b-instruct", "us-east-1",
     _NATIVE + "test_bedrock_native_output_mistral.yaml"),
    ("converse", "moonshot.kimi-k2-thinking", "us-east-1",
     _BEDROCK + "test_bedrock_moonshotai_tool_call.yaml"),
    ("converse", "nvidia.nemotron-nano-12b-v2", "us-east-1",
     _NATIVE + "test_bedrock_native_output_nvidia.yaml"),
    ("converse", "openai.gpt-oss-120b-1:0", "us-east-1",
     _BEDROCK + "test_bedrock_thinking_false_openai_variant_silent_drop.yaml"),
    ("converse-stream", "openai.gpt-oss-120b-1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_stream_empty_text_delta.yaml"),
    ("converse", "qwen.qwen3-32b-v1:0", "us-east-1",
     _NATIVE + "test_bedrock_native_output_qwen.yaml"),
    ("converse", "qwen.qwen3-32b-v1:0", "us-east-2",
     _BEDROCK + "test_bedrock_thinking_true_qwen_variant.yaml"),
    ("converse", "us.amazon.nova-2-lite-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_with_code_execution_tool.yaml"),
    ("converse-stream", "us.amazon.nova-2-lite-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_code_execution_tool_stream.yaml"),
    ("converse", "us.amazon.nova-lite-v1:0", "us-east-1",
     _CACHE + "test_bedrock_single_tool_choice_preserves_cache[nova].yaml"),
    ("converse", "us.amazon.nova-micro-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_iter_stream.yaml"),
    ("converse-stream", "us.amazon.nova-micro-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_iter_stream.yaml"),
    ("converse", "us.amazon.nova-pro-v1:0", "us-east-1",
     _SETTINGS + "test_bedrock_model_performance_config.yaml"),
    ("converse", "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_anthropic_tool_with_thinking.yaml"),
    ("converse-stream", "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_thinking_part_redacted_stream.yaml"),
    ("invoke", "us.anthropic.claude-opus-4-8", "us-east-1",
     _MID + "test_mid_conversation_system_prompt_on_bedrock.yaml"),
    ("converse", "us.anthropic.claude-sonnet-4-20250514-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_thinking_part_anthropic.yaml"),
    ("converse-stream", "us.anthropic.claude-sonnet-4-20250514-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_thinking_part_stream.yaml"),
    ("converse", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1",
     _CACHE + "test_bedrock_single_tool_choice_preserves_cache[anthropic].yaml"),
    ("converse-stream", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1",
     _NATIVE + "test_bedrock_native_output_stream.yaml"),
    ("converse", "us.anthropic.claude-sonnet-4-6", "us-east-1",
     _NATIVE + "test_bedrock_native_output_nested_objects_without_extra_forbid.yaml"),
    ("converse-stream", "us.anthropic.claude-sonnet-4-6", "us-east-1",
     _BEDROCK + "test_bedrock_native_structured_output_stream.yaml"),
    ("invoke", "us.anthropic.claude-sonnet-5", "us-east-1",
     _MID + "test_mid_conversation_system_prompt_unsupported_client.yaml"),
    ("converse", "us.anthropic.claude-sonnet-5", "us-west-2",
     _LANGCHAIN + "test_citations[document0].yaml.gz"),
    ("converse-stream", "us.anthropic.claude-sonnet-5", "us-west-2",
     _LANGCHAIN + "test_thinking[v0].yaml.gz"),
    ("converse", "us.deepseek.r1-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_model_thinking_part_deepseek.yaml"),
    ("converse", "us.meta.llama4-maverick-17b-instruct-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_llama_tool_result_followed_by_text_accepted.yaml"),
    ("converse", "us.mistral.pixtral-large-2502-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_media_kind_delivered_in_tool_result[mistral_document].yaml"),
    ("converse", "us.writer.palmyra-x4-v1:0", "us-east-1",
     _BEDROCK + "test_bedrock_writer_tool_result_followed_by_text_accepted.yaml"),
    ("converse", "zai.glm-4.7-flash", "us-east-1",
     _BEDROCK + "test_bedrock_zai_native_output.yaml"),
]  # fmt: skip
_IDS = [f"{op}:{model}@{region}" for op, model, region, _ in TRAFFIC]

#: Bedrock's ValidationException messages for a model id it does not take in a Region.
_MODEL_REFUSALS = ("The provided model identifier is invalid", "on-demand throughput isn't")


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


# -- the file ----------------------------------------------------------------------------------


def test_the_file_is_in_its_canonical_layout() -> None:
    """The refresh command writes this layout; a hand edit that strays from it shows here."""
    text = DATA.read_text(encoding="utf-8")
    assert text == dumps(json.loads(text)) + "\n"


def test_every_entry_is_well_formed() -> None:
    data = _raw()
    for raw in data["models"]:
        where = raw["id"]
        assert raw["id"].split(".", 1)[0] in data["providers"], where
        assert raw["sources"] and set(raw["sources"]) <= set(data["sources"]), where
        caps = raw["capabilities"]
        assert set(caps) <= set(_data.CAPABILITY_KEYS), where
        assert caps["reasoning"] in REASONING, where
        assert caps.get("tool_use_type", "never") in _data.TOOL_USE_TYPES, where
        assert set(caps.get("s3_refused", {})) <= set(_data.S3_PLACES), where
        assert caps.get("invoke_body") in (None, *FAMILIES), where
        assert all(m.isupper() for m in (*caps["input"], *caps["output"])), where
        assert bool(caps.get("embedding_dimensions")) == ("EMBEDDING" in caps["output"]), where
        for region in (*raw["regions"], *(r for rs in raw["profiles"].values() for r in rs)):
            assert check_region(region) == region, where
        assert list(raw["profiles"]) == [g for g in GEOGRAPHY_PREFIXES if g in raw["profiles"]]
        if "mantle" in raw:
            assert raw["mantle"]["path"] in MANTLE_PATHS, where
            assert all(check_region(r) for r in raw["mantle"]["regions"]), where


def test_lifecycle_statuses_are_the_ones_bedrock_gives() -> None:
    shape = botocore.session.get_session().get_service_model("bedrock")
    statuses = set(shape.shape_for("FoundationModelLifecycle").members["status"].enum)
    assert {m.lifecycle.status for m in list_models()} <= statuses


def test_an_alias_always_has_somewhere_to_go() -> None:
    """An alias of a model with no known Region would resolve to an id Bedrock may refuse."""
    for info in list_models():
        assert not info.aliases or info.regions, info.model_id


def test_retired_models_are_not_catalogued_and_name_a_catalogued_replacement() -> None:
    data = _raw()
    ids = {m["id"] for m in data["models"]}
    for retired in data["retired"]:
        assert retired["id"] not in ids
        assert get_model_info(retired["replacement"]) is not None


def test_mantle_ids_find_their_model() -> None:
    info = get_model_info("openai.gpt-oss-120b")  # the bare id bedrock-mantle takes
    assert info is not None and info.model_id == "openai.gpt-oss-120b-1:0"
    assert info.mantle is not None and info.mantle.path == "/v1"
    gpt55 = get_model_info("openai.gpt-5.5")
    assert gpt55 is not None and gpt55.mantle is not None and gpt55.mantle.path == "/openai/v1"


def test_importing_the_package_reads_no_data() -> None:
    """The data is parsed on the first lookup: ``import bedrock_auth`` stays cheap."""
    code = (
        "import bedrock_auth, bedrock_auth.models, bedrock_auth._data as d, sys\n"
        "assert not d._loaded, 'read at import'\n"
        "bedrock_auth.models.CATALOG\n"
        "assert d._loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_wheel_ships_the_data_file() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]["bedrock_auth"]
    assert "_data/models.json" in package_data


# -- recorded Bedrock traffic ------------------------------------------------------------------


@pytest.mark.parametrize(("operation", "model", "region", "recorded"), TRAFFIC, ids=_IDS)
def test_the_data_takes_every_id_bedrock_answered(
    operation: str, model: str, region: str, recorded: str
) -> None:
    if operation == "count-tokens":
        # CountTokens takes the base id even of a profile-only model.
        info = get_model_info(model)
        assert info is not None and info.capabilities.count_tokens, recorded
        return
    assert resolve_model_id(model, region) == model, recorded


@pytest.fixture(scope="module")
def strict_emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(strict_models=True) as emulator:
        yield emulator


def _invoke_body(model: str) -> dict[str, Any]:
    """A minimal body of the model's own format (the recordings' shapes)."""
    base = model.split(".", 1)[1] if model.startswith(("us.", "eu.")) else model
    if base.startswith("anthropic."):
        return {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 16,
            "messages": [{"role": "user", "content": "Hi"}],
        }
    if base.startswith("cohere.embed"):
        return {"texts": ["cat"], "input_type": "search_document"}
    if base.startswith("amazon.titan-embed"):
        return {"inputText": "cat"}
    return {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {"text": {"value": "cat"}}}


@pytest.mark.parametrize(
    ("operation", "model", "region", "recorded"),
    [t for t in TRAFFIC if t[0] != "count-tokens"],
    ids=[i for i, t in zip(_IDS, TRAFFIC, strict=True) if t[0] != "count-tokens"],
)
def test_strict_emulator_takes_every_id_bedrock_answered(
    strict_emu: BedrockEmulator, operation: str, model: str, region: str, recorded: str
) -> None:
    runtime = strict_emu.client("bedrock-runtime", region=region, config=ONE_TRY)
    messages = [{"role": "user", "content": [{"text": "Hi"}]}]
    try:
        if operation == "invoke":
            runtime.invoke_model(modelId=model, body=json.dumps(_invoke_body(model)))
        else:
            runtime.converse(modelId=model, messages=messages)
    except ClientError as exc:
        # A body the emulator does not read yet is another matter: only the model id counts.
        message = exc.response["Error"].get("Message", "")
        assert not any(refusal in message for refusal in _MODEL_REFUSALS), (recorded, message)


def test_strict_emulator_lists_the_new_models_where_bedrock_served_them(
    strict_emu: BedrockEmulator,
) -> None:
    control = strict_emu.client("bedrock", region="us-east-1")
    listed = {m["modelId"]: m for m in control.list_foundation_models()["modelSummaries"]}
    gpt_oss = listed["openai.gpt-oss-120b-1:0"]
    assert gpt_oss["providerName"] == "OpenAI" and "ON_DEMAND" in gpt_oss["inferenceTypesSupported"]
    embed = listed["cohere.embed-v4:0"]
    assert embed["outputModalities"] == ["EMBEDDING"] and not embed["responseStreamingSupported"]
    profiles = control.list_inference_profiles()["inferenceProfileSummaries"]
    assert "us.amazon.nova-2-lite-v1:0" in {p["inferenceProfileId"] for p in profiles}


def test_converse_gpt_oss_with_the_live_catalog_on() -> None:
    """Bedrock lists gpt-oss; so does the emulator, and the live path resolves it."""
    with BedrockEmulator(strict_models=True) as emu:
        manager = emu.manager()
        assert manager.catalog.enabled
        reply = converse("openai.gpt-oss-120b-1:0", "Hi", manager=manager)
    assert reply.model_id == "openai.gpt-oss-120b-1:0"
    assert reply.text


# -- the refresh command -----------------------------------------------------------------------

_TIME = "2025-10-01T00:00:00+00:00"  # as the AWS CLI prints a timestamp
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"


def _summary(model_id: str, name: str, provider: str, kinds: list[str], **extra: Any) -> Any:
    return {
        "modelArn": f"arn:aws:bedrock:ap-south-2::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": name,
        "providerName": provider,
        "inputModalities": ["TEXT"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "customizationsSupported": [],
        "inferenceTypesSupported": kinds,
        "modelLifecycle": {"status": "ACTIVE"},
        **extra,
    }


def _profile(profile_id: str, kind: str = "SYSTEM_DEFINED") -> Any:
    arn = f"arn:aws:bedrock:ap-south-2:123456789012:inference-profile/{profile_id}"
    return {
        "inferenceProfileName": f"Profile {profile_id}",
        "description": "Routes requests.",
        "createdAt": _TIME,
        "updatedAt": _TIME,
        "inferenceProfileArn": arn,
        "models": [{"modelArn": "arn:aws:bedrock:ap-south-2::foundation-model/x"}],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": kind,
    }


#: ``aws bedrock list-foundation-models`` output in ap-south-2: Claude 3 Haiku newly on demand
#: there and LEGACY, a model and a provider the data does not know, a provisioned-only variant.
FOUNDATION_MODELS = {
    "modelSummaries": [
        _summary(
            HAIKU_3,
            "Claude 3 Haiku",
            "Anthropic",
            ["ON_DEMAND", "INFERENCE_PROFILE"],
            inputModalities=["TEXT", "IMAGE"],
            modelLifecycle={"status": "LEGACY", "legacyTime": _TIME, "endOfLifeTime": _TIME},
        ),
        _summary("acme.rocket-1-v1:0", "Rocket 1", "Acme", ["ON_DEMAND"]),
        _summary(f"{HAIKU_3}:200k", "Claude 3 Haiku", "Anthropic", ["PROVISIONED"]),
    ]
}
#: ``aws bedrock list-inference-profiles`` output there: a new source Region for Sonnet 4.5's
#: global profile, a profile of a model the data does not know, and an application profile.
INFERENCE_PROFILES = {
    "inferenceProfileSummaries": [
        _profile(f"global.{SONNET_45}"),
        _profile("apac.acme.comet-2-v1:0"),
        _profile("team-a", kind="APPLICATION"),
    ]
}


def test_the_fixtures_are_shaped_like_the_real_api_output() -> None:
    model = botocore.session.get_session().get_service_model("bedrock")
    listing = {
        "ListFoundationModels": FOUNDATION_MODELS,
        "ListInferenceProfiles": INFERENCE_PROFILES,
    }
    for operation, document in listing.items():
        output = model.operation_model(operation).output_shape
        assert set(document) <= set(output.members)
        (key,) = document
        member = output.members[key].member
        for summary in document[key]:
            assert set(summary) <= set(member.members), (
                operation,
                set(summary) - set(member.members),
            )


def _run_refresh(tmp_path: Path, *extra: str) -> tuple[dict[str, Any], Path]:
    data = tmp_path / "models.json"
    data.write_text(DATA.read_text(encoding="utf-8"), encoding="utf-8")
    fm, ip = tmp_path / "fm.json", tmp_path / "ip.json"
    fm.write_text(json.dumps(FOUNDATION_MODELS), encoding="utf-8")
    ip.write_text(json.dumps(INFERENCE_PROFILES), encoding="utf-8")
    argv = ["--region", "ap-south-2", "--foundation-models", str(fm)]
    assert main([*argv, "--inference-profiles", str(ip), "--data", str(data), *extra]) == 0
    merged: dict[str, Any] = json.loads(data.read_text(encoding="utf-8"))
    return merged, data


def _entry(data: dict[str, Any], model_id: str) -> dict[str, Any]:
    return next(m for m in data["models"] if m["id"] == model_id)


def test_refresh_adds_regions_profiles_lifecycle_and_models(tmp_path: Path) -> None:
    before = _raw()
    after, path = _run_refresh(tmp_path)

    haiku = _entry(after, HAIKU_3)
    assert "ap-south-2" in haiku["regions"] and haiku["regions"] == sorted(haiku["regions"])
    assert haiku["lifecycle"] == {
        "status": "LEGACY",
        "legacy_since": "2025-10-01",
        "end_of_life": "2025-10-01",
    }
    assert haiku["capabilities"]["input"] == ["TEXT", "IMAGE"]
    assert "ap-south-2" in _entry(after, SONNET_45)["profiles"]["global"]
    # New models, a new provider, and where the facts came from.
    rocket = _entry(after, "acme.rocket-1-v1:0")
    assert rocket["regions"] == ["ap-south-2"] and rocket["name"] == "Rocket 1"
    assert rocket["regions_complete"] is False and "review" in rocket["note"]
    assert _entry(after, "acme.comet-2-v1:0")["profiles"] == {"apac": ["ap-south-2"]}
    assert after["providers"]["acme"] == "Acme"
    assert SOURCE in after["sources"] and SOURCE in haiku["sources"]
    # Nothing else: the provisioned variant and the application profile are not models.
    ids = {m["id"] for m in after["models"]}
    assert ids - {m["id"] for m in before["models"]} == {"acme.rocket-1-v1:0", "acme.comet-2-v1:0"}
    # The file stays canonical and readable.
    assert path.read_text(encoding="utf-8") == dumps(after) + "\n"
    assert _data._index(after).by_id["acme.rocket-1-v1:0"].provider_name == "Acme"


def test_refresh_never_drops_what_the_listings_do_not_carry(tmp_path: Path) -> None:
    before = {m["id"]: m for m in _raw()["models"]}
    after, _ = _run_refresh(tmp_path)
    for model in after["models"]:
        old = before.get(model["id"])
        if old is None:
            continue
        for key in ("aliases", "regions_complete", "replacement", "mantle", "note"):
            assert model.get(key) == old.get(key), (model["id"], key)
        listed = {"streaming", "input", "output"}  # the facts a listing carries
        for key in set(_data.CAPABILITY_KEYS) - listed:
            assert model["capabilities"].get(key) == old["capabilities"].get(key)
        assert set(old["regions"]) <= set(model["regions"])
        for geography, sources in old["profiles"].items():
            assert set(sources) <= set(model["profiles"][geography])


def test_refresh_twice_changes_nothing_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path = _run_refresh(tmp_path)
    once = path.read_text(encoding="utf-8")
    capsys.readouterr()
    files = ["--foundation-models", str(tmp_path / "fm.json")]
    files += ["--inference-profiles", str(tmp_path / "ip.json")]
    status = main(["--region", "ap-south-2", "--data", str(path), *files])
    assert status == 0
    assert capsys.readouterr().out.strip() == "no changes"
    assert path.read_text(encoding="utf-8") == once


def test_refresh_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, path = _run_refresh(tmp_path, "--dry-run")
    assert path.read_text(encoding="utf-8") == DATA.read_text(encoding="utf-8")
    assert "+ model acme.rocket-1-v1:0" in capsys.readouterr().out


def test_merge_refuses_a_region_name_aws_does_not_have() -> None:
    from bedrock_auth.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        Merge(copy.deepcopy(_raw()), "us-eats-1")


def test_refresh_runs_as_a_module(tmp_path: Path) -> None:
    data = tmp_path / "models.json"
    data.write_text(DATA.read_text(encoding="utf-8"), encoding="utf-8")
    ip = tmp_path / "ip.json"
    ip.write_text(json.dumps(INFERENCE_PROFILES), encoding="utf-8")
    command = [sys.executable, "-m", "bedrock_auth._data.refresh", "--region", "ap-south-2"]
    done = subprocess.run(
        [*command, "--inference-profiles", str(ip), "--data", str(data)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert "+ model acme.comet-2-v1:0" in done.stdout
