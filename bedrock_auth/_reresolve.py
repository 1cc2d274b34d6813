"""Reading credentials again, once, when AWS says the ones in use expired or were rotated.

The manager's session holds one :class:`SwappableCredentials` that every client signs with.
When a call fails with an expired or unrecognised key, the manager resolves its source again
on a fresh botocore session (which re-reads the environment, the shared credentials file, the
SSO cache, or runs the credential process again), swaps the result in, and botocore retries
the call once through its own ``needs-retry`` event. botocore has no hook for "credentials
rejected, read them again", so this small piece is written here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore.credentials import CredentialProvider, CredentialResolver, Credentials

#: Error codes that mean "these credentials are no longer good", worth one re-read.
REREAD_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
    }
)


class SwappableCredentials(Credentials):  # type: ignore[misc]
    """Credentials that delegate to the current resolved ones, which can be replaced.

    Attributes botocore reads from refreshable credentials (``_expiry_time``, locks, ...) are
    delegated too, so the object behaves as the credentials it wraps.
    """

    def __init__(self, inner: Credentials) -> None:  # no super(): every field delegates
        self._inner = inner
        self._swap_lock = threading.Lock()

    @property
    def inner(self) -> Credentials:
        return self._inner

    def swap(self, inner: Credentials) -> None:
        with self._swap_lock:
            self._inner = inner

    @property
    def method(self) -> str:
        return str(self._inner.method)

    @property
    def access_key(self) -> str:
        return str(self._inner.access_key)

    @property
    def secret_key(self) -> str:
        return str(self._inner.secret_key)

    @property
    def token(self) -> str | None:
        return self._inner.token  # type: ignore[no-any-return]

    def get_frozen_credentials(self) -> Any:
        return self._inner.get_frozen_credentials()

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found here: botocore internals of the wrapped object.
        return getattr(self.__dict__["_inner"], name)

    def __repr__(self) -> str:
        return f"SwappableCredentials(method={self.method!r})"


class SwappableProvider(CredentialProvider):  # type: ignore[misc]
    """The one provider of a manager's session: the source's chain, behind a swappable handle."""

    METHOD = "bedrock-auth"

    def __init__(self, resolver: CredentialResolver) -> None:
        super().__init__()
        self.resolver = resolver  # the source's own chain, for listing it
        self.current: SwappableCredentials | None = None

    def load(self) -> SwappableCredentials | None:
        inner = self.resolver.load_credentials()
        if inner is None:
            return None
        self.current = SwappableCredentials(inner)
        return self.current


def needs_retry_handler(reresolve: Callable[[], bool]) -> Callable[..., int | None]:
    """A botocore ``needs-retry`` handler: after the first attempt fails with a rejected key,
    re-resolve and retry at once; otherwise leave the decision to botocore's retry handler."""

    def handler(response: Any = None, attempts: int = 0, **_: Any) -> int | None:
        if response is None or attempts != 1:
            return None
        code = response[1].get("Error", {}).get("Code", "")
        if code in REREAD_CODES and reresolve():
            return 0
        return None

    return handler
