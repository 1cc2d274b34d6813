"""``aws login`` profiles (``login_session``): they resolve through botocore's chain as the
``login`` source, and when they cannot, the typed error and ``doctor`` say what to run.

Nothing here reaches AWS: the session cache is a temp directory (``AWS_LOGIN_CACHE_DIRECTORY``,
as ``aws login`` would have left it), AWS Sign-In is a local server
(``AWS_ENDPOINT_URL_SIGNIN``) and Bedrock and STS are the emulator. botocore before 1.41 has no
login provider, and it needs awscrt for it: those tests skip cleanly without them (the
minimum-versions run).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import botocore
import botocore.credentials
import pytest
from botocore.exceptions import NoCredentialsError
from chain.servers import LocalServer, Record, Reply
from installed_botocore import service_model

from bedrock_auth import BedrockClientManager, check, converse
from bedrock_auth import _login as login
from bedrock_auth._translate import ErrorContext, translate_error
from bedrock_auth.testing import BedrockEmulator

pytestmark = pytest.mark.skipif(
    not login.botocore_knows_login(),
    reason=f"botocore {botocore.__version__} has no aws login provider",
)
needs_crt = pytest.mark.skipif(
    getattr(botocore.credentials, "EC", None) is None,
    reason="botocore's aws login provider needs awscrt (botocore[crt])",
)

PROFILE = "dev"
SESSION = "arn:aws:iam::123456789012:user/alice"
CACHED_KEY = "ASIALOGINCACHED00001"
REFRESHED_KEY = "ASIALOGINREFRESHED01"


def _dpop_key() -> str:
    """A P-256 key in PEM, as ``aws login`` caches it for signing refreshes (DPoP)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def _cache_file(cache: Path) -> Path:
    # botocore's cache key for a login session: the SHA-256 of its name.
    return cache / f"{hashlib.sha256(SESSION.encode()).hexdigest()}.json"


def _write_session(cache: Path, expires_in: timedelta) -> None:
    expires = datetime.now(timezone.utc) + expires_in
    _cache_file(cache).write_text(
        json.dumps(
            {
                "accessToken": {
                    "accessKeyId": CACHED_KEY,
                    "secretAccessKey": "cached-secret-" + "s" * 26,
                    "sessionToken": "cached-session-token",
                    "accountId": "123456789012",
                    "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
                "tokenType": "aws_sigv4",
                "refreshToken": "login-refresh-token",
                "idToken": "login-id-token",
                "clientId": "arn:aws:signin:::devtools/same-device",
                "dpopKey": _dpop_key(),
            }
        )
    )


class SignIn(LocalServer):
    """AWS Sign-In's CreateOAuth2Token: new credentials for the refresh token, or the refusal
    whose ``error`` is ``refusal`` (``TOKEN_EXPIRED``: the session is over)."""

    def __init__(self, *, refusal: str | None = None) -> None:
        super().__init__()
        self.refusal = refusal

    def respond(self, record: Record) -> Reply:
        if record.path != "/v1/token":
            return Reply(404, {"message": "not found"})
        if self.refusal:
            return Reply(
                400,
                {"error": self.refusal, "message": "refused"},
                {"x-amzn-ErrorType": "AccessDeniedException"},
            )
        token = {
            "accessKeyId": REFRESHED_KEY,
            "secretAccessKey": "refreshed-secret-" + "r" * 23,
            "sessionToken": "refreshed-session-token",
        }
        # The token is the whole body (the operation's payload member), in and out.
        return Reply(
            200, {"accessToken": token, "refreshToken": "login-refresh-token-2", "expiresIn": 900}
        )


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: BedrockEmulator) -> Path:
    """A profile signed in with ``aws login``, its cache directory (empty), and the emulator
    as Bedrock and STS."""
    emu.clear()
    directory = tmp_path / "login-cache"
    directory.mkdir()
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(directory))
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(
        f"[profile {PROFILE}]\nlogin_session = {SESSION}\nregion = {emu.region}\n"
    )
    return directory


def _manager(emu: BedrockEmulator, **options: Any) -> BedrockClientManager:
    return BedrockClientManager(
        profile=PROFILE, endpoint_url=emu.endpoints(), load_dotenv=False, **options
    )


def _credentials_step(emu: BedrockEmulator) -> Any:
    report = check(invoke=False, profile=PROFILE, endpoint_url=emu.endpoints(), load_dotenv=False)
    return next(step for step in report.steps if step.name == "credentials")


@needs_crt
def test_a_cached_session_signs_bedrock_calls_and_doctor_names_the_source(
    cache: Path, emu: BedrockEmulator
) -> None:
    _write_session(cache, timedelta(minutes=14))
    manager = _manager(emu)
    assert manager.credential_source == "login"
    converse("nova-lite", "hi", manager=manager)
    assert emu.requests[-1].access_key_id == CACHED_KEY
    step = _credentials_step(emu)
    assert step.ok and step.detail.startswith("login: aws login session")


@needs_crt
def test_an_expired_session_is_refreshed_through_sign_in(
    cache: Path, emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_session(cache, -timedelta(minutes=1))
    with SignIn() as signin:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", signin.url)
        converse("nova-lite", "hi", manager=_manager(emu, validate=False))
        [refresh] = signin.records
    assert emu.requests[-1].access_key_id == REFRESHED_KEY
    assert json.loads(refresh.body)["refreshToken"] == "login-refresh-token"
    assert refresh.header("DPoP")  # signed with the cached key, as Sign-In requires
    assert json.loads(_cache_file(cache).read_text())["accessToken"]["accessKeyId"] == (
        REFRESHED_KEY
    )


@needs_crt
def test_doctor_says_aws_login_when_no_session_is_cached(
    cache: Path, emu: BedrockEmulator
) -> None:
    step = _credentials_step(emu)
    assert not step.ok and step.error_class == "CredentialsNotFoundError"
    assert step.fix == f"aws login --profile {PROFILE}"
    assert str(cache) in step.detail and SESSION in step.detail


@needs_crt
@pytest.mark.parametrize(
    ("refusal", "error_class", "fix"),
    [
        ("TOKEN_EXPIRED", "ExpiredCredentialsError", f"aws login --profile {PROFILE}"),
        ("USER_CREDENTIALS_CHANGED", "ExpiredCredentialsError", f"aws login --profile {PROFILE}"),
        ("INSUFFICIENT_PERMISSIONS", "AccessDeniedError", "signin:CreateOAuth2Token"),
    ],
)
def test_doctor_says_aws_login_when_sign_in_refuses_the_refresh(
    cache: Path,
    emu: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    refusal: str,
    error_class: str,
    fix: str,
) -> None:
    # The refusals botocore's Sign-In model lists (its login provider maps them to errors).
    assert refusal in service_model("signin").shape_for("AccessDeniedException").members[
        "error"
    ].enum
    _write_session(cache, -timedelta(minutes=1))
    with SignIn(refusal=refusal) as signin:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", signin.url)
        step = _credentials_step(emu)
        assert len(signin.records) == 1
    assert not step.ok and step.error_class == error_class
    assert fix in (step.fix or "") and f"aws login --profile {PROFILE}" in (step.fix or "")


def test_without_awscrt_doctor_gives_the_install_hint(
    cache: Path, emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(botocore.credentials, "EC", None)  # as botocore is without awscrt
    _write_session(cache, timedelta(minutes=14))
    step = _credentials_step(emu)
    assert not step.ok and step.error_class == "ConfigurationError"
    assert step.fix == login.CRT_FIX and f"Profile '{PROFILE}'" in step.detail


def test_a_botocore_without_the_login_provider_is_named(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What an older botocore does with a login_session profile: finds no credentials at all.
    monkeypatch.setattr(login, "botocore_knows_login", lambda: False)
    error = translate_error(NoCredentialsError(), ErrorContext(profile=PROFILE))
    assert type(error).__name__ == "CredentialsNotFoundError"
    assert f"botocore supports from {login.LOGIN_SINCE}" in str(error)
    assert botocore.__version__ in str(error)
