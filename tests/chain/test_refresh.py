"""Assumed-role credentials are refreshed by botocore before they expire, never used expired.

botocore refreshes when less than 15 minutes (advisory) / 10 minutes (mandatory) remain, so
900-second role credentials are due for refresh on every request: each call must assume the
role again and none may be sent with expired credentials.
"""

from __future__ import annotations

from .helpers import ACCOUNT, Chain, MotoAdmin
from .servers import RecordingProxy

_LOOP = """\
import time
arns, errors = [], []
sts = manager.client("sts")
started = time.monotonic()
for _ in range(CALLS):
    try:
        arns.append(sts.get_caller_identity()["Arn"])
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    time.sleep(PAUSE)
result.update(arns=sorted(set(arns)), errors=errors, elapsed=time.monotonic() - started,
              same_client=sts is manager.client("sts"))
"""


def _loop(calls: int, pause: float) -> str:
    return _LOOP.replace("CALLS", str(calls)).replace("PAUSE", str(pause))


def test_short_lived_role_credentials_are_refreshed(chain: Chain, moto_admin: MotoAdmin,
                                                     sts: RecordingProxy) -> None:
    base = moto_admin.create_user("refresh-base")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/ShortLived"
    result = chain.run(
        {"role_arn": role_arn, "duration_seconds": 900, "role_session_name": "refresher"},
        env={"AWS_ACCESS_KEY_ID": base.access_key_id,
             "AWS_SECRET_ACCESS_KEY": base.secret_access_key},
        after=_loop(50, 0.05),
    )
    assert result["ok"], result
    assert result["credential_source"] == "assume-role"
    assert result["errors"] == []
    assert result["elapsed"] > 2
    assert result["arns"] == [f"arn:aws:sts::{ACCOUNT}:assumed-role/ShortLived/refresher"]
    assert result["same_client"] is True

    assumes = sts.calls("AssumeRole")
    assert len(assumes) >= 2, "900 s credentials were never refreshed"
    assert all(a.form["DurationSeconds"] == "900" for a in assumes)
    assert all(a.signing_key_id == base.access_key_id for a in assumes)
    # The refreshed credentials were really used: calls were signed with several role keys.
    whoami = sts.calls("GetCallerIdentity")
    assert len(whoami) == 51  # validation + the loop
    assert len({w.signing_key_id for w in whoami}) >= 2
    assert base.access_key_id not in {w.signing_key_id for w in whoami}
    for record in sts.records:
        assert record.status == 200, (record.action, record.reply_body[:300])
        assert b"ExpiredToken" not in record.reply_body


def test_long_lived_role_credentials_are_reused(chain: Chain, moto_admin: MotoAdmin,
                                                sts: RecordingProxy) -> None:
    """The default one-hour session is assumed once, not once per call."""
    base = moto_admin.create_user("reuse-base")
    result = chain.run(
        {"role_arn": f"arn:aws:iam::{ACCOUNT}:role/LongLived", "role_session_name": "reuser"},
        env={"AWS_ACCESS_KEY_ID": base.access_key_id,
             "AWS_SECRET_ACCESS_KEY": base.secret_access_key},
        after=_loop(10, 0.0),
    )
    assert result["ok"], result
    assert result["errors"] == []
    assert len(sts.calls("AssumeRole")) == 1
    assert len({w.signing_key_id for w in sts.calls("GetCallerIdentity")}) == 1
