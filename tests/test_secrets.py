"""Planted secrets never appear in an error message, traceback, repr, str, log record or
emulator record."""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from secret_scan import assert_no_secret

from bedrock_auth import (
    AuthConfig,
    BedrockAuthError,
    BedrockClientManager,
    RedactingFilter,
    converse,
    converse_stream,
    get_llm,
    invoke_agent,
)
from bedrock_auth.settings import resolve_settings
from bedrock_auth.testing import BedrockEmulator

# Planted in tests that check nothing secret leaks; shaped like the real thing.
SECRET_KEY = "zQ8rT4vW1xY7uI0oP3aS6dF9gH2jK5lZ8xC1vB4n"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN" + "Zm9vYmFy" * 20
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLXNlY3JldC1rZXk="
ACCESS_KEY = "AKIAPLANTEDKEY000001"

EXTERNAL_ID = "partner-7f3a-external"
MFA_CODE = "271828"
ROLE = "arn:aws:iam::210987654321:role/bedrock-user"

SECRETS = (SECRET_KEY, SESSION_TOKEN, API_KEY, EXTERNAL_ID, MFA_CODE)


@pytest.fixture
def planted(emu: BedrockEmulator) -> Callable[..., BedrockClientManager]:
    emu.clear()

    def make(**overrides: Any) -> BedrockClientManager:
        options: dict[str, Any] = {
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "session_token": SESSION_TOKEN,
            "max_retries": 0,
        }
        return emu.manager(**{**options, **overrides})

    return make


def assert_clean(*texts: object) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text), f"secret leaked into: {str(text)[:200]}"


def assert_error_clean(error: BaseException) -> None:
    """The error, everything a traceback prints of it and its chained causes, and everything
    an error reporter could serialise: attributes, chained causes' attributes, pickles."""
    assert_clean(
        error,
        repr(error),
        error.args,
        getattr(error, "partial_text", ""),
        "".join(traceback.format_exception(error)),
    )
    assert_no_secret(error, SECRETS)


def echoing(secret: str) -> str:
    return f"The request signature we calculated does not match; key={secret} token {secret}"


def error_paths(
    emu: BedrockEmulator, make: Callable[..., BedrockClientManager]
) -> list[Callable[[], object]]:
    """Each callable drives one failure; all must raise a BedrockAuthError."""

    def rejected() -> object:
        emu.reject_keys({"AKIAPLANTEDREJECTED1"})
        return make(access_key_id="AKIAPLANTEDREJECTED1")

    def with_fault(
        code: str, call: Callable[[BedrockClientManager], object], **kw: Any
    ) -> Callable[[], object]:
        def run() -> object:
            manager = make()
            emu.fail(code, times=5, message=echoing(SECRET_KEY) + " " + SESSION_TOKEN, **kw)
            try:
                return call(manager)
            finally:
                emu.clear()

        return run

    def streamed(manager: BedrockClientManager) -> object:
        return list(converse_stream("nova-lite", "hi", manager=manager))

    def role_denied() -> object:
        emu.fail("AccessDenied", operation="AssumeRole", message=echoing(SECRET_KEY))
        try:
            return make(
                role_arn=ROLE,
                external_id=EXTERNAL_ID,
                mfa_serial="arn:aws:iam::123456789012:mfa/alice",
                mfa_token_provider=lambda: MFA_CODE,
            )
        finally:
            emu.clear()

    def refresh_fails() -> object:
        emu.assume_role_duration = 2  # expired by the next call (whole-second expiry stamps)
        manager = make(role_arn=ROLE, external_id=EXTERNAL_ID)
        emu.fail("ServiceUnavailable", status=503, operation="AssumeRole", times=None)
        time.sleep(2.2)
        try:
            return converse("nova-lite", "hi", manager=manager)
        finally:
            emu.clear()
            emu.assume_role_duration = None

    return [
        rejected,
        with_fault("AccessDeniedException", lambda m: converse("nova-lite", "hi", manager=m)),
        with_fault("ThrottlingException", lambda m: converse("nova-lite", "hi", manager=m)),
        with_fault("ExpiredTokenException", lambda m: converse("nova-lite", "hi", manager=m)),
        with_fault("ValidationException", lambda m: converse("nova-lite", "hi", manager=m)),
        with_fault("ServiceUnavailableException", streamed, after_chunks=2),
        with_fault("AccessDeniedException", lambda m: get_llm("nova-lite", manager=m).invoke("hi")),
        with_fault(
            "ResourceNotFoundException",
            lambda m: invoke_agent("hi", agent_id="A", alias_id="B", manager=m),
        ),
        lambda: BedrockClientManager(
            endpoint_url={"sts": "http://127.0.0.1:9"},
            region="us-east-1",
            access_key_id="AKIAPLANTEDOFFLINE01",
            secret_access_key=SECRET_KEY,
            session_token=SESSION_TOKEN,
            max_retries=0,
            connect_timeout=1,
        ),
        lambda: BedrockClientManager(
            api_key=API_KEY, access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY
        ),
        lambda: BedrockClientManager(api_key=API_KEY, region="us-east1"),
        lambda: BedrockClientManager(
            api_key=API_KEY, endpoint_url=emu.endpoint_url, region="us-east-1"
        ).client("bedrock-agent-runtime"),
        # A token read from a mounted secret file, with its newline.
        lambda: make(session_token=SESSION_TOKEN + "\n"),
        role_denied,
        refresh_fails,
    ]


def test_no_secret_in_errors_reprs_or_logs(
    emu: BedrockEmulator,
    planted: Callable[..., BedrockClientManager],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bedrock_auth")
    raised = []
    for path in error_paths(emu, planted):
        with pytest.raises(BedrockAuthError) as info:
            path()
        raised.append(info.value)
        assert_error_clean(info.value)
    assert len(raised) == 15
    manager = planted()
    assert_clean(repr(manager), str(manager), manager.auth_info(), emu.requests)
    api_manager = BedrockClientManager(
        api_key=API_KEY, endpoint_url=emu.endpoint_url, region="us-east-1"
    )
    assert_clean(repr(api_manager), api_manager.auth_info())
    for config in (
        AuthConfig(role_arn=ROLE, external_id=SECRET_KEY, session_token=SESSION_TOKEN),
        AuthConfig(api_key=API_KEY),
    ):
        assert_clean(repr(config), repr(resolve_settings(config, environ={})))
    records = [r for r in caplog.records if r.name.startswith("bedrock_auth")]
    assert records, "the library logged nothing at DEBUG: the scan would prove nothing"
    assert_clean(*(r.getMessage() for r in records))


@pytest.fixture
def tls_emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(tls=True) as emulator:
        yield emulator


def test_api_key_with_its_newline_stays_out_of_the_traceback(tls_emu: BedrockEmulator) -> None:
    manager = tls_emu.manager(api_key=API_KEY + "\n", max_retries=0)
    with pytest.raises(BedrockAuthError) as info:
        converse("nova-lite", "hi", manager=manager)
    assert_error_clean(info.value)


def test_failing_credential_process_stderr_stays_out_of_the_traceback() -> None:
    # The process prints the keys it failed to deliver, as broken helpers do.
    script = (
        f"import sys; sys.stderr.write('refused key {SECRET_KEY} token {SESSION_TOKEN}'); "
        "sys.exit(1)"
    )
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.write_text(f'[profile proc]\ncredential_process = {sys.executable} -c "{script}"\n')
    with pytest.raises(BedrockAuthError) as info:
        BedrockClientManager(profile="proc", region="us-east-1", load_dotenv=False)
    # The process's output is never shown (it may hold secrets), redacted or not.
    assert "credential_process of profile 'proc'" in str(info.value)
    assert "refused key" not in str(info.value)
    assert_error_clean(info.value)


def test_emulator_records_mask_secrets_in_forms_and_json_bodies(
    emu: BedrockEmulator, planted: Callable[..., BedrockClientManager]
) -> None:
    emu.clear()
    planted(
        role_arn=ROLE,
        external_id=EXTERNAL_ID,
        mfa_serial="arn:aws:iam::123456789012:mfa/alice",
        mfa_token_provider=lambda: MFA_CODE,
    )
    [assume] = [r for r in emu.requests if r.operation == "AssumeRole"]
    assert assume.body["SerialNumber"] == "arn:aws:iam::123456789012:mfa/alice"
    assert assume.sent("body.ExternalId", EXTERNAL_ID) and assume.sent("body.TokenCode", MFA_CODE)
    assert assume.sent("headers.x-amz-security-token", SESSION_TOKEN)
    emu.client("bedrock-runtime").converse(
        modelId="amazon.nova-lite-v1:0",
        messages=[{"role": "user", "content": [{"text": "hi"}]}],
        inferenceConfig={"maxTokens": 50},
        additionalModelRequestFields={"vendor": {"apiKey": API_KEY, "clientSecret": SECRET_KEY}},
    )
    converse_record = emu.requests[-1]
    assert converse_record.body["inferenceConfig"] == {"maxTokens": 50}
    assert converse_record.body["additionalModelRequestFields"]["vendor"] == {
        "apiKey": "***",
        "clientSecret": "***",
    }
    assert converse_record.sent("body.additionalModelRequestFields.vendor.apiKey", API_KEY)
    assert_clean(emu.requests, [vars(r) for r in emu.requests])


def test_redacting_filter_masks_botocore_debug_output(
    emu: BedrockEmulator, planted: Callable[..., BedrockClientManager]
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    botocore_logger = logging.getLogger("botocore")
    level = botocore_logger.level
    botocore_logger.addHandler(handler)
    botocore_logger.setLevel(logging.DEBUG)
    try:
        manager = planted(
            role_arn=ROLE,
            external_id=EXTERNAL_ID,
            mfa_serial="arn:aws:iam::123456789012:mfa/alice",
            mfa_token_provider=lambda: MFA_CODE,
        )
        converse("nova-lite", "hi", manager=manager)
    finally:
        botocore_logger.removeHandler(handler)
        botocore_logger.setLevel(level)
    logged = stream.getvalue()
    assert "X-Amz-Security-Token" in logged and "<SecretAccessKey>***" in logged
    assert_clean(logged)


def test_the_documented_log_filter_example_runs() -> None:
    doc = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
    [example] = [
        block
        for block in re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
        if "RedactingFilter" in block
    ]
    botocore_logger = logging.getLogger("botocore")
    handlers, level = list(botocore_logger.handlers), botocore_logger.level
    try:
        exec(compile(example, str(doc), "exec"), {"__name__": "doc_example"})
    finally:
        botocore_logger.handlers[:] = handlers
        botocore_logger.setLevel(level)


# -- secrets the manager registers (configured ones, resolved ones, MFA codes) ---------------


def test_an_echoed_external_id_is_masked_once_the_manager_registers_it(
    emu: BedrockEmulator, planted: Callable[..., BedrockClientManager]
) -> None:
    # No shape gives an external id away: only the registry of known secrets can mask it.
    emu.fail("AccessDenied", operation="AssumeRole", message=f"ExternalId {EXTERNAL_ID} refused")
    try:
        with pytest.raises(BedrockAuthError) as info:
            planted(role_arn=ROLE, external_id=EXTERNAL_ID)
    finally:
        emu.clear()
    assert_error_clean(info.value)


def test_reset_forgets_known_secrets() -> None:
    import bedrock_auth
    from bedrock_auth import _redact

    _redact.remember_secrets("standalone-secret-0042")  # held by no live manager
    bedrock_auth.reset()
    assert _redact.redact("standalone-secret-0042") == "standalone-secret-0042"


def test_reset_keeps_the_secrets_of_managers_still_in_use(emu: BedrockEmulator) -> None:
    import bedrock_auth
    from bedrock_auth._redact import redact

    manager = emu.manager(role_arn=ROLE, external_id="kept-external-id-77")
    bedrock_auth.reset()
    assert redact("kept-external-id-77") == "***"
    del manager


def test_a_credential_provider_failure_keeps_its_cause_redacted(emu: BedrockEmulator) -> None:
    def provider() -> Any:
        raise RuntimeError(f"vault refused secret {SECRET_KEY}")

    # credentials.py raises CredentialsNotFoundError from the provider's error, inside botocore;
    # the manager passes BedrockAuthErrors through without redacting their chain.
    with pytest.raises(BedrockAuthError) as info:
        emu.manager(credential_provider=provider)
    assert_error_clean(info.value)
