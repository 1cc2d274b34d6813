"""Checking Bedrock API keys (bearer tokens) as Bedrock does.

A short-term key is ``bedrock-api-key-`` and the base64 of a SigV4 presigned URL for
``CallWithBearerToken``: the emulator checks its signature with the secret of the credentials
that signed it (its own test keys, or credentials its STS issued), the Region and service it
was signed for, its expiry, and the session behind it. A long-term key is one of the
emulator's own (:attr:`ApiKeys.static_key`). Other tokens are refused on the OpenAI-compatible
APIs; the botocore APIs keep accepting any token not rejected, as they always have here.

Only digests of long-term keys are kept; secrets of issued credentials are derived on demand
(:meth:`.identity.IdentityStore.issued_secret`).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from .auth import SIGV4, AuthInfo, digest
from .identity import EXPIRED, OK, IdentityStore

#: What every short-term key starts with (AWS's generator writes it).
PREFIX = "bedrock-api-key-"
_HOST = "bedrock.amazonaws.com"
_SERVICE = "bedrock"
#: How far in the future a key's signing time may be (AWS's SigV4 window).
_SKEW = 5 * 60
_INVALID = (
    "UnrecognizedClientException",
    "The security token included in the request is invalid.",
)
_EXPIRED = ("ExpiredTokenException", "The security token included in the request is expired")

Refusal = tuple[str, str]


def _claims(token: str) -> dict[str, str] | None:
    try:
        url = base64.b64decode(token[len(PREFIX) :], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    host, _, query = url.partition("/?")
    if host != _HOST:
        return None
    return dict(parse_qsl(query, keep_blank_values=True))


def _signature(claims: dict[str, str], secret: str) -> str:
    """The signature botocore's presigner makes for these claims (signed part of the URL)."""
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key_id, _, region, service, _ = claims["X-Amz-Credential"].split("/")
    signed = {k: v for k, v in claims.items() if k not in ("X-Amz-Signature", "Version")}
    request = AWSRequest(
        method="POST", url=f"https://{_HOST}/?{urlencode(signed)}", headers={"host": _HOST}
    )
    request.context["timestamp"] = claims["X-Amz-Date"]
    auth = SigV4QueryAuth(
        Credentials(key_id, secret, claims.get("X-Amz-Security-Token")),
        service,
        region,
        expires=int(claims["X-Amz-Expires"]),
    )
    canonical = auth.canonical_request(request)
    return str(auth.signature(auth.string_to_sign(request, canonical), request))


class ApiKeys:
    """The emulator's long-term API keys and IAM test keys, and the check of any key."""

    def __init__(self, identities: IdentityStore, clock: Callable[[], float]) -> None:
        self._identities = identities
        self._clock = clock
        self._lock = threading.Lock()
        self._iam_secrets: dict[str, str] = {}  # the emulator's own test keys (not real ones)
        self._long_term: set[str] = set()  # digests
        #: A long-term key of the emulator's, accepted wherever a Bedrock API key is.
        self.static_key = "ABSK" + base64.b64encode(
            f"BedrockAPIKey-emulator:{secrets.token_urlsafe(30)}".encode()
        ).decode("ascii")
        self.add_long_term(self.static_key)

    def add_long_term(self, key: str) -> None:
        with self._lock:
            self._long_term.add(digest(key))

    def add_iam_key(self, access_key_id: str, secret_access_key: str) -> None:
        """Test keys whose short-term API keys are accepted (the emulator's own)."""
        with self._lock:
            self._iam_secrets[access_key_id] = secret_access_key

    def check(self, token: str, region: str, *, strict: bool) -> Refusal | None:
        """(code, message) refusing ``token`` for a call in ``region``, or None to accept.

        ``strict``: refuse tokens that are neither minted nor the emulator's own.
        """
        if token.startswith(PREFIX):
            return self._check_minted(token, region)
        with self._lock:
            known = digest(token) in self._long_term
        return _INVALID if strict and not known else None

    def _secret(self, key_id: str) -> str | None:
        with self._lock:
            own = self._iam_secrets.get(key_id)
        return own or self._identities.issued_secret(key_id)

    def _check_minted(self, token: str, region: str) -> Refusal | None:
        claims = _claims(token)
        if claims is None:
            return _INVALID
        try:
            key_id, _, signed_region, service, _ = claims["X-Amz-Credential"].split("/")
            signed = calendar.timegm(time.strptime(claims["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
            expires = int(claims["X-Amz-Expires"])
        except (KeyError, ValueError):
            return _INVALID
        secret = self._secret(key_id)
        if secret is None or service != _SERVICE:
            return _INVALID
        if not hmac.compare_digest(_signature(claims, secret), claims.get("X-Amz-Signature", "")):
            return ("InvalidSignatureException", "The API key's signature does not match.")
        if signed_region != region:
            return (
                _INVALID[0],
                f"The API key was issued for {signed_region}; this endpoint is in {region}.",
            )
        now = self._clock()
        if now >= signed + expires or signed > now + _SKEW:
            return _EXPIRED
        return self._check_session(key_id, claims.get("X-Amz-Security-Token"))

    def _check_session(self, key_id: str, session_token: str | None) -> Refusal | None:
        """The credentials behind the key: an issued session must still be valid."""
        auth = AuthInfo(
            SIGV4, key_id, session_token_digest=digest(session_token) if session_token else None
        )
        outcome = self._identities.check(auth)
        if outcome == OK:
            return None
        return _EXPIRED if outcome == EXPIRED else _INVALID
