"""STS (query protocol, XML): GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any

from .identity import IssuedCredentials
from .responses import ApiError, Response, sts_response, xml_element, xml_text
from .state import Call

STS_VERSION = "2011-06-15"
_DEFAULT_DURATION = 3600


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        member = name[0].lower() + name[1:]
        raise ApiError(
            "ValidationError",
            f"1 validation error detected: Value null at "
            f"'{member}' failed to satisfy constraint: Member must not be null",
            400,
        )
    return value


def _duration(call: Call) -> float:
    if call.state.assume_role_duration is not None:
        return float(call.state.assume_role_duration)
    raw = call.body.get("DurationSeconds") or _DEFAULT_DURATION
    try:
        return float(int(raw))
    except ValueError as exc:
        raise ApiError("ValidationError", "DurationSeconds must be an integer", 400) from exc


def _credentials_xml(creds: IssuedCredentials) -> str:
    user = xml_element(
        "AssumedRoleUser",
        xml_text("Arn", creds.assumed_role_arn) + xml_text("AssumedRoleId", creds.assumed_role_id),
    )
    keys = xml_element(
        "Credentials",
        xml_text("AccessKeyId", creds.access_key_id)
        + xml_text("SecretAccessKey", creds.secret_access_key)
        + xml_text("SessionToken", creds.session_token)
        + xml_text("Expiration", _iso(creds.expiration)),
    )
    return user + keys


def _issue(call: Call) -> IssuedCredentials:
    form: dict[str, str] = call.body
    role_arn = _required(form, "RoleArn")
    session_name = _required(form, "RoleSessionName")
    return call.state.identities.issue(role_arn, session_name, _duration(call))


def get_caller_identity(call: Call) -> Response:
    """Identity of the signing key: default user, ``set_identity`` ARN, or assumed role."""
    who = call.state.identities.caller(call.auth.access_key_id)
    result = (
        xml_text("Arn", who.arn)
        + xml_text("UserId", who.user_id)
        + xml_text("Account", who.account)
    )
    return sts_response("GetCallerIdentity", result)


def assume_role(call: Call) -> Response:
    """Temporary ``ASIA...`` credentials valid for DurationSeconds (or the emulator override)."""
    creds = _issue(call)
    return sts_response("AssumeRole", _credentials_xml(creds) + xml_text("PackedPolicySize", "6"))


def _jwt_claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def _audience(claim: Any) -> str:
    if isinstance(claim, list) and claim:
        return str(claim[0])
    return claim if isinstance(claim, str) else "sts.amazonaws.com"


def assume_role_with_web_identity(call: Call) -> Response:
    """Like AssumeRole, authorised by the (unverified) web identity token instead of a key."""
    claims = _jwt_claims(_required(call.body, "WebIdentityToken"))
    creds = _issue(call)
    extra = (
        xml_text("SubjectFromWebIdentityToken", str(claims.get("sub", "emulator-subject")))
        + xml_text("Audience", _audience(claims.get("aud")))
        + xml_text("Provider", str(claims.get("iss", "emulator")))
    )
    return sts_response("AssumeRoleWithWebIdentity", _credentials_xml(creds) + extra)


ACTIONS: dict[str, Callable[[Call], Response]] = {
    "GetCallerIdentity": get_caller_identity,
    "AssumeRole": assume_role,
    "AssumeRoleWithWebIdentity": assume_role_with_web_identity,
}


def unknown_action(action: str) -> ApiError:
    """STS's answer to an Action it does not have (or the emulator does not implement)."""
    return ApiError(
        "InvalidAction", f"Could not find operation {action} for version {STS_VERSION}", 400
    )
