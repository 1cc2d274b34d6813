"""Secret registration and redaction: no message, log line or traceback shows a secret.

:func:`redact` masks anything shaped like an AWS secret (a secret access key, a session token,
a Bedrock API key, a bearer token, a value given under a secret's name) and every value this
process registered with :func:`remember_secrets` (an external id, an MFA code, a token read
from a file: values with no recognisable shape). :func:`redact_exception` masks a chain of
exceptions in place. Every :class:`~bedrock_auth.errors.BedrockAuthError` message, the
``RedactingFilter`` for logs and the error translation go through here.

The registry of known secrets is process state: ``bedrock_auth.reset()`` empties it (the
manager then registers again the secrets of managers still in use).
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import functools
import re
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from bedrock_auth._state import ForkSafeLock, register

__all__ = ["forget_secrets", "redact", "redact_exception", "remember_secrets"]

# Secrets have recognisable shapes: a 40-character secret access key, a long session token,
# a Bedrock API key (ABSK...), a bearer header, a value given under a secret's name. Text from
# AWS or botocore may echo any of them.
_SECRET_SHAPES = (
    # The token after "Bearer" has a digit or is long: "Bearer authorization requires ..." stays.
    r"(?i)(bearer\s+)(?=[A-Za-z._~+/=-]*[0-9]|[A-Za-z0-9._~+/=-]{20})[A-Za-z0-9._~+/=-]{8,}",
    r"(?<![A-Za-z0-9])ABSK[A-Za-z0-9+/=]{8,}",
    r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+=]{100,}",
    r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+=]*[a-z])(?=[A-Za-z0-9/+=]*[/+0-9])"
    r"[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
    # name=value, "name": "value", name: 'value', <Name>value</Name>, for names of secrets.
    # Prose stays: "ExternalId: pass external_id= instead" (an unquoted value after ": ", or
    # a space after "="), and so do the placeholders of the library's own hints:
    # "AWS_SECRET_ACCESS_KEY=...", "ANTHROPIC_API_KEY=sk-ant-..." (a few letters, then an
    # ellipsis), "api_key=<your key>".
    r"(?i)((?:secret(?:_?access)?(?:_?key)?|password|passwd|signature|token(?:[_-]?code)?"
    r"|external[_-]?id|api[_-]?key)"
    r"(?:[\"']\s*:\s*|:(?=\s*b?[\"'])\s*|:(?!\s)|\s*=(?!\s)|\s+=\s+|>)b?[\"']?)"
    r"(?![A-Za-z-]{0,12}(?:\.\.\.|…)(?:[\s\"',;&<).\]]|$))"
    r"[^\s\"',;&<]+",
)


@functools.cache
def _secret_patterns() -> tuple[re.Pattern[str], ...]:
    """:data:`_SECRET_SHAPES` compiled, on the first redaction: a few milliseconds that
    importing bedrock_auth, and a call that goes well, need not pay."""
    return tuple(map(re.compile, _SECRET_SHAPES))


# Known secrets shorter than this are not registered: they would mask ordinary words.
_MIN_SECRET_LENGTH = 6
# Below this length a known secret is masked only as a whole word: a 6-digit MFA code also
# occurs inside account ids and timestamps.
_WHOLE_WORD_BELOW = 16
_WHOLE_WORD = r"(?<!\w){}(?!\w)"
_MAX_KNOWN = 256


def _variants(value: str) -> set[str]:
    """The forms a secret takes in text: as given without surrounding whitespace (a value
    read from a file keeps its newline), and percent-encoded as in a logged request body."""
    stripped = value.strip()
    return {stripped, quote(stripped, safe="")} if stripped else set()


def _matcher(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for all ``secrets``, longest first so that no part of a longer one survives."""
    alternatives = [
        re.escape(s) if len(s) >= _WHOLE_WORD_BELOW else _WHOLE_WORD.format(re.escape(s))
        for s in sorted(set(secrets), key=len, reverse=True)
    ]
    return re.compile("|".join(alternatives)) if alternatives else None


class _KnownSecrets:
    """Secret values this process uses, so that text echoing them is masked even when they
    have no recognisable shape (an external id, an MFA code). Keeps the most recent
    ``_MAX_KNOWN``; its repr shows only how many it holds."""

    def __init__(self) -> None:
        self._lock = ForkSafeLock()
        self._values: OrderedDict[str, None] = OrderedDict()
        self._pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str | None]) -> None:
        fresh = {v for value in values if isinstance(value, str) for v in _variants(value)}
        fresh = {v for v in fresh if len(v) >= _MIN_SECRET_LENGTH}
        if not fresh:
            return
        with self._lock:
            for value in fresh:
                self._values[value] = None
                self._values.move_to_end(value)
            while len(self._values) > _MAX_KNOWN:
                self._values.popitem(last=False)
            self._pattern = _matcher(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        return self._pattern

    def __repr__(self) -> str:
        return f"<{len(self._values)} known secret values>"


_known = _KnownSecrets()
register(__name__, reset=_known.clear)


def remember_secrets(*values: str | None) -> None:
    """Register secret values so that :func:`redact` masks them wherever they appear.

    For values with no recognisable shape: an external id, an MFA code, a token from a file.
    Surrounding whitespace is ignored (a value read from a mounted file keeps its newline);
    ``None`` and values shorter than 6 characters are skipped. :func:`forget_secrets`
    forgets them all.

    >>> remember_secrets("partner-7f3a-external")
    >>> redact("ExternalId partner-7f3a-external was refused")
    'ExternalId *** was refused'
    >>> forget_secrets()
    """
    _known.add(values)


def forget_secrets() -> None:
    """Forget every value :func:`remember_secrets` registered."""
    _known.clear()


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask known secrets, ``secrets`` and anything shaped like an AWS secret in ``text``.

    >>> redact("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked")
    'key *** leaked'
    >>> redact("Bearer authorization requires an HTTPS endpoint")
    'Bearer authorization requires an HTTPS endpoint'
    """
    for matcher in (_matcher(v for s in secrets for v in _variants(s)), _known.pattern()):
        if matcher is not None:
            text = matcher.sub("***", text)
    for pattern in _secret_patterns():
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


# Attributes that hold what was sent or received whole: a signed request, its headers or body,
# a parsed document, a command line, a process's output. A secret there may have no shape to
# be found by, so the value goes, not only its secrets.
_CARRIERS = frozenset({"request", "headers", "body", "doc", "cmd", "output", "stdout", "stderr"})
# Values that are kept as they are: they cannot hold text.
_PLAIN = (int, float, complex, type(None), type, datetime.date, datetime.time, datetime.timedelta)
_CONTAINERS: tuple[type[Any], ...] = (list, tuple, set, frozenset)
_MAX_DEPTH = 8


def _removed(value: Any) -> str:
    return f"<{type(value).__name__} removed: it may hold secrets>"


def _redacted(value: Any, chained: list[BaseException], depth: int = 0) -> Any:
    """``value`` with every string in it redacted and every object that is not plain data (a
    request, a connection pool) replaced by a note; exceptions found in it go to ``chained``."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", "replace")
        masked = redact(text)
        return value if masked == text else masked.encode("utf-8")
    if isinstance(value, BaseException):
        chained.append(value)
        return value
    if isinstance(value, (_PLAIN, enum.Enum)):
        return value
    if depth < _MAX_DEPTH and isinstance(value, dict):
        return {
            k: _removed(v) if k in _CARRIERS and v else _redacted(v, chained, depth + 1)
            for k, v in value.items()
        }
    kind = next((k for k in _CONTAINERS if isinstance(value, k)), None)
    if depth < _MAX_DEPTH and kind is not None:  # a namedtuple becomes a plain tuple
        return kind(_redacted(v, chained, depth + 1) for v in value)
    return _removed(value)


def _redact_one(error: BaseException, chained: list[BaseException]) -> None:
    """Redact ``error``'s args, attributes and notes in place; its causes go to ``chained``."""
    # A class may make args read-only; translating must not fail on it.
    with contextlib.suppress(AttributeError, TypeError):
        error.args = _redacted(error.args, chained)
    attributes = getattr(error, "__dict__", None)
    if isinstance(attributes, dict):
        attributes.update(_redacted(attributes, chained))
    notes = getattr(error, "__notes__", None)  # add_note(), Python 3.11+
    if isinstance(notes, list):
        notes[:] = _redacted(notes, chained)
    chained.extend(e for e in (error.__cause__, error.__context__) if e is not None)


def redact_exception(error: BaseException) -> BaseException:
    """Redact ``error`` and every exception chained to it, in place; return ``error``.

    A traceback prints each chained exception's ``str`` (built from its ``args``) and its
    notes, and error reporters serialise its attributes: botocore's ``kwargs`` (a
    ``credential_process``'s stderr), ``response`` (the error reply) and ``request`` (the
    signed request, session token included), a ``JSONDecodeError``'s ``doc``, a subprocess
    error's command line and output. Strings are masked; the request, headers, bodies,
    documents, command lines and outputs, and any other object that is not plain data, are
    replaced by a note saying so. The exceptions themselves, their classes and tracebacks
    stay, so ``error.__cause__`` and ``error.__cause__.response`` remain available for
    debugging, in redacted form.

    >>> from botocore.exceptions import CredentialRetrievalError
    >>> cause = CredentialRetrievalError(
    ...     provider="custom-process", error_msg="secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    >>> str(redact_exception(cause)).endswith("secret=***")   # botocore's wording before it
    True
    """
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if id(current) not in seen:
            seen.add(id(current))
            _redact_one(current, pending)
    return error
