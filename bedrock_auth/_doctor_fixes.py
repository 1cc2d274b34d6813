"""``doctor``'s exact fixes, where the cause is on this machine and knowable.

The API reports these failures as the credential chain meets them: a missing token file or an
MFA function that raised comes out of an STS call, a misspelt region names the setting it
came from. ``doctor`` knows the setup it checks, so it names the one thing to change: the file
and the setting that points at it, the function that raised, the line of the config file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from bedrock_auth._redact import redact
from bedrock_auth.errors import ConfigurationError, CredentialsNotFoundError
from bedrock_auth.sources import AUTH_MODE_ENV, BEARER_ENV

if TYPE_CHECKING:
    from bedrock_auth._options import Settings

__all__ = ["api_key_not_opted_in", "local_problem", "region_fix"]


def _chained(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception chained to it, each once."""
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if id(current) not in seen:
            seen.add(id(current))
            yield current
            pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _frames(error: BaseException) -> Iterator[FrameType]:
    tb = error.__traceback__
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


# -- files -----------------------------------------------------------------------------------

_FILE_PROBLEMS = {
    FileNotFoundError: "not found",
    PermissionError: "not readable by this user (permission denied)",
    IsADirectoryError: "a directory, not a file",
}

# The botocore object that was reading the file -> what the file is, and how to fix it.
_FILES = {
    "FileWebIdentityTokenLoader": (
        "the web identity token file",
        "Create it, or correct the path: AWS_WEB_IDENTITY_TOKEN_FILE (web_identity_token_file= "
        "in code, or web_identity_token_file in the profile) names it, and AWS_ROLE_ARN is the "
        "role it is exchanged for. On EKS (IRSA) the token is mounted into pods whose service "
        "account has the eks.amazonaws.com/role-arn annotation; off EKS, unset both variables "
        "to use other credentials.",
    ),
}
_ANY_FILE = (
    "a file the credentials need",
    "Create it, or correct the setting that names it, and check that this user can read it.",
)


def _file_problem(error: OSError) -> tuple[ConfigurationError, str]:
    reader = next(
        (
            type(frame.f_locals.get("self")).__name__
            for frame in _frames(error)
            if type(frame.f_locals.get("self")).__name__ in _FILES
        ),
        "",
    )
    what, fix = _FILES.get(reader, _ANY_FILE)
    problem = next((text for kind, text in _FILE_PROBLEMS.items() if isinstance(error, kind)), "")
    problem = problem or f"cannot be read ({type(error).__name__}: {error.strerror})"
    return ConfigurationError(f"local file problem: {error.filename} {problem} ({what})."), fix


# -- the MFA function ------------------------------------------------------------------------


def _code_of(function: Callable[..., Any]) -> object:
    """The code object that runs when ``function`` is called (a function, or an object's
    ``__call__``), to find its frame in a traceback."""
    code = getattr(function, "__code__", None)
    return code if code is not None else getattr(type(function).__call__, "__code__", None)


def _mfa_problem(error: BaseException) -> tuple[ConfigurationError, str]:
    return (
        ConfigurationError(
            f"local problem: mfa_token_provider= raised {type(error).__name__}: "
            f"{redact(str(error)) or '(no message)'}"
        ),
        "The MFA function is your code; it runs when the role's credentials are fetched (at "
        "start, then before they expire) and must return the current code. If it reads the "
        "terminal (input()), run where a terminal is attached (not under a service manager, "
        "CI or a pipe), or get the code another way.",
    )


def local_problem(
    error: BaseException, mfa_token_provider: Callable[[], str] | None
) -> tuple[ConfigurationError, str] | None:
    """(the error to report, its fix) when ``error`` was caused on this machine: a file that
    cannot be read, or the user's MFA function raising; ``None`` otherwise."""
    mfa_code = _code_of(mfa_token_provider) if mfa_token_provider is not None else None
    for cause in _chained(error):
        if isinstance(cause, OSError) and cause.filename:
            return _file_problem(cause)
        if mfa_code is not None and any(f.f_code is mfa_code for f in _frames(cause)):
            return _mfa_problem(cause)
    return None


# -- a misspelt region -----------------------------------------------------------------------

# regions.check_region's message: "<where>=<value> is not an AWS region name ...".
_BAD_REGION = re.compile(
    r"^(?:(?P<variable>AWS_REGION|AWS_DEFAULT_REGION)|region in profile '(?P<profile>[^']*)'"
    r"|region)=(?P<value>.+?) is not an AWS region name"
)
_SUGGESTED = re.compile(r"did you mean '([^']+)'")


def _config_file() -> str:
    """The config file botocore reads (``AWS_CONFIG_FILE``, else ``~/.aws/config``)."""
    import os.path

    import botocore.session

    return os.path.expanduser(str(botocore.session.Session().get_config_variable("config_file")))


def region_fix(error: BaseException, settings: Settings) -> str:
    """The exact edit that fixes the misspelt region ``error`` reports; ``settings`` say where
    each environment variable came from (the shell, or a ``.env`` file)."""
    found = _BAD_REGION.match(str(error))
    suggested = _SUGGESTED.search(str(error))
    good = suggested.group(1) if suggested else "<a Region name, such as us-east-1>"
    then = ", then run doctor again."
    if found is None:  # not a region name check: the message itself says what to change
        return f"Set the region the message names to {good}{then}"
    variable, profile, value = found.group("variable", "profile", "value")
    if variable and variable in settings.dotenv_keys:
        line = f"{variable}={value.strip(chr(39))}"
        return f"In {settings.dotenv_path}, change the line {line} to {variable}={good}{then}"
    if variable:
        return f"export {variable}={good}{then}"
    if profile is not None:
        section = "[default]" if profile == "default" else f"[profile {profile}]"
        line = f"region = {value.strip(chr(39))}"
        return (
            f"In {_config_file()}, under {section}, change the line `{line}` to "
            f"`region = {good}` (AWS_REGION, if set, comes first){then}"
        )
    return f"Pass --region {good} (region='{good}' in code){then}"


# -- a Bedrock API key nobody opted into ------------------------------------------------------


def api_key_not_opted_in(settings: Settings) -> tuple[CredentialsNotFoundError, str]:
    """What to say when no IAM credentials were found but ``AWS_BEARER_TOKEN_BEDROCK`` is set:
    the user has a key, and only the opt-in is missing (not twelve credential sources)."""
    origin = settings.origin_of(BEARER_ENV)
    dotenv = settings.dotenv_path
    also = f", or add {AUTH_MODE_ENV}=api_key to {dotenv}" if dotenv else ""
    error = CredentialsNotFoundError(
        f"No AWS credentials were found, and {BEARER_ENV} (from {origin}) is set but not "
        "used: bedrock-auth uses a Bedrock API key only when asked to, so that a key in the "
        "environment never silently replaces IAM credentials."
    )
    fix = (
        f"To use the key: export {AUTH_MODE_ENV}=api_key{also} (api_key= in code), then run "
        "doctor again.\nTo use IAM credentials instead: aws configure, aws sso login "
        "--profile <name>, or export AWS_PROFILE=<name> (bedrock-auth explain 5)."
    )
    return error, fix
