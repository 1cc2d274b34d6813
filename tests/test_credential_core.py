"""The credential core: settings resolved once, one source class per mode, AWS settings kept.

Everything runs over real sockets against the emulator (which serves STS too) with a temp
HOME; "before any network call" is proved with an endpoint nothing listens on.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from installed_botocore import sts_max, sts_members, sts_range, validation_report

from bedrock_auth import (
    BedrockClientManager,
    ConfigurationError,
    CredentialsNotFoundError,
    CredentialValues,
)
from bedrock_auth._shapes import OWN_OPTIONS
from bedrock_auth.sources import (
    ApiKeySource,
    AssumeRoleSource,
    AutoChainSource,
    CustomSource,
    EnvSource,
    ProfileSource,
    StaticKeysSource,
    WebIdentitySource,
)
from bedrock_auth.testing import BedrockEmulator

OFFLINE: dict[str, Any] = {"validate": False, "endpoint_url": "http://127.0.0.1:9"}
KEYS = {"access_key_id": "AKIAEXAMPLE000000001", "secret_access_key": "x" * 40}
ROLE = "arn:aws:iam::210987654321:role/bedrock-user"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
MODEL = "amazon.nova-lite-v1:0"


def write_config(text: str) -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(text)


@pytest.fixture(autouse=True)
def fresh(emu: BedrockEmulator) -> None:
    emu.clear()


# -- regions -------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["dev", None])
def test_malformed_profile_region_is_refused_before_any_network_call(profile: str | None) -> None:
    name = profile or "default"
    write_config(f"[{'profile ' + name if profile else name}]\nregion = uswest2\n")
    with pytest.raises(ConfigurationError, match=f"region in profile '{name}'='uswest2'"):
        BedrockClientManager(profile=profile, **KEYS, **OFFLINE)


def test_typo_in_profile_region_gets_a_suggestion() -> None:
    write_config("[profile dev]\nregion = us-eats-1\n")
    with pytest.raises(ConfigurationError, match="did you mean 'us-east-1'"):
        BedrockClientManager(profile="dev", **KEYS, **OFFLINE)


@pytest.mark.parametrize("region", ["us-east-1\n", " us-east-1", "us-east-1 "])
def test_region_with_stray_whitespace_is_refused(region: str) -> None:
    with pytest.raises(ConfigurationError, match="region="):
        BedrockClientManager(region=region, **KEYS, **OFFLINE)


def test_region_from_profile_reaches_every_client(emu: BedrockEmulator) -> None:
    write_config("[profile dev]\nregion = eu-west-3\n")
    manager = emu.manager(profile="dev", region=None, validate=False, **KEYS)
    assert (manager.region, manager.settings.region_source) == ("eu-west-3", "profile")
    assert manager.client().meta.region_name == "eu-west-3"


# -- one source class per mode ---------------------------------------------------------------


def test_each_mode_has_its_source_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config("[profile dev]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEYS["access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEYS["secret_access_key"])
    token = tmp_path / "token"
    token.write_text("jwt")
    cases: dict[type, dict[str, Any]] = {
        AutoChainSource: {},
        ProfileSource: {"profile": "dev"},
        EnvSource: {"mode": "env"},
        StaticKeysSource: KEYS,
        AssumeRoleSource: {"role_arn": ROLE},
        WebIdentitySource: {"role_arn": ROLE, "web_identity_token_file": str(token)},
        ApiKeySource: {"api_key": "ABSKexample0000"},
        CustomSource: {"credential_provider": lambda: KEYS},
    }
    for klass, options in cases.items():
        manager = BedrockClientManager(region="us-east-1", **{**OFFLINE, **options})
        assert type(manager.source) is klass, klass
        assert manager.mode == klass.METHOD


def test_no_mode_string_comparisons_outside_settings() -> None:
    import bedrock_auth.credentials as credentials
    import bedrock_auth.manager as manager

    for module in (manager, credentials):
        text = Path(str(module.__file__)).read_text(encoding="utf-8")
        assert "mode ==" not in text and "mode !=" not in text and "mode in (" not in text


def test_profile_manager_builds_one_botocore_session(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[dev]\naws_access_key_id = {emu.access_key_id}\n"
        f"aws_secret_access_key = {emu.secret_access_key}\n"
    )
    write_config("[profile dev]\nregion = us-east-1\n")
    built: list[object] = []
    original = botocore.session.Session.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "__init__", counting)
    manager = emu.manager(profile="dev")
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert manager.credential_source == "shared-credentials-file"
    assert len(built) == 1


def test_assume_role_uses_the_same_session_and_signs_with_the_role(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    original = botocore.session.Session.__init__
    monkeypatch.setattr(
        botocore.session.Session,
        "__init__",
        lambda self, *a, **k: (built.append(self), original(self, *a, **k))[1],
    )
    manager = emu.manager(role_arn=ROLE)
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert len(built) == 1
    assume = [r for r in emu.requests if r.operation == "AssumeRole"]
    converse = [r for r in emu.requests if r.operation == "Converse"]
    assert assume[0].access_key_id == emu.access_key_id
    assert converse[0].access_key_id != emu.access_key_id


# -- AWS settings keep their AWS meaning --------------------------------------------------------


def test_aws_max_attempts_and_retry_mode_apply_as_for_boto3(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    manager = emu.manager()
    expected = {"mode": "adaptive", "total_max_attempts": 7}
    assert manager.client().meta.config.retries == expected
    assert emu.client().meta.config.retries == expected  # what plain boto3 does
    assert manager.settings.retry_source == "AWS_MAX_ATTEMPTS, AWS_RETRY_MODE"
    assert manager.auth_info()["retries"]["max_attempts"] == 7


def test_profile_retry_settings_apply(emu: BedrockEmulator) -> None:
    write_config("[profile dev]\nregion = us-east-1\nmax_attempts = 2\nretry_mode = legacy\n")
    manager = emu.manager(profile="dev", validate=False, **KEYS)
    assert manager.client().meta.config.retries == {"mode": "legacy", "total_max_attempts": 2}
    plain = boto3.Session(profile_name="dev").client(
        "bedrock-runtime", endpoint_url=emu.endpoint_url
    )
    assert plain.meta.config.retries == {"mode": "legacy", "total_max_attempts": 2}


def test_bedrock_variables_win_over_aws_ones(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    monkeypatch.setenv("BEDROCK_MAX_RETRIES", "1")  # retries after the first try
    manager = emu.manager(retry_mode="legacy")
    assert manager.client().meta.config.retries == {"mode": "legacy", "total_max_attempts": 2}


def test_library_default_retries_when_nothing_is_set(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    assert manager.client().meta.config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert manager.settings.retry_source == "default"


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [("AWS_MAX_ATTEMPTS", "many", "AWS_MAX_ATTEMPTS"), ("AWS_RETRY_MODE", "fast", "fast")],
)
def test_bad_aws_retry_variables_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=named):
        BedrockClientManager(region="us-east-1", **KEYS, **OFFLINE)


def test_client_config_is_merged_over_the_defaults(emu: BedrockEmulator) -> None:
    extra = Config(user_agent_appid="my-app", tcp_keepalive=True, read_timeout=7)
    manager = emu.manager(client_config=extra)
    config = manager.client().meta.config
    assert (config.user_agent_appid, config.tcp_keepalive, config.read_timeout) == (
        "my-app",
        True,
        7,
    )
    assert config.max_pool_connections == 128 and config.retries["mode"] == "standard"
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert "app/my-app" in emu.requests[-1].headers.get("user-agent", "")


# -- assume_role_kwargs --------------------------------------------------------------------------


def test_assume_role_kwargs_arrive_at_sts(emu: BedrockEmulator) -> None:
    emu.manager(
        role_arn=ROLE,
        assume_role_kwargs={
            "Tags": [{"Key": "team", "Value": "search"}],
            "TransitiveTagKeys": ["team"],
            "SourceIdentity": "alice",
        },
    )
    form = next(r for r in emu.requests if r.operation == "AssumeRole").body
    assert form["Tags.member.1.Key"] == "team" and form["Tags.member.1.Value"] == "search"
    assert form["TransitiveTagKeys.member.1"] == "team" and form["SourceIdentity"] == "alice"


def _sts_max(member: str) -> int:
    """AssumeRole's limit for ``member`` in the installed botocore (it changes between versions:
    1.44.18 raised SourceIdentity's from 64 to 256)."""
    return sts_max("AssumeRole", member)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (
            {"DurationSecs": 900},
            "unknown parameter 'DurationSecs'. Did you mean 'DurationSeconds' (pass "
            "duration_seconds=)?",
        ),
        ({"Tagz": []}, "unknown parameter 'Tagz'. Did you mean 'Tags'?"),
        (
            {"Tags": [{"Key": "k"}]},
            validation_report("AssumeRole", {"Tags": [{"Key": "k"}]}, "Tags[0]"),
        ),
        (
            {"SourceIdentity": "x" * (_sts_max("SourceIdentity") + 1)},
            f"SourceIdentity length {_sts_max('SourceIdentity') + 1} is over the maximum of "
            f"{_sts_max('SourceIdentity')}",
        ),
        (
            {"Tags": [{"Key": "k", "Value": "v"}] * (_sts_max("Tags") + 1)},
            f"Tags length {_sts_max('Tags') + 1} is over the maximum of {_sts_max('Tags')}",
        ),
        ({"ExternalId": "abc"}, "pass external_id= instead"),
        ({"Policy": 5}, validation_report("AssumeRole", {"Policy": 5}, "Policy")),
    ],
)
def test_bad_assume_role_kwargs_are_refused_locally(
    emu: BedrockEmulator, extra: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        emu.manager(role_arn=ROLE, assume_role_kwargs=extra)
    assert named in str(info.value)
    assert not emu.requests


def test_web_identity_kwargs_are_checked_against_their_own_shape(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("jwt")
    # A parameter AssumeRole takes and AssumeRoleWithWebIdentity does not, in the installed
    # botocore's shapes (Tags in every version so far); not one with its own option.
    only_assume_role = sts_members("AssumeRole") - sts_members("AssumeRoleWithWebIdentity")
    name = "Tags" if "Tags" in only_assume_role else min(only_assume_role - set(OWN_OPTIONS))
    with pytest.raises(ConfigurationError, match=f"unknown parameter '{name}'"):
        BedrockClientManager(
            role_arn=ROLE,
            web_identity_token_file=str(token),
            assume_role_kwargs={name: []},
            **OFFLINE,
        )


def test_duration_range_comes_from_the_sts_shape() -> None:
    low, high = sts_range("AssumeRole", "DurationSeconds")
    with pytest.raises(ConfigurationError, match=f"Accepted: {low} to {high}"):
        BedrockClientManager(role_arn=ROLE, duration_seconds=low - 1, **OFFLINE)


# -- wrong types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"connect_timeout": "10"}, "connect_timeout='10' is a str; expected a number"),
        ({"read_timeout": True}, "read_timeout=True is a bool"),
        ({"profile": 5}, "profile=5 is an int; expected a string"),
        ({"max_retries": b""}, "max_retries=b'' is a bytes; expected an integer"),
        ({"max_pool_connections": 1.5}, "max_pool_connections=1.5 is a float"),
        ({"duration_seconds": 900.5}, "duration_seconds=900.5 is a float"),
        ({"endpoint_url": "host:8443"}, "endpoint_url='host:8443' is not a URL"),
        ({"endpoint_url": {"bedrock-runtime": "localhost"}}, "endpoint_url['bedrock-runtime']"),
        ({"endpoint_url": 8443}, "endpoint_url=8443 is an int"),
        ({"region": 1}, "region=1 is an int"),
        ({"verify": 0}, "verify=0 is an int"),
        ({"fallback_regions": "us-west-2"}, "fallback_regions='us-west-2' is a str"),
        ({"client_config": {"retries": {}}}, "expected a botocore.config.Config"),
        ({"assume_role_kwargs": [("Tags", [])]}, "assume_role_kwargs="),
        ({"credential_provider": "vault"}, "expected a function"),
        ({"mfa_token_provider": "123456"}, "mfa_token_provider='123456' is a str"),
        ({"validate": "yes"}, "validate='yes' is a str"),
        ({"mode": "iam_role"}, "mode='iam_role' is not accepted"),
        ({"retry_mode": "adaptve"}, "Did you mean 'adaptive'?"),
    ],
)
def test_wrongly_typed_option_is_named(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        BedrockClientManager(**{**OFFLINE, **options})
    assert named in str(info.value)


def test_wrongly_typed_secret_is_named_but_not_shown() -> None:
    with pytest.raises(ConfigurationError) as info:
        BedrockClientManager(access_key_id="AKIAEXAMPLE000000001", secret_access_key=b"s3cr3t-b")
    assert "secret_access_key=<hidden> is a bytes" in str(info.value)
    assert "s3cr3t" not in str(info.value)


# -- credential_provider -----------------------------------------------------------------------


class Broker:
    """A credential broker whose first credentials are short-lived, like a short role."""

    def __init__(self, emu: BedrockEmulator, first_life: timedelta) -> None:
        self.emu = emu
        self.first_life = first_life
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> CredentialValues:
        with self.lock:
            self.calls += 1
            number = self.calls
        life = self.first_life if number == 1 else timedelta(hours=1)
        return CredentialValues(
            access_key_id=f"AKIABROKER{number:010d}",
            secret_access_key=self.emu.secret_access_key,
            session_token=f"token-{number}",
            expiration=datetime.now(timezone.utc) + life,
        )


def test_credential_provider_is_refreshed_once_before_expiry_under_32_threads(
    emu: BedrockEmulator,
) -> None:
    broker = Broker(emu, first_life=timedelta(seconds=2))
    manager = emu.manager(credential_provider=broker, validate=False)
    assert (manager.mode, manager.credential_source) == ("custom", "custom")
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    # Refresh windows are sized to the lifetime: a quarter (0.5 s) and a sixth of it (0.33 s)
    # before expiry. Wait until the first credentials are inside them.
    time.sleep(1.7)
    barrier = threading.Barrier(32)
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            manager.client().converse(modelId=MODEL, messages=MESSAGES)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # Called once, then once more because the first credentials were about to expire; the
    # other 31 threads waited for that refresh, or used the first credentials while they
    # were still valid, instead of making their own.
    assert not errors and broker.calls == 2
    manager.validate()
    manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert broker.calls == 2
    assert emu.requests[-1].access_key_id == "AKIABROKER0000000002"


def test_credential_provider_mapping_without_expiry_is_called_once(emu: BedrockEmulator) -> None:
    calls: list[int] = []

    def provider() -> dict[str, str]:
        calls.append(1)
        return {"access_key_id": "AKIAMAPPING000000001", "secret_access_key": "y" * 40}

    manager = emu.manager(credential_provider=provider)
    for _ in range(3):
        manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert len(calls) == 1


def test_credential_provider_failure_is_its_own_error(emu: BedrockEmulator) -> None:
    def vault() -> CredentialValues:
        raise TimeoutError("vault did not answer")

    with pytest.raises(CredentialsNotFoundError, match=r"credential_provider .*vault failed"):
        emu.manager(credential_provider=vault)


@pytest.mark.parametrize(
    ("reply", "named"),
    [
        ({"access_key_id": "AKIAX"}, "returned no secret_access_key"),
        ({"access_key_id": "AKIAX", "secret_access_key": "s", "exp": 1}, "unknown keys ['exp']"),
        (("AKIAX", "s"), "returned a tuple"),
        (
            {"access_key_id": "AKIAX", "secret_access_key": "s", "expiration": datetime.now()},
            "timezone-aware",
        ),
    ],
)
def test_credential_provider_bad_reply_is_a_configuration_error(
    emu: BedrockEmulator, reply: Any, named: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        emu.manager(credential_provider=lambda: reply)
    assert named in str(info.value)


def test_credential_provider_as_the_base_of_a_role(emu: BedrockEmulator) -> None:
    broker = Broker(emu, first_life=timedelta(hours=1))
    manager = emu.manager(credential_provider=broker, role_arn=ROLE)
    assert manager.credential_source == "assume-role"
    assume = next(r for r in emu.requests if r.operation == "AssumeRole")
    assert assume.access_key_id == "AKIABROKER0000000001"


def test_credential_provider_cannot_be_combined_with_keys() -> None:
    with pytest.raises(ConfigurationError, match="credential_provider cannot be combined"):
        BedrockClientManager(credential_provider=lambda: KEYS, **KEYS, **OFFLINE)


# -- one AssumeRole per process for managers assuming the same role ---------------------------


def _assume_roles(emu: BedrockEmulator) -> list[Any]:
    return [r for r in emu.requests if r.operation == "AssumeRole"]


def _signing_key(manager: Any) -> str:
    return str(manager.session.get_credentials().get_frozen_credentials().access_key)


def test_ten_managers_on_one_role_make_one_assume_role(emu: BedrockEmulator) -> None:
    managers = [emu.manager(role_arn=ROLE) for _ in range(10)]
    for manager in managers:
        manager.client().converse(modelId=MODEL, messages=MESSAGES)
    assert len(_assume_roles(emu)) == 1
    assert len({_signing_key(m) for m in managers}) == 1


def test_managers_built_from_sixteen_threads_share_one_assume_role(emu: BedrockEmulator) -> None:
    start = threading.Barrier(16)
    errors: list[BaseException] = []

    def build() -> None:
        try:
            start.wait()
            emu.manager(role_arn=ROLE).client().converse(modelId=MODEL, messages=MESSAGES)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(_assume_roles(emu)) == 1


def test_two_base_identities_never_share_role_credentials(emu: BedrockEmulator) -> None:
    first = emu.manager(role_arn=ROLE)
    other = {"access_key_id": "AKIAOTHERBASE0000002", "secret_access_key": "y" * 40}
    second = emu.manager(role_arn=ROLE, **other)
    first.validate()
    second.validate()
    signers = [r.access_key_id for r in _assume_roles(emu)]
    assert signers == [emu.access_key_id, "AKIAOTHERBASE0000002"]
    assert _signing_key(first) != _signing_key(second)


@pytest.mark.parametrize(
    "options",
    [
        {"external_id": "partner-7f3a-external"},
        {"role_session_name": "other-session"},
        {"duration_seconds": 1800},
        {"assume_role_kwargs": {"Tags": [{"Key": "team", "Value": "ml"}]}},
    ],
)
def test_different_assume_role_arguments_are_not_shared(
    emu: BedrockEmulator, options: dict[str, Any]
) -> None:
    emu.manager(role_arn=ROLE).validate()
    emu.manager(role_arn=ROLE, **options).validate()
    assert len(_assume_roles(emu)) == 2


def _call_all(managers: list[BedrockClientManager]) -> float:
    """One converse per manager; how long they took (s)."""
    started = time.monotonic()
    for manager in managers:
        manager.client().converse(modelId=MODEL, messages=MESSAGES)
    return time.monotonic() - started


def test_shared_role_credentials_refresh_once_per_expiry(emu: BedrockEmulator) -> None:
    import bedrock_auth

    # Each round of calls must end before its credentials come due (advisory refresh once a
    # quarter of the life is left; STS stamps whole seconds, which can take up to 1 s off it).
    # A machine too busy for that with 2-second credentials gets longer ones, not a failure.
    try:
        for lifetime in (2, 6, 20):
            emu.clear()
            bedrock_auth.reset()
            emu.assume_role_duration = lifetime
            managers = [emu.manager(role_arn=ROLE, duration_seconds=900) for _ in range(5)]
            first = _call_all(managers)
            time.sleep(lifetime + 0.2)  # every manager's credentials have expired
            second = _call_all(managers)
            if max(first, second) < 0.75 * lifetime - 1:
                break
        else:
            pytest.fail("each round of five calls took longer than 14 s")
    finally:
        emu.assume_role_duration = None
    assert len(_assume_roles(emu)) == 2
    assert len({_signing_key(m) for m in managers}) == 1


def test_reset_forgets_shared_role_credentials(emu: BedrockEmulator) -> None:
    import bedrock_auth

    emu.manager(role_arn=ROLE).validate()
    bedrock_auth.reset()
    emu.manager(role_arn=ROLE).validate()
    assert len(_assume_roles(emu)) == 2


def test_the_shared_cache_shows_no_secret(emu: BedrockEmulator) -> None:
    from bedrock_auth._shared_roles import SHARED_ROLES

    manager = emu.manager(role_arn=ROLE, external_id="partner-7f3a-external")
    manager.validate()
    frozen = manager.session.get_credentials().get_frozen_credentials()
    shown = repr(SHARED_ROLES) + repr(SHARED_ROLES.entries.keys())
    for secret in (emu.secret_access_key, frozen.secret_key, frozen.token, "partner-7f3a-external"):
        assert secret not in shown
