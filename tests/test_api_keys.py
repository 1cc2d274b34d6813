"""Short-term Bedrock API keys from the manager: ``api_key()`` and ``api_key_provider()``.

Keys are read back by decoding them (a key is the base64 of a presigned URL), so what a key
says about its Region, signing time, life and session is checked without trusting the code
that made it. The emulator's own check of keys is in tests/test_openai.py.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import pickle
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

import bedrock_auth
from bedrock_auth import BedrockClientManager, ConfigurationError, _api_keys
from bedrock_auth._redact import redact
from bedrock_auth._state import hooks
from bedrock_auth.testing import BedrockEmulator

generator = pytest.importorskip("aws_bedrock_token_generator")
token_generator = pytest.importorskip("aws_bedrock_token_generator.token_generator")

ROLE = "arn:aws:iam::210987654321:role/key-maker"


def claims(key: str) -> dict[str, str]:
    """What a key says: the query of the presigned URL it encodes."""
    assert key.startswith(token_generator.AUTH_PREFIX)
    url = base64.b64decode(key[len(token_generator.AUTH_PREFIX) :]).decode()
    return {k: v[0] for k, v in parse_qs(urlsplit(f"https://{url}").query).items()}


def expires_at(key: str) -> datetime:
    said = claims(key)
    signed = datetime.strptime(said["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    return signed + timedelta(seconds=int(said["X-Amz-Expires"]))


def credential_expiry(manager: BedrockClientManager) -> datetime:
    expiry: datetime = manager.session.get_credentials()._expiry_time
    return expiry


@pytest.fixture
def manager(emu: BedrockEmulator) -> Iterator[BedrockClientManager]:
    with emu.manager() as built:
        yield built


# -- api_key() --------------------------------------------------------------------------------


def test_a_key_is_signed_for_bedrock_in_the_region_asked(manager: BedrockClientManager) -> None:
    said = claims(manager.api_key("eu-west-1"))
    key_id, _, region, service, _ = said["X-Amz-Credential"].split("/")
    assert (key_id, region, service) == (manager.settings.access_key_id, "eu-west-1", "bedrock")
    assert said["Action"] == "CallWithBearerToken"
    assert claims(manager.api_key())["X-Amz-Credential"].split("/")[2] == manager.region


@pytest.mark.parametrize("asked", [300, 300.0, timedelta(minutes=5)])
def test_expires_in_caps_the_life(manager: BedrockClientManager, asked: object) -> None:
    assert int(claims(manager.api_key(expires_in=asked))["X-Amz-Expires"]) <= 300  # type: ignore[arg-type]


def test_static_keys_give_the_longest_life_by_default(manager: BedrockClientManager) -> None:
    assert int(claims(manager.api_key())["X-Amz-Expires"]) == token_generator.TOKEN_DURATION


def test_the_cap_is_the_generators_own() -> None:
    assert _api_keys.MAX_KEY_SECONDS == token_generator.TOKEN_DURATION


@pytest.mark.parametrize(
    "asked",
    [token_generator.TOKEN_DURATION + 1, timedelta(hours=13), 0, -5, "300", True, float("nan")],
)
def test_a_life_outside_the_limits_is_refused(
    manager: BedrockClientManager, asked: object
) -> None:
    with pytest.raises(ConfigurationError, match="expires_in"):
        manager.api_key(expires_in=asked)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="expires_in"):
        manager.api_key_provider(expires_in=asked)  # type: ignore[arg-type]


def test_a_key_from_60_second_credentials_expires_with_them() -> None:
    with BedrockEmulator(assume_role_duration=60) as emu, emu.manager(role_arn=ROLE) as manager:
        key = manager.api_key()
        said = claims(key)
        assert said["X-Amz-Credential"].startswith("ASIA")  # the role's, not the base keys
        assert "X-Amz-Security-Token" in said
        assert expires_at(key) <= credential_expiry(manager)
        assert int(said["X-Amz-Expires"]) <= 60


def test_api_key_mode_gives_the_configured_key() -> None:
    configured = "ABSKQmVkcm9ja0FQSUtleS1jb25maWd1cmVkLWtleQ=="
    manager = BedrockClientManager(
        api_key=configured, region="us-east-1", load_dotenv=False, validate=False
    )
    assert manager.api_key() == configured
    assert manager.api_key_provider()() == configured
    assert manager.api_key_provider().cached() == configured
    with pytest.raises(ConfigurationError):
        manager.api_key(expires_in=timedelta(hours=13))


def test_a_missing_generator_names_the_extra(
    manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "aws_bedrock_token_generator", None)
    with pytest.raises(ImportError, match=r"bedrock-auth\[openai\]"):
        manager.api_key()
    with pytest.raises(ImportError, match=r"bedrock-auth\[openai\]"):
        manager.api_key_provider()()


# -- api_key_provider() -----------------------------------------------------------------------


def counting_mints(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread of every key minted from now on."""
    threads: list[str] = []
    real = _api_keys._mint

    def mint(*args: object) -> str:
        threads.append(threading.current_thread().name)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_api_keys, "_mint", mint)
    return threads


def test_the_provider_caches_one_key(
    manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    mints = counting_mints(monkeypatch)
    provider = manager.api_key_provider()
    assert provider.cached() is None
    first = provider()
    assert provider() == first == provider.cached()
    assert manager.api_key_provider()() == first  # the same credentials share the key
    assert len(mints) == 1


def test_concurrent_callers_share_one_mint(
    manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    mints = counting_mints(monkeypatch)
    provider = manager.api_key_provider()
    start = threading.Barrier(16)
    keys: list[str] = []

    def call() -> None:
        start.wait()
        keys.append(provider())

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(keys) == 16 and len(set(keys)) == 1
    assert len(mints) == 1


def test_reset_empties_the_cache(
    manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    mints = counting_mints(monkeypatch)
    provider = manager.api_key_provider()
    provider()
    bedrock_auth.reset()
    assert provider.cached() is None
    provider()
    assert len(mints) == 2
    assert "bedrock_auth._api_keys" in {hook.owner for hook in hooks()}


def test_a_new_key_is_minted_before_the_old_one_expires() -> None:
    """Role credentials of 3 s: each key lives no longer than they do, and the provider hands
    out a new one (from new credentials) before the old one expires."""
    with BedrockEmulator(assume_role_duration=3) as emu, emu.manager(role_arn=ROLE) as manager:
        provider = manager.api_key_provider()
        seen: list[tuple[str, datetime]] = []
        deadline = time.monotonic() + 60  # a guard against a hang: 20x the credentials' life
        while len({claims(k)["X-Amz-Credential"] for k, _ in seen}) < 3:
            assert time.monotonic() < deadline, "no new credentials within 60 s"
            key = provider()
            seen.append((key, datetime.now(timezone.utc)))
            time.sleep(0.05)
    for key, handed_out in seen:
        assert handed_out < expires_at(key), "a key was handed out after it expired"


def test_aget_mints_off_the_event_loop(
    manager: BedrockClientManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    mints = counting_mints(monkeypatch)
    provider = manager.api_key_provider()

    async def run() -> tuple[str, str, str]:
        first = await provider.aget()
        second = await provider.aget()  # from the cache, on the loop
        return first, second, threading.current_thread().name

    first, second, loop_thread = asyncio.run(run())
    assert first == second
    assert len(mints) == 1 and mints[0] != loop_thread


# -- secrets ----------------------------------------------------------------------------------


def test_keys_never_show(
    manager: BedrockClientManager, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = manager.api_key_provider()
    key = provider()
    other = manager.api_key(expires_in=60)
    for secret in (key, other):
        assert secret not in repr(provider) and secret not in repr(manager)
        assert redact(f"header Authorization: Bearer {secret}").count("***") >= 1
        assert secret not in redact(f"the key {secret} leaked")
        assert secret[len(token_generator.AUTH_PREFIX) :] not in redact(f"x {secret} y")
    assert not [r for r in caplog.records if key in r.getMessage() or other in r.getMessage()]
    with pytest.raises(TypeError, match="does not pickle"):
        pickle.dumps(provider)
