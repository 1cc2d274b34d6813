"""Tests for bedrock_auth.models: the catalog, id resolution and id parsing.

Also owns the generated part of docs/models.md: run ``python tests/test_models.py
--write-docs`` after changing the catalog, and ``test_docs_catalog_is_current`` keeps the two
in step.
"""

from __future__ import annotations

import ast
import doctest
import logging
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_auth import models
from bedrock_auth.errors import BedrockAuthError, ConfigurationError, ModelNotAvailableError
from bedrock_auth.models import (
    CATALOG,
    GEOGRAPHY_PREFIXES,
    KNOWN_PROVIDERS,
    ModelInfo,
    base_model_from_arn,
    geography_for_region,
    get_model_info,
    is_bedrock_model,
    list_models,
    provider_of,
    resolve_model_id,
)
from bedrock_auth.regions import geographies_for_region

DOCS = Path(__file__).resolve().parent.parent / "docs" / "models.md"
BEGIN, END = "<!-- catalog:begin -->", "<!-- catalog:end -->"

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
#: The entries bedrock-runtime serves somewhere the data knows of.
RUNTIME = [m for m in CATALOG if m.regions]
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"


def _by_id(model_id: str) -> ModelInfo:
    info = get_model_info(model_id)
    assert info is not None, model_id
    return info


def _expected(info: ModelInfo, region: str) -> str:
    """What resolution should give, worked out independently of the module's helpers."""
    if region in info.on_demand_regions:
        return info.model_id
    order = {
        "us-gov-east-1": ["us-gov"],
        "us-gov-west-1": ["us-gov"],
        "ap-northeast-1": ["jp", "apac"],
        "ap-northeast-3": ["jp", "apac"],
        "ap-southeast-2": ["au", "apac"],
        "ap-southeast-4": ["au", "apac"],
        "ap-southeast-6": ["au", "apac"],
    }.get(region)
    if order is None:
        first = region.split("-")[0]
        order = {"us": ["us"], "ca": ["us"], "eu": ["eu"], "il": ["eu"], "ap": ["apac"]}.get(
            first, []
        )
    for geo in [*order, "global"]:
        if region in info.geographies.get(geo, ()):
            return f"{geo}.{info.model_id}"
    raise AssertionError(f"{info.model_id} has no route from {region}")


# --------------------------------------------------------------------------- catalog data


def test_catalog_ids_are_unique_and_well_formed() -> None:
    ids = [m.model_id for m in CATALOG]
    assert len(ids) == len(set(ids))
    for info in CATALOG:
        assert info.provider in KNOWN_PROVIDERS
        assert info.model_id.startswith(f"{info.provider}.")
        assert info.display_name
        # Only an entry whose Regions no source gave yet may list none (its id passes through).
        assert info.regions or not info.regions_complete, f"{info.model_id} can be called nowhere"


def test_requires_profile_matches_on_demand_regions() -> None:
    for info in RUNTIME:
        assert info.requires_profile == (not info.on_demand_regions), info.model_id
        if info.requires_profile:
            assert info.geographies, info.model_id


def test_geography_sources_fit_their_geography() -> None:
    """A typo such as an eu- Region under ``us`` would route calls wrongly: catch it."""
    for info in CATALOG:
        assert set(info.geographies) <= set(GEOGRAPHY_PREFIXES), info.model_id
        for geo, sources in info.geographies.items():
            assert sources, (info.model_id, geo)
            for region in sources:
                assert geography_for_region(region)  # a valid Region name
                assert geo in geographies_for_region(region), (info.model_id, geo, region)


def test_aliases_are_unique_after_normalising() -> None:
    seen: dict[str, str] = {}
    for info in CATALOG:
        for alias in info.aliases:
            key = models._alias_key(alias)
            assert key not in seen, f"{alias!r} names both {seen[key]} and {info.model_id}"
            seen[key] = info.model_id
            assert key not in models._table().by_id


def test_model_info_is_frozen_and_hashable() -> None:
    info = _by_id(SONNET_45)
    with pytest.raises(AttributeError):
        info.model_id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        info.geographies["us"] = ()  # type: ignore[index]
    assert hash(info) == hash(_by_id(SONNET_45))
    assert {info} == {_by_id("sonnet-4.5")}


def test_list_models_returns_the_catalog() -> None:
    assert list_models() == list(CATALOG)
    assert list_models() is not list_models()


# --------------------------------------------------------------------------- aliases


ALL_ALIASES = [(alias, info) for info in CATALOG for alias in info.aliases]


@pytest.mark.parametrize(("alias", "info"), ALL_ALIASES, ids=[a for a, _ in ALL_ALIASES])
def test_every_alias_resolves_to_its_model(alias: str, info: ModelInfo) -> None:
    assert get_model_info(alias) is info
    region = info.regions[0]
    assert resolve_model_id(alias, region) == _expected(info, region)


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        ("claude-sonnet-4-20250514", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("claude-sonnet-4-0", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("claude-3-5-sonnet-20241022", "anthropic.claude-3-5-sonnet-20241022-v2:0"),
        ("claude-3-5-sonnet-latest", "anthropic.claude-3-5-sonnet-20241022-v2:0"),
        ("claude-3-5-sonnet-20240620", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ("claude-3-7-sonnet-20250219", "anthropic.claude-3-7-sonnet-20250219-v1:0"),
        ("claude-3-7-sonnet-latest", "anthropic.claude-3-7-sonnet-20250219-v1:0"),
        ("claude-sonnet-4-5-20250929", SONNET_45),
        ("claude-haiku-4-5-20251001", HAIKU_45),
        ("claude-opus-4-1-20250805", "anthropic.claude-opus-4-1-20250805-v1:0"),
        ("claude-opus-4-20250514", "anthropic.claude-opus-4-20250514-v1:0"),
        ("claude-opus-4-0", "anthropic.claude-opus-4-20250514-v1:0"),
        ("claude-opus-4-5-20251101", "anthropic.claude-opus-4-5-20251101-v1:0"),
        ("claude-3-5-haiku-20241022", "anthropic.claude-3-5-haiku-20241022-v1:0"),
        ("claude-3-5-haiku-latest", "anthropic.claude-3-5-haiku-20241022-v1:0"),
        ("claude-3-haiku-20240307", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("claude-opus-4-6", "anthropic.claude-opus-4-6-v1"),
        ("claude-sonnet-4-6", "anthropic.claude-sonnet-4-6"),
        ("claude-opus-4-7", "anthropic.claude-opus-4-7"),
        ("claude-opus-4-8", "anthropic.claude-opus-4-8"),
    ],
)
def test_anthropic_api_names_map_to_the_right_model(name: str, model_id: str) -> None:
    assert _by_id(name).model_id == model_id


def test_sonnet_4_is_not_sonnet_3_5() -> None:
    resolved = resolve_model_id("claude-sonnet-4-20250514", "us-east-1")
    assert resolved == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert "3-5" not in resolved


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [
        ("sonnet", "anthropic.claude-sonnet-4-6"),
        ("haiku", HAIKU_45),
        ("opus", "anthropic.claude-opus-4-8"),
        ("sonnet-4.5", SONNET_45),
        ("sonnet-4-5", SONNET_45),
        ("claude-sonnet-4.5", SONNET_45),
        ("Claude Sonnet 4.5", SONNET_45),
        ("CLAUDE_SONNET_4_5", SONNET_45),
        ("nova-pro", "amazon.nova-pro-v1:0"),
        ("llama-3.3-70b", "meta.llama3-3-70b-instruct-v1:0"),
        ("command-r+", "cohere.command-r-plus-v1:0"),
        ("deepseek-r1", "deepseek.r1-v1:0"),
    ],
)
def test_short_aliases(alias: str, model_id: str) -> None:
    assert _by_id(alias).model_id == model_id


def test_family_aliases_name_the_newest_active_model() -> None:
    # Newest among the models whose Regions the data knows in full: a family alias must
    # resolve wherever the family is offered.
    for family, alias in [("Sonnet", "sonnet"), ("Haiku", "haiku"), ("Opus", "opus")]:
        members = [
            m for m in CATALOG if family in m.display_name and not m.legacy and m.regions_complete
        ]
        assert _by_id(alias) is members[-1], family


def test_aliases_ignore_case_and_surrounding_whitespace() -> None:
    assert resolve_model_id("  SONNET-4.5\n", "eu-west-1") == f"eu.{SONNET_45}"
    assert resolve_model_id(f" {SONNET_45.upper()} ", "eu-west-1") == f"eu.{SONNET_45}"


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_empty_model_is_a_configuration_error(empty: str) -> None:
    with pytest.raises(ConfigurationError, match="BEDROCK_MODEL_ID"):
        resolve_model_id(empty, "us-east-1")


# --------------------------------------------------------------------------- geographies


@pytest.mark.parametrize(
    ("model", "region", "expected"),
    [
        # us (and Canada, which joins the US profiles of newer models)
        ("sonnet-4.5", "us-east-1", f"us.{SONNET_45}"),
        ("sonnet-4.5", "us-west-1", f"us.{SONNET_45}"),
        ("sonnet-4.5", "ca-central-1", f"us.{SONNET_45}"),
        # eu, including Zurich/London for the 4.5 models and Tel Aviv for Sonnet 4
        ("sonnet-4.5", "eu-central-2", f"eu.{SONNET_45}"),
        ("haiku-4.5", "eu-west-2", f"eu.{HAIKU_45}"),
        ("sonnet-4", "il-central-1", "eu.anthropic.claude-sonnet-4-20250514-v1:0"),
        # apac
        ("sonnet-4", "ap-south-1", "apac.anthropic.claude-sonnet-4-20250514-v1:0"),
        ("nova-pro", "ap-southeast-1", "apac.amazon.nova-pro-v1:0"),
        # jp wins in Tokyo/Osaka when offered, apac otherwise
        ("sonnet-4.5", "ap-northeast-1", f"jp.{SONNET_45}"),
        ("haiku-4.5", "ap-northeast-3", f"jp.{HAIKU_45}"),
        ("sonnet-4", "ap-northeast-1", "apac.anthropic.claude-sonnet-4-20250514-v1:0"),
        # au wins in Sydney/Melbourne/Auckland when offered
        ("sonnet-4.5", "ap-southeast-2", f"au.{SONNET_45}"),
        ("opus-4.6", "ap-southeast-4", "au.anthropic.claude-opus-4-6-v1"),
        ("sonnet-4.5", "ap-southeast-6", f"au.{SONNET_45}"),
        ("sonnet-4", "ap-southeast-2", "apac.anthropic.claude-sonnet-4-20250514-v1:0"),
        # us-gov
        ("sonnet-4.5", "us-gov-west-1", f"us-gov.{SONNET_45}"),
        ("claude-3-haiku", "us-gov-east-1", "us-gov.anthropic.claude-3-haiku-20240307-v1:0"),
        # global, where no geography profile serves the Region
        ("sonnet-4.5", "sa-east-1", f"global.{SONNET_45}"),
        ("haiku", "ap-south-1", f"global.{HAIKU_45}"),
        ("opus-4.6", "ap-northeast-1", "global.anthropic.claude-opus-4-6-v1"),
        ("sonnet", "me-central-1", "global.anthropic.claude-sonnet-4-6"),
        ("opus", "ca-west-1", "us.anthropic.claude-opus-4-8"),
        ("opus", "mx-central-1", "global.anthropic.claude-opus-4-8"),
    ],
)
def test_geography_round_trips(model: str, region: str, expected: str) -> None:
    assert resolve_model_id(model, region) == expected


ROUTES = [(info, region) for info in CATALOG for region in info.regions]


@pytest.mark.parametrize(("info", "region"), ROUTES, ids=[f"{i.model_id}@{r}" for i, r in ROUTES])
def test_every_catalog_route_resolves(info: ModelInfo, region: str) -> None:
    expected = _expected(info, region)
    assert resolve_model_id(info.model_id, region) == expected
    # The result is accepted as it is: resolving it again changes nothing.
    assert resolve_model_id(expected, region) == expected


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_resolution_is_idempotent(data: st.DataObject) -> None:
    info = data.draw(st.sampled_from(RUNTIME))
    name = data.draw(st.sampled_from((info.model_id, *info.aliases)))
    region = data.draw(st.sampled_from(info.regions))
    prefer = data.draw(st.booleans())
    once = resolve_model_id(name, region, prefer_profile=prefer)
    assert resolve_model_id(once, region, prefer_profile=prefer) == once


@pytest.mark.parametrize(
    ("model", "region"),
    [
        ("mistral.mistral-7b-instruct-v0:2", "eu-west-3"),
        ("claude-3-haiku", "us-east-1"),
        ("claude-3-haiku", "sa-east-1"),
        ("nova-pro", "us-east-1"),
        ("nova-pro", "ap-southeast-2"),
        ("llama-3.1-405b", "us-west-2"),
        ("llama-3.3-70b", "us-east-2"),
        ("command-r", "us-west-2"),
    ],
)
def test_on_demand_models_keep_their_plain_id(model: str, region: str) -> None:
    info = _by_id(model)
    assert resolve_model_id(model, region) == info.model_id


@pytest.mark.parametrize(
    ("model", "region", "expected"),
    [
        ("claude-3-haiku", "us-east-1", "us.anthropic.claude-3-haiku-20240307-v1:0"),
        ("nova-pro", "ap-southeast-2", "apac.amazon.nova-pro-v1:0"),
        ("llama-3.3-70b", "us-east-2", "us.meta.llama3-3-70b-instruct-v1:0"),
        # No profile serves the Region: the plain id is still the one that works.
        ("claude-3-haiku", "sa-east-1", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("command-r", "us-east-1", "cohere.command-r-v1:0"),
        # Profile-only models are unaffected.
        ("sonnet-4.5", "eu-west-1", f"eu.{SONNET_45}"),
    ],
)
def test_prefer_profile(model: str, region: str, expected: str) -> None:
    resolved = resolve_model_id(model, region, prefer_profile=True)
    assert resolved == expected
    assert resolve_model_id(resolved, region, prefer_profile=True) == resolved
    assert resolve_model_id(resolved, region) == resolved


def test_profile_used_where_on_demand_model_is_not_in_region() -> None:
    assert resolve_model_id("claude-3-haiku", "us-east-2") == (
        "us.anthropic.claude-3-haiku-20240307-v1:0"
    )
    assert resolve_model_id("llama-3.3-70b", "us-west-2") == "us.meta.llama3-3-70b-instruct-v1:0"


def test_known_model_not_offered_lists_the_regions_where_it_is() -> None:
    with pytest.raises(ModelNotAvailableError) as caught:
        resolve_model_id("opus-4.1", "eu-west-1")
    message = str(caught.value)
    assert "eu-west-1" in message
    assert "us-east-1, us-east-2, us-west-2" in message
    assert "AWS_REGION" in message


@pytest.mark.parametrize(
    ("model", "region"),
    [("deepseek-r1", "eu-central-1"), ("sonnet-4.5", "cn-north-1"), ("nova-premier", "ap-south-1")],
)
def test_model_not_offered_raises(model: str, region: str) -> None:
    with pytest.raises(ModelNotAvailableError):
        resolve_model_id(model, region)


# --------------------------------------------------------------------------- explicit prefixes


@pytest.mark.parametrize(
    ("model", "region"),
    [
        (f"us.{SONNET_45}", "us-east-1"),
        (f"eu.{SONNET_45}", "eu-west-1"),
        (f"global.{SONNET_45}", "eu-west-1"),
        (f"global.{SONNET_45}", "sa-east-1"),
        (f"jp.{HAIKU_45}", "ap-northeast-1"),
        (f"us-gov.{SONNET_45}", "us-gov-west-1"),
        # Profiles the catalog does not list for this model but that fit the Region:
        # the catalog may be behind AWS, so they go through.
        ("jp.anthropic.claude-opus-4-6-v1", "ap-northeast-1"),
        ("global.anthropic.claude-opus-4-1-20250805-v1:0", "us-east-1"),
    ],
)
def test_explicit_profile_ids_are_left_alone(model: str, region: str) -> None:
    assert resolve_model_id(model, region) == model


def test_explicit_prefix_mismatch_names_the_working_id() -> None:
    with pytest.raises(ModelNotAvailableError) as caught:
        resolve_model_id(f"eu.{SONNET_45}", "us-east-1")
    assert str(caught.value) == (
        f"eu.{SONNET_45} cannot be called from us-east-1; use us.{SONNET_45}"
    )


@pytest.mark.parametrize(
    ("model", "region", "working"),
    [
        (f"us.{SONNET_45}", "ap-northeast-1", f"jp.{SONNET_45}"),
        (f"apac.{SONNET_45}", "eu-west-1", f"eu.{SONNET_45}"),
        (f"us.{SONNET_45}", "us-gov-east-1", f"us-gov.{SONNET_45}"),
        # Sonnet 4's global profile is offered from five Regions only.
        (
            "global.anthropic.claude-sonnet-4-20250514-v1:0",
            "eu-west-3",
            "eu.anthropic.claude-sonnet-4-20250514-v1:0",
        ),
        # Claude 3 Haiku runs in-Region in London: the plain id is the one that works.
        (
            "us.anthropic.claude-3-haiku-20240307-v1:0",
            "eu-west-2",
            "anthropic.claude-3-haiku-20240307-v1:0",
        ),
    ],
)
def test_explicit_prefix_that_cannot_serve_the_region(
    model: str, region: str, working: str
) -> None:
    with pytest.raises(ModelNotAvailableError) as caught:
        resolve_model_id(model, region)
    assert str(caught.value).endswith(f"use {working}")  # the message, without the help note


def test_explicit_prefix_for_model_not_in_region_at_all() -> None:
    with pytest.raises(ModelNotAvailableError) as caught:
        resolve_model_id("us.anthropic.claude-opus-4-1-20250805-v1:0", "eu-west-1")
    message = str(caught.value)
    assert message.startswith("us.anthropic.claude-opus-4-1-20250805-v1:0 cannot be called from")
    assert "us-east-1, us-east-2, us-west-2" in message


# --------------------------------------------------------------------------- ARNs, unknown ids

ARNS = [
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{SONNET_45}",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456",
    "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/xyz789",
    "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0/abcdef",
    "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/amazon.nova-pro-v1:0",
]


@pytest.mark.parametrize("arn", ARNS)
def test_arns_pass_through(arn: str) -> None:
    # Even from another Region: the ARN says exactly what to call, Bedrock decides.
    assert resolve_model_id(arn, "ap-south-1") == arn
    assert resolve_model_id(f"  {arn} ", "us-east-1") == arn
    assert is_bedrock_model(arn)


@pytest.mark.parametrize(
    "model",
    [
        "anthropic.claude-sonnet-9-v1:0",
        "us.anthropic.claude-sonnet-9-v1:0",
        "global.anthropic.claude-sonnet-9",
        "openai.gpt-oss-480b-1:0",
        "qwen.qwen9-32b-v1:0",
        "some-local-model",
    ],
)
def test_unknown_ids_pass_through_and_log_at_debug(
    model: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bedrock_auth")
    assert resolve_model_id(f" {model} ", "eu-west-1") == model
    records = [r for r in caplog.records if r.name == "bedrock_auth"]
    assert records and all(r.levelno == logging.DEBUG for r in records)
    assert model in records[-1].getMessage()


@settings(max_examples=200, deadline=None)
@given(model=st.text(min_size=1, max_size=60), region=st.sampled_from(["us-east-1", "eu-west-1"]))
def test_any_text_resolves_or_raises_a_library_error(model: str, region: str) -> None:
    try:
        result = resolve_model_id(model, region)
    except BedrockAuthError as exc:
        assert isinstance(exc, ConfigurationError | ModelNotAvailableError)
    else:
        assert result == model.strip() or get_model_info(model) is not None


@pytest.mark.parametrize(
    "region", ["", "   ", "useast1", "US East", "us-east", "us_east_1", "eu-west-1a", "1-us-east"]
)
def test_bad_region_is_a_configuration_error(region: str) -> None:
    with pytest.raises(ConfigurationError, match="not an AWS region name"):
        resolve_model_id("sonnet", region)
    with pytest.raises(ConfigurationError):
        geography_for_region(region)


@pytest.mark.parametrize("region", [" EU-WEST-1 ", "eu-west-1\n", "EU-WEST-1"])
def test_region_case_and_whitespace_are_refused_with_the_clean_name(region: str) -> None:
    """Normalising here would hide a bad AWS_REGION that botocore then uses as given."""
    with pytest.raises(ConfigurationError, match="did you mean 'eu-west-1'"):
        resolve_model_id("sonnet-4.5", region)


def test_unknown_region_name_suggests_the_closest_known_one() -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'us-east-1'"):
        resolve_model_id("x", "us-eats-1")


# --------------------------------------------------------------------------- parsing helpers


@pytest.mark.parametrize(
    ("region", "geography"),
    [
        ("us-east-1", "us"),
        ("us-west-1", "us"),
        ("ca-central-1", "us"),
        ("ca-west-1", "us"),
        ("us-gov-west-1", "us-gov"),
        ("us-gov-east-1", "us-gov"),
        ("eu-central-2", "eu"),
        ("il-central-1", "eu"),
        ("ap-northeast-1", "jp"),
        ("ap-northeast-3", "jp"),
        ("ap-southeast-2", "au"),
        ("ap-southeast-4", "au"),
        ("ap-northeast-2", "apac"),
        ("ap-south-1", "apac"),
        ("ap-southeast-1", "apac"),
        ("sa-east-1", "global"),
        ("me-central-1", "global"),
        ("af-south-1", "global"),
        ("mx-central-1", "global"),
    ],
)
def test_geography_for_region(region: str, geography: str) -> None:
    assert geography_for_region(region) == geography


@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("sonnet", "anthropic"),
        (SONNET_45, "anthropic"),
        (f"us-gov.{SONNET_45}", "anthropic"),
        ("apac.amazon.nova-pro-v1:0", "amazon"),
        ("meta.llama3-8b-instruct-v1:0", "meta"),
        ("arn:aws:bedrock:us-east-1::foundation-model/cohere.command-r-v1:0", "cohere"),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.deepseek.r1-v1:0",
            "deepseek",
        ),
        ("writer.palmyra-x5-v1:0", "writer"),
        ("twelvelabs.pegasus-1-2-v1:0", "twelvelabs"),
        ("us.luma.ray-v2:0", "luma"),
        ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc", None),
        ("gpt-4o", None),
        ("acme.model-v1", None),
        ("", None),
    ],
)
def test_provider_of(name: str, provider: str | None) -> None:
    assert provider_of(name) == provider


@pytest.mark.parametrize(
    ("arn", "model_id"),
    [
        (
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0",
            "amazon.nova-pro-v1:0",
        ),
        (
            f"arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/jp.{SONNET_45}",
            SONNET_45,
        ),
        (f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.{HAIKU_45}", HAIKU_45),
        ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", None),
        ("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123", None),
        ("arn:aws:s3:::bucket/key", None),
        (SONNET_45, None),
    ],
)
def test_base_model_from_arn(arn: str, model_id: str | None) -> None:
    assert base_model_from_arn(arn) == model_id


def test_get_model_info_reads_profiles_and_arns() -> None:
    info = _by_id(SONNET_45)
    assert get_model_info(f"au.{SONNET_45}") is info
    assert get_model_info(f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET_45}") is info
    assert get_model_info("arn:aws:bedrock:us-east-1:1:application-inference-profile/x") is None
    assert get_model_info("") is None


@pytest.mark.parametrize(
    "name",
    [
        "sonnet",
        "claude-sonnet-4-20250514",
        "claude-3-5-sonnet-20241022",
        SONNET_45,
        f"us.{SONNET_45}",
        f"global.{HAIKU_45}",
        "anthropic.claude-sonnet-9-v1:0",
        "us.anthropic.claude-sonnet-9",
        "openai.gpt-oss-120b-1:0",
        "stability.sd3-5-large-v1:0",
        "ai21.jamba-1-5-large-v1:0",
        *ARNS,
    ],
)
def test_is_bedrock_model_true(name: str) -> None:
    assert is_bedrock_model(name)


@pytest.mark.parametrize(
    "name",
    [
        "gpt-4o",
        "gemini-1.5-pro",
        # Anthropic API name of a model retired from Bedrock and not in the catalog.
        "claude-3-opus",
        "claude-3-opus-20240229",
        "",
        "   ",
        "acme.model-v1",
        "us.gpt-4o",
        "arn:aws:s3:::bucket/key",
        "arn:aws:bedrock:us-east-1:123456789012:knowledge-base/ABC",
    ],
)
def test_is_bedrock_model_false(name: str) -> None:
    assert not is_bedrock_model(name)


# --------------------------------------------------------------------------- module hygiene


def test_docstring_examples_run() -> None:
    result = doctest.testmod(models, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0


def test_module_imports_only_the_standard_library_and_errors() -> None:
    tree = ast.parse(Path(models.__file__).read_text(encoding="utf-8"))
    imported = {
        ((node.module or "") if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    imported.discard("__future__")
    assert imported <= set(sys.stdlib_module_names) | {"bedrock_auth"}
    assert "from bedrock_auth.errors import" in Path(models.__file__).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- docs/models.md


def render_catalog() -> str:
    """The generated part of docs/models.md, rendered from the catalog data."""

    def ticks(names: tuple[str, ...]) -> str:
        return ", ".join(f"`{n}`" for n in names) or "—"

    def needs_profile(m: ModelInfo) -> str:
        return "yes" if m.requires_profile else "no" if m.on_demand_regions else "—"

    def mantle(m: ModelInfo) -> str:
        return f"`{m.mantle.model_id}` `{m.mantle.path}`" if m.mantle else "—"

    lines = [
        "| Model | Canonical id | Aliases | Needs profile | Profiles (source Regions) "
        "| In-Region (plain id) | Regions | Tools | Reasoning | Mantle | Status |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in CATALOG:
        profiles = ", ".join(f"`{geo}.` ({len(src)})" for geo, src in m.geographies.items())
        lines.append(
            f"| {m.display_name} | `{m.model_id}` | {ticks(m.aliases)} "
            f"| {needs_profile(m)} | {profiles or '—'} "
            f"| {len(m.on_demand_regions) or '—'} "
            f"| {'all' if m.regions_complete else 'known only'} "
            f"| {'yes' if m.capabilities.tools else 'no'} | {m.capabilities.reasoning} "
            f"| {mantle(m)} "
            f"| {'legacy' if m.legacy else 'active'} |"
        )
    lines += ["", "### Regions per model", ""]
    for m in CATALOG:
        parts = [f"in-Region: {', '.join(m.on_demand_regions)}"] if m.on_demand_regions else []
        parts += [f"`{geo}.`: {', '.join(src)}" for geo, src in m.geographies.items()]
        if m.mantle and m.mantle.regions:
            parts.append(f"bedrock-mantle: {', '.join(m.mantle.regions)}")
        where = "; ".join(parts) or "no Region confirmed yet"
        lines.append(f"- **{m.display_name}** (`{m.model_id}`) — {where}")
    return "\n".join(lines)


def _docs_block(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip()


def test_docs_mention_every_canonical_id() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [m.model_id for m in CATALOG if f"`{m.model_id}`" not in text]
    assert not missing, f"docs/models.md lacks {missing}; run python {__file__} --write-docs"


def test_docs_catalog_is_current() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert _docs_block(text) == render_catalog(), f"run: python {__file__} --write-docs"


def _write_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOCS.write_text(f"{text[:start]}\n{render_catalog()}\n{text[end:]}", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-docs"]:
        _write_docs()
    else:
        sys.exit(f"usage: python {sys.argv[0]} --write-docs")
