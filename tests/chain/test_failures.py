"""What the chain says when it cannot work: rejected keys, half-set `.env` keys, nothing at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from .helpers import Chain, IamUser, MotoAdmin
from .servers import RecordingProxy


def failed(result: dict[str, Any], error: str) -> str:
    """The child's error message, after checking it failed with ``error``."""
    assert not result["ok"], f"expected {error}, got success: {result}"
    assert result["error"] == error, f"{result['error']}: {result['message']}"
    assert result["error_module"] == "bedrock_auth.errors"
    return str(result["message"])


@pytest.fixture
def enforcing_moto(moto_admin: MotoAdmin) -> Iterator[MotoAdmin]:
    """moto checking every access key and signature, for this test only.

    The setting is process-wide in moto (and the server runs in this process), so it is put
    back whatever happens.
    """
    previous = moto_admin.set_auth(0)
    try:
        yield moto_admin
    finally:
        moto_admin.set_auth(float(previous))


def test_moto_with_auth_rejects_unknown_keys(chain: Chain, enforcing_moto: MotoAdmin,
                                             sts: RecordingProxy) -> None:
    result = chain.run(env={
        "AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000002",
        "AWS_SECRET_ACCESS_KEY": "unknown/secret/key/000000000000000000002",
    })
    message = failed(result, "InvalidCredentialsError")
    assert "InvalidClientTokenId" in message
    assert "unknown/secret/key" not in message
    [call] = sts.calls("GetCallerIdentity")
    assert call.status == 403


def _dotenv_user(chain: Chain, moto_admin: MotoAdmin) -> IamUser:
    """A [default] profile in the shared credentials file: what an empty `.env` falls to."""
    user = moto_admin.create_user("fallback")
    chain.write_credentials(f"[default]\naws_access_key_id = {user.access_key_id}\n"
                            f"aws_secret_access_key = {user.secret_access_key}\n")
    return user


def test_dotenv_key_id_with_empty_secret(chain: Chain, moto_admin: MotoAdmin) -> None:
    _dotenv_user(chain, moto_admin)
    (chain.cwd / ".env").write_text("AWS_ACCESS_KEY_ID=AKIADOTENVKEY0000001\n"
                                    "AWS_SECRET_ACCESS_KEY=\n")
    message = failed(chain.run(), "ConfigurationError")
    assert "AWS_SECRET_ACCESS_KEY" in message
    assert f"AWS_ACCESS_KEY_ID is set (from .env ({chain.cwd / '.env'}))" in message


def test_dotenv_empty_secret_under_a_shell_key_id(chain: Chain, moto_admin: MotoAdmin) -> None:
    """The key id comes from the shell, the empty secret from `.env`: the message must say
    that the empty AWS_SECRET_ACCESS_KEY came from `.env` (that is the line to fix)."""
    _dotenv_user(chain, moto_admin)
    (chain.cwd / ".env").write_text("AWS_SECRET_ACCESS_KEY=\n")
    message = failed(chain.run(env={"AWS_ACCESS_KEY_ID": "AKIASHELLKEY00000001"}),
                     "ConfigurationError")
    assert "AWS_SECRET_ACCESS_KEY" in message
    assert "AWS_ACCESS_KEY_ID is set (from the shell environment)" in message
    # Not just the generic "(empty lines in .env are fine)" hint: the file that holds the
    # empty line must be named.
    assert str(chain.cwd / ".env") in message, message


def test_dotenv_with_both_keys_empty_falls_through(chain: Chain, moto_admin: MotoAdmin) -> None:
    user = _dotenv_user(chain, moto_admin)
    (chain.cwd / ".env").write_text("# template\nAWS_ACCESS_KEY_ID=\nAWS_SECRET_ACCESS_KEY=\n"
                                    "AWS_SESSION_TOKEN=\n")
    result = chain.run()
    assert result["ok"], result
    assert result["credential_source"] == "shared-credentials-file"
    assert result["arn"] == user.arn


def test_no_credentials_anywhere(chain: Chain, sts: RecordingProxy) -> None:
    message = failed(chain.run(), "CredentialsNotFoundError")
    from bedrock_auth._translate import SOURCE_NAMES

    # Every source of botocore's default chain, in botocore's order: both change between
    # releases (botocore 1.41 added `login`), so they are read from the installed botocore.
    providers = botocore.session.Session().get_component("credential_provider").providers
    positions = [message.index(f". {SOURCE_NAMES.get(p.METHOD, p.METHOD)}\n") for p in providers]
    assert positions == sorted(positions), message
    assert "aws sso login" in message
    assert sts.records == []  # nothing was sent anywhere


def test_missing_profile(chain: Chain, moto_admin: MotoAdmin) -> None:
    _dotenv_user(chain, moto_admin)
    chain.write_config("[profile other]\nregion = us-west-2\n")
    message = failed(chain.run({"profile": "nope"}), "ProfileNotFoundError")
    assert "'nope'" in message
    assert "other" in message
