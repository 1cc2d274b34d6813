"""Reading (not verifying) the Authorization of a request, and masking secrets for the log.

Signatures are not checked cryptographically: the emulator only needs what AWS front-ends
extract before they check it (scheme, access key id, region and service of the scope) to
record the call and to reproduce AWS's auth errors.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
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
_SECRET_HEADERS = frozenset({"x-amz-security-token"})
_SECRET_QUERY = frozenset({"X-Amz-Signature", "X-Amz-Security-Token"})


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


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` safe to keep: signature, bearer token and session token masked."""
    masked: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower == "authorization":
            masked[name] = _mask_authorization(value)
        elif lower in _SECRET_HEADERS:
            masked[name] = _MASK
        else:
            masked[name] = value
    return masked


def _mask_authorization(value: str) -> str:
    if value.lower().startswith("bearer "):
        return f"{value[:6]} {_MASK}"
    if _SIGV4_RE.match(value.strip()):
        return _SIGNATURE_RE.sub(rf"\g<1>{_MASK}", value)
    return _MASK


def mask_query(query: Mapping[str, str]) -> dict[str, str]:
    """A copy of a flattened query string with presigned-URL secrets masked."""
    return {k: (_MASK if k in _SECRET_QUERY else v) for k, v in query.items()}
