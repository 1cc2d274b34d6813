"""Failure paths, round two (issue 22): no raw error, no secret in an error's attributes or a
pickle, every credential_process bounded, the clock blamed only when measured.

Over real sockets and real subprocesses: the emulator (Bedrock and STS), credential_process
helpers that are small scripts run by this interpreter, and a local proxy in front of the
emulator's STS that holds replies back.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import logging
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError
from secret_scan import assert_no_secret as assert_no_secret_in

import bedrock_auth
from bedrock_auth import (
    BedrockAuthError,
    BedrockClientManager,
    ClockSkewError,
    ConfigurationError,
    CredentialsNotFoundError,
    EndpointUnreachableError,
    ExpiredCredentialsError,
    converse,
    get_llm,
)
from bedrock_auth.testing import BedrockEmulator

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals")

MODEL = "amazon.nova-lite-v1:0"
ROLE = "arn:aws:iam::210987654321:role/bedrock-user"
MFA_SERIAL = "arn:aws:iam::123456789012:mfa/alice"
# Planted secrets, shaped like the real thing; the argument and the marker have no shape at
# all: only leaving them out entirely keeps them out.
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED022"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEPLANTEDSESSIONTOKEN" + "Zm9vYmFy" * 20
ARGUMENT_SECRET = "arg-secret-5c1e"
MARKER = "printed-by-helper"
PROXY_PASSWORD = "proxy-pw-77d1e4"
ASSERTION = "signed-context-assertion-0c4f1a"
SECRETS = (SECRET_KEY, SESSION_TOKEN, ARGUMENT_SECRET, MARKER)


def assert_no_secret(error: BaseException, *secrets: str) -> None:
    """Not in the message, the traceback, the attributes, the chained causes or a pickle."""
    assert_no_secret_in(error, secrets or SECRETS)


# -- credential_process helpers ---------------------------------------------------------------


def helper(tmp_path: Path, body: str, name: str = "creds-helper") -> Path:
    """An executable script running ``body`` with this interpreter."""
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport json, os, subprocess, sys, time\n{body}")
    path.chmod(0o755)
    return path


def write_config(text: str) -> None:
    Path(os.environ["AWS_CONFIG_FILE"]).write_text(text)


def use_process(path: Path, profile: str = "tools") -> None:
    write_config(f"[profile {profile}]\ncredential_process = {path} --token {ARGUMENT_SECRET}\n")


def printing(expiration: str | None = None, **fields: Any) -> str:
    """Helper code printing credentials: ``expiration`` is Python code for the Expiration."""
    values = {"Version": 1, "AccessKeyId": "ASIAHELPER0000000001", "SecretAccessKey": SECRET_KEY,
              "SessionToken": SESSION_TOKEN, **fields}
    lines = f"values = {values!r}\n"
    if expiration:
        lines += (f"from datetime import datetime, timedelta, timezone\n"
                  f"values['Expiration'] = {expiration}\n")
    return lines + "print(json.dumps(values), flush=True)\n"


IN_TWO_SECONDS = "(datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat()"
IN_AN_HOUR = "(datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()"
BAD_OUTPUTS = {
    "expired": (printing(Expiration="2001-01-01T00:00:00Z"), ExpiredCredentialsError,
                "had expired by the time they arrived"),
    "garbage-expiration": (printing(Expiration="next tuesday-ish"), CredentialsNotFoundError,
                           "gave an Expiration that is not a timestamp"),
    "naive-expiration": (printing(Expiration="2099-01-01T00:00:00"), CredentialsNotFoundError,
                         "gave an Expiration without a time zone"),
    "null-key": (printing(AccessKeyId=None), CredentialsNotFoundError,
                 "gave an AccessKeyId that is null"),
    "number-secret": (printing(SecretAccessKey=12345), CredentialsNotFoundError,
                      "gave a SecretAccessKey that is a number"),
    "version-true": (printing(Version=True), CredentialsNotFoundError,
                     "printed an unsupported Version"),
    "truncated-json": (f"sys.stdout.write(json.dumps({{'Version': 1, 'AccessKeyId': 'ASIAX', "
                       f"'SecretAccessKey': {SECRET_KEY!r}, 'SessionToken': {SESSION_TOKEN!r}}})"
                       "[:-40])\n", CredentialsNotFoundError, "did not print JSON"),
}


@pytest.mark.parametrize("validate", [False, True], ids=["validate=False", "validate=True"])
@pytest.mark.parametrize("case", sorted(BAD_OUTPUTS))
def test_bad_credential_process_output_is_a_typed_error_naming_the_helper(
    emu: BedrockEmulator, tmp_path: Path, case: str, validate: bool
) -> None:
    body, expected, words = BAD_OUTPUTS[case]
    use_process(helper(tmp_path, body))
    with pytest.raises(BedrockAuthError) as info:
        converse(MODEL, "hi", manager=emu.manager(profile="tools", validate=validate))
    assert type(info.value) is expected, repr(info.value)
    message = str(info.value)
    assert words in message and "GetCallerIdentity failed" not in message
    if expected is CredentialsNotFoundError:
        assert "credential_process of profile 'tools' (creds-helper)" in message
    assert_no_secret(info.value)


def test_two_second_process_credentials_under_32_threads_raise_only_typed_errors(
    emu: BedrockEmulator, tmp_path: Path
) -> None:
    """The live catalog is listed again and again while the credentials expire every two
    seconds, and every other run of the helper is slow enough for them to expire in transit
    (as on a loaded machine): any failure, on the listing path or the call's, is typed."""
    runs = tmp_path / "runs"
    slow_every_other_run = (
        f"with open({str(runs)!r}, 'a') as log:\n    log.write('.')\n"
        f"if os.path.getsize({str(runs)!r}) % 2:\n    time.sleep(2.5)\n"
    )
    body = printing(expiration=IN_TWO_SECONDS).replace("print(", slow_every_other_run + "print(")
    use_process(helper(tmp_path, body))
    manager = emu.manager(profile="tools", validate=False)
    deadline, failures, calls = time.monotonic() + 6, [], [0]

    def work(index: int) -> None:
        while time.monotonic() < deadline:
            if index == 0:
                manager.catalog.clear()  # the next call lists again
            try:
                converse(MODEL, "hi", manager=manager)
                calls[0] += 1
            except Exception as exc:
                failures.append(exc)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(work, range(32)))
    assert calls[0] > 0
    raw = [f"{type(e).__name__}: {e}" for e in failures if not isinstance(e, BedrockAuthError)]
    assert not raw, raw[:5]
    for error in failures[:20]:
        assert_no_secret(error)


# -- local failures are named as local ----------------------------------------------------------


def test_a_missing_web_identity_token_file_is_a_local_file_problem(
    emu: BedrockEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "not-mounted" / "token"
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(missing))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE)
    for build in (
        lambda: BedrockClientManager(endpoint_url=emu.endpoints(), region=emu.region,
                                     load_dotenv=False),
        lambda: emu.manager(role_arn=ROLE, web_identity_token_file=str(missing)),
    ):
        with pytest.raises(CredentialsNotFoundError) as info:
            build()
        message = str(info.value)
        assert f"the file {missing} could not be read (No such file or directory)" in message
        assert "web-identity" in message or "web identity" in message
        assert "failed (" not in message


def test_an_mfa_callback_that_raises_is_named(emu: BedrockEmulator) -> None:
    def no_terminal() -> str:
        raise EOFError("no terminal to read the code from")

    with pytest.raises(CredentialsNotFoundError) as info:
        emu.manager(role_arn=ROLE, mfa_serial=MFA_SERIAL, mfa_token_provider=no_terminal)
    message = str(info.value)
    assert "mfa_token_provider" in message and "no_terminal" in message
    assert "EOFError" in message and "GetCallerIdentity" not in message
    assert isinstance(info.value.__cause__, EOFError)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"fallback_regions": 0}, "fallback_regions=0 is an int"),
        ({"fallback_regions": "us-west-2"}, "fallback_regions='us-west-2' is a str"),
        ({"client": "not a client"}, "get_llm(client=...) got a str"),
        ({"bedrock_client": "sts"}, "get_llm(bedrock_client=...) got a botocore sts client"),
    ],
)
def test_get_llm_refuses_bad_arguments_with_a_configuration_error(
    emu: BedrockEmulator, options: dict[str, Any], words: str
) -> None:
    manager = emu.manager()
    if options.get("bedrock_client") == "sts":
        options = {"bedrock_client": manager.client("sts")}
    with pytest.raises(ConfigurationError) as info:
        get_llm("nova-lite", manager=manager, **options).invoke("hi")
    assert words in str(info.value)


# -- what an error holds -----------------------------------------------------------------------


def test_a_dropped_connection_keeps_its_cause_but_not_the_signed_request(
    emu: BedrockEmulator,
) -> None:
    manager = emu.manager(session_token=SESSION_TOKEN, max_retries=0)
    emu.fail(None, drop_connection=True, times=5)
    try:
        with pytest.raises(EndpointUnreachableError) as info:
            converse(MODEL, "hi", manager=manager)
    finally:
        emu.clear()
    assert isinstance(info.value.__cause__, ConnectionClosedError)  # the class stays
    assert isinstance(info.value.__cause__.kwargs["endpoint_url"], str)
    assert_no_secret(info.value, SESSION_TOKEN)


# -- every credential_process bounded, its output never shown ---------------------------------

BOUND = 1.0


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie no longer does: nothing may have reaped it yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def pids(tmp_path: Path) -> Iterator[Path]:
    """A file helpers write the pids they start to; those still running this test's helper
    or its child (recognised by their command line, never by the number alone: a pid is
    reused) are stopped after."""
    path = tmp_path / "pids"
    yield path
    for pid in path.read_text().split() if path.exists() else ():
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if str(tmp_path).encode() in command or CHILD_CODE.encode() in command:
                os.kill(int(pid), 9)


CHILD_CODE = "import time; time.sleep(120)  # a helper's child"


def _spawns_a_child(pids: Path) -> str:
    """Helper code starting a child that inherits stdout and outlives the helper."""
    return (
        f"child = subprocess.Popen([sys.executable, '-c', {CHILD_CODE!r}])\n"
        f"open({str(pids)!r}, 'a').write(f'{{os.getpid()}} {{child.pid}} ')\n"
    )


def _within(seconds: float, build: Callable[[], Any]) -> Any:
    """``build()`` on a thread; a build that outlives ``seconds`` fails the test (botocore's
    own provider would wait for ever) instead of hanging it."""
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(build).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)


def test_a_helper_whose_child_keeps_stdout_open_is_read_until_it_exits(
    emu: BedrockEmulator, tmp_path: Path, pids: Path
) -> None:
    use_process(helper(tmp_path, _spawns_a_child(pids) + printing()))
    manager = _within(30, lambda: emu.manager(profile="tools", credential_process_timeout=BOUND))
    assert manager.credential_source == "custom-process"
    assert converse(MODEL, "hi", manager=manager).text.endswith("hi")


def test_a_helper_stopped_at_the_bound_takes_its_children_with_it(
    emu: BedrockEmulator, tmp_path: Path, pids: Path
) -> None:
    use_process(helper(tmp_path, _spawns_a_child(pids) + "time.sleep(120)\n"))
    with pytest.raises(CredentialsNotFoundError, match=f"did not finish within {BOUND:g} s"):
        _within(30, lambda: emu.manager(profile="tools", credential_process_timeout=BOUND))
    helper_pid, child_pid = map(int, pids.read_text().split())
    assert _gone(helper_pid) and _gone(child_pid)


def _source_profile(path: Path) -> None:
    write_config(
        f"[profile base]\ncredential_process = {path} --token {ARGUMENT_SECRET}\n"
        f"[profile chained]\nrole_arn = {ROLE}\nsource_profile = base\n"
    )


@pytest.fixture
def chained_sts(emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch) -> BedrockEmulator:
    """botocore's own AssumeRole for a source_profile chain reaches the emulator's STS."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emu.endpoint_url)
    return emu


def test_a_source_profiles_credential_process_is_run_by_the_library(
    chained_sts: BedrockEmulator, tmp_path: Path
) -> None:
    _source_profile(helper(tmp_path, printing(expiration=IN_AN_HOUR)))
    manager = chained_sts.manager(profile="chained")
    assert manager.credential_source == "assume-role" and manager.identity is not None
    assert converse(MODEL, "hi", manager=manager).text.endswith("hi")


def test_a_source_profiles_failing_credential_process_never_shows_its_output(
    chained_sts: BedrockEmulator, tmp_path: Path
) -> None:
    _source_profile(helper(tmp_path, (
        f"print('{MARKER} aws_secret_access_key={SECRET_KEY}', file=sys.stderr)\n"
        f"print('{MARKER} {ARGUMENT_SECRET}', file=sys.stderr)\nsys.exit(3)\n"
    )))
    with pytest.raises(CredentialsNotFoundError) as info:
        chained_sts.manager(profile="chained")
    message = str(info.value)
    assert "credential_process of profile 'base' (creds-helper) exited with status 3" in message
    assert_no_secret(info.value)


def test_a_source_profiles_hanging_credential_process_is_stopped_at_the_bound(
    chained_sts: BedrockEmulator, tmp_path: Path, pids: Path
) -> None:
    _source_profile(helper(tmp_path, _spawns_a_child(pids) + "time.sleep(120)\n"))
    with pytest.raises(CredentialsNotFoundError) as info:
        # The helper sleeps 120 s: _within's 30 s deadline (30x BOUND, for a busy machine)
        # fails the test if the bound did not stop it.
        _within(30, lambda: chained_sts.manager(profile="chained",
                                                credential_process_timeout=BOUND))
    assert "credential_process of profile 'base' (creds-helper) did not finish" in str(info.value)
    assert all(_gone(int(pid)) for pid in pids.read_text().split())


def test_the_executable_is_logged_as_errors_show_it(
    emu: BedrockEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A name with a secret's shape: masked in the error, so masked in the log as well.
    name = "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0"
    use_process(helper(tmp_path, "sys.exit(1)\n", name=name))
    caplog.set_level(logging.DEBUG, logger="bedrock_auth")
    with pytest.raises(CredentialsNotFoundError) as info:
        emu.manager(profile="tools")
    assert name not in str(info.value)
    logged = [r.getMessage() for r in caplog.records if "credential_process" in r.getMessage()]
    assert logged and not [line for line in logged if name in line]


# -- pickles -----------------------------------------------------------------------------------


class Vault:
    """A credential provider object holding a secret (pickled with it)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __call__(self) -> dict[str, str]:
        return {"access_key_id": "AKIAVAULT00000000001", "secret_access_key": self.secret}


def from_vault(secret: str) -> dict[str, str]:
    return {"access_key_id": "AKIAVAULT00000000001", "secret_access_key": secret}


def mfa_code(code: str) -> str:
    return code


def from_the_environment() -> dict[str, str]:
    """A module-level provider: pickled by its name, with no data."""
    return {"access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
            "secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"]}


CONTEXT = [{"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter",
            "ContextAssertion": ASSERTION}]
HOLDING_A_SECRET = {
    "proxy-password": ({"client_config": Config(
        proxies={"https": f"http://alice:{PROXY_PASSWORD}@proxy.internal:3128"})},
        PROXY_PASSWORD),
    "endpoint-userinfo": ({"endpoint_url": f"https://alice:{PROXY_PASSWORD}@127.0.0.1:9"},
                          PROXY_PASSWORD),
    "endpoint-map-userinfo": ({"endpoint_url": {
        "bedrock-runtime": f"https://alice:{PROXY_PASSWORD}@127.0.0.1:9"}}, PROXY_PASSWORD),
    "provided-contexts": ({"role_arn": ROLE, "assume_role_kwargs": {"ProvidedContexts": CONTEXT}},
                          ASSERTION),
    "partial-provider": ({"credential_provider": functools.partial(from_vault, SECRET_KEY)},
                         SECRET_KEY),
    "object-provider": ({"credential_provider": Vault(SECRET_KEY)}, SECRET_KEY),
    "partial-mfa": ({"role_arn": ROLE, "mfa_serial": MFA_SERIAL,
                     "mfa_token_provider": functools.partial(mfa_code, "314159")}, "314159"),
}


@pytest.mark.parametrize("case", sorted(HOLDING_A_SECRET))
def test_values_holding_a_secret_refuse_to_pickle_unless_allowed(case: str) -> None:
    options, secret = HOLDING_A_SECRET[case]
    base = {"validate": False, "region": "us-east-1", "load_dotenv": False}
    manager = BedrockClientManager(**base, **options)
    with pytest.raises(ConfigurationError, match="allow_pickle_secrets=True") as info:
        pickle.dumps(manager)
    assert next(iter(options.keys() - {"role_arn", "mfa_serial"})) in str(info.value)
    assert_no_secret(info.value, secret)
    allowed = BedrockClientManager(**base, **options, allow_pickle_secrets=True)
    assert secret.encode() in pickle.dumps(allowed)  # consented: the copy is made


def test_a_module_level_function_pickles_by_name_without_consent() -> None:
    manager = BedrockClientManager(validate=False, region="us-east-1", load_dotenv=False,
                                   credential_provider=from_the_environment)
    assert pickle.loads(pickle.dumps(manager)).mode == "custom"


def test_a_model_unpickled_where_there_are_no_credentials_fails_on_first_use(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = {"AWS_ACCESS_KEY_ID": emu.access_key_id, "AWS_SECRET_ACCESS_KEY": emu.secret_access_key}
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    manager = BedrockClientManager(endpoint_url=emu.endpoints(), region=emu.region,
                                   load_dotenv=False)
    data = pickle.dumps(get_llm("nova-lite", manager=manager, fallback_regions=["us-west-2"]))
    bedrock_auth.reset()  # as in a fresh worker ...
    for name in keys:
        monkeypatch.delenv(name)  # ... that has no credentials
    emu.clear()
    model = pickle.loads(data)  # nothing resolved, validated or sent in here
    assert emu.requests == []
    with pytest.raises(CredentialsNotFoundError):
        model.invoke("hi")
    for name, value in keys.items():
        monkeypatch.setenv(name, value)  # the worker's credentials arrive
    assert model.invoke("again").content.endswith("again")
    assert model._spec.resolved[0]["model"] == MODEL


# -- the clock, blamed only when measured ------------------------------------------------------


class SlowSTS:
    """A proxy in front of the emulator's STS that holds AssumeRole replies back for
    ``delay`` seconds, as a loaded machine or a slow network does. Replies keep the
    emulator's own ``Date``: when AWS answered, not when the reply arrived."""

    def __init__(self, upstream: str, delay: float) -> None:
        host, port = upstream.rsplit("/", 1)[-1].split(":")
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, payload = proxy.forward((host, int(port)), self, body)
                if b"Action=AssumeRole" in body:
                    time.sleep(delay)  # the reply is on its way, slowly
                self.send_response_only(status)
                for name, value in headers:
                    if name.lower() not in ("connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def forward(
        upstream: tuple[str, int], request: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*upstream, timeout=30)
        try:
            conn.putrequest("POST", request.path, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.items():
                if name.lower() not in ("connection", "content-length"):
                    conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            reply = conn.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            conn.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def two_second_roles() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        emulator.assume_role_duration = 2
        yield emulator


def test_credentials_that_expire_in_transit_do_not_blame_the_clock(
    two_second_roles: BedrockEmulator,
) -> None:
    emu = two_second_roles
    slow = SlowSTS(emu.endpoint_url, delay=3.5)  # longer than the credentials live
    try:
        endpoints = {**emu.endpoints(), "sts": slow.url}
        emu.manager(endpoint_url=endpoints)  # a prompt STS reply measures the clock: it is right
        with pytest.raises(BedrockAuthError) as info:
            emu.manager(endpoint_url=endpoints, role_arn=ROLE)
    finally:
        slow.close()
    assert type(info.value) is ExpiredCredentialsError, repr(info.value)
    message = str(info.value)
    assert "had expired by the time they arrived" in message and "the fetch took" in message
    assert "clock is not the cause" in message and "expired in transit" in message
    assert "most likely ahead" not in message


def test_a_clock_measured_ahead_is_still_named(two_second_roles: BedrockEmulator) -> None:
    emu = two_second_roles
    emu.assume_role_duration = 600
    emu.clock_skew = -14 * 60  # AWS 14 minutes behind: STS still takes the signature
    with pytest.raises(ClockSkewError) as info:
        emu.manager(role_arn=ROLE)
    assert "about 14 min ahead of AWS's" in str(info.value)


# -- the soak ----------------------------------------------------------------------------------

SOAK_SECONDS = float(os.environ.get("FAILURE_SOAK_SECONDS", "600"))


def _soak_helper(tmp_path: Path) -> Path:
    """2-second credentials; every fifth run something is wrong with them."""
    runs = tmp_path / "runs"
    broken = [printing(AccessKeyId=None), printing(Expiration="soon"), "sys.exit(2)\n",
              printing(Expiration="2001-01-01T00:00:00Z"), "print('{\"Version\": 1,')\n"]
    cases = "".join(
        f"{'if' if i == 0 else 'elif'} run % 25 == {5 * i + 4}:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        for i, code in enumerate(broken)
    )
    return helper(tmp_path, (
        f"with open({str(runs)!r}, 'a') as log:\n    log.write('.')\n"
        f"run = os.path.getsize({str(runs)!r})\n{cases}"
        "else:\n" + "".join(f"    {line}\n" for line in printing(IN_TWO_SECONDS).splitlines())
    ))


@pytest.mark.slow
def test_soak_64_threads_for_10_minutes_with_two_second_credentials(
    two_second_roles: BedrockEmulator, tmp_path: Path
) -> None:
    """Role credentials from the emulator and a credential_process, both living 2 seconds, the
    process's sometimes wrong: 64 threads call for ``SOAK_SECONDS``. Only typed errors, none
    holding a secret."""
    emu = two_second_roles
    use_process(_soak_helper(tmp_path))
    managers = [
        emu.manager(role_arn=ROLE, session_token=SESSION_TOKEN, validate=False),
        emu.manager(profile="tools", validate=False),
    ]
    deadline = time.monotonic() + SOAK_SECONDS
    failures: dict[str, BaseException] = {}
    counts = {"ok": 0, "typed": 0}
    lock = threading.Lock()

    def work(index: int) -> None:
        manager = managers[index % 2]
        while time.monotonic() < deadline:
            try:
                converse(MODEL, f"t{index}", manager=manager)
                outcome = "ok"
            except Exception as exc:
                outcome = "typed" if isinstance(exc, BedrockAuthError) else "raw"
                with lock:
                    failures.setdefault(f"{type(exc).__name__}: {str(exc)[:80]}", exc)
            with lock:
                counts[outcome] = counts.get(outcome, 0) + 1

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(work, range(64)))
    print(f"soak: {counts}; distinct failures: {sorted(failures)}")  # for docs/reliability.md
    assert counts["ok"] > 0 and counts.get("raw", 0) == 0, (counts, list(failures)[:10])
    for error in failures.values():
        assert_no_secret(error)
