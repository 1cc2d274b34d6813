"""Each credential source resolved end to end, in a clean child process, against moto STS.

Every source hands out credentials that moto can name (an IAM user's key, or role credentials
moto issued), so ``manager.identity.arn`` proves which credentials were actually used.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from .helpers import ACCOUNT, Chain, MotoAdmin
from .servers import ContainerCredentials, IMDSv2, RecordingProxy, SSOPortal


def succeeded(result: dict[str, Any]) -> dict[str, Any]:
    """The child's result, or a failure that shows the child's error and log."""
    if not result.get("ok"):
        pytest.fail(f"{result.get('error')}: {result.get('message')}\n--- child stderr\n"
                    f"{result.get('stderr', '')}")
    return result


def assumed_role_arn(role: str, session: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"


# -- static sources ----------------------------------------------------------------------------


def test_env_keys(chain: Chain, moto_admin: MotoAdmin) -> None:
    user = moto_admin.create_user("env")
    result = succeeded(chain.run(env={
        "AWS_ACCESS_KEY_ID": user.access_key_id,
        "AWS_SECRET_ACCESS_KEY": user.secret_access_key,
    }))
    assert result["credential_source"] == "env"
    assert result["arn"] == user.arn == f"arn:aws:iam::{ACCOUNT}:user/{user.name}"
    assert result["account"] == ACCOUNT
    key = user.access_key_id
    assert result["auth_info"]["access_key_id"] == key[:4] + "*" * (len(key) - 8) + key[-4:]
    assert user.secret_access_key not in json.dumps(result)


def test_explicit_keys_win_over_env(chain: Chain, moto_admin: MotoAdmin) -> None:
    user, other = moto_admin.create_user("explicit"), moto_admin.create_user("shell")
    result = succeeded(chain.run(
        {"access_key_id": user.access_key_id, "secret_access_key": user.secret_access_key},
        env={"AWS_ACCESS_KEY_ID": other.access_key_id,
             "AWS_SECRET_ACCESS_KEY": other.secret_access_key},
    ))
    assert result["credential_source"] == "explicit"
    assert result["arn"] == user.arn


def test_unknown_static_key_gets_moto_default_identity(chain: Chain, sts: RecordingProxy) -> None:
    """Without auth enforcement moto answers any key with its default user; this pins what
    the other tests rely on (distinct IAM users are what make their ARNs meaningful)."""
    result = succeeded(chain.run(env={
        "AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000001",
        "AWS_SECRET_ACCESS_KEY": "unknown/secret/key/000000000000000000001",
    }))
    assert result["credential_source"] == "env"
    assert result["arn"] == f"arn:aws:sts::{ACCOUNT}:user/moto"
    [call] = sts.calls("GetCallerIdentity")
    assert call.signing_key_id == "AKIAUNKNOWNKEY000001"


@pytest.mark.parametrize("how", ["profile-kwarg", "AWS_PROFILE"])
def test_shared_credentials_file(chain: Chain, moto_admin: MotoAdmin, how: str) -> None:
    user, default = moto_admin.create_user("file"), moto_admin.create_user("default")
    chain.write_credentials(
        f"[default]\naws_access_key_id = {default.access_key_id}\n"
        f"aws_secret_access_key = {default.secret_access_key}\n\n"
        f"[dev]\naws_access_key_id = {user.access_key_id}\n"
        f"aws_secret_access_key = {user.secret_access_key}\n"
    )
    if how == "profile-kwarg":
        result = chain.run({"profile": "dev"})
    else:
        result = chain.run(env={"AWS_PROFILE": "dev"})
    succeeded(result)
    assert result["credential_source"] == "shared-credentials-file"
    assert result["arn"] == user.arn
    assert result["auth_info"]["profile"] == "dev"


def test_profile_kwarg_ignores_env_keys(chain: Chain, moto_admin: MotoAdmin) -> None:
    """``profile=`` pins that profile: keys in the environment must not win over it."""
    user, shell = moto_admin.create_user("file"), moto_admin.create_user("shell")
    chain.write_credentials(f"[dev]\naws_access_key_id = {user.access_key_id}\n"
                            f"aws_secret_access_key = {user.secret_access_key}\n")
    result = succeeded(chain.run({"profile": "dev"}, env={
        "AWS_ACCESS_KEY_ID": shell.access_key_id,
        "AWS_SECRET_ACCESS_KEY": shell.secret_access_key,
    }))
    assert result["credential_source"] == "shared-credentials-file"
    assert result["arn"] == user.arn


def test_config_file_keys(chain: Chain, moto_admin: MotoAdmin) -> None:
    user = moto_admin.create_user("config")
    chain.write_config(f"[profile cfg]\naws_access_key_id = {user.access_key_id}\n"
                       f"aws_secret_access_key = {user.secret_access_key}\n")
    result = succeeded(chain.run(env={"AWS_PROFILE": "cfg"}))
    assert result["credential_source"] == "config-file"
    assert result["arn"] == user.arn


# -- roles -------------------------------------------------------------------------------------


def test_role_profile_with_source_profile_and_only_aws_region(
        chain: Chain, moto_admin: MotoAdmin, sts: RecordingProxy) -> None:
    """No region in any profile, only AWS_REGION: botocore's internal STS client must get it."""
    base = moto_admin.create_user("base")
    chain.write_credentials(f"[base]\naws_access_key_id = {base.access_key_id}\n"
                            f"aws_secret_access_key = {base.secret_access_key}\n")
    chain.write_config(f"[profile dev]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Dev\n"
                       "source_profile = base\nrole_session_name = alice\n")
    result = succeeded(chain.run(env={"AWS_PROFILE": "dev", "AWS_REGION": "eu-west-1"}))
    assert result["credential_source"] == "assume-role"
    assert result["arn"] == assumed_role_arn("Dev", "alice")
    assert result["region"] == "eu-west-1"
    [assume] = sts.calls("AssumeRole")
    assert assume.form["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/Dev"
    assert assume.signing_key_id == base.access_key_id
    assert assume.signing_region == "eu-west-1"


def test_role_arn_kwarg_with_external_id_on_env_keys(
        chain: Chain, moto_admin: MotoAdmin, sts: RecordingProxy) -> None:
    base = moto_admin.create_user("ci")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/CrossAccountBedrock"
    result = succeeded(chain.run(
        {"role_arn": role_arn, "external_id": "ext-7f3a", "role_session_name": "ci-job"},
        env={"AWS_ACCESS_KEY_ID": base.access_key_id,
             "AWS_SECRET_ACCESS_KEY": base.secret_access_key},
    ))
    assert result["credential_source"] == "assume-role"
    assert result["arn"] == assumed_role_arn("CrossAccountBedrock", "ci-job")
    [assume] = sts.calls("AssumeRole")
    assert assume.form["ExternalId"] == "ext-7f3a"
    assert assume.form["RoleArn"] == role_arn
    assert assume.form["RoleSessionName"] == "ci-job"
    assert assume.signing_key_id == base.access_key_id
    # GetCallerIdentity was signed with the role's credentials, not the base keys.
    [whoami] = sts.calls("GetCallerIdentity")
    assert whoami.signing_key_id not in (None, base.access_key_id)
    assert "ext-7f3a" not in json.dumps(result["auth_info"])


def test_web_identity_kwargs(chain: Chain, sts: RecordingProxy) -> None:
    token_file = chain.home / "token.jwt"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwb2QifQ.c2lnbmF0dXJl")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/IrsaBedrock"
    result = succeeded(chain.run({"web_identity_token_file": str(token_file),
                                  "role_arn": role_arn}))
    assert result["credential_source"] == "assume-role-with-web-identity"
    match = re.fullmatch(rf"arn:aws:sts::{ACCOUNT}:assumed-role/IrsaBedrock/(.+)", result["arn"])
    assert match, result["arn"]
    [call] = sts.calls("AssumeRoleWithWebIdentity")
    assert call.form["WebIdentityToken"] == token_file.read_text()
    assert call.form["RoleArn"] == role_arn
    assert call.form["RoleSessionName"] == match.group(1)
    assert call.header("Authorization") is None  # AssumeRoleWithWebIdentity is unsigned


def test_web_identity_env_through_botocore_chain(chain: Chain, sts: RecordingProxy) -> None:
    token_file = chain.home / "eks-token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJla3MifQ.c2lnbmF0dXJl")
    result = succeeded(chain.run(env={
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/EksPodRole",
        "AWS_ROLE_SESSION_NAME": "pod-1",
    }))
    assert result["credential_source"] == "assume-role-with-web-identity"
    assert result["arn"] == assumed_role_arn("EksPodRole", "pod-1")
    [call] = sts.calls("AssumeRoleWithWebIdentity")
    assert call.form["WebIdentityToken"] == token_file.read_text()


# -- SSO ---------------------------------------------------------------------------------------

_START_URL = "https://corp.awsapps.com/start"
_SSO_SESSION_CONFIG = f"""\
[profile sso-dev]
sso_session = corp
sso_account_id = {ACCOUNT}
sso_role_name = BedrockUsers

[sso-session corp]
sso_start_url = {_START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""
# The pre-2022 format: no sso-session, the token cache is keyed by the start URL.
_LEGACY_SSO_CONFIG = f"""\
[profile sso-dev]
sso_start_url = {_START_URL}
sso_region = us-east-1
sso_account_id = {ACCOUNT}
sso_role_name = BedrockUsers
"""
_SSO_ROLE = "AWSReservedSSO_BedrockUsers_0123456789abcdef"


def _sso_setup(chain: Chain, access_token: str, expires_in: timedelta | None,
               legacy: bool = False) -> None:
    """Write the SSO profile, and the token cache file ``aws sso login`` would have left
    (none when ``expires_in`` is ``None``)."""
    chain.write_config(_LEGACY_SSO_CONFIG if legacy else _SSO_SESSION_CONFIG)
    if expires_in is None:
        return
    cache = chain.home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    key = _START_URL if legacy else "corp"
    expires_at = datetime.now(timezone.utc) + expires_in
    (cache / f"{hashlib.sha1(key.encode()).hexdigest()}.json").write_text(json.dumps({
        "startUrl": _START_URL,
        "region": "us-east-1",
        "accessToken": access_token,
        "expiresAt": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }))


@pytest.mark.parametrize("legacy", [False, True], ids=["sso-session", "legacy-sso"])
def test_sso_profile(chain: Chain, moto_admin: MotoAdmin, legacy: bool) -> None:
    creds = moto_admin.assume_role(_SSO_ROLE, "alice")
    _sso_setup(chain, "sso-access-token-1", timedelta(hours=8), legacy)
    with SSOPortal("sso-access-token-1", ACCOUNT, "BedrockUsers", creds) as portal:
        result = succeeded(chain.run(env={"AWS_PROFILE": "sso-dev",
                                          "AWS_ENDPOINT_URL_SSO": portal.url}))
        records = portal.records
    assert result["credential_source"] == "sso"
    assert result["arn"] == creds.arn == assumed_role_arn(_SSO_ROLE, "alice")
    assert [(r.status, r.header("x-amz-sso_bearer_token")) for r in records] == [
        (200, "sso-access-token-1")]


@pytest.mark.parametrize(("token", "legacy", "how"), [
    ("expired", False, "AWS_PROFILE"),
    ("expired", False, "profile-kwarg"),
    ("missing", False, "AWS_PROFILE"),
    ("expired", True, "AWS_PROFILE"),
    ("expired", False, "role-on-top"),
])
def test_sso_login_required(chain: Chain, moto_admin: MotoAdmin, token: str, legacy: bool,
                            how: str) -> None:
    creds = moto_admin.assume_role(_SSO_ROLE, "alice")
    _sso_setup(chain, "sso-access-token-old",
               -timedelta(hours=1) if token == "expired" else None, legacy)
    options: dict[str, Any] = {}
    env: dict[str, str | None] = {}
    if how == "profile-kwarg":
        options["profile"] = "sso-dev"
    else:
        env["AWS_PROFILE"] = "sso-dev"
    if how == "role-on-top":
        options["role_arn"] = f"arn:aws:iam::{ACCOUNT}:role/CrossAccountBedrock"
    with SSOPortal("sso-access-token-old", ACCOUNT, "BedrockUsers", creds) as portal:
        env["AWS_ENDPOINT_URL_SSO"] = portal.url
        result = chain.run(options, env)
        records = portal.records
    assert not result["ok"], result
    assert result["error"] == "SSOLoginRequiredError", result
    assert "aws sso login --profile sso-dev" in result["message"]
    assert records == []  # an expired token is never sent to the portal


def test_role_on_top_of_sso(chain: Chain, moto_admin: MotoAdmin, sts: RecordingProxy) -> None:
    """A laptop SSO session as the base, ``role_arn=`` for the cross-account hop."""
    creds = moto_admin.assume_role(_SSO_ROLE, "alice")
    _sso_setup(chain, "sso-access-token-2", timedelta(hours=8))
    with SSOPortal("sso-access-token-2", ACCOUNT, "BedrockUsers", creds) as portal:
        result = succeeded(chain.run(
            {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/BedrockInvoker",
             "role_session_name": "alice-hop"},
            {"AWS_PROFILE": "sso-dev", "AWS_ENDPOINT_URL_SSO": portal.url}))
        assert len(portal.records) == 1
    assert result["credential_source"] == "assume-role"
    assert result["arn"] == assumed_role_arn("BedrockInvoker", "alice-hop")
    [assume] = sts.calls("AssumeRole")
    assert assume.signing_key_id == creds.access_key_id  # signed with the SSO credentials


# -- host roles --------------------------------------------------------------------------------


def test_container_credentials(chain: Chain, moto_admin: MotoAdmin) -> None:
    creds = moto_admin.assume_role("EcsTaskRole", "task-0a1b")
    with ContainerCredentials("Bearer-ish container token", creds) as server:
        result = succeeded(chain.run(env={
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.full_uri,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer-ish container token",
        }))
        records = server.records
    assert result["credential_source"] == "container-role"
    assert result["arn"] == assumed_role_arn("EcsTaskRole", "task-0a1b")
    assert [(r.path, r.status) for r in records] == [(ContainerCredentials.path, 200)]
    assert records[0].header("Authorization") == "Bearer-ish container token"


def test_imdsv2_instance_role(chain: Chain, moto_admin: MotoAdmin) -> None:
    creds = moto_admin.assume_role("Ec2BedrockRole", "i-0123456789abcdef0")
    with IMDSv2("Ec2BedrockRole", creds) as imds:
        result = succeeded(chain.run(env={
            "AWS_EC2_METADATA_DISABLED": None,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url + "/",
        }))
        records = imds.records
    assert result["credential_source"] == "iam-role"
    assert result["arn"] == assumed_role_arn("Ec2BedrockRole", "i-0123456789abcdef0")
    assert records[0].method == "PUT"
    assert records[0].path == "/latest/api/token"
    gets = [r for r in records if r.method == "GET"]
    assert {r.path for r in gets} >= {IMDSv2.prefix, IMDSv2.prefix + "Ec2BedrockRole"}
    assert all(r.status == 200 and r.header("x-aws-ec2-metadata-token") == IMDSv2.token
               for r in gets), [(r.path, r.status) for r in records]


def test_credential_process(chain: Chain, moto_admin: MotoAdmin) -> None:
    creds = moto_admin.assume_role("ProcessRole", "proc")
    script = chain.home / "bin" / "creds.py"
    script.parent.mkdir()
    payload = {
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "SessionToken": creds.session_token,
        "Expiration": creds.expiration,
    }
    script.write_text(f"import json\nprint(json.dumps({payload!r}))\n")
    chain.write_config(f"[profile proc]\ncredential_process = {sys.executable} {script}\n")
    result = succeeded(chain.run(env={"AWS_PROFILE": "proc"}))
    assert result["credential_source"] == "custom-process"
    assert result["arn"] == assumed_role_arn("ProcessRole", "proc")
