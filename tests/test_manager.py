"""BedrockClientManager over real sockets: the emulator serves STS and Bedrock on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from bedrock_auth import (
    BedrockClientManager,
    ConfigurationError,
    CredentialEndpointUnreachableError,
    InvalidCredentialsError,
    get_manager,
)
from bedrock_auth.testing import BedrockEmulator

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
MODEL = "amazon.nova-lite-v1:0"


@pytest.fixture(scope="module")
def tls_emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(tls=True) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def fresh(emu: BedrockEmulator) -> None:
    emu.clear()


def operations(emu: BedrockEmulator, name: str) -> list[Any]:
    return [r for r in emu.requests if r.operation == name]


def botocore_endpoint(service: str, region: str) -> str:
    """The endpoint plain botocore picks for ``service`` in ``region``: its rules decide."""
    client = botocore.session.get_session().create_client(
        service, region_name=region, aws_access_key_id="AKIA", aws_secret_access_key="s"
    )
    return str(client.meta.endpoint_url)


def test_static_keys_are_validated_once_and_report_identity(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    assert manager.credential_source == "explicit"
    assert manager.identity is not None and manager.identity.account == "123456789012"
    assert len(operations(emu, "GetCallerIdentity")) == 1


def test_five_managers_same_credentials_one_get_caller_identity(emu: BedrockEmulator) -> None:
    managers = [emu.manager() for _ in range(5)]
    assert len({id(m) for m in managers}) == 5
    assert len(operations(emu, "GetCallerIdentity")) == 1
    emu.manager(access_key_id="AKIAOTHERKEY00000001", secret_access_key="y" * 40)
    assert len(operations(emu, "GetCallerIdentity")) == 2


def test_env_keys_and_env_endpoints(emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    manager = BedrockClientManager()
    assert manager.credential_source == "env"
    assert manager.region == emu.region
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert [r.operation for r in emu.requests] == ["GetCallerIdentity", "Converse"]


def test_client_is_cached_per_service_and_region(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    runtime = manager.client()
    assert manager.client("bedrock-runtime") is runtime
    assert manager.client("bedrock-runtime", manager.region) is runtime
    assert manager.client("bedrock-runtime", "us-west-2") is not runtime
    assert manager.client("bedrock-runtime", "us-west-2").meta.region_name == "us-west-2"
    assert manager.client("bedrock") is not runtime


def test_thirty_two_threads_get_one_client(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    barrier = threading.Barrier(32)
    seen: list[int] = []

    def grab() -> None:
        barrier.wait()
        seen.append(id(manager.client("bedrock-runtime", "eu-west-1")))

    threads = [threading.Thread(target=grab) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 32 and len(set(seen)) == 1


def test_get_manager_is_one_per_configuration(emu: BedrockEmulator) -> None:
    options: dict[str, Any] = {
        "endpoint_url": emu.endpoints(),
        "region": "us-east-1",
        "access_key_id": emu.access_key_id,
        "secret_access_key": emu.secret_access_key,
        "load_dotenv": False,
    }
    results: list[BedrockClientManager] = []
    threads = [
        threading.Thread(target=lambda: results.append(get_manager(**options))) for _ in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in results}) == 1
    assert get_manager(**{**options, "region": "eu-west-1"}) is not results[0]


def test_bad_region_for_client_is_a_configuration_error(emu: BedrockEmulator) -> None:
    with pytest.raises(ConfigurationError, match="us-west2"):
        emu.manager().client("bedrock-runtime", "us-west2")


def test_rejected_keys_raise_invalid_credentials(emu: BedrockEmulator) -> None:
    emu.reject_keys({"AKIAREJECTED00000001"})
    with pytest.raises(InvalidCredentialsError) as info:
        emu.manager(access_key_id="AKIAREJECTED00000001", secret_access_key="y" * 40)
    assert info.value.__cause__ is not None


def test_unreachable_endpoint_is_reported_at_init() -> None:
    with pytest.raises(CredentialEndpointUnreachableError, match="VPC"):
        BedrockClientManager(
            endpoint_url={"sts": "http://127.0.0.1:9"},
            region="us-east-1",
            access_key_id="AKIAEXAMPLE000000001",
            secret_access_key="x" * 40,
            max_retries=0,
            connect_timeout=1,
        )


def test_string_endpoint_is_bedrock_runtime_only(emu: BedrockEmulator) -> None:
    manager = emu.manager(endpoint_url={"sts": emu.endpoint_url})
    assert manager.client("bedrock-runtime", "eu-west-1").meta.endpoint_url.startswith("https://")
    vpce = BedrockClientManager(
        endpoint_url="https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com",
        region="us-east-1",
        validate=False,
        access_key_id="AKIAEXAMPLE000000001",
        secret_access_key="x" * 40,
    )
    assert vpce.client().meta.endpoint_url.startswith("https://vpce-1.")
    # STS keeps botocore's own endpoint (regional now, the global one in older botocore).
    assert vpce.client("sts").meta.endpoint_url == botocore_endpoint("sts", "us-east-1")


def test_endpoint_mapping_per_service(emu: BedrockEmulator) -> None:
    manager = BedrockClientManager(
        endpoint_url={"sts": emu.endpoint_url, "bedrock-runtime": emu.endpoint_url},
        access_key_id=emu.access_key_id,
        secret_access_key=emu.secret_access_key,
        region="us-east-1",
        load_dotenv=False,
    )
    assert manager.client().meta.endpoint_url == emu.endpoint_url
    assert manager.client("bedrock").meta.endpoint_url == botocore_endpoint("bedrock", "us-east-1")


def test_bearer_env_is_pinned_to_sigv4_by_default(
    tls_emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKbearer-token-value-000")
    with caplog.at_level(logging.WARNING, logger="bedrock_auth"):
        manager = tls_emu.manager()
        tls_emu.manager(region="eu-west-1")
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    converse = operations(tls_emu, "Converse")[-1]
    assert converse.auth_scheme == "sigv4"
    warnings = [
        r.getMessage() for r in caplog.records if "AWS_BEARER_TOKEN_BEDROCK" in r.getMessage()
    ]
    assert len(warnings) == 1 and "BEDROCK_AUTH_MODE=api_key" in warnings[0]
    assert manager.auth_info()["bearer_pinned_to_sigv4"] is True


def test_api_key_opt_in_uses_bearer_without_touching_environ(tls_emu: BedrockEmulator) -> None:
    tls_emu.clear()
    before = dict(os.environ)
    manager = BedrockClientManager(
        api_key="ABSKopt-in-key-000000",
        endpoint_url=tls_emu.endpoint_url,
        verify=tls_emu.ca_bundle,
        region="us-east-1",
        load_dotenv=False,
    )
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert dict(os.environ) == before
    assert manager.credential_source == "api-key" and manager.identity is None
    assert operations(tls_emu, "Converse")[-1].auth_scheme == "bearer"
    assert not operations(tls_emu, "GetCallerIdentity")
    with pytest.raises(ConfigurationError, match="Agents need"):
        manager.client("bedrock-agent-runtime")


def test_api_key_from_env_when_opted_in(
    tls_emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKenv-opt-in-000000")
    monkeypatch.setenv("BEDROCK_AUTH_MODE", "api_key")
    manager = BedrockClientManager(
        endpoint_url=tls_emu.endpoint_url, verify=tls_emu.ca_bundle, region="us-east-1"
    )
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert operations(tls_emu, "Converse")[-1].auth_scheme == "bearer"


def test_auth_info_repr_and_str_are_safe(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    info = manager.auth_info()
    assert info["source"] == "explicit" and info["account"] == "123456789012"
    assert info["access_key_id"] != emu.access_key_id and info["access_key_id"].endswith(
        emu.access_key_id[-4:]
    )
    for text in (str(info), repr(manager), str(manager)):
        assert emu.secret_access_key not in text


def test_validate_false_defers_sts(emu: BedrockEmulator) -> None:
    manager = emu.manager(validate=False)
    assert manager.identity is None and not emu.requests
    assert manager.validate() is not None and manager.identity is not None


def test_assume_role_with_mfa_external_id_and_default_session_name(emu: BedrockEmulator) -> None:
    codes: list[str] = []

    def mfa() -> str:
        codes.append("123456")
        return "123456"

    role = "arn:aws:iam::210987654321:role/bedrock-user"
    manager = emu.manager(
        role_arn=role,
        external_id="ext-1",
        duration_seconds=3600,
        mfa_serial="arn:aws:iam::123456789012:mfa/alice",
        mfa_token_provider=mfa,
    )
    assert manager.credential_source == "assume-role"
    assert manager.identity is not None and ":assumed-role/bedrock-user/bedrock-auth-" in (
        manager.identity.arn
    )
    assume = operations(emu, "AssumeRole")
    assert len(assume) == 1 and codes == ["123456"]
    form = assume[0].body
    assert form["RoleArn"] == role and form["DurationSeconds"] == "3600"
    assert form["SerialNumber"] == "arn:aws:iam::123456789012:mfa/alice"
    assert form["ExternalId"] == form["TokenCode"] == "***"  # masked in the record
    assert assume[0].sent("body.ExternalId", "ext-1") and assume[0].sent("body.TokenCode", "123456")
    assert form["RoleSessionName"].startswith("bedrock-auth-")
    # The role's credentials sign everything after AssumeRole, not the base keys.
    assert operations(emu, "GetCallerIdentity")[-1].access_key_id != emu.access_key_id


# -- process state: one registry --------------------------------------------------------------


def test_reset_empties_every_registered_cache(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import bedrock_auth
    from bedrock_auth import _redact, _shared_roles, models, regions, settings
    from bedrock_auth import manager as manager_module

    dotenv = tmp_path / ".env"
    dotenv.write_text("BEDROCK_MODEL_ID=amazon.nova-lite-v1:0\n")  # conftest drops BEDROCK_*
    monkeypatch.setenv("BEDROCK_DOTENV_PATH", str(dotenv))
    emu.manager(load_dotenv=True)  # a validated identity, a loaded .env
    regions._warned.first("us-east-9")
    models._warned.first("anthropic.claude-3-haiku-20240307-v1:0")
    manager_module._warned.first("AWS_BEARER_TOKEN_BEDROCK")
    _shared_roles.SHARED_ROLES.put("role", {"expiry_time": "x"}, 60.0)
    _redact.remember_secrets("forgotten-secret-0042")
    assert manager_module._identities.entries and settings._dotenv_loaded

    bedrock_auth.reset()

    assert "us-east-9" not in regions._warned  # reset() missed this set before the registry
    assert "anthropic.claude-3-haiku-20240307-v1:0" not in models._warned
    assert "AWS_BEARER_TOKEN_BEDROCK" not in manager_module._warned
    assert not _shared_roles.SHARED_ROLES.entries and not manager_module._identities.entries
    assert _redact.redact("forgotten-secret-0042") == "forgotten-secret-0042"
    assert not settings._dotenv_loaded and not manager_module._managers


def test_every_module_level_lock_and_cache_is_in_the_registry() -> None:
    """A cache added to any module is reset by reset() and renewed after fork, or this fails."""
    import importlib
    import pkgutil

    import bedrock_auth
    from bedrock_auth import _state

    modules = []
    for info in pkgutil.walk_packages(bedrock_auth.__path__, "bedrock_auth."):
        if info.name.endswith("__main__"):
            continue
        try:
            modules.append(importlib.import_module(info.name))
        except ImportError as exc:  # an adapter whose extra is not installed (anthropic, ...)
            if (exc.name or "").startswith("bedrock_auth"):
                raise
    raw_lock = type(threading.Lock())
    resets = [hook.reset for hook in _state.hooks()]
    owners = {hook.owner for hook in _state.hooks() if hook.reset is not None}
    unregistered = []
    for module in modules:
        for name, value in vars(module).items():
            where = f"{module.__name__}.{name}"
            if isinstance(value, raw_lock):
                unregistered.append(f"{where}: a threading.Lock (use _state.ForkSafeLock)")
            elif isinstance(value, _state.ForkSafeLock) and module.__name__ not in owners:
                unregistered.append(f"{where}: guards state no reset empties")
            elif isinstance(value, _state.SingleFlightCache) and value.clear not in resets:
                unregistered.append(f"{where}: a cache without an owner")
    assert unregistered == []


def test_a_single_flight_cache_shares_one_load_and_its_error() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bedrock_auth._state import SingleFlightCache

    cache: SingleFlightCache[str, int] = SingleFlightCache()
    joined, release, calls = threading.Semaphore(0), threading.Event(), []

    class Flights(dict[Any, Any]):
        def get(self, key: Any, default: Any = None) -> Any:
            found = super().get(key, default)
            if found is not None:
                joined.release()  # a caller found the load in flight: it will wait for it
            return found

    cache._flights = Flights()

    def load() -> tuple[int, float]:
        calls.append(1)
        release.wait(30)
        raise ValueError("denied")

    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(cache.fetch, "k", load)
        others = [pool.submit(cache.fetch, "k", load) for _ in range(3)]
        assert all(joined.acquire(timeout=30) for _ in others)
        assert pool.submit(cache.fetch, "other", lambda: (7, 60.0)).result(30) == 7
        release.set()  # other keys never waited for the load in flight
        failures = [f.exception(30) for f in [first, *others]]
    assert all(isinstance(f, ValueError) for f in failures) and calls == [1]
    assert cache.get("k") is None  # a failure is never kept
    assert cache.fetch("k", lambda: (1, 0.0)) == 1 and cache.get("k") is None  # 0 s: not kept
