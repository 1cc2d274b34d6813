"""Refreshable credentials are fetched once per lifetime and never used expired.

botocore refreshes when less than 15 minutes (advisory) / 10 minutes (mandatory) remain, so on
its own it refetches credentials that live 15 minutes or less on every request. The library
sizes both windows to each lifetime (a quarter and a sixth of it, capped at botocore's), so
900-second role credentials are assumed once per lifetime, by one thread, while 64 threads
keep calling.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import textwrap
from datetime import datetime, timedelta, timezone
from string import Template
from typing import Any

import pytest

from bedrock_auth.testing import BedrockEmulator

from .helpers import ACCOUNT, Chain, MotoAdmin, manager_code, run_in_clean_env
from .servers import ContainerCredentials, RecordingProxy, SSOPortal

THREADS = 64
MODEL = "amazon.nova-lite-v1:0"
ASK = [{"role": "user", "content": [{"text": "hi"}]}]

# Child code: THREADS threads share the manager's cached client and call it until each has made
# $calls calls or $seconds seconds have passed; failures are counted, the first few kept.
_HAMMER = Template("""\
import threading, time
from concurrent.futures import ThreadPoolExecutor
client = manager.client($service)
errors = []
deadline = time.monotonic() + $seconds

def worker():
    done = 0
    while done < $calls and time.monotonic() < deadline:
        try:
            $call
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        done += 1
        time.sleep($pause)
    return done

with ThreadPoolExecutor($threads) as pool:
    calls = sum(pool.map(lambda _: worker(), range($threads)))
result.update(calls=calls, errors=errors[:5], error_count=len(errors))
""")


def _hammer(service: str, call: str, *, calls: int = 10**9, seconds: float = 10**9,
            pause: float = 0.0) -> str:
    return _HAMMER.substitute(service=repr(service), call=call, calls=calls, seconds=seconds,
                              pause=pause, threads=THREADS)


def _whoami(calls: int) -> str:
    return _hammer("sts", "client.get_caller_identity()", calls=calls)


def test_900_second_role_credentials_are_assumed_once_under_64_threads(
        chain: Chain, moto_admin: MotoAdmin, sts: RecordingProxy) -> None:
    """960 requests from 64 threads within the first minutes of a 900-second session: one
    AssumeRole. With botocore's own windows the credentials are due from the start, and a
    request that finds the refresh lock free assumes the role again: 21 to 30 AssumeRoles."""
    base = moto_admin.create_user("refresh-base")
    result = chain.run(
        {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/ShortLived", "duration_seconds": 900,
         "role_session_name": "refresher"},
        env={"AWS_ACCESS_KEY_ID": base.access_key_id,
             "AWS_SECRET_ACCESS_KEY": base.secret_access_key},
        after=_whoami(calls=15),
    )
    assert result["ok"], result
    assert result["credential_source"] == "assume-role"
    assert (result["calls"], result["errors"]) == (THREADS * 15, [])
    [assume] = sts.calls("AssumeRole")
    assert assume.form["DurationSeconds"] == "900"
    assert assume.signing_key_id == base.access_key_id
    whoami = sts.calls("GetCallerIdentity")
    assert len(whoami) == THREADS * 15 + 1  # validation + the threads
    assert len({w.signing_key_id for w in whoami}) == 1
    assert whoami[0].signing_key_id != base.access_key_id


def test_long_lived_role_credentials_are_reused(chain: Chain, moto_admin: MotoAdmin,
                                                sts: RecordingProxy) -> None:
    """The default one-hour session is assumed once, not once per call."""
    base = moto_admin.create_user("reuse-base")
    result = chain.run(
        {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/LongLived", "role_session_name": "reuser"},
        env={"AWS_ACCESS_KEY_ID": base.access_key_id,
             "AWS_SECRET_ACCESS_KEY": base.secret_access_key},
        after=_whoami(calls=2),
    )
    assert result["ok"], result
    assert result["errors"] == []
    assert len(sts.calls("AssumeRole")) == 1
    assert len({w.signing_key_id for w in sts.calls("GetCallerIdentity")}) == 1


@pytest.mark.slow
def test_role_credentials_are_assumed_once_per_expiry_and_never_used_expired(
        chain: Chain) -> None:
    """Two expiries of role credentials under 64 threads calling Bedrock, on the real clock.

    The local STS (the project's emulator) issues every session for LIFETIME seconds whatever
    the DurationSeconds=900 the library asks for, so two expiries fit in a test. Below an hour
    the windows are proportional to the lifetime, so this is the 900-second schedule scaled
    down by 900/LIFETIME. The emulator answers ExpiredTokenException to any request signed
    with credentials it issued once they expire, as AWS does: every call must succeed.
    """
    lifetime = 12
    converse = f"client.converse(modelId={MODEL!r}, messages={ASK!r})"
    with BedrockEmulator(assume_role_duration=lifetime) as emu:
        result = run_in_clean_env(manager_code(
            {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/Refreshed", "duration_seconds": 900,
             "role_session_name": "refresher"},
            after=_hammer("bedrock-runtime", converse, seconds=2.3 * lifetime, pause=0.05),
        ), {**chain.env, **emu.env()}, chain.home, chain.cwd, timeout=120)
        records = emu.requests
    assert result["ok"], result
    assert (result["error_count"], result["errors"]) == (0, [])
    assumes = [r for r in records if r.operation == "AssumeRole"]
    converses = [r for r in records if r.operation == "Converse"]
    assert len(converses) == result["calls"] > 1000
    assert all(r.status == 200 for r in records), {(r.operation, r.error_code) for r in records}
    assert all(r.body["DurationSeconds"] == "900" for r in assumes)
    # Two expiries: the first credentials and their replacement were each replaced once.
    times = [r.timestamp for r in assumes]
    assert len(times) >= 3, times
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # One AssumeRole per lifetime: each in the last quarter of its predecessor's life
    # (3/4 of it, less the whole second STS's Expiration is truncated to), before it expired.
    assert all(0.75 * lifetime - 1.5 <= gap < lifetime for gap in gaps), gaps
    # Every issued session signed Bedrock calls, and no session but an issued one did.
    keys_in_order = list(dict.fromkeys(r.access_key_id for r in converses))
    assert len(keys_in_order) == len(assumes)
    assert all(key and key.startswith("ASIA") for key in keys_in_order)


_FAKE_CLOCK_CHILD = """\
import json, threading
from datetime import datetime, timedelta, timezone
from bedrock_auth import BedrockClientManager, CredentialValues

START = datetime(2030, 1, 1, tzinfo=timezone.utc)
now = [START]
issued, calls = {}, []

def broker():
    key = f"AKIABROKER{len(calls) + 1:010d}"
    calls.append((now[0] - START).total_seconds())
    issued[key] = now[0] + timedelta(minutes=10)
    return CredentialValues(access_key_id=key, secret_access_key="s" * 40,
                            session_token=f"token-{len(calls)}", expiration=issued[key])

manager = BedrockClientManager(credential_provider=broker, region="us-east-1", validate=False,
                               load_dotenv=False)
# The session's credentials are the manager's swappable handle; the refreshing object is inside.
credentials = manager.session.get_credentials().inner
# botocore's refresh checks read "now" from this constructor argument: a fake clock here.
credentials._time_fetcher = lambda: now[0]
seconds_left = []
lock = threading.Lock()
start, end = threading.Barrier(THREADS + 1), threading.Barrier(THREADS + 1)

def worker():
    for _ in STEPS:
        start.wait()
        frozen = credentials.get_frozen_credentials()
        with lock:
            seconds_left.append((issued[frozen.access_key] - now[0]).total_seconds())
        end.wait()

threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for thread in threads:
    thread.start()
for step in STEPS:
    now[0] = START + timedelta(seconds=step)
    start.wait()
    end.wait()
for thread in threads:
    thread.join()
print("@@CHAIN-RESULT@@" + json.dumps({
    "source": manager.credential_source, "calls": calls, "handed_out": len(seconds_left),
    "least_seconds_left": min(seconds_left)}))
"""


def test_custom_provider_10_minute_credentials_are_fetched_once_per_expiry(
        chain: Chain) -> None:
    """A credential_provider returning 10-minute credentials, 64 threads taking credentials
    every 10 s for 25 minutes: called at 0, then each time the first step finds less than a
    quarter of the lifetime (150 s) left. botocore's own windows would call it at every step.

    The clock is botocore's: the credentials' ``time_fetcher`` (a RefreshableCredentials
    constructor argument) is replaced with a fake one in the child, which the provider also
    uses for its ``expiration``, so 25 minutes pass at once at the real 10-minute scale.
    What is checked is what botocore hands a request signer: ``get_frozen_credentials()``.
    """
    steps = range(0, 25 * 60 + 1, 10)
    code = (_FAKE_CLOCK_CHILD.replace("THREADS", str(THREADS))
            .replace("STEPS", f"range({steps.start}, {steps.stop}, {steps.step})"))
    result = run_in_clean_env(code, {}, chain.home, chain.cwd)
    assert result["source"] == "custom"
    assert result["calls"] == [0, 460, 920, 1380]
    assert result["handed_out"] == THREADS * len(steps)
    assert result["least_seconds_left"] >= 140  # never expired, never in the mandatory window


# -- credentials botocore's own providers make inside the chain ----------------------------------


def _in_12_minutes() -> datetime:
    """Shorter than botocore's 15-minute advisory window: due at once, unscaled."""
    return datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=12)


def test_short_lived_container_credentials_are_fetched_once(
        chain: Chain, moto_admin: MotoAdmin) -> None:
    creds = dataclasses.replace(moto_admin.assume_role("EcsTaskRole", "task"),
                                expiration=_in_12_minutes().strftime("%Y-%m-%dT%H:%M:%SZ"))
    with ContainerCredentials("container-token", creds) as server:
        result = chain.run(env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": server.full_uri,
                                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-token"},
                           after=_whoami(calls=2))
        records = server.records
    assert result["ok"], result
    assert (result["credential_source"], result["errors"]) == ("container-role", [])
    assert len(records) == 1


def test_short_lived_sso_credentials_are_fetched_once(
        chain: Chain, moto_admin: MotoAdmin) -> None:
    expires = _in_12_minutes()
    creds = dataclasses.replace(moto_admin.assume_role("SsoRole", "alice"),
                                expiration=expires.strftime("%Y-%m-%dT%H:%M:%SZ"))
    chain.write_config(textwrap.dedent(f"""\
        [profile sso-dev]
        sso_session = corp
        sso_account_id = {ACCOUNT}
        sso_role_name = BedrockUsers
        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = us-east-1
        """))
    cache = chain.home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    (cache / f"{hashlib.sha1(b'corp').hexdigest()}.json").write_text(json.dumps({
        "startUrl": "https://corp.awsapps.com/start", "region": "us-east-1",
        "accessToken": "sso-token", "expiresAt": (expires + timedelta(hours=8)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")}))
    with SSOPortal("sso-token", ACCOUNT, "BedrockUsers", creds) as portal:
        result = chain.run(env={"AWS_PROFILE": "sso-dev", "AWS_ENDPOINT_URL_SSO": portal.url},
                           after=_whoami(calls=2))
        records = portal.records
    assert result["ok"], result
    assert (result["credential_source"], result["errors"]) == ("sso", [])
    assert len(records) == 1


def test_profile_role_with_900_second_sessions_is_assumed_once(
        chain: Chain, moto_admin: MotoAdmin, sts: RecordingProxy) -> None:
    base = moto_admin.create_user("profile-base")
    chain.write_credentials(f"[base]\naws_access_key_id = {base.access_key_id}\n"
                            f"aws_secret_access_key = {base.secret_access_key}\n")
    chain.write_config(f"[profile dev]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Dev\n"
                       "source_profile = base\nduration_seconds = 900\n")
    result: dict[str, Any] = chain.run({"profile": "dev"}, after=_whoami(calls=2))
    assert result["ok"], result
    assert (result["credential_source"], result["errors"]) == ("assume-role", [])
    [assume] = sts.calls("AssumeRole")
    assert assume.form["DurationSeconds"] == "900"
    assert len(sts.calls("GetCallerIdentity")) == THREADS * 2 + 1
