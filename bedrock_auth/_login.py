"""``aws login`` profiles: what the library knows about them, in one place.

A profile with ``login_session`` in ``~/.aws/config`` gets 15-minute credentials that botocore's
``login`` provider (botocore 1.41.0 and later) refreshes from the session ``aws login`` cached in
``~/.aws/login/cache`` (``AWS_LOGIN_CACHE_DIRECTORY``), for up to 12 hours. The provider signs
its refresh with a key only ``awscrt`` can load, so botocore needs ``botocore[crt]`` for it.
Nothing here is read at import: the profile is read only on an error's path.
"""

from __future__ import annotations

__all__ = [
    "CRT_FIX",
    "LOGIN_SINCE",
    "botocore_knows_login",
    "cache_directory",
    "login_command",
    "login_session_of",
]

#: The first botocore with the ``login`` credential provider (from botocore's history).
LOGIN_SINCE = "1.41.0"
#: What installs the dependency botocore's ``login`` provider needs.
CRT_FIX = 'pip install "botocore[crt]"'


def login_command(profile: str) -> str:
    """The command that (re)starts the profile's session."""
    return "aws login" if profile == "default" else f"aws login --profile {profile}"


def login_session_of(profile: str) -> str | None:
    """The profile's ``login_session``, or ``None`` (no such key, or no such profile)."""
    import botocore.session

    try:
        config = botocore.session.Session(profile=profile).get_scoped_config()
    except Exception:  # a missing or unreadable profile is another error's business
        return None
    session = config.get("login_session")
    return str(session) if session else None


def cache_directory() -> str:
    """Where botocore looks for the cached sessions (it reads AWS_LOGIN_CACHE_DIRECTORY)."""
    try:
        from botocore.utils import get_login_token_cache_directory
    except ImportError:  # a botocore before aws login
        return "~/.aws/login/cache"
    return str(get_login_token_cache_directory())


def botocore_knows_login() -> bool:
    """Whether the installed botocore has the ``login`` provider."""
    import botocore.credentials

    return hasattr(botocore.credentials, "LoginProvider")
