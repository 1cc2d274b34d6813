"""Reading (not verifying) the Authorization of a request, and masking secrets for the log.

SigV4 signatures are not checked cryptographically: the emulator only needs what AWS front-ends
extract before they check it (scheme, access key id, region and service of the scope, the
signing time) to record the call and to reproduce AWS's auth errors. Bedrock API keys are
checked, signature included, in :mod:`.bearer`.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import hmac
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

SIGV4 = "sigv4"
BEARER = "bearer"
NONE = "none"
MALFORMED = "malformed"

_MASK = "***"
_SIGV4_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+"
    r"Credential=(?P<key>[^/\s,]+)/(?P<date>\d{8})/(?P<region>[^/\s,]+)/(?P<service>[^/\s,]+)"
    r"/aws4_request\s*,\s*SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<sig>[0-9a-fA-F]+)$"
)
_SIGNATURE_RE = re.compile(r"(Signature=)[0-9a-fA-F]+")
_HOST_REGION_RE = re.compile(
    r"bedrock(?:-runtime|-agent-runtime)?(?:-fips)?\.([a-z0-9-]+)\.amazonaws"
)
# Names whose values are secrets in a header, query string, form or JSON body, matched on the
# name lower-cased without "-" and "_": "x-amz-security-token", "TokenCode", "ExternalId",
# "WebIdentityToken", "apiKey", "clientSecret" are; "maxTokens" and "SerialNumber" are not.
_SECRET_NAME = re.compile(
    r"secret|password|passwd|apikey|privatekey|externalid|tokencode|token$|signature$|cookie$"
)


@dataclass(frozen=True)
class AuthInfo:
    """What the Authorization of one request says (never the secret part)."""

    scheme: str
    access_key_id: str | None = None
    region: str | None = None
    service: str | None = None
    token_digest: str | None = None  # sha256 of a bearer token, to match rejected keys
    session_token_digest: str | None = None


def digest(secret: str) -> str:
    """A stable fingerprint for matching a secret without keeping it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _sigv4_from_query(query: Mapping[str, list[str]]) -> AuthInfo | None:
    credential = query.get("X-Amz-Credential", [""])[0]
    parts = credential.split("/")
    if query.get("X-Amz-Algorithm", [""])[0] != "AWS4-HMAC-SHA256" or len(parts) != 5:
        return None
    token = query.get("X-Amz-Security-Token", [""])[0]
    return AuthInfo(
        SIGV4, parts[0], parts[2], parts[3], session_token_digest=digest(token) if token else None
    )


def read_auth(headers: Mapping[str, str], raw_query: str) -> AuthInfo:
    """Classify the request's auth; ``headers`` keys must be lower-case."""
    value = headers.get("authorization", "").strip()
    token = headers.get("x-amz-security-token")
    token_digest = digest(token) if token else None
    if not value:
        presigned = _sigv4_from_query(parse_qs(raw_query)) if raw_query else None
        return presigned or AuthInfo(NONE)
    if value.lower().startswith("bearer "):
        bearer = value[7:].strip()
        return (
            AuthInfo(
                BEARER,
                region=region_from_host(headers.get("host", "")),
                token_digest=digest(bearer),
            )
            if bearer
            else AuthInfo(MALFORMED)
        )
    match = _SIGV4_RE.match(value)
    if match is None:
        return AuthInfo(MALFORMED)
    return AuthInfo(
        SIGV4, match["key"], match["region"], match["service"], session_token_digest=token_digest
    )


def region_from_host(host: str) -> str | None:
    """The region in a real Bedrock host name; None for 127.0.0.1 and friends."""
    match = _HOST_REGION_RE.search(host)
    return match.group(1) if match else None


# Fingerprints of masked values are keyed with a per-process secret: a plain hash of a 6-digit
# MFA code is reversed by hashing every code.
_FINGERPRINT_KEY = os.urandom(32)


def fingerprint(value: str) -> str:
    """A keyed digest of a masked value: equal values match, the value cannot be recovered."""
    return hmac.new(_FINGERPRINT_KEY, value.encode("utf-8"), hashlib.sha256).hexdigest()


# Cached: every request's log entry asks this of each header and JSON key, and clients send
# the same few dozen names again and again (bounded, since the names come from clients).
@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Does a header, query, form or JSON field of this name hold a secret?"""
    return bool(_SECRET_NAME.search(re.sub(r"[-_]", "", name.lower())))


class Masker:
    """Masks secrets in the parts of one request and keeps a fingerprint of each masked value
    under where it was (``headers.x-amz-security-token``, ``body.ExternalId``, ...)."""

    def __init__(self) -> None:
        self.fingerprints: dict[str, str] = {}

    def _hide(self, where: str, value: Any) -> str:
        if isinstance(value, str):
            self.fingerprints[where] = fingerprint(value)
        return _MASK

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``headers`` safe to keep; Authorization keeps its scheme and key id."""
        masked: dict[str, str] = {}
        for name, value in headers.items():
            if name.lower() == "authorization":
                masked[name] = self._authorization(f"headers.{name}", value)
            elif is_secret_name(name):
                masked[name] = self._hide(f"headers.{name}", value)
            else:
                masked[name] = value
        return masked

    def _authorization(self, where: str, value: str) -> str:
        if value.lower().startswith("bearer "):
            self._hide(where, value[7:].strip())
            return f"{value[:6]} {_MASK}"
        match = _SIGV4_RE.match(value.strip())
        if match:
            self._hide(where, match["sig"])
            return _SIGNATURE_RE.sub(rf"\g<1>{_MASK}", value)
        return self._hide(where, value)

    def fields(self, fields: Mapping[str, str], where: str) -> dict[str, str]:
        """A copy of a flattened query string or form with secret fields masked."""
        return {
            k: (self._hide(f"{where}.{k}", v) if is_secret_name(k) else v)
            for k, v in fields.items()
        }

    def json(self, value: Any, where: str) -> Any:
        """A copy of a JSON value with the values of secret-named keys masked, at any depth."""
        if isinstance(value, dict):
            return {k: self._json_field(where, k, v) for k, v in value.items()}
        if isinstance(value, list):
            # A scalar is kept as it is: its path is spelled only for a container to descend.
            return [
                self.json(v, f"{where}.{i}") if isinstance(v, (dict, list)) else v
                for i, v in enumerate(value)
            ]
        return value

    def _json_field(self, where: str, key: Any, value: Any) -> Any:
        if is_secret_name(str(key)):
            return self._hide(f"{where}.{key}", value)
        if isinstance(value, (dict, list)):
            return self.json(value, f"{where}.{key}")
        return value


# How far a SigV4 signing time may be from the service's clock: STS allows 15 minutes and
# calls a stale signature SignatureDoesNotMatch; the Bedrock APIs allow 5 and say
# InvalidSignatureException. The wording is AWS's.
_SIGNING_WINDOWS = {"sts": ("SignatureDoesNotMatch", 15)}
_DEFAULT_SIGNING_WINDOW = ("InvalidSignatureException", 5)


def _stamp(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


# Cached: strptime costs tens of microseconds, and a client signs many requests in the same
# second with the same X-Amz-Date (bounded, since the values come from clients).
@functools.lru_cache(maxsize=256)
def _signing_epoch(amz_date: str) -> int | None:
    """The epoch second an ``X-Amz-Date`` stamp names; None when it is not one."""
    try:
        return calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None


def signing_time_error(service: str, amz_date: str, now: float) -> tuple[str, str] | None:
    """(code, message) when a request signed at ``amz_date`` is outside the service's window."""
    signed = _signing_epoch(amz_date)
    if signed is None:
        return None
    code, minutes = _SIGNING_WINDOWS.get(service, _DEFAULT_SIGNING_WINDOW)
    window = minutes * 60
    if signed < now - window:
        return code, (
            f"Signature expired: {_stamp(signed)} is now earlier than {_stamp(now - window)} "
            f"({_stamp(now)} - {minutes} min.)"
        )
    if signed > now + window:
        return code, (
            f"Signature not yet current: {_stamp(signed)} is still later than "
            f"{_stamp(now + window)} ({_stamp(now)} + {minutes} min.)"
        )
    return None
