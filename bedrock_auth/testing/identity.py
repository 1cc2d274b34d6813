"""Who is calling: rejected keys, credentials the emulator issued, and caller identities.

Only digests of tokens are kept, so nothing the emulator stores can leak a secret. The secret
key of issued credentials is derived from the access key id with a key of the store's own, so
that a signature made with it (a Bedrock API key) can be checked without keeping it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import ids
from .auth import BEARER, MALFORMED, NONE, AuthInfo, digest

_KEY_ALPHABET = string.ascii_uppercase + string.digits

# Outcomes of IdentityStore.check (mapped to each protocol's error code by the caller).
OK = "ok"
MISSING = "missing"
UNRECOGNIZED = "unrecognized"
EXPIRED = "expired"


@dataclass(frozen=True)
class IssuedCredentials:
    """Temporary credentials handed out by AssumeRole (returned once, never logged)."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float
    assumed_role_arn: str
    assumed_role_id: str


@dataclass(frozen=True)
class _Session:
    token_digest: str
    expiration: float
    arn: str
    user_id: str


@dataclass(frozen=True)
class CallerIdentity:
    """What GetCallerIdentity answers."""

    account: str
    arn: str
    user_id: str


def _stable_id(prefix: str, seed: str) -> str:
    # Deterministic, so the same key always maps to the same unique id across calls.
    tail = hashlib.sha256(seed.encode("utf-8")).hexdigest().upper()[:17]
    return prefix + tail


def role_parts(role_arn: str, default_account: str) -> tuple[str, str]:
    """(account, role name) of ``arn:aws:iam::ACCOUNT:role/path/NAME``."""
    parts = role_arn.split(":", 5)
    account = parts[4] if len(parts) == 6 and parts[4] else default_account
    name = role_arn.rsplit("/", 1)[-1] if "/" in role_arn else "role"
    return account, name


class IdentityStore:
    """Rejected keys, issued sessions and explicit identities; thread-safe."""

    def __init__(self, account_id: str, clock: Callable[[], float] = time.time) -> None:
        self.account_id = account_id
        self._clock = clock  # the emulated AWS clock: issued expirations and expiry checks
        self._lock = threading.Lock()
        self._rejected: set[str] = set()
        self._sessions: dict[str, _Session] = {}
        self._identities: dict[str, str] = {}
        #: Keys the secrets of issued credentials (the emulator re-keys it from a random seed).
        self.secret_seed = secrets.token_bytes(32)

    def reject(self, keys: set[str] | frozenset[str] | list[str] | tuple[str, ...]) -> None:
        """Mark access key ids or API keys as invalid (stored as digests only)."""
        with self._lock:
            self._rejected.update(digest(k) for k in keys)

    def set_identity(self, access_key_id: str, arn: str) -> None:
        """Make GetCallerIdentity answer ``arn`` for this access key."""
        with self._lock:
            self._identities[access_key_id] = arn

    def check(self, auth: AuthInfo) -> str:
        """OK, MISSING, UNRECOGNIZED or EXPIRED for the credentials of one request."""
        if auth.scheme == NONE:
            return MISSING
        if auth.scheme == MALFORMED:
            return UNRECOGNIZED
        if auth.scheme == BEARER:
            with self._lock:
                return UNRECOGNIZED if auth.token_digest in self._rejected else OK
        key = auth.access_key_id or ""
        with self._lock:
            if digest(key) in self._rejected:
                return UNRECOGNIZED
            session = self._sessions.get(key)
        if session is None:
            return OK
        if session.token_digest != auth.session_token_digest:
            return UNRECOGNIZED
        return EXPIRED if self._clock() >= session.expiration else OK

    def issue(self, role_arn: str, session_name: str, duration: float) -> IssuedCredentials:
        """Mint ASIA... credentials for an assumed role, valid for ``duration`` seconds."""
        account, role_name = role_parts(role_arn, self.account_id)
        role_id = _stable_id("AROA", role_arn)
        key_id = "ASIA" + ids.current().text(_KEY_ALPHABET, 16)
        creds = IssuedCredentials(
            access_key_id=key_id,
            secret_access_key=self._derived_secret(key_id),
            session_token=ids.current().token(96),
            expiration=self._clock() + duration,
            assumed_role_arn=f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}",
            assumed_role_id=f"{role_id}:{session_name}",
        )
        session = _Session(
            digest(creds.session_token),
            creds.expiration,
            creds.assumed_role_arn,
            creds.assumed_role_id,
        )
        with self._lock:
            self._sessions[creds.access_key_id] = session
        return creds

    def _derived_secret(self, access_key_id: str) -> str:
        mac = hmac.new(self.secret_seed, access_key_id.encode("ascii"), hashlib.sha256)
        return base64.b64encode(mac.digest()).decode("ascii")[:40]

    def issued_secret(self, access_key_id: str) -> str | None:
        """The secret key of credentials this store issued (None for any other key id)."""
        with self._lock:
            issued = access_key_id in self._sessions
        return self._derived_secret(access_key_id) if issued else None

    def caller(self, access_key_id: str | None) -> CallerIdentity:
        """The identity behind an access key (issued session, explicit, or a default user)."""
        key = access_key_id or ""
        with self._lock:
            session = self._sessions.get(key)
            explicit = self._identities.get(key)
        if session is not None:
            return CallerIdentity(session.arn.split(":")[4], session.arn, session.user_id)
        if explicit is not None:
            account = explicit.split(":")[4] if explicit.count(":") >= 5 else self.account_id
            return CallerIdentity(account, explicit, _stable_id("AIDA", key))
        arn = f"arn:aws:iam::{self.account_id}:user/emulator"
        return CallerIdentity(self.account_id, arn, _stable_id("AIDA", key))
