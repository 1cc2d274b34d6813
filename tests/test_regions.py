"""bedrock_auth.regions: Region names checked against botocore, and the one prefix table."""

from __future__ import annotations

import ast
import doctest
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.loaders import create_loader

from bedrock_auth import BedrockClientManager, ConfigurationError, models, policy, regions
from bedrock_auth.regions import (
    GEOGRAPHY_PREFIXES,
    check_region,
    geographies_for_region,
    known_regions,
    split_profile_prefix,
)
from bedrock_auth.testing import catalog

PACKAGE = Path(regions.__file__).resolve().parent
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture
def fresh_warnings() -> None:
    """Forget which new Regions were already warned about, so each test sees its own warning."""
    regions._warned.clear()


@pytest.fixture
def fresh_region_data() -> Iterator[None]:
    """Re-read botocore's data in this test, and again afterwards for the tests that follow."""
    regions.known_regions.cache_clear()
    regions._known_stems.cache_clear()
    yield
    regions.known_regions.cache_clear()
    regions._known_stems.cache_clear()


def test_doctests() -> None:
    result = doctest.testmod(regions, optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed


# --------------------------------------------------------------------------- check_region


@pytest.mark.parametrize(
    "region",
    ["us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1", "us-isob-east-1", "eu-isoe-west-1"],
)
def test_regions_of_every_partition_are_accepted(region: str) -> None:
    assert check_region(region) == region


def test_european_sovereign_cloud_is_accepted_when_botocore_knows_it() -> None:
    if "eusc-de-east-1" not in known_regions():
        pytest.skip("this botocore has no aws-eusc partition")
    assert check_region("eusc-de-east-1") == "eusc-de-east-1"


def test_a_well_formed_typo_suggests_the_closest_region() -> None:
    with pytest.raises(ConfigurationError) as info:
        check_region("us-eats-1", "AWS_REGION")
    message = str(info.value)
    assert message.startswith("AWS_REGION='us-eats-1' is not an AWS region name botocore knows")
    assert "did you mean 'us-east-1'?" in message
    assert "pip install -U botocore" in message


@pytest.mark.parametrize(
    ("region", "flaw"),
    [
        ("us-east-1\n", "stray whitespace"),
        (" us-east-1", "stray whitespace"),
        ("us-east-1 ", "stray whitespace"),
        ("US-EAST-1", "upper-case letters"),
        (" Us-East-1", "stray whitespace and upper-case letters"),
    ],
)
def test_whitespace_and_case_are_refused_with_the_clean_name(region: str, flaw: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        check_region(region, "AWS_DEFAULT_REGION")
    message = str(info.value)
    assert message.startswith(f"AWS_DEFAULT_REGION={region!r} is not an AWS region name")
    assert f"(it has {flaw}); did you mean 'us-east-1'?" in message


@pytest.mark.parametrize(
    ("region", "suggestion"),
    [
        ("us-east1", "us-east-1"),
        ("us_east_1", "us-east-1"),
        ("eu-west-1a", "eu-west-1"),
        ("us-east", "us-east-1"),
        ("1-us-east", "us-east-1"),
    ],
)
def test_malformed_names_get_a_suggestion_too(region: str, suggestion: str) -> None:
    with pytest.raises(ConfigurationError, match=f"did you mean '{suggestion}'"):
        check_region(region)


@pytest.mark.parametrize("region", ["", "   ", "x", "12345"])
def test_hopeless_names_list_what_is_accepted(region: str) -> None:
    with pytest.raises(ConfigurationError, match="Accepted: names like 'us-east-1'"):
        check_region(region)


def test_an_unknown_name_with_nothing_close_lists_the_known_regions() -> None:
    with pytest.raises(ConfigurationError) as info:
        check_region("zz-top-9", "region in profile 'dev'")
    message = str(info.value)
    assert message.startswith("region in profile 'dev'='zz-top-9' is not an AWS region name")
    # Sorted, from botocore's partition data: its first Region is af-south-1 in botocore 1.44.
    partitions = create_loader().load_data("partitions")["partitions"]
    first = min(name for p in partitions for name in p["regions"] if name[-1].isdigit())
    assert f"Known regions: {first}, " in message
    assert "us-west-2" in message


@pytest.mark.parametrize(
    ("value", "type_name"), [(None, "NoneType"), (1, "int"), (b"us-east-1", "bytes")]
)
def test_a_non_str_is_refused_naming_its_type(value: object, type_name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"region must be a str .*, not {type_name}"):
        check_region(value)


def test_a_new_number_on_a_known_name_is_allowed_with_one_warning(
    fresh_warnings: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bedrock_auth"):
        assert check_region("us-east-3") == "us-east-3"
        assert check_region("us-east-3", "AWS_REGION") == "us-east-3"
    warnings = [r for r in caplog.records if r.name == "bedrock_auth"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "us-east-3" in warnings[0].getMessage()
    assert "upgrade botocore" in warnings[0].getMessage()


def test_known_regions_never_warn(fresh_warnings: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="bedrock_auth"):
        check_region("ap-southeast-2")
    assert not caplog.records


def test_known_regions_cover_botocore_endpoint_data() -> None:
    """partitions.json is read because it is small; it must not miss what endpoints.json has."""
    endpoints = create_loader().load_data("endpoints")
    listed = {name for p in endpoints["partitions"] for name in p["regions"]}
    assert listed <= known_regions()
    assert not {name for name in known_regions() if not name[-1].isdigit()}  # no "aws-global"


def test_region_data_comes_through_botocores_loader(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_region_data: None
) -> None:
    """AWS_DATA_PATH is botocore's override for its data files; it applies here too."""
    partitions = {"partitions": [{"id": "aws-test", "regions": {"xx-test-1": {}}}]}
    (tmp_path / "partitions.json").write_text(json.dumps(partitions))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    assert known_regions() == {"xx-test-1"}
    assert check_region("xx-test-1") == "xx-test-1"
    with pytest.raises(ConfigurationError, match="did you mean 'xx-test-1'"):
        check_region("xx-tset-1")


def test_import_is_cheap_and_depends_only_on_errors_the_state_registry_and_loader() -> None:
    """Region data is read on the first check, not on import; no import cycle is possible."""
    code = (
        "import bedrock_auth.regions as r, bedrock_auth.models, bedrock_auth.policy;"
        "assert r.known_regions.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    tree = ast.parse((PACKAGE / "regions.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bedrock")
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("bedrock")
    }
    # bedrock_auth._loader (botocore's data, shared with the manager's sessions) imports only
    # the state registry itself.
    assert imported == {"bedrock_auth.errors", "bedrock_auth._state", "bedrock_auth._loader"}


# --------------------------------------------------------------------------- callers


def test_resolve_model_id_refuses_a_region_typo() -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'us-east-1'"):
        models.resolve_model_id("x", "us-eats-1")


def _no_network(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a network call was made")


def test_aws_region_typo_fails_in_the_manager_before_any_network_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket, "create_connection", _no_network)
    monkeypatch.setenv("AWS_REGION", "us-eats-1")
    with pytest.raises(ConfigurationError) as info:
        BedrockClientManager(validate=False)
    assert "AWS_REGION='us-eats-1'" in str(info.value)
    assert "did you mean 'us-east-1'?" in str(info.value)


def test_a_settings_region_with_a_newline_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1\n")
    with pytest.raises(ConfigurationError, match=r"AWS_DEFAULT_REGION=.*did you mean 'eu-west-1'"):
        BedrockClientManager(validate=False)


def test_fallback_region_typo_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_FALLBACK_REGIONS", "eu-west-1,eu-wset-1")
    with pytest.raises(ConfigurationError, match="BEDROCK_FALLBACK_REGIONS='eu-wset-1'"):
        BedrockClientManager(region="eu-central-1", validate=False)


# --------------------------------------------------------------------------- geographies


@pytest.mark.parametrize(
    ("region", "geographies"),
    [
        ("us-east-1", ("us", "global")),
        ("ca-central-1", ("us", "global")),
        ("us-gov-west-1", ("us-gov", "global")),
        ("il-central-1", ("eu", "global")),
        ("ap-northeast-3", ("jp", "apac", "global")),
        ("ap-southeast-6", ("au", "apac", "global")),
        ("ap-south-1", ("apac", "global")),
        ("sa-east-1", ("global",)),
        ("cn-north-1", ("global",)),
        ("eusc-de-east-1", ("global",)),
        # The isolated partitions are not the US or EU geography.
        ("us-iso-east-1", ("global",)),
        ("us-isob-east-1", ("global",)),
        ("eu-isoe-west-1", ("global",)),
    ],
)
def test_geographies_for_region(region: str, geographies: tuple[str, ...]) -> None:
    assert geographies_for_region(region) == geographies


def test_every_rule_names_known_geographies() -> None:
    for _pattern, geographies in regions._REGION_RULES:
        assert set(geographies) <= set(GEOGRAPHY_PREFIXES)


@pytest.mark.parametrize(
    ("model_id", "split"),
    [
        (f"us.{SONNET_45}", ("us", SONNET_45)),
        (f"US-GOV.{SONNET_45}", ("us-gov", SONNET_45)),
        (f"global.{SONNET_45}", ("global", SONNET_45)),
        (SONNET_45, (None, SONNET_45)),
        # AWS has no Canadian prefix: Canada calls the us. and global. profiles.
        (f"ca.{SONNET_45}", (None, f"ca.{SONNET_45}")),
        ("us.", (None, "us.")),
    ],
)
def test_split_profile_prefix(model_id: str, split: tuple[str | None, str]) -> None:
    assert split_profile_prefix(model_id) == split


@pytest.mark.parametrize("prefix", [*GEOGRAPHY_PREFIXES, "ca", "xx"])
def test_models_policy_and_emulator_agree_on_prefixes(prefix: str) -> None:
    profile_id = f"{prefix}.{SONNET_45}"
    is_profile = prefix in GEOGRAPHY_PREFIXES
    assert (models.get_model_info(profile_id) is not None) == is_profile
    resources = policy.policy_document(["bedrock:InvokeModel"], model_id=profile_id)
    profile_arn = f"arn:aws:bedrock:*:*:inference-profile/{profile_id}"
    assert (profile_arn in resources["Statement"][0]["Resource"]) == is_profile
    assert (catalog.strip_profile_prefix(profile_id) == SONNET_45) == is_profile


def test_one_prefix_table_shared_by_every_module() -> None:
    assert models.GEOGRAPHY_PREFIXES is GEOGRAPHY_PREFIXES
    assert set(catalog.GEO_NAMES) == set(GEOGRAPHY_PREFIXES)
    assert set(catalog.GEO_REGIONS) <= set(GEOGRAPHY_PREFIXES)


def _literal_collections(tree: ast.AST) -> Iterator[tuple[int, set[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items: list[ast.expr | None] = list(node.elts)
        elif isinstance(node, ast.Dict):
            items = list(node.keys)
        else:
            continue
        constants = [item.value for item in items if isinstance(item, ast.Constant)]
        yield node.lineno, {value for value in constants if isinstance(value, str)}


def test_the_only_prefix_table_in_the_package_is_in_regions() -> None:
    """A second copy is how ``ca`` crept into two of the three old tables."""
    prefixes = {*GEOGRAPHY_PREFIXES, "ca"}
    copies = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "regions.py" and path.parent == PACKAGE:
            continue
        for line, strings in _literal_collections(ast.parse(path.read_text())):
            found = strings & prefixes
            # A whole table has most prefixes, or "global" beside a geography; the emulator's
            # GEO_REGIONS (source Regions for us, eu and apac only) is data, not a table.
            if len(found) >= 4 or ("global" in found and len(found) >= 2):
                copies.append(f"{path.relative_to(PACKAGE.parent)}:{line} {sorted(found)}")
    assert not copies
