"""The emulator's limits, over real sockets: one client cannot exhaust a standalone emulator.

Each scenario of issue 22 ("the standalone emulator can be exhausted by one client") has a test
here: huge and malformed bodies, a 2 GB Content-Length, idle and slowloris connections, many
slow connections, a YAML alias bomb and a deeply nested JSON seed. Nothing here depends on
timing: short ``idle_timeout`` values are paired with generous deadlines for the close, and
memory is measured by what the request log keeps (or by tracemalloc), never by RSS.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from bedrock_auth.testing import BedrockEmulator
from bedrock_auth.testing.limits import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_NESTING,
    RECORDED_RAW_BODY_BYTES,
    Limits,
)

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 30.0  # seconds: the most any close or recovery below may take (normally < 1 s)
SHORT_IDLE = 0.5
NOVA = "amazon.nova-lite-v1:0"
CONVERSE = f"/model/{NOVA}/converse"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
ONE_TRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def _connect(emu: BedrockEmulator) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=DEADLINE)
    return sock


def _head(content_length: str | None = None, path: str = CONVERSE, **extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response, read until the server closes (every refusal closes the connection)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _exchange(emu: BedrockEmulator, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with closing(_connect(emu)) as sock:
        sock.sendall(request)
        return _read_response(sock)


def _closed_by_server(sock: socket.socket, keep_sending: bytes = b"") -> bool:
    """Wait up to DEADLINE for the server to close ``sock``; meanwhile send ``keep_sending``
    a byte at a time (a slowloris), faster than the idle timeout."""
    sock.settimeout(SHORT_IDLE / 5)
    deadline = time.monotonic() + DEADLINE
    pending = keep_sending
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            pass
        except ConnectionError:
            return True
        try:
            if pending:
                sock.send(pending[:1])
                pending = pending[1:] or keep_sending  # dribble for ever
        except OSError:
            return True
    return False


def _poll(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _runtime(emu: BedrockEmulator, **config: Any) -> Any:
    retries = config.pop("retries", {"mode": "standard", "total_max_attempts": 1})
    return emu.client("bedrock-runtime", config=Config(retries=retries, **config))


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def emu() -> Iterator[BedrockEmulator]:
    with BedrockEmulator() as emulator:
        yield emulator


@pytest.fixture
def quick() -> Iterator[BedrockEmulator]:
    """An emulator that gives up on silent connections after half a second."""
    with BedrockEmulator(idle_timeout=SHORT_IDLE) as emulator:
        yield emulator


# -- the defaults ---------------------------------------------------------------------------


def test_default_body_limit_is_above_bedrocks_own() -> None:
    """The largest body botocore's model lets InvokeModel send fits under the default."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    for operation in ("InvokeModel", "InvokeModelWithResponseStream"):
        body = model.operation_model(operation).input_shape.members["body"]
        assert body.metadata["max"] < DEFAULT_MAX_BODY_BYTES
    assert BedrockEmulator().limits == Limits()


@pytest.mark.parametrize(
    "bad",
    [
        {"max_body_bytes": 0},
        {"idle_timeout": float("nan")},
        {"max_connections": True},
        {"max_nesting": 2.5},
        {"max_seed_bytes": -1},
        {"idle_timeout": float("inf")},
    ],
)
def test_limits_must_be_positive_numbers(bad: dict[str, Any]) -> None:
    [name] = bad
    with pytest.raises(ValueError, match=name):
        BedrockEmulator(**bad)


# -- bodies ---------------------------------------------------------------------------------


def test_a_100_mb_body_is_answered_413_without_being_read(emu: BedrockEmulator) -> None:
    hundred_mb = 100 * 1024 * 1024
    with closing(_connect(emu)) as sock:
        sock.sendall(_head(str(hundred_mb)) + b"x" * 65536)  # the start of a body, no more
        status, headers, body = _read_response(sock)
    assert status == 413
    assert headers["x-amzn-errortype"].startswith("ValidationException")
    assert "max_body_bytes" in json.loads(body)["message"]
    assert emu.requests == []  # refused at the HTTP layer, nothing kept


def _nova_body(text: str) -> str:
    return json.dumps({"messages": [{"role": "user", "content": [{"text": text}]}]})


def test_a_body_over_a_chosen_limit_is_413_and_the_next_connection_works() -> None:
    with BedrockEmulator(max_body_bytes=1000) as emu:
        client = _runtime(emu)
        with pytest.raises(ClientError) as info:
            client.invoke_model(modelId=NOVA, body=_nova_body("x" * 2000))
        assert _error(info) == ("ValidationException", 413)
        reply = client.invoke_model(modelId=NOVA, body=_nova_body("hi"))
        assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_non_json_bodies_are_kept_in_the_log_only_as_a_prefix(emu: BedrockEmulator) -> None:
    client = _runtime(emu)
    body = b"\x00not json " * (300 * 1024)  # 3 MiB, three times
    for _ in range(3):
        with pytest.raises(ClientError) as info:
            client.invoke_model(modelId=NOVA, body=body)
        assert _error(info) == ("ValidationException", 400)
    stored = [record.body for record in emu.requests]
    assert len(stored) == 3
    for kept in stored:
        assert len(kept.encode("utf-8")) < 2 * RECORDED_RAW_BODY_BYTES
        assert kept.endswith(f"[{len(body)} bytes in all]")
    assert sum(len(kept) for kept in stored) < len(body) // 100


def test_a_short_non_json_body_is_kept_whole(emu: BedrockEmulator) -> None:
    with pytest.raises(ClientError):
        _runtime(emu).invoke_model(modelId=NOVA, body=b"{not json")
    assert emu.requests[-1].body == "{not json"


def test_a_large_form_is_logged_by_size_only(emu: BedrockEmulator) -> None:
    form = "Action=GetCallerIdentity&Version=2011-06-15&Padding=" + "p" * 200_000
    request = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
        f"\r\nContent-Length: {len(form)}\r\nConnection: close\r\n\r\n{form}"
    ).encode()
    status, _, _ = _exchange(emu, request)
    assert status == 403  # unsigned: STS answers MissingAuthenticationToken
    assert emu.requests[-1].body == f"[{len(form)} bytes of form data]"


@pytest.mark.parametrize("value", ["-5", "2e9", "abc", "", "1 2", "0x10", "+5"])
def test_a_malformed_content_length_is_400(emu: BedrockEmulator, value: str) -> None:
    status, headers, body = _exchange(emu, _head(value))
    assert status == 400, body
    assert headers["connection"] == "close"
    assert "Content-Length" in json.loads(body)["message"]


def test_two_different_content_lengths_are_400(emu: BedrockEmulator) -> None:
    status, _, _ = _exchange(emu, _head("5").replace(b"\r\n\r\n", b"\r\nContent-Length: 6\r\n\r\n"))
    assert status == 400


@pytest.mark.parametrize("value", ["2000000000", "9" * 5000])
def test_a_content_length_over_the_limit_is_413_at_once(emu: BedrockEmulator, value: str) -> None:
    # No body follows: the answer comes from the header alone.
    status, _, body = _exchange(emu, _head(value))
    assert status == 413
    assert str(DEFAULT_MAX_BODY_BYTES) in json.loads(body)["message"]


def test_an_announced_2_gb_body_costs_only_what_arrives() -> None:
    """With a limit above 2 GB, a client that announces 2 GB and sends 10 bytes must not make
    the emulator reserve 2 GB: the body is read in pieces as it arrives."""
    with BedrockEmulator(max_body_bytes=3_000_000_000) as emu:
        tracemalloc.start()
        try:
            with closing(_connect(emu)) as sock:
                sock.sendall(_head("2000000000") + b"0123456789")
                sock.shutdown(socket.SHUT_WR)  # and then nothing more
                assert _closed_by_server(sock)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


def test_chunked_bodies_are_bounded_and_checked() -> None:
    with BedrockEmulator(max_body_bytes=100) as emu:
        chunked = _head(path=CONVERSE, Transfer_Encoding="chunked")
        status, _, _ = _exchange(emu, chunked + b"-5\r\n")
        assert status == 400
        status, _, _ = _exchange(emu, chunked + b"zz\r\n")
        assert status == 400
        status, _, _ = _exchange(emu, chunked + b"40\r\n" + b"x" * 64 + b"\r\n40\r\n")
        assert status == 413
        status, _, _ = _exchange(emu, _head("5", Transfer_Encoding="chunked"))
        assert status == 400  # both framings at once
        status, _, _ = _exchange(emu, _head(Transfer_Encoding="gzip"))
        assert status == 400
        body = json.dumps({"messages": MESSAGES}).encode()
        framed = chunked.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        framed += b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        status, _, _ = _exchange(emu, framed)
        assert status == 403  # well framed, parsed, then refused as unsigned
        assert emu.requests[-1].body == {"messages": MESSAGES}


# -- JSON nesting in requests ---------------------------------------------------------------


def _nested(depth: int) -> bytes:
    """A Converse body whose lists and objects nest ``depth`` deep in all."""
    inner = "[" * (depth - 2) + "]" * (depth - 2)  # the body and the fields object are 2
    return (
        f'{{"messages": {json.dumps(MESSAGES)}, "additionalModelRequestFields": {{"x": {inner}}}}}'
    ).encode()


@pytest.mark.parametrize(
    ("depth", "status"),
    [(DEFAULT_MAX_NESTING, 200), (DEFAULT_MAX_NESTING + 1, 400), (100_000, 400)],
)
def test_deeply_nested_json_bodies_are_400_not_500(
    emu: BedrockEmulator, depth: int, status: int
) -> None:
    client = _runtime(emu)

    def swap_body(request: Any, **_: Any) -> None:
        request.data = _nested(depth)  # before signing, so the signature covers it

    client.meta.events.register("before-sign.bedrock-runtime.Converse", swap_body)
    if status == 200:
        client.converse(modelId=NOVA, messages=MESSAGES)
    else:
        with pytest.raises(ClientError) as info:
            client.converse(modelId=NOVA, messages=MESSAGES)
        assert _error(info) == ("ValidationException", 400)
    assert emu.requests[-1].status == status


# -- headers --------------------------------------------------------------------------------


def test_headers_over_the_limit_are_431_and_a_long_request_line_414() -> None:
    with BedrockEmulator(max_header_bytes=4096) as emu:
        status, _, body = _exchange(emu, _head("0", X_Padding="p" * 5000))
        assert status == 431
        assert "max_header_bytes" in json.loads(body)["message"]
        status, _, _ = _exchange(emu, _head("0", path="/" + "a" * 5000))
        assert status == 414
        many = {f"X_H{i}": "v" * 40 for i in range(60)}  # 60 small headers, under 4 KiB
        status, _, _ = _exchange(emu, _head("0", Connection="close", **many))
        assert status == 403  # read and routed: unsigned


def test_a_single_header_of_the_default_limit_is_refused(emu: BedrockEmulator) -> None:
    status, _, _ = _exchange(emu, _head("0", X_Big="b" * emu.limits.max_header_bytes))
    assert status == 431


# -- idle and slow connections --------------------------------------------------------------


def test_an_idle_connection_is_closed(quick: BedrockEmulator) -> None:
    with closing(_connect(quick)) as sock:
        assert _closed_by_server(sock)


def test_an_idle_tls_connection_is_closed() -> None:
    pytest.importorskip("cryptography")
    with (
        BedrockEmulator(tls=True, idle_timeout=SHORT_IDLE) as emu,
        closing(_connect(emu)) as sock,  # and no handshake at all
    ):
        assert _closed_by_server(sock)


def test_a_slowloris_head_is_cut_off_although_bytes_keep_coming(quick: BedrockEmulator) -> None:
    """Each byte comes well within idle_timeout; the head as a whole does not."""
    with closing(_connect(quick)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n")
        assert _closed_by_server(sock, keep_sending=b"X-Slow: yes\r\n")


def test_a_stalled_body_is_cut_off(quick: BedrockEmulator) -> None:
    with closing(_connect(quick)) as sock:
        sock.sendall(_head("1000") + b"{")
        assert _closed_by_server(sock)


def test_kept_alive_connections_are_reused_within_the_idle_timeout(emu: BedrockEmulator) -> None:
    client = _runtime(emu)
    for _ in range(3):
        client.converse(modelId=NOVA, messages=MESSAGES)
    assert emu._running_server().open_connections == 1  # one socket carried all three


def test_a_client_reconnects_after_the_emulator_closed_its_idle_connection(
    quick: BedrockEmulator,
) -> None:
    client = _runtime(quick, retries={"mode": "standard", "total_max_attempts": 3})
    client.converse(modelId=NOVA, messages=MESSAGES)
    assert _poll(lambda: quick._running_server().open_connections == 0)
    client.converse(modelId=NOVA, messages=MESSAGES)  # urllib3 opens a new connection


# -- many connections -----------------------------------------------------------------------


def _handler_threads() -> int:
    return sum("process_request_thread" in t.name for t in threading.enumerate())


def test_forty_slow_connections_are_harmless() -> None:
    """40 clients that each start a request and never finish it: at most max_connections are
    held (one thread each), all are closed, and a real client is served meanwhile."""
    with BedrockEmulator(idle_timeout=SHORT_IDLE, max_connections=8) as emu:
        server = emu._running_server()
        baseline = _handler_threads()
        slow = [_connect(emu) for _ in range(40)]
        try:
            for sock in slow:
                sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and no more
                assert server.open_connections <= 8
            assert all(_closed_by_server(sock) for sock in slow)
        finally:
            for sock in slow:
                sock.close()
        retrying = {"mode": "standard", "total_max_attempts": 10}
        reply = _runtime(emu, retries=retrying).converse(modelId=NOVA, messages=MESSAGES)
        assert reply["output"]["message"]["role"] == "assistant"
        assert _poll(lambda: _handler_threads() <= baseline + 1)


def test_at_the_cap_the_longest_idle_connection_makes_room() -> None:
    with BedrockEmulator(max_connections=2) as emu:
        idle = [_connect(emu) for _ in range(2)]
        try:
            assert _poll(lambda: emu._running_server().open_connections == 2)
            reply = _runtime(emu).converse(modelId=NOVA, messages=MESSAGES)
            assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
            assert _closed_by_server(idle[0])  # the oldest went
            assert emu._running_server().open_connections <= 2
        finally:
            for sock in idle:
                sock.close()


def test_at_the_cap_with_every_connection_busy_a_new_one_gets_503() -> None:
    with BedrockEmulator(max_connections=1) as emu:
        emu.fail(None, delay=DEADLINE, operation="Converse")  # holds the first call
        busy = threading.Thread(
            target=lambda: _runtime(emu).converse(modelId=NOVA, messages=MESSAGES)
        )
        busy.start()
        try:
            assert _poll(lambda: len(emu.requests) == 1)  # it is inside the handler
            with closing(_connect(emu)) as sock:
                status, headers, _ = _read_response(sock)  # answered before it asks
            assert status == 503
            assert headers["x-amzn-errortype"].startswith("ServiceUnavailableException")
        finally:
            emu.clear()  # ends the delay
            busy.join(DEADLINE)
        assert not busy.is_alive()


# -- seed files -----------------------------------------------------------------------------

ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
replies: [{text: *i}]
"""


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bedrock_auth", "emulator", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=DEADLINE * 2,
        check=False,
    )


def _one_error_line(done: subprocess.CompletedProcess[str], says: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: bad --seed: ")
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def _seed(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_alias_bomb_seed_is_one_error_line(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    assert len(ALIAS_BOMB) < 600
    _one_error_line(_cli("--seed", str(_seed(tmp_path, "bomb.yaml", ALIAS_BOMB))), "aliases")


def test_yaml_aliases_are_refused_in_process(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    merge = "base: &base {text: hi}\nreplies: [{<<: *base}]\n"
    with pytest.raises(ValueError, match=r"aliases \(\*base\)"):
        BedrockEmulator().seed(_seed(tmp_path, "merge.yml", merge))


@pytest.mark.parametrize("name", ["deep.json", "deep.yaml"])
def test_a_seed_nested_100000_deep_is_one_error_line(tmp_path: Path, name: str) -> None:
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    deep = '{"replies": ' + "[" * 100_000 + "]" * 100_000 + "}"
    done = _cli("--seed", str(_seed(tmp_path, name, deep)))
    # libyaml gives up at 1,000 levels while looking ahead, before the emulator's own count
    says = "nest" if name.endswith(".yaml") else f"nested more than {DEFAULT_MAX_NESTING} deep"
    _one_error_line(done, says)


@pytest.mark.parametrize("name", ["seed.json", "seed.yaml"])
def test_seed_nesting_is_counted_to_the_limit(tmp_path: Path, name: str) -> None:
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    seed = _seed(tmp_path, name, json.dumps({"replies": [{"text": "ok"}]}))  # 3 deep
    BedrockEmulator(max_nesting=3).seed(seed)
    with pytest.raises(ValueError, match="nested more than 2 deep"):
        BedrockEmulator(max_nesting=2).seed(seed)


def test_a_seed_over_the_size_limit_is_one_error_line(tmp_path: Path) -> None:
    seed = _seed(tmp_path, "big.json", json.dumps({"replies": [{"text": "x" * 5000}]}))
    done = _cli("--max-seed-bytes", "4096", "--seed", str(seed))
    _one_error_line(done, "larger than 4096 bytes")


def test_a_seed_that_is_not_utf8_or_json_names_the_file(tmp_path: Path) -> None:
    binary = tmp_path / "seed.json"
    binary.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError, match=r"seed\.json: not UTF-8"):
        BedrockEmulator().seed(binary)
    with pytest.raises(ValueError, match=r"seed\.json: not valid JSON"):
        BedrockEmulator().seed(_seed(tmp_path, "seed.json", "{open"))


# -- the CLI flags --------------------------------------------------------------------------


@contextmanager
def _standalone(*argv: str) -> Iterator[int]:
    """``bedrock-auth emulator ARGV`` in a subprocess; yields its port."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bedrock_auth", "emulator", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    timer = threading.Timer(DEADLINE, process.kill)
    timer.start()
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        timer.cancel()
        assert first.startswith("Bedrock emulator listening on"), first
        yield int(first.rsplit(":", 1)[1])
    finally:
        timer.cancel()
        process.kill()
        process.wait(DEADLINE)


def test_cli_flags_set_the_limits() -> None:
    flags = (
        "--max-body-bytes",
        "1000",
        "--idle-timeout",
        str(SHORT_IDLE),
        "--max-header-bytes",
        "2048",
        "--max-connections",
        "4",
        "--max-nesting",
        "5",
    )
    with _standalone(*flags) as port:
        address = ("127.0.0.1", port)
        with closing(socket.create_connection(address, timeout=DEADLINE)) as sock:
            sock.sendall(_head("2000"))
            assert _read_response(sock)[0] == 413
        with closing(socket.create_connection(address, timeout=DEADLINE)) as sock:
            sock.sendall(_head("0", X_Pad="p" * 3000))
            assert _read_response(sock)[0] == 431
        with closing(socket.create_connection(address, timeout=DEADLINE)) as sock:
            assert _closed_by_server(sock)


def _as_help_says(value: float) -> str:
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if isinstance(value, int) and value % size == 0:
            return f"{value // size} {unit}"
    return f"{value:g}"


def test_every_limit_is_a_cli_flag_with_its_default() -> None:
    done = _cli("--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for field in fields(Limits):
        flag = "--" + field.name.replace("_", "-")
        described = text[text.rindex(flag + " ") :]  # in the options, after the usage
        default = _as_help_says(getattr(Limits(), field.name))
        assert f"(default: {default}" in described[:300], (flag, default)


def test_a_bad_limit_flag_is_a_usage_error() -> None:
    done = _cli("--max-body-bytes", "-5")
    assert done.returncode == 2
    assert "--max-body-bytes: must be a positive number" in done.stderr
    assert "Traceback" not in done.stderr
