"""A profile's credential_process: bounded in time, reported without its output, refreshed.

The commands are small executable scripts in the sandbox HOME, named ``creds-helper`` like the
helpers people install, run by the real chain in a clean child. Their arguments carry a fake
secret, as real helpers' sometimes do: it must never appear in a message either.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .helpers import Chain, manager_code, run_in_clean_env
from .servers import RecordingProxy

FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKESECRET"
ARGUMENT_SECRET = "arg-secret-3f9a"
BOUND = 2.0


def helper(chain: Chain, body: str) -> Path:
    """An executable ``creds-helper`` script running ``body`` with this interpreter."""
    path = chain.home / "bin" / "creds-helper"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"#!{sys.executable}\nimport json, os, sys, time\n{body}")
    path.chmod(0o755)
    return path


def use_helper(chain: Chain, path: Path) -> None:
    chain.write_config(
        f"[profile tools]\ncredential_process = {path} --token {ARGUMENT_SECRET}\n")


def run(chain: Chain, how: str, after: str = "") -> dict[str, Any]:
    options, env = ({"profile": "tools"}, {}) if how == "profile-kwarg" else (
        {}, {"AWS_PROFILE": "tools"})
    env["BEDROCK_CREDENTIAL_PROCESS_TIMEOUT"] = str(BOUND)  # the time limit under test
    code = manager_code(options, after)
    return run_in_clean_env(code, {**chain.env, **env}, chain.home, chain.cwd)


def failure(result: dict[str, Any]) -> str:
    """The message of the typed error the child got; nothing of the helper's output anywhere."""
    assert not result["ok"], result
    assert (result["error"], result["error_module"]) == (
        "CredentialsNotFoundError", "bedrock_auth.errors"), result
    message = str(result["message"])
    assert "credential_process of profile 'tools' (creds-helper)" in message
    everything = json.dumps(result)  # the message, and the child's whole stderr (logs)
    for leaked in (FAKE_SECRET, ARGUMENT_SECRET, "printed-by-helper"):
        assert leaked not in everything
    return message


@pytest.mark.parametrize("how", ["AWS_PROFILE", "profile-kwarg"])
def test_hanging_process_is_stopped_within_the_bound(chain: Chain, how: str) -> None:
    pid_file = chain.home / "helper.pid"
    use_helper(chain, helper(chain, f"""\
open({str(pid_file)!r}, "w").write(str(os.getpid()))
print("printed-by-helper {FAKE_SECRET}", flush=True)
print("printed-by-helper on stderr", file=sys.stderr, flush=True)
time.sleep(3600)
"""))
    started = time.monotonic()
    message = failure(run(chain, how))
    elapsed = time.monotonic() - started
    assert f"did not finish within {BOUND:g} s and was stopped" in message
    assert BOUND < elapsed < BOUND + 15  # the child's own start-up included
    with pytest.raises(ProcessLookupError):  # stopped, and reaped by the child
        os.kill(int(pid_file.read_text()), 0)


@pytest.mark.parametrize(("body", "what"), [
    (f"print('printed-by-helper aws_secret_access_key={FAKE_SECRET}', file=sys.stderr)\n"
     "sys.exit(3)\n", "exited with status 3"),
    (f"print('printed-by-helper {FAKE_SECRET}')\n", "did not print JSON"),
    (f"print(json.dumps({{'Version': 2, 'AccessKeyId': 'printed-by-helper', "
     f"'SecretAccessKey': {FAKE_SECRET!r}}}))\n", "printed an unsupported Version"),
    (f"print(json.dumps({{'Version': 1, 'SecretAccessKey': {FAKE_SECRET!r}}}))\n",
     "printed no AccessKeyId"),
], ids=["exit-3", "not-json", "version-2", "no-key-id"])
def test_failing_process_is_a_typed_error_without_its_output(
        chain: Chain, body: str, what: str) -> None:
    use_helper(chain, helper(chain, body))
    assert what in failure(run(chain, "AWS_PROFILE"))


def test_missing_executable_is_named(chain: Chain) -> None:
    use_helper(chain, chain.home / "bin" / "creds-helper")  # never written
    assert "could not be started (No such file or directory)" in failure(
        run(chain, "AWS_PROFILE"))


def test_process_credentials_with_expiration_are_refreshed_once_per_lifetime(
        chain: Chain, sts: RecordingProxy) -> None:
    """The helper hands out 3-second credentials, a new key each run, and logs each run. Under
    64 threads for 5 s it runs about every 2.25 s (when a quarter of the lifetime is left);
    with botocore's 15-minute window it would run on every call."""
    lifetime, runs_log = 3, chain.home / "runs.log"
    use_helper(chain, helper(chain, f"""\
from datetime import datetime, timedelta, timezone
with open({str(runs_log)!r}, "a") as log:
    log.write(f"{{time.time()}}\\n")
run = sum(1 for _ in open({str(runs_log)!r}))
print(json.dumps({{
    "Version": 1,
    "AccessKeyId": f"ASIAPROCESS{{run:09d}}",
    "SecretAccessKey": {FAKE_SECRET!r},
    "SessionToken": f"token-{{run}}",
    "Expiration": (datetime.now(timezone.utc) + timedelta(seconds={lifetime})).isoformat(),
}}))
"""))
    result = run(chain, "AWS_PROFILE", after="""\
import threading, time
from concurrent.futures import ThreadPoolExecutor
sts = manager.client("sts")
deadline, errors = time.monotonic() + 5, []
def worker(_):
    while time.monotonic() < deadline:
        try:
            sts.get_caller_identity()
        except Exception as exc:
            errors.append(type(exc).__name__)
        time.sleep(0.05)
with ThreadPoolExecutor(64) as pool:
    list(pool.map(worker, range(64)))
result.update(errors=errors)
""")
    assert result["ok"], result
    assert (result["credential_source"], result["errors"]) == ("custom-process", [])
    runs = [float(line) for line in runs_log.read_text().split()]
    gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
    assert len(runs) >= 2, runs
    # Once per lifetime: a run only when a quarter of the previous lifetime is left (less
    # the helper's own start-up, which the lifetime is counted from).
    assert all(gap >= 0.75 * lifetime - 0.5 for gap in gaps), gaps
    # Each run's credentials signed calls, and only those did.
    signers = {w.signing_key_id for w in sts.calls("GetCallerIdentity")}
    assert signers == {f"ASIAPROCESS{run:09d}" for run in range(1, len(runs) + 1)}
