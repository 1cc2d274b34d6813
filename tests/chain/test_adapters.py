"""The Anthropic SDK client on SSO profiles, in a clean child (botocore fixes the SSO cache
directory at import, from HOME): it signs with the SSO credentials, and an expired SSO session
is an ``SSOLoginRequiredError`` naming ``aws sso login``. One child runs both, to pay for
importing the SDK once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bedrock_auth.testing import BedrockEmulator

from .helpers import ACCOUNT, Chain, MotoAdmin
from .servers import SSOPortal

_START_URL = "https://corp.awsapps.com/start"
# sso-dev's session is logged in; sso-old's expired an hour ago.
_CONFIG = "\n".join(f"""\
[profile {profile}]
sso_session = {session}
sso_account_id = {ACCOUNT}
sso_role_name = BedrockUsers

[sso-session {session}]
sso_start_url = {_START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
""" for profile, session in (("sso-dev", "corp"), ("sso-old", "old")))
_ROLE = "AWSReservedSSO_BedrockUsers_0123456789abcdef"
# The child imports this checkout's package, not whichever one is installed.
_PROJECT = str(Path(__file__).resolve().parents[2])
_CALLS = """
from bedrock_auth import BedrockClientManager, get_anthropic_client
ask = {"model": "haiku", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
result["text"] = get_anthropic_client(manager=manager).messages.create(**ask).content[0].text
# validate=False: the manager is built, and the client meets the expired session.
expired = BedrockClientManager(profile="sso-old", validate=False)
try:
    get_anthropic_client(manager=expired).messages.create(**ask)
except Exception as exc:
    result["expired"] = [type(exc).__name__, str(exc)]
"""


def _sso_token(chain: Chain, session: str, access_token: str, expires_in: timedelta) -> None:
    """The token cache file ``aws sso login`` would have left for ``session``."""
    cache = chain.home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    expires_at = datetime.now(timezone.utc) + expires_in
    (cache / f"{hashlib.sha1(session.encode()).hexdigest()}.json").write_text(json.dumps({
        "startUrl": _START_URL,
        "region": "us-east-1",
        "accessToken": access_token,
        "expiresAt": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }))


@pytest.fixture
def emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        yield emulator


def test_sso_credentials_sign_and_an_expired_session_says_login(
        chain: Chain, moto_admin: MotoAdmin, emu: BedrockEmulator) -> None:
    creds = moto_admin.assume_role(_ROLE, "alice")
    chain.write_config(_CONFIG)
    _sso_token(chain, "corp", "sso-access-token-1", timedelta(hours=8))
    _sso_token(chain, "old", "sso-access-token-old", -timedelta(hours=1))
    with SSOPortal("sso-access-token-1", ACCOUNT, "BedrockUsers", creds) as portal:
        result = chain.run({"profile": "sso-dev"}, {
            "AWS_ENDPOINT_URL_SSO": portal.url,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emu.endpoint_url,
            "PYTHONPATH": _PROJECT,
        }, after=_CALLS)
        tokens_sent = [r.header("x-amz-sso_bearer_token") for r in portal.records]
    assert result["ok"], result
    assert result["credential_source"] == "sso" and result["text"] == "Emulated reply to: hi"
    [call] = emu.requests
    assert call.access_key_id == creds.access_key_id and call.auth_scheme == "sigv4"
    error, message = result["expired"]
    assert error == "SSOLoginRequiredError" and "aws sso login --profile sso-old" in message
    assert tokens_sent == ["sso-access-token-1"]  # the expired token is never sent
