"""9. The emulator as a test fixture, against moto's ``ThreadedMotoServer``.

- Start+stop: one cycle of ``BedrockEmulator().start()``/``.stop()`` (what a function-scoped
  fixture costs) against ``ThreadedMotoServer(port=0).start()``/``.stop()``.
- Requests per second on one kept-alive connection: requests signed once with botocore's
  SigV4 signer, then sent back to back with ``http.client``, so the client costs almost
  nothing and the servers are what is measured. moto serves STS ``GetCallerIdentity``; the
  emulator serves the same STS call, Converse and ConverseStream (the whole stream read).
  moto's per-request access log (werkzeug's logger) is silenced: it is not the server's work.
"""

from __future__ import annotations

import http.client
import json
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from benchmarks._common import MODEL, Row, interleaved, ms, per_s, ratio_row

KEY, SECRET, REGION = "AKIDBENCHMARK0000000", "bench-secret", "us-east-1"
STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
CONVERSE_BODY = json.dumps({"messages": [{"role": "user", "content": [{"text": "Say hi"}]}]})


def _signed(url: str, path: str, body: bytes, service: str, content_type: str) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest("POST", url + path, data=body, headers={"Content-Type": content_type})
    SigV4Auth(Credentials(KEY, SECRET), service, REGION).add_auth(request)
    return dict(request.headers.items())


def _rate(url: str, path: str, body: bytes, headers: dict[str, str], seconds: float) -> float:
    """Requests per second, one connection, each reply read whole."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    done, stop = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    try:
        while time.perf_counter() < stop:
            conn.request("POST", path, body, headers)
            reply = conn.getresponse()
            reply.read()
            if reply.status != 200:
                raise RuntimeError(f"{path}: HTTP {reply.status}")
            done += 1
    finally:
        conn.close()
    return done / (time.perf_counter() - started)


def _sts(url: str, seconds: float) -> float:
    headers = _signed(url, "/", STS_BODY, "sts", "application/x-www-form-urlencoded")
    return _rate(url, "/", STS_BODY, headers, seconds)


def _bedrock(url: str, operation: str, seconds: float) -> float:
    path = f"/model/{MODEL}/{operation}"
    body = CONVERSE_BODY.encode()
    return _rate(url, path, body, _signed(url, path, body, "bedrock", "application/json"), seconds)


def _cycle(start: Callable[[], Any], stop: Callable[[Any], None], times: int) -> float:
    """Median seconds of ``times`` start+stop cycles."""
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        stop(start())
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def _start_moto() -> Any:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server


def run(quick: bool) -> list[Row]:
    from bedrock_auth.testing import BedrockEmulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    seconds, rounds, cycles = (0.3, 1, 3) if quick else (2.0, 3, 9)
    a, b = interleaved(
        lambda: _cycle(lambda: BedrockEmulator().start(), lambda e: e.stop(), cycles),
        lambda: _cycle(_start_moto, lambda s: s.stop(), cycles),
        rounds,
    )
    cycle = ratio_row("9. fixture start+stop: emulator vs moto", a, b, ms, "—", float("inf"))
    rows = [Row(cycle.benchmark, cycle.ours, cycle.theirs, cycle.ratio, cycle.spread, "—", None)]
    moto = _start_moto()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    _sts(moto_url, 0.2)  # warm-up: moto loads its STS backend on the first request
    try:
        with BedrockEmulator() as emu:
            for label, ours in (
                ("STS GetCallerIdentity", lambda: _sts(emu.endpoint_url, seconds)),
                ("Converse", lambda: _bedrock(emu.endpoint_url, "converse", seconds)),
                ("ConverseStream", lambda: _bedrock(emu.endpoint_url, "converse-stream", seconds)),
            ):
                ours()  # warm-up
                a, b = interleaved(ours, lambda: _sts(moto_url, seconds), rounds)
                emu.clear()
                rows.append(
                    ratio_row(
                        f"9. requests/s, one connection: emulator {label} vs moto STS",
                        a,
                        b,
                        per_s,
                        ">= 5x moto",
                        5.0,
                        at_least=True,
                    )
                )
    finally:
        moto.stop()
    return rows
