"""Options: kwargs > environment > .env, and bad input refused before any network call."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from installed_botocore import sts_range

from bedrock_auth import AuthConfig, BedrockClientManager, ConfigurationError, CredentialValues
from bedrock_auth.manager import AuthOptions
from bedrock_auth.settings import AUTH_CONFIG_FIELDS, OPTIONS, Option, resolve_settings

# validate=False plus an unreachable endpoint proves no network call is needed to fail.
OFFLINE: dict[str, Any] = {"validate": False, "endpoint_url": "http://127.0.0.1:9"}
# The DurationSeconds range STS takes, as the installed botocore's model has it.
DURATION = sts_range("AssumeRole", "DurationSeconds")


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"regoin": "us-east-1"}, "'regoin'. Did you mean 'region'?"),
        ({"role_arn": "arn:aws:iam::123:user/bob"}, "role_arn="),
        ({"role_arn": "my-role"}, "arn:aws:iam::<12-digit account>:role/<name>"),
        (
            {"role_arn": "arn:aws:iam::123456789012:role/r", "duration_seconds": 60},
            f"{DURATION[0]} to {DURATION[1]}",
        ),
        (
            {"role_arn": "arn:aws:iam::123456789012:role/r", "duration_seconds": DURATION[1] + 1},
            f"duration_seconds={DURATION[1] + 1}",
        ),
        ({"profile": ""}, "profile='' is empty"),
        ({"profile": "   "}, "profile="),
        ({"region": "us-east1"}, "region='us-east1' is not an AWS region name"),
        ({"region": "US-EAST-1"}, "'us-east-1'"),
        (
            {"api_key": "k", "access_key_id": "AKIAX", "secret_access_key": "s"},
            "api_key cannot be combined",
        ),
        ({"access_key_id": "AKIAX"}, "secret_access_key is missing"),
        ({"mode": "magic"}, "Accepted: auto, profile, env, static"),
        ({"mode": "static"}, "mode='static' needs access_key_id"),
        ({"mode": "profile"}, "mode='profile' needs profile"),
        ({"mode": "env"}, "mode='env' needs AWS_ACCESS_KEY_ID"),
        ({"mode": "assume_role"}, "role_arn (or BEDROCK_ROLE_ARN)"),
        ({"mode": "web_identity"}, "web_identity_token_file"),
        ({"mode": "api_key"}, "AWS_BEARER_TOKEN_BEDROCK"),
        ({"retry_mode": "fast"}, "standard, adaptive, legacy"),
        ({"max_retries": -1}, "max_retries=-1"),
    ],
)
def test_bad_input_is_a_configuration_error(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        BedrockClientManager(**{**OFFLINE, **options})
    assert named in str(info.value)


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("BEDROCK_MAX_RETRIES", "three", "BEDROCK_MAX_RETRIES='three' is not a number"),
        ("BEDROCK_READ_TIMEOUT", "soon", "BEDROCK_READ_TIMEOUT='soon'"),
        ("AWS_REGION", "useast1", "AWS_REGION='useast1'"),
        ("BEDROCK_AUTH_MODE", "bearer", "Accepted: iam, api_key"),
        ("BEDROCK_ROLE_ARN", "role/x", "BEDROCK_ROLE_ARN='role/x' is not an IAM role ARN"),
    ],
)
def test_bad_environment_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=named.replace("(", r"\(").replace(")", r"\)")):
        BedrockClientManager(**OFFLINE)


def test_options_typed_dict_matches_auth_config() -> None:
    assert set(AuthOptions.__annotations__) == AUTH_CONFIG_FIELDS


def test_options_typed_dict_has_the_tables_types() -> None:
    """AuthOptions (the keyword types static checkers see) says what the table says."""
    from collections.abc import Callable

    from botocore.config import Config

    # Names the two modules import for type checking only.
    names = {"Callable": Callable, "Config": Config, "CredentialValues": CredentialValues}
    options = get_type_hints(AuthOptions, localns=names)
    assert options == get_type_hints(AuthConfig, localns=names)
    assert list(options) == [option.name for option in OPTIONS]


# A value in the environment for each kind of option, and what it becomes.
_SAMPLES: dict[Any, tuple[str, Any]] = {
    str: ("from-env", "from-env"),
    int: ("7", 7),
    float: ("7.5", 7.5),
    bool: ("0", False),
    Sequence: ("us-west-2, eu-west-1", ("us-west-2", "eu-west-1")),
}
# Options whose text is checked beyond its type.
_CHECKED_SAMPLES: dict[str, tuple[str, Any]] = {
    "mantle_endpoint_url": ("https://mantle.example:8443", "https://mantle.example:8443"),
}


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.env], ids=lambda o: o.name)
def test_each_variable_in_the_table_reaches_the_settings(option: Option) -> None:
    text, value = _CHECKED_SAMPLES.get(option.name) or _SAMPLES[option.kind]
    if option.choices:
        text = value = option.choices[-1]
    settings = resolve_settings(AuthConfig(region="us-east-1"), environ={option.env: text})
    assert getattr(settings, option.name) == value


def test_region_order_kwarg_then_aws_region_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert resolve_settings(AuthConfig()).region == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert resolve_settings(AuthConfig()).region == "eu-central-1"
    assert resolve_settings(AuthConfig(region="ap-south-1")).region == "ap-south-1"


def test_region_from_profile_then_default_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.write_text("[profile dev]\nregion = ca-central-1\n")
    keys = {"access_key_id": "AKIAEXAMPLE000000001", "secret_access_key": "x" * 40}
    with caplog.at_level(logging.WARNING, logger="bedrock_auth"):
        assert BedrockClientManager(profile="dev", validate=False).region == "ca-central-1"
        assert not caplog.records
        manager = BedrockClientManager(validate=False, **keys)
        assert manager.region == "us-east-1"
        manager.client("bedrock-runtime", "us-west-2")  # a region of its own: no warning
        assert not caplog.records
        manager.client()  # the first client in the default region: the warning, once
        manager.client("bedrock")
    warned = [r.getMessage() for r in caplog.records if "AWS_REGION" in r.getMessage()]
    assert len(warned) == 1


def test_dotenv_never_overrides_the_shell(
    monkeypatch: pytest.MonkeyPatch, clean_aws_env: Path
) -> None:
    (clean_aws_env / ".env").write_text("AWS_REGION=eu-west-2\nBEDROCK_MAX_RETRIES=7\n")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    manager = BedrockClientManager(
        validate=False, access_key_id="AKIAEXAMPLE000000001", secret_access_key="x" * 40
    )
    assert manager.region == "us-west-2"
    assert manager.client().meta.config.retries["total_max_attempts"] == 8


def test_dotenv_is_found_upwards_and_loaded_only_when_present(
    monkeypatch: pytest.MonkeyPatch, clean_aws_env: Path
) -> None:
    from bedrock_auth.settings import _find_dotenv

    assert _find_dotenv() == ""  # python-dotenv need not be imported to learn that
    (clean_aws_env.parent / ".env").write_text("AWS_REGION=eu-west-3\n")
    nested = clean_aws_env / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert _find_dotenv() == str(clean_aws_env.parent / ".env")


def test_dotenv_path_variable_and_opt_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("AWS_REGION=sa-east-1\n")
    monkeypatch.setenv("BEDROCK_DOTENV_PATH", str(env_file))
    keys = {"access_key_id": "AKIAEXAMPLE000000001", "secret_access_key": "x" * 40}
    assert BedrockClientManager(validate=False, load_dotenv=False, **keys).region == "us-east-1"
    assert "AWS_REGION" not in os.environ
    assert BedrockClientManager(validate=False, **keys).region == "sa-east-1"
    monkeypatch.delenv("AWS_REGION")


def test_env_overrides_for_client_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_MAX_RETRIES", "5")
    monkeypatch.setenv("BEDROCK_RETRY_MODE", "adaptive")
    monkeypatch.setenv("BEDROCK_READ_TIMEOUT", "42")
    monkeypatch.setenv("BEDROCK_CONNECT_TIMEOUT", "3")
    manager = BedrockClientManager(
        validate=False,
        access_key_id="AKIAEXAMPLE000000001",
        secret_access_key="x" * 40,
        max_pool_connections=7,
    )
    config = manager.client().meta.config
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 6}
    assert (config.read_timeout, config.connect_timeout, config.max_pool_connections) == (42, 3, 7)
    assert "bedrock-auth/" in config.user_agent_extra


def test_defaults_for_client_config() -> None:
    manager = BedrockClientManager(
        validate=False, access_key_id="AKIAEXAMPLE000000001", secret_access_key="x" * 40
    )
    config = manager.client().meta.config
    assert config.retries["mode"] == "standard"
    assert (config.read_timeout, config.connect_timeout, config.max_pool_connections) == (
        300,
        10,
        128,
    )
    sts = manager.client("sts").meta.config
    assert (sts.read_timeout, sts.connect_timeout) == (10, 5)
    assert sts.retries == {"mode": "standard", "total_max_attempts": 2}


def test_auth_config_object_and_kwarg_override() -> None:
    config = AuthConfig(
        region="eu-west-1",
        access_key_id="AKIAEXAMPLE000000001",
        secret_access_key="x" * 40,
        validate=False,
    )
    assert BedrockClientManager(config=config).region == "eu-west-1"
    assert BedrockClientManager(config=config, region="eu-north-1").region == "eu-north-1"
    with pytest.raises(ConfigurationError, match="Unknown option 'regio'"):
        BedrockClientManager(config=config, regio="x")  # type: ignore[call-arg]


def test_mode_inferred_from_options(tmp_path: Path) -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text("[profile dev]\nregion = eu-west-1\n")
    role = "arn:aws:iam::123456789012:role/app"
    cases = {
        "auto": AuthConfig(),
        "static": AuthConfig(access_key_id="AKIAEXAMPLE000000001", secret_access_key="s"),
        "profile": AuthConfig(profile="dev"),
        "assume_role": AuthConfig(role_arn=role),
        "web_identity": AuthConfig(role_arn=role, web_identity_token_file=str(tmp_path / "t")),
        "api_key": AuthConfig(api_key="ABSKxyz"),
    }
    for mode, config in cases.items():
        assert resolve_settings(config, environ={}).mode == mode


def test_api_key_from_env_only_when_opted_in() -> None:
    env = {"AWS_BEARER_TOKEN_BEDROCK": "ABSKxyz"}
    assert resolve_settings(AuthConfig(), environ=env).mode == "auto"
    opted = resolve_settings(AuthConfig(), environ={**env, "BEDROCK_AUTH_MODE": "api_key"})
    assert (opted.mode, opted.api_key) == ("api_key", "ABSKxyz")


def test_auth_config_repr_hides_secrets() -> None:
    config = AuthConfig(
        access_key_id="AKIAEXAMPLE000000001",
        secret_access_key="sekrit-value",
        session_token="tok-value",
        api_key=None,
        external_id="ext-value",
    )
    text = repr(config)
    assert "sekrit" not in text and "tok-value" not in text and "ext-value" not in text
    assert "AKIAEXAMPLE000000001" in text


@pytest.mark.parametrize("region", ["eu-west-1", None])
def test_missing_profile_is_a_profile_error_with_or_without_region(region: str | None) -> None:
    from bedrock_auth import ProfileNotFoundError

    Path(os.environ["AWS_CONFIG_FILE"]).write_text("[profile dev]\nregion = eu-west-1\n")
    with pytest.raises(ProfileNotFoundError, match="Profiles that exist: dev"):
        BedrockClientManager(profile="nope", region=region, validate=False)
