"""What happens when things go wrong: forks, hung endpoints, stale caches, many threads.

All over real sockets on 127.0.0.1: the emulator, and a "hung" server that accepts TCP
connections and never answers.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

import bedrock_auth
from bedrock_auth import (
    BedrockClientManager,
    ConfigurationError,
    CredentialEndpointUnreachableError,
    InvalidCredentialsError,
    get_manager,
    resolve_model_id,
)
from bedrock_auth import manager as manager_module
from bedrock_auth._state import SingleFlightCache
from bedrock_auth.manager import CallerIdentity
from bedrock_auth.testing import BedrockEmulator

MODEL = "amazon.nova-lite-v1:0"

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX sockets and fork")


class HungEndpoint(str):
    """The URL of a listener that completes the TCP handshake (kernel backlog) and never replies;
    ``reset()`` closes it, which resets the connections waiting on it."""

    server: socket.socket

    def reset(self) -> None:
        self.server.close()


@pytest.fixture
def hung_endpoint() -> Iterator[HungEndpoint]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    endpoint = HungEndpoint(f"http://127.0.0.1:{server.getsockname()[1]}")
    endpoint.server = server
    yield endpoint
    server.close()


def say(manager: BedrockClientManager, text: str) -> str:
    reply = manager.client().converse(
        modelId=MODEL, messages=[{"role": "user", "content": [{"text": text}]}]
    )
    return str(reply["output"]["message"]["content"][0]["text"])


# -- bounded time -------------------------------------------------------------------------------


def test_hung_sts_fails_fast_and_names_sts(emu: BedrockEmulator, hung_endpoint: str) -> None:
    started = time.monotonic()
    with pytest.raises(CredentialEndpointUnreachableError) as info:
        emu.manager(endpoint_url={"sts": hung_endpoint}, sts_read_timeout=0.5)
    elapsed = time.monotonic() - started
    message = str(info.value)
    # 2 attempts x 0.5 s read timeout, plus overhead; botocore's defaults would take 2 x 10 s.
    assert elapsed < 15, elapsed
    assert message.startswith("STS did not answer for sts GetCallerIdentity")
    assert "AWS_ENDPOINT_URL_STS" in message and f"com.amazonaws.{emu.region}.sts" in message


@pytest.mark.slow
def test_hung_sts_with_default_timeouts_fails_within_30_seconds(
    emu: BedrockEmulator, hung_endpoint: str
) -> None:
    started = time.monotonic()
    with pytest.raises(CredentialEndpointUnreachableError, match="STS did not answer"):
        emu.manager(endpoint_url={"sts": hung_endpoint})
    assert time.monotonic() - started < 30


def test_sts_calls_keep_a_users_aws_max_attempts(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
    manager = emu.manager(validate=False)
    assert manager.client("sts").meta.config.retries["total_max_attempts"] == 5
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    manager = emu.manager(validate=False, max_retries=9)  # BEDROCK_* is for Bedrock only
    assert manager.client("sts").meta.config.retries["total_max_attempts"] == 2


def test_get_manager_does_not_make_other_configurations_wait(
    emu: BedrockEmulator, hung_endpoint: HungEndpoint
) -> None:
    keys = {"access_key_id": emu.access_key_id, "secret_access_key": emu.secret_access_key}
    # The stuck build waits 2 x 30 s on the hung STS unless its sockets are reset (below).
    hung = {"endpoint_url": {"sts": hung_endpoint}, "sts_read_timeout": 30.0, "region": "us-east-1"}
    with ThreadPoolExecutor(1) as pool:
        stuck = pool.submit(get_manager, load_dotenv=False, **keys, **hung)
        time.sleep(0.3)  # the stuck build is (most likely) waiting on the hung STS by now
        healthy = get_manager(endpoint_url=emu.endpoints(), region=emu.region, **keys)
        # Had the healthy build waited for the stuck one, that one would have finished.
        assert not stuck.done()
        assert healthy.identity is not None
        hung_endpoint.reset()  # the stuck build's connection is reset: it fails now
        with pytest.raises(CredentialEndpointUnreachableError):
            stuck.result()


def test_get_manager_builds_one_configuration_once_under_16_threads(emu: BedrockEmulator) -> None:
    emu.clear()
    options = {
        "endpoint_url": emu.endpoints(),
        "region": emu.region,
        "access_key_id": "AKIASINGLEFLIGHT0001",
        "secret_access_key": emu.secret_access_key,
        "load_dotenv": False,
    }
    with ThreadPoolExecutor(16) as pool:
        managers = list(pool.map(lambda _: get_manager(**options), range(16)))
    assert len({id(m) for m in managers}) == 1
    assert len([r for r in emu.requests if r.operation == "GetCallerIdentity"]) == 1


def test_get_manager_is_a_bounded_lru(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manager_module, "MAX_MANAGERS", 2)
    first = get_manager(endpoint_url=emu.endpoints(), region="us-east-1", validate=False)
    second = get_manager(endpoint_url=emu.endpoints(), region="us-west-2", validate=False)
    assert get_manager(endpoint_url=emu.endpoints(), region="us-east-1", validate=False) is first
    get_manager(endpoint_url=emu.endpoints(), region="eu-west-1", validate=False)
    assert len(manager_module._managers) == 2
    again = get_manager(endpoint_url=emu.endpoints(), region="us-west-2", validate=False)
    assert again is not second  # the least recently used was dropped


@pytest.mark.parametrize("option", ["mfa_token_provider", "credential_provider"])
def test_get_manager_refuses_options_holding_a_function(option: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"BedrockClientManager\({option}=\.\.\.\)"):
        get_manager(**{option: lambda: "x"})  # type: ignore[misc]


def test_reset_empties_every_process_wide_cache(emu: BedrockEmulator) -> None:
    options = {"endpoint_url": emu.endpoints(), "region": emu.region, "load_dotenv": False}
    manager = get_manager(**options, validate=False)
    emu.manager()
    assert manager_module._identities.entries
    bedrock_auth.reset()
    assert not manager_module._identities.entries
    assert get_manager(**options, validate=False) is not manager


# -- caches that tell the truth -------------------------------------------------------------------


def test_identity_cache_expires_so_a_revoked_key_stops_validating(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = {"access_key_id": "AKIAREVOKED000000001", "secret_access_key": emu.secret_access_key}
    emu.manager(**keys)
    emu.reject_keys([keys["access_key_id"]])  # the key is revoked in IAM (a key only this uses)
    emu.manager(**keys)  # within the TTL the cached identity still answers
    now = time.monotonic()
    monkeypatch.setattr(
        manager_module._identities, "clock", lambda: now + manager_module.IDENTITY_TTL + 1
    )
    with pytest.raises(InvalidCredentialsError):
        emu.manager(**keys)


def test_identity_cache_never_outlives_the_credentials() -> None:
    cache: SingleFlightCache[str, CallerIdentity] = SingleFlightCache()
    identity = manager_module.CallerIdentity("123456789012", "arn:aws:iam::1:user/a", "A")
    cache.put("short", identity, manager_module._identity_ttl(0.0))
    cache.put("long", identity, manager_module._identity_ttl(None))
    assert cache.get("short") is None and cache.get("long") is identity


def test_four_tests_using_the_env_fixture_pass_together(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user_app="""
        import pytest
        from bedrock_auth import converse, get_manager

        @pytest.mark.parametrize("n", range(4))
        def test_each_gets_a_live_manager(bedrock_emulator_env, n):
            assert converse("amazon.nova-lite-v1:0", f"ping {n}").text.endswith(f"ping {n}")
            assert get_manager().identity is not None
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


# -- fork safety ---------------------------------------------------------------------------------


def _in_child(work: Any) -> dict[str, Any]:
    """Run ``work()`` in a forked child; return what it returned (a JSON-able dict)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        try:
            result = work()
        except BaseException as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    deadline = time.monotonic() + 60  # a deadlocked child fails the test, never hangs it
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read], [], [], 1.0)
        if ready:
            chunk = os.read(read, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    else:
        os.kill(pid, signal.SIGKILL)
    os.close(read)
    os.waitpid(pid, 0)
    return dict(json.loads(b"".join(chunks) or b'{"error": "the child did not finish"}'))


def _calls(manager: BedrockClientManager, who: str, count: int) -> dict[str, int]:
    crossed = failed = 0
    for index in range(count):
        token = f"{who}-{index}"
        try:
            if not say(manager, token).endswith(token):
                crossed += 1
        except Exception:
            failed += 1
    return {"crossed": crossed, "failed": failed}


def test_fork_after_use_never_crosses_replies(emu: BedrockEmulator) -> None:
    manager = emu.manager()
    say(manager, "warm the connection pool")
    children: list[int] = []
    pipes: list[int] = []
    for number in range(6):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(read)
            os.write(write, json.dumps(_calls(manager, f"child{number}", 150)).encode())
            os._exit(0)
        os.close(write)
        children.append(pid)
        pipes.append(read)
    parent = _calls(manager, "parent", 150)
    results = [parent]
    for pid, read in zip(children, pipes, strict=True):
        results.append(json.loads(os.read(read, 4096) or b'{"crossed": -1, "failed": -1}'))
        os.close(read)
        os.waitpid(pid, 0)
    assert results == [{"crossed": 0, "failed": 0}] * 7


def test_fork_while_the_client_lock_is_held_does_not_deadlock_the_child(
    emu: BedrockEmulator,
) -> None:
    manager = emu.manager()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with manager._lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        result = _in_child(lambda: {"text": say(manager, "from the child")})
    finally:
        release.set()
        holder.join()
    assert result == {"text": "Emulated reply to: from the child"}


def test_fork_while_botocore_refresh_lock_is_held_does_not_deadlock_the_child(
    emu: BedrockEmulator,
) -> None:
    manager = emu.manager(role_arn="arn:aws:iam::210987654321:role/bedrock-user")
    refresh_lock = manager.session.get_credentials()._refresh_lock
    with refresh_lock:  # as if another thread were refreshing at fork time
        result = _in_child(lambda: {"text": say(manager, "role child")})
    assert result == {"text": "Emulated reply to: role child"}


# -- releasing what is held ---------------------------------------------------------------------


def test_close_and_with_release_the_clients(emu: BedrockEmulator) -> None:
    with emu.manager() as manager:
        first = manager.client()
        say(manager, "hi")
    assert manager.client() is not first  # closed clients are dropped and rebuilt on use
    assert say(manager, "again").endswith("again")


def test_64_threads_on_one_manager_fill_no_pool(
    emu: BedrockEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    manager = emu.manager()
    barrier = threading.Barrier(64)

    def call(index: int) -> str:
        barrier.wait()
        return say(manager, f"t{index}")

    with caplog.at_level(logging.WARNING, logger="urllib3"), ThreadPoolExecutor(64) as pool:
        replies = list(pool.map(call, range(64)))
    assert all(reply.endswith(f"t{i}") for i, reply in enumerate(replies))
    # Not even urllib3's "Connection pool is full" (matched by logger, not by its wording).
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]


# -- re-reading rotated credentials ----------------------------------------------------------------


def _keys_file(path: Any, key_id: str, secret: str) -> None:
    path.write_text(f"[dev]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")


def test_rotated_shared_credentials_file_is_re_read_once(
    emu: BedrockEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    from pathlib import Path

    credentials = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    _keys_file(credentials, "AKIAROTATEFILE000001", emu.secret_access_key)
    manager = emu.manager(profile="dev")
    assert say(manager, "before").endswith("before")
    emu.reject_keys(["AKIAROTATEFILE000001"])  # revoked in IAM, rotated on disk
    _keys_file(credentials, "AKIAROTATEFILE000002", emu.secret_access_key)
    with caplog.at_level(logging.INFO, logger="bedrock_auth"):
        assert say(manager, "after").endswith("after")
    assert manager.reresolve_count == 1
    assert emu.requests[-1].access_key_id == "AKIAROTATEFILE000002"
    assert [r.getMessage() for r in caplog.records if "re-read them" in r.getMessage()]
    assert emu.secret_access_key not in caplog.text


def test_changed_dotenv_keys_are_re_read_but_the_shell_is_never_overridden(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, clean_aws_env: Any
) -> None:
    env_file = clean_aws_env / ".env"
    secret = emu.secret_access_key
    env_file.write_text(
        f"AWS_ACCESS_KEY_ID=AKIAROTATEDOTENV0001\nAWS_SECRET_ACCESS_KEY={secret}\n"
        "BEDROCK_MODEL_ID=from-dotenv\n"
    )
    monkeypatch.setenv("BEDROCK_MODEL_ID", "from-the-shell")
    endpoints = emu.endpoints()
    manager = BedrockClientManager(endpoint_url=endpoints, region=emu.region)
    assert manager.credential_source == "env"
    emu.reject_keys(["AKIAROTATEDOTENV0001"])
    env_file.write_text(
        f"AWS_ACCESS_KEY_ID=AKIAROTATEDOTENV0002\nAWS_SECRET_ACCESS_KEY={secret}\n"
        "BEDROCK_MODEL_ID=changed-in-dotenv\n"
    )
    os.utime(env_file, ns=(time.time_ns(), time.time_ns() + 10**9))  # a visibly newer file
    assert say(manager, "after rotation").endswith("after rotation")
    assert manager.reresolve_count == 1
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAROTATEDOTENV0002"
    assert os.environ["BEDROCK_MODEL_ID"] == "from-the-shell"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)


def test_keys_given_in_code_are_not_re_read(emu: BedrockEmulator) -> None:
    manager = emu.manager(access_key_id="AKIASTATICREVOKED001", secret_access_key="z" * 40)
    emu.reject_keys(["AKIASTATICREVOKED001"])
    with pytest.raises(ClientError, match="UnrecognizedClientException"):
        say(manager, "x")  # a raw botocore client raises botocore's error
    assert manager.reresolve_count == 0


def test_a_re_read_that_gives_the_same_rejected_key_fails_once(emu: BedrockEmulator) -> None:
    from pathlib import Path

    _keys_file(Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]), "AKIASTILLREVOKED0001", "s" * 40)
    manager = emu.manager(profile="dev", validate=False)
    emu.reject_keys(["AKIASTILLREVOKED0001"])
    emu.clear()
    with pytest.raises(ClientError, match="UnrecognizedClientException"):
        say(manager, "x")
    assert [r.operation for r in emu.requests] == ["Converse", "Converse"]  # one retry only


# -- streams release their connections ----------------------------------------------------------


def _open_connections(emu: BedrockEmulator, expected: int = 1 << 30, timeout: float = 30.0) -> int:
    """The emulator's open connections, once they settle at ``expected`` (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        with emu._running_server()._connections_lock:
            count = len(emu._running_server()._connections)
        if count <= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.02)


@pytest.mark.parametrize("how", ["close", "with", "collected"])
def test_partly_read_streams_release_their_connections(emu: BedrockEmulator, how: str) -> None:
    import gc

    from bedrock_auth import converse_stream

    manager = emu.manager()
    say(manager, "one kept-alive connection")
    resolve_model_id(MODEL, manager.region, manager=manager)  # the catalog's own connection
    baseline = _open_connections(emu)
    for index in range(20):
        emu.reply(" ".join(["word"] * 200))
        stream = converse_stream(MODEL, f"stream {index}", manager=manager)
        if how == "with":
            with stream:
                next(iter(stream))
        else:
            next(iter(stream))
            if how == "close":
                stream.close()
                stream.close()  # idempotent
        del stream
    if how == "collected":  # only here: a collection could hide a leak from close() and with
        gc.collect()
    assert _open_connections(emu, baseline) <= baseline


def test_a_stream_read_to_the_end_keeps_its_connection_for_reuse(emu: BedrockEmulator) -> None:
    from bedrock_auth import converse_stream

    manager = emu.manager()
    say(manager, "one kept-alive connection")
    resolve_model_id(MODEL, manager.region, manager=manager)  # the catalog's own connection
    baseline = _open_connections(emu)
    emu.reply("a b c")
    with converse_stream(MODEL, "x", manager=manager) as stream:
        assert "".join(stream) == "a b c" and stream.text == "a b c"
    assert say(manager, "next").endswith("next")
    assert _open_connections(emu, baseline, timeout=0.5) == baseline  # the same connection


def test_sixteen_managers_built_at_once_with_one_key_validate_once(emu: BedrockEmulator) -> None:
    keys = {"access_key_id": "AKIASTAMPEDE00000001", "secret_access_key": emu.secret_access_key}
    emu.clear()
    barrier = threading.Barrier(16)

    def build(_: int) -> BedrockClientManager:
        barrier.wait()
        return emu.manager(**keys)

    with ThreadPoolExecutor(16) as pool:
        managers = list(pool.map(build, range(16)))
    assert len({id(m) for m in managers}) == 16
    assert all(m.identity is not None for m in managers)
    assert [r.operation for r in emu.requests].count("GetCallerIdentity") == 1


def test_an_error_already_typed_keeps_its_own_cause_through_the_helpers(
    emu: BedrockEmulator,
) -> None:
    from bedrock_auth import CredentialsNotFoundError, converse

    def broken() -> dict[str, str]:
        raise RuntimeError("the broker is down")

    manager = emu.manager(credential_provider=broken, validate=False)
    with pytest.raises(CredentialsNotFoundError) as info:
        converse(MODEL, "hi", manager=manager)
    assert info.value.__cause__ is not info.value
    assert isinstance(info.value.__cause__, RuntimeError)
