"""The live catalog behind resolve_model_id, against the emulator's control plane (issue 16).

Every test talks to the emulator over real sockets with botocore: the listings are real
``ListInferenceProfiles`` / ``ListFoundationModels`` calls, counted in ``emu.requests``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import EndpointConnectionError

from bedrock_auth import (
    AccessDeniedError,
    BedrockAuthError,
    BedrockClientManager,
    LegacyModelWarning,
    ModelNotAvailableError,
    _catalog,
    converse,
    converse_stream,
    get_llm,
    resolve_model_id,
)
from bedrock_auth._calls import resolve
from bedrock_auth._catalog import _lifecycle_dates
from bedrock_auth.cli import main
from bedrock_auth.models import CATALOG, ModelInfo
from bedrock_auth.testing import BedrockEmulator

SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"
HAIKU_35 = "anthropic.claude-3-5-haiku-20241022-v1:0"
NEWER = "anthropic.claude-sonnet-9-v1:0"  # newer than the static table
LISTINGS = ("ListInferenceProfiles", "ListFoundationModels")


@pytest.fixture
def emu() -> Iterator[BedrockEmulator]:
    """A fresh emulator per test: tests change its models and count its listings."""
    with BedrockEmulator() as emulator:
        yield emulator


def listings(emu: BedrockEmulator, region: str | None = None) -> list[str]:
    return [
        r.operation or ""
        for r in emu.requests
        if r.operation in LISTINGS and (region is None or r.region == region)
    ]


def control_plane(emu: BedrockEmulator) -> list[Any]:
    return [r for r in emu.requests if r.service == "bedrock"]


def botocore_parses_end_of_life() -> bool:
    """Whether the installed botocore's bedrock model has a model's endOfLifeTime (1.44 has;
    older ones drop it from the listing, so no date can be shown)."""
    model = botocore.session.get_session().get_service_model("bedrock")
    return "FoundationModelLifecycle" in model.shape_names and (
        "endOfLifeTime" in model.shape_for("FoundationModelLifecycle").members
    )


# -- which id -----------------------------------------------------------------------------------


def test_a_model_only_reachable_through_jp_in_tokyo_resolves_to_jp(emu: BedrockEmulator) -> None:
    # The static table gives Sonnet 4 an apac. profile from Tokyo; this account only has jp.
    emu.set_inference_profiles(SONNET_4, ["jp"], region="ap-northeast-1")
    manager = emu.manager()

    assert resolve_model_id("sonnet-4", "ap-northeast-1") == f"apac.{SONNET_4}"
    assert resolve_model_id("sonnet-4", "ap-northeast-1", manager=manager) == f"jp.{SONNET_4}"
    # An explicit profile Bedrock does not list here is refused, naming the one it lists.
    with pytest.raises(ModelNotAvailableError, match=f"use jp.{SONNET_4}"):
        resolve_model_id(f"apac.{SONNET_4}", "ap-northeast-1", manager=manager)


def test_a_newer_model_resolves_once_the_emulator_lists_it(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    with pytest.raises(ModelNotAvailableError, match="not a model Bedrock lists"):
        resolve_model_id(NEWER, "us-east-1", manager=manager)

    emu.add_foundation_model(NEWER, name="Claude Sonnet 9", requires_profile=True)
    fresh = emu.manager()  # a new manager lists again (the other keeps its hour)

    assert resolve_model_id(NEWER, "us-east-1", manager=fresh) == f"us.{NEWER}"
    assert resolve_model_id(NEWER, "us-east-1") == NEWER  # the static table passes it through
    reply = converse(NEWER, "hi", manager=fresh)
    assert reply.model_id == f"us.{NEWER}"


def test_a_model_not_offered_in_the_region_is_refused_with_the_regions(
    emu: BedrockEmulator,
) -> None:
    manager = emu.manager()
    with pytest.raises(ModelNotAvailableError) as refused:
        resolve_model_id("opus-4.1", "eu-west-1", manager=manager)
    message = str(refused.value)
    assert "Claude Opus 4.1" in message and "eu-west-1" in message
    assert "us-east-1, us-east-2, us-west-2" in message  # from the static table
    assert "us.anthropic.claude-opus-4-1-20250805-v1:0" in message


def test_a_typo_is_refused_with_the_closest_listed_id(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    with pytest.raises(ModelNotAvailableError, match=r"Did you mean 'amazon\.nova-pro-v1:0'"):
        resolve_model_id("amazon.nova-prp-v1:0", "us-east-1", manager=manager)
    with pytest.raises(ModelNotAvailableError, match=r"Did you mean 'sonnet-4\.5'"):
        resolve_model_id("sonet-4.5", "us-east-1", manager=manager)


def test_a_model_listed_on_demand_here_is_called_by_its_plain_id(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    nova = "amazon.nova-pro-v1:0"
    assert resolve_model_id("nova-pro", "us-east-1", manager=manager) == nova
    assert resolve_model_id("nova-pro", "us-east-1", manager=manager, prefer_profile=True) == (
        f"us.{nova}"
    )
    # Resolution stays idempotent on the live path.
    assert resolve_model_id(f"us.{nova}", "us-east-1", manager=manager) == f"us.{nova}"


# -- the first call: the static table first, the listing when it cannot answer ---------------


@pytest.fixture
def strict() -> Iterator[BedrockEmulator]:
    """An emulator that refuses ids as Bedrock does (unknown, or needing a profile)."""
    with BedrockEmulator(strict_models=True) as emulator:
        yield emulator


def sent(emu: BedrockEmulator, operation: str = "Converse") -> list[str]:
    return [r.model_id or "" for r in emu.requests if r.operation == operation]


def test_a_model_the_table_knows_is_called_with_no_listing(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    for _ in range(3):
        assert converse("sonnet-4.5", "hi", manager=manager).text
    assert control_plane(emu) == []  # no bedrock client, no listing before the first token
    assert sent(emu) == ["us.anthropic.claude-sonnet-4-5-20250929-v1:0"] * 3


def test_a_model_only_the_listing_knows_still_resolves_on_its_first_call(
    emu: BedrockEmulator,
) -> None:
    emu.add_foundation_model(NEWER, name="Claude Sonnet 9", requires_profile=True)
    manager = emu.manager()
    assert converse(NEWER, "hi", manager=manager).model_id == f"us.{NEWER}"
    assert converse(NEWER, "hi", manager=manager).model_id == f"us.{NEWER}"
    assert listings(emu).count("ListFoundationModels") == 1  # one listing, kept
    assert sent(emu) == [f"us.{NEWER}"] * 2


def test_a_model_the_table_places_elsewhere_is_asked_of_the_listing(
    strict: BedrockEmulator,
) -> None:
    # The table says Opus 4.1 is not offered in eu-west-1; this account's listing has it.
    opus = "anthropic.claude-opus-4-1-20250805-v1:0"
    strict.set_inference_profiles(opus, ["eu"], region="eu-west-1")
    manager = strict.manager()
    with pytest.raises(ModelNotAvailableError):
        resolve_model_id("opus-4.1", "eu-west-1")
    assert converse("opus-4.1", "hi", region="eu-west-1", manager=manager).model_id == (
        f"eu.{opus}"
    )


def test_a_refused_id_is_sent_once_more_with_the_listed_one(strict: BedrockEmulator) -> None:
    # The table gives Sonnet 4 an apac. profile from Tokyo; this account only has jp.
    strict.set_inference_profiles(SONNET_4, ["jp"], region="ap-northeast-1")
    manager = strict.manager()
    first = converse("sonnet-4", "hi", region="ap-northeast-1", manager=manager)
    assert first.model_id == f"jp.{SONNET_4}"
    assert sent(strict) == [f"apac.{SONNET_4}", f"jp.{SONNET_4}"]  # refused, then listed
    assert listings(strict, "ap-northeast-1").count("ListFoundationModels") == 1

    strict.clear()
    stream = converse_stream("sonnet-4", "hi", region="ap-northeast-1", manager=manager)
    assert "".join(stream) and stream.model_id == f"jp.{SONNET_4}"
    assert sent(strict, "ConverseStream") == [f"jp.{SONNET_4}"]  # kept: straight to jp
    assert listings(strict) == []


def test_a_refused_id_is_retried_once_by_get_llm(strict: BedrockEmulator) -> None:
    strict.set_inference_profiles(SONNET_4, ["jp"], region="ap-northeast-1")
    manager = strict.manager()
    llm = get_llm("sonnet-4", region="ap-northeast-1", manager=manager)
    assert llm.model_id == f"apac.{SONNET_4}"  # built from the table: nothing listed yet
    assert control_plane(strict) == []
    assert llm.invoke("hi").content
    assert llm.model_id == f"jp.{SONNET_4}"
    assert "".join(str(chunk.content) for chunk in llm.stream("hi"))
    assert sent(strict) == [f"apac.{SONNET_4}", f"jp.{SONNET_4}"]
    assert sent(strict, "ConverseStream") == [f"jp.{SONNET_4}"]


def test_a_refused_explicit_profile_is_not_swapped(strict: BedrockEmulator) -> None:
    strict.set_inference_profiles(SONNET_4, ["jp"], region="ap-northeast-1")
    manager = strict.manager()
    with pytest.raises(ModelNotAvailableError, match=f"use jp.{SONNET_4}"):
        converse(f"apac.{SONNET_4}", "hi", region="ap-northeast-1", manager=manager)
    assert sent(strict) == [f"apac.{SONNET_4}"]  # the listing named the fix; no second call


def test_a_refused_model_the_listing_does_not_offer_says_where_it_runs(
    strict: BedrockEmulator,
) -> None:
    sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    strict.set_inference_profiles(sonnet, [], region="eu-west-1")
    manager = strict.manager()
    with pytest.raises(ModelNotAvailableError, match="not offered to this account in eu-west-1"):
        converse("sonnet-4.5", "hi", region="eu-west-1", manager=manager)
    assert len(sent(strict)) == 1


def test_a_refusal_without_a_listing_is_bedrocks_own(strict: BedrockEmulator) -> None:
    strict.set_inference_profiles(SONNET_4, ["jp"], region="ap-northeast-1")
    strict.fail("AccessDeniedException", operation="ListFoundationModels", times=None)
    manager = strict.manager()
    with pytest.raises(BedrockAuthError, match="model identifier is invalid"):
        converse("sonnet-4", "hi", region="ap-northeast-1", manager=manager)
    assert sent(strict) == [f"apac.{SONNET_4}"]


def test_a_listed_answer_lives_as_long_as_its_listing(strict: BedrockEmulator) -> None:
    strict.set_inference_profiles(SONNET_4, ["jp"], region="ap-northeast-1")
    manager = strict.manager()
    now = [1000.0]
    manager.catalog._listings.clock = lambda: now[0]
    converse("sonnet-4", "hi", region="ap-northeast-1", manager=manager)
    now[0] += 3601  # the listing expired: the next call lists again, then goes to jp at once
    strict.clear()
    assert converse("sonnet-4", "hi", region="ap-northeast-1", manager=manager).model_id == (
        f"jp.{SONNET_4}"
    )
    assert sent(strict) == [f"jp.{SONNET_4}"]
    assert listings(strict).count("ListFoundationModels") == 1


def test_a_resolution_is_made_once_and_reused(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    first = resolve(manager, "sonnet-4.5")
    assert resolve(manager, "sonnet-4.5") is first
    assert first.context("Converse") is first.context("Converse")  # no context built per call
    manager.catalog.clear()
    assert resolve(manager, "sonnet-4.5") is not first


# -- lifecycle ----------------------------------------------------------------------------------


def test_a_legacy_model_warns_once_with_its_date_and_replacement(emu: BedrockEmulator) -> None:
    emu.set_model_lifecycle(HAIKU_35, "LEGACY", end_of_life="2026-03-01")
    manager = emu.manager()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert resolve_model_id("haiku-3.5", "us-west-2", manager=manager) == HAIKU_35
        converse("haiku-3.5", "hi", region="us-west-2", manager=manager)
    legacy = [w for w in caught if issubclass(w.category, LegacyModelWarning)]
    assert len(legacy) == 1
    text = str(legacy[0].message)
    assert "Claude 3.5 Haiku" in text and "LEGACY" in text
    assert ("2026-03-01" in text) is botocore_parses_end_of_life()
    assert "Claude Haiku 4.5" in text  # the static table's replacement
    assert legacy[0].filename == __file__  # it points at the caller, not at bedrock_auth


def test_an_active_model_does_not_warn(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LegacyModelWarning)
        resolve_model_id("sonnet-4.5", "us-east-1", manager=manager)


def test_lifecycle_dates_are_read_only_where_botocore_has_them() -> None:
    def client(members: tuple[str, ...]) -> Any:
        shape = SimpleNamespace(members=dict.fromkeys(members))
        model = SimpleNamespace(shape_names=["FoundationModelLifecycle"], shape_for=lambda _: shape)
        return SimpleNamespace(meta=SimpleNamespace(service_model=model))

    assert _lifecycle_dates(client(("status",))) == {}
    assert _lifecycle_dates(client(("status", "endOfLifeTime"))) == {"endOfLifeTime": "end_of_life"}


# -- falling back -------------------------------------------------------------------------------


def test_access_denied_on_list_inference_profiles_falls_back_silently(
    emu: BedrockEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.fail("AccessDeniedException", operation="ListInferenceProfiles", times=None)
    manager = emu.manager()
    with caplog.at_level(logging.DEBUG, logger="bedrock_auth"):
        for model in ("sonnet-4.5", "haiku", NEWER):
            static = resolve_model_id(model, "us-east-1")
            assert resolve_model_id(model, "us-east-1", manager=manager) == static
    # The three listings go out together, once: the denial is remembered for the TTL.
    assert sorted(listings(emu)) == [
        "ListFoundationModels", "ListInferenceProfiles", "ListInferenceProfiles"
    ]
    said = [r for r in caplog.records if "live model catalog unavailable" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.DEBUG
    assert "AccessDeniedException" in said[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert manager.catalog.failure("us-east-1") == "AccessDeniedException"


def test_a_credential_failure_is_not_remembered_and_the_call_reports_it(
    emu: BedrockEmulator,
) -> None:
    # A model only the listing knows: its first call lists (a known one would not).
    emu.add_foundation_model(NEWER, name="Claude Sonnet 9", requires_profile=True)
    manager = emu.manager(role_arn="arn:aws:iam::210987654321:role/Bedrock", validate=False)
    emu.fail("AccessDenied", operation="AssumeRole", message="not authorized", times=None)
    with pytest.raises(AccessDeniedError, match="bedrock-runtime Converse") as denied:
        converse(NEWER, "hi", manager=manager)
    assert "sts:AssumeRole" in str(denied.value)  # the role, not the listing, is the problem
    assert listings(emu) == []  # the listing never got as far as Bedrock

    emu.clear()  # the role works again: the next resolution lists at once, not in an hour
    assert converse(NEWER, "hi", manager=manager).model_id == f"us.{NEWER}"
    assert "ListFoundationModels" in listings(emu)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_control_plane_falls_back_once(emu: BedrockEmulator) -> None:
    endpoints = {**emu.endpoints(), "bedrock": f"http://127.0.0.1:{_closed_port()}"}
    manager = emu.manager(endpoint_url=endpoints)
    assert resolve_model_id("sonnet-4.5", "eu-west-1", manager=manager) == (
        "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    assert manager.catalog.failure("eu-west-1") == EndpointConnectionError.__name__
    config = manager._listing_client("eu-west-1").meta.config
    assert config.retries["total_max_attempts"] == 1
    assert config.connect_timeout == config.read_timeout == 2.0


# -- one listing per region ---------------------------------------------------------------------


def test_32_threads_make_one_listing_per_region(emu: BedrockEmulator) -> None:
    # Slow listings, so that every thread arrives while the first one is still listing.
    emu.fail(None, operation="ListFoundationModels", delay=0.3, times=None)
    manager = emu.manager()
    regions = ["us-east-1", "eu-west-1"] * 16
    barrier = threading.Barrier(len(regions))

    def resolve(region: str) -> str:
        barrier.wait()
        return resolve_model_id("sonnet-4.5", region, manager=manager)

    with ThreadPoolExecutor(len(regions)) as pool:
        answers = list(pool.map(resolve, regions))
    assert set(answers) == {
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
    }
    for region in ("us-east-1", "eu-west-1"):
        # One listing: system-defined and application profiles, then the models.
        assert sorted(listings(emu, region)) == sorted(
            [*["ListInferenceProfiles"] * 2, LISTINGS[1]]
        )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_does_not_inherit_a_held_catalog_lock(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    resolve_model_id("sonnet-4.5", "us-east-1", manager=manager)
    with manager.catalog._listings._lock:  # another thread is listing at fork time
        pid = os.fork()
        if pid == 0:  # the child: lists eu-west-1 on its own connections, or times out
            signal.alarm(10)
            answer = resolve_model_id("sonnet-4.5", "eu-west-1", manager=manager)
            os._exit(0 if answer.startswith("eu.") else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert listings(emu, "eu-west-1")  # the child's listing reached the emulator


def test_a_listing_is_kept_for_an_hour(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    now = [1000.0]
    manager.catalog._listings.clock = lambda: now[0]
    resolve_model_id("sonnet-4.5", "us-east-1", manager=manager)
    now[0] += 3599
    resolve_model_id("haiku", "us-east-1", manager=manager)
    assert listings(emu).count("ListFoundationModels") == 1
    now[0] += 2
    resolve_model_id("haiku", "us-east-1", manager=manager)
    assert listings(emu).count("ListFoundationModels") == 2


# -- opting out ---------------------------------------------------------------------------------


def test_live_catalog_false_makes_no_control_plane_call(emu: BedrockEmulator) -> None:
    manager = emu.manager(live_catalog=False)
    assert resolve_model_id(NEWER, "us-east-1", manager=manager) == NEWER
    assert converse("sonnet-4.5", "hi", manager=manager).text
    assert control_plane(emu) == []


def test_bedrock_live_catalog_0_opts_out(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_LIVE_CATALOG", "0")
    manager = emu.manager()
    assert manager.settings.live_catalog is False
    resolve_model_id("sonnet-4.5", "us-east-1", manager=manager)
    assert control_plane(emu) == []
    assert emu.manager(live_catalog=True).settings.live_catalog is True  # the keyword wins


def test_bedrock_live_catalog_must_be_a_flag(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_LIVE_CATALOG", "maybe")
    with pytest.raises(ValueError, match="BEDROCK_LIVE_CATALOG='maybe'"):
        emu.manager()


# -- the static table and the emulator cannot drift --------------------------------------------


def _regions() -> list[str]:
    return sorted({region for info in CATALOG for region in info.regions})


def _offered(info: ModelInfo, region: str) -> bool:
    return info.on_demand_in(region) or any(region in s for s in info.geographies.values())


def test_the_static_table_and_the_emulators_listings_agree(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For every catalogued model in every Region the table names: Bedrock's (emulated)
    listing offers it exactly where the table does, with the same profiles, the same lifecycle,
    and the live path resolves it to the same id as the static one."""
    # The listings' contents are compared here, not their 2-second deadline: a busy CI run
    # (every core pinned) once took longer than that for one of the dozens of Regions.
    monkeypatch.setattr(_catalog, "LISTING_TIMEOUT", 60.0)
    manager = emu.manager()
    for region in _regions():
        listing = manager.catalog.listing(region)
        assert listing is not None, (region, manager.catalog.failure(region))
        for info in CATALOG:
            prefixes = sorted(g for g, sources in info.geographies.items() if region in sources)
            listed = listing.models.get(info.model_id)
            assert listing.profiles_for(info.model_id) == [f"{g}.{info.model_id}" for g in prefixes]
            assert (listed is not None) == _offered(info, region), (info.model_id, region)
            if listed is None:
                continue
            assert listed.on_demand == info.on_demand_in(region), (info.model_id, region)
            assert listed.status == ("LEGACY" if info.legacy else "ACTIVE")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", LegacyModelWarning)
                live = resolve_model_id(info.model_id, region, manager=manager)
            assert live == resolve_model_id(info.model_id, region), (info.model_id, region)


# -- the command line ---------------------------------------------------------------------------


def test_models_json_parses(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BEDROCK_LIVE_CATALOG", "0")  # `models` lists all the same
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team-a"
    emu.add_inference_profile(arn, "anthropic.claude-haiku-4-5-20251001-v1:0")
    emu.set_model_lifecycle(HAIKU_35, end_of_life="2026-03-01")

    assert main(["models", "--provider", "anthropic", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)

    assert document["region"] == "us-east-1"
    by_id = {row["id"]: row for row in document["models"]}
    sonnet = by_id["us.anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert sonnet["access"] == "inference profile" and sonnet["status"] == "ACTIVE"
    assert by_id["anthropic.claude-3-haiku-20240307-v1:0"]["access"] == "on-demand"
    legacy = by_id[f"us.{HAIKU_35}"]
    assert legacy["status"] == "LEGACY"
    assert legacy["end_of_life"] == ("2026-03-01" if botocore_parses_end_of_life() else None)
    assert by_id[arn]["access"] == "application profile"
    assert {row["vendor"] for row in document["models"]} == {"anthropic"}


def test_models_says_what_is_missing_when_the_listing_is_denied(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    emu.fail("AccessDeniedException", operation="ListFoundationModels", times=None)
    assert main(["models", "--region", "eu-west-1"]) == 2
    err = capsys.readouterr().err
    assert "AccessDeniedException" in err and "bedrock-auth policy --list" in err
    assert emu.secret_access_key not in err


def test_policy_list_names_the_listing_actions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--list", "--region", "us-east-1"]) == 0
    actions = {a for s in json.loads(capsys.readouterr().out)["Statement"] for a in s["Action"]}
    assert {"bedrock:ListInferenceProfiles", "bedrock:ListFoundationModels"} <= actions


def test_a_manager_exposes_its_catalog(emu: BedrockEmulator) -> None:
    manager: BedrockClientManager = emu.manager()
    listing = manager.catalog.listing("us-east-1")
    assert (
        listing is not None and "us.anthropic.claude-sonnet-4-5-20250929-v1:0" in listing.profiles
    )
    assert manager.catalog.listing("us-east-1") is listing  # cached
