"""The Anthropic SDK client on an SSO profile, in a clean child (botocore fixes the SSO cache
directory at import, from HOME): it signs with the SSO credentials, and an expired SSO session
is an ``SSOLoginRequiredError`` naming ``aws sso login``."""

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
_CONFIG = f"""\
[profile sso-dev]
sso_session = corp
sso_account_id = {ACCOUNT}
sso_role_name = BedrockUsers

[sso-session corp]
sso_start_url = {_START_URL}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""
_ROLE = "AWSReservedSSO_BedrockUsers_0123456789abcdef"
# The child imports this checkout's package, not whichever one is installed.
_PROJECT = str(Path(__file__).resolve().parents[2])
_CALL = """
from bedrock_auth import get_anthropic_client
client = get_anthropic_client(manager=manager)
reply = client.messages.create(model="haiku", max_tokens=20,
                               messages=[{"role": "user", "content": "hi"}])
result["text"] = reply.content[0].text
"""


def _sso_login(chain: Chain, access_token: str, expires_in: timedelta) -> None:
    """The profile, and the token cache file ``aws sso login`` would have left."""
    chain.write_config(_CONFIG)
    cache = chain.home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    expires_at = datetime.now(timezone.utc) + expires_in
    (cache / f"{hashlib.sha1(b'corp').hexdigest()}.json").write_text(json.dumps({
        "startUrl": _START_URL,
        "region": "us-east-1",
        "accessToken": access_token,
        "expiresAt": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }))


@pytest.fixture
def emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        yield emulator


def test_signs_with_the_sso_credentials(chain: Chain, moto_admin: MotoAdmin,
                                        emu: BedrockEmulator) -> None:
    creds = moto_admin.assume_role(_ROLE, "alice")
    _sso_login(chain, "sso-access-token-1", timedelta(hours=8))
    with SSOPortal("sso-access-token-1", ACCOUNT, "BedrockUsers", creds) as portal:
        result = chain.run({"profile": "sso-dev"}, {
            "AWS_ENDPOINT_URL_SSO": portal.url,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emu.endpoint_url,
            "PYTHONPATH": _PROJECT,
        }, after=_CALL)
    assert result["ok"], result
    assert result["credential_source"] == "sso" and result["text"] == "Emulated reply to: hi"
    [call] = emu.requests
    assert call.access_key_id == creds.access_key_id and call.auth_scheme == "sigv4"


def test_expired_sso_session_is_sso_login_required(chain: Chain, moto_admin: MotoAdmin,
                                                   emu: BedrockEmulator) -> None:
    creds = moto_admin.assume_role(_ROLE, "alice")
    _sso_login(chain, "sso-access-token-old", -timedelta(hours=1))
    with SSOPortal("sso-access-token-old", ACCOUNT, "BedrockUsers", creds) as portal:
        # validate=False: the manager is built, and the client meets the expired session.
        result = chain.run({"profile": "sso-dev", "validate": False}, {
            "AWS_ENDPOINT_URL_SSO": portal.url,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emu.endpoint_url,
            "PYTHONPATH": _PROJECT,
        }, after=_CALL)
        assert portal.records == []  # an expired token is never sent
    assert result["error"] == "SSOLoginRequiredError", result
    assert "aws sso login --profile sso-dev" in result["message"]
    assert emu.requests == []
