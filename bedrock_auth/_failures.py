"""The failure classes ``doctor`` reports, and the help that ships for them.

Each error class has one exit code and one fallback fix (shown when the message carries no fix
of its own). ``bedrock-auth explain <exit code | error class>`` prints the class's section of
``bedrock_auth/_help/troubleshooting.md``: package data, so a user who installed the wheel has
it (docs/troubleshooting.md in the repository is the same file; a test keeps them equal).
Nothing here imports botocore: ``explain`` answers at once.

>>> EXIT_CODES["SSOLoginRequiredError"]
6
>>> section("6").splitlines()[0]
'### 6 `SSOLoginRequiredError`'
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from types import MappingProxyType

from bedrock_auth.errors import ConfigurationError

__all__ = ["EXIT_CODES", "UNEXPECTED_EXIT_CODE", "explain_command", "failure_class", "section"]

#: Exit code for a step that failed with something other than a library error (a bug).
UNEXPECTED_EXIT_CODE = 1

# error class -> (exit code, the fix to show when the message itself carries none).
# Each has a section in _help/troubleshooting.md; a test checks that the two agree.
_FAILURES: dict[str, tuple[int, str]] = {
    "ConfigurationError": (
        3,
        "Correct the value the message names (it says what is accepted), then run doctor again.",
    ),
    "ProfileNotFoundError": (4, "Pick an existing profile, or create it with aws configure."),
    "CredentialsNotFoundError": (5, "Configure credentials: see the sources listed above."),
    "SSOLoginRequiredError": (6, "Run aws sso login --profile <profile>."),
    "ExpiredCredentialsError": (7, "Refresh the credentials; pasted temporary keys cannot renew."),
    "InvalidCredentialsError": (8, "Check the access key id and secret for typos and quotes."),
    "AccessDeniedError": (9, "Add the IAM statement the message shows to the identity's policy."),
    "EndpointUnreachableError": (10, "Check DNS, proxies and VPC endpoints for the service."),
    "ModelNotAvailableError": (11, "Use the model id or region the message names."),
    "ThrottlingError": (12, "Retry later, or use a cross-region inference profile."),
    "ServiceUnavailableError": (13, "Retry later, or add fallback regions."),
    "ServiceError": (14, "Read the AWS message above; it names the parameter or resource."),
    "ClockSkewError": (15, "Sync this machine's clock (NTP); the message shows the skew."),
    "CredentialServiceError": (16, "Retry in a few seconds: STS or SSO was throttled or down."),
    "ModelTimeoutError": (17, "Stream the response, or raise BEDROCK_READ_TIMEOUT."),
    "ModelError": (18, "Retry; if it repeats, try a smaller request or another model."),
    "CredentialEndpointUnreachableError": (
        19,
        "Check DNS, proxies and the STS/SSO VPC endpoint, or AWS_ENDPOINT_URL_STS if you set it.",
    ),
}

#: Error class name -> the exit code ``doctor`` returns when the first failed step has it.
EXIT_CODES = MappingProxyType({name: code for name, (code, _fix) in _FAILURES.items()})


def failure_class(error: BaseException) -> tuple[int, str]:
    """The exit code and fallback fix of the nearest documented class in ``error``'s MRO."""
    for klass in type(error).__mro__:
        if klass.__name__ in _FAILURES:
            return _FAILURES[klass.__name__]
    return UNEXPECTED_EXIT_CODE, "This looks like a bug in bedrock-auth; please report it."


def explain_command(error_class: str | None) -> str:
    """The command that prints the help for ``error_class`` (exit code 1's, for a bug)."""
    return f"bedrock-auth explain {EXIT_CODES.get(error_class or '', UNEXPECTED_EXIT_CODE)}"


# -- the help text ---------------------------------------------------------------------------


@cache
def _page() -> str:
    return (files("bedrock_auth") / "_help" / "troubleshooting.md").read_text(encoding="utf-8")


def _sections(level: int) -> dict[str, str]:
    """Heading -> its text, heading included, for the headings of ``level`` (2: ``##``)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _page().splitlines():
        depth = len(line) - len(line.lstrip("#"))
        if 0 < depth <= level and line[depth : depth + 1] == " ":
            # A section ends where a heading of its level or a higher one starts.
            current = found.setdefault(line, []) if depth == level else None
        if current is not None:
            current.append(line)
    return {heading: "\n".join(lines).rstrip() + "\n" for heading, lines in found.items()}


def _unknown(topic: str) -> ConfigurationError:
    import difflib

    close = difflib.get_close_matches(topic.strip(), list(EXIT_CODES), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    return ConfigurationError(
        f"bedrock-auth explain {topic!r}: no such exit code or error class; {hint}"
        f"Accepted: an exit code (0 to {max(EXIT_CODES.values())}) or one of "
        f"{', '.join(EXIT_CODES)}. `bedrock-auth explain` alone lists them."
    )


def _class_named(topic: str) -> str:
    """The error class ``topic`` names: a class name in any case, with or without ``Error``."""
    wanted = topic.strip().lower().removesuffix("error")
    for name in EXIT_CODES:
        if name.lower().removesuffix("error") == wanted:
            return name
    raise _unknown(topic)


def _exit_code_row(code: int) -> str:
    """The exit code table's row for ``code``, as a sentence: for 0, 1 and 2."""
    row = re.search(rf"^\| {code} \|(.*)\|$", _page(), re.MULTILINE)
    if row is None:
        raise _unknown(str(code))
    cells = [cell.strip() for cell in row.group(1).split("|") if cell.strip()]
    return f"exit code {code}: {'; '.join(cells)}\n"


def section(topic: str | None = None) -> str:
    """The help for an exit code or an error class; the exit code table for ``None``.

    Raises :class:`ConfigurationError` for a topic that names neither.
    """
    if topic is None:
        return _sections(2)["## Exit codes"]
    if topic.strip().isdigit():
        code = int(topic)
        name = next((n for n, c in EXIT_CODES.items() if c == code), None)
        if name is None:
            return _exit_code_row(code)
    else:
        name = _class_named(topic)
    return next(text for head, text in _sections(3).items() if f"`{name}`" in head)
