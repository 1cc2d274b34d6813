"""Read-only probes for :mod:`bedrock_auth.diagnostics`: DNS answers, and which credential
sources a profile configures.

Nothing here signs or sends a request to AWS. DNS lookups run in daemon threads with a bound,
because ``getaddrinfo`` has no timeout of its own and a broken resolver can hang for minutes.

>>> address_kind("10.0.12.7")
'private: a VPC interface endpoint with private DNS'
>>> address_kind("52.94.133.131")
'public: the public endpoint'
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.configloader import raw_config_parse

__all__ = ["ConfiguredSources", "address_kind", "configured_sources", "resolve_host"]

#: How long one DNS lookup may take before doctor calls it unanswered.
DNS_TIMEOUT = 5.0

# First match wins; a loopback answer is checked before "private" because 127/8 is both.
_ADDRESS_KINDS: tuple[tuple[Callable[[Any], bool], str], ...] = (
    (lambda ip: ip.is_loopback, "loopback: a local emulator or proxy"),
    (lambda ip: ip.is_private, "private: a VPC interface endpoint with private DNS"),
    (lambda ip: True, "public: the public endpoint"),
)


def address_kind(address: str) -> str:
    """What an endpoint address says about the network path to it."""
    ip = ipaddress.ip_address(address)
    return next(kind for matches, kind in _ADDRESS_KINDS if matches(ip))


def resolve_host(host: str, timeout: float = DNS_TIMEOUT) -> list[str] | None:
    """The addresses ``host`` resolves to, sorted; ``None`` if it does not resolve in time.

    >>> resolve_host("127.0.0.1")
    ['127.0.0.1']
    """
    found: list[str] = []

    def lookup() -> None:
        try:
            answers = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return
        found.extend(sorted({str(answer[4][0]) for answer in answers}))

    # A daemon thread: a lookup that never returns must not keep the process alive.
    worker = threading.Thread(target=lookup, name=f"dns-{host}", daemon=True)
    worker.start()
    worker.join(timeout)
    return list(found) or None


@dataclass(frozen=True)
class ConfiguredSources:
    """What the profile in use configures, read from the files as botocore reads them."""

    profile: str
    #: Chain provider names (botocore's ``METHOD``) the profile configures.
    names: frozenset[str]


def _profile_section(path: str, section: str) -> Mapping[str, Any]:
    try:
        parsed = raw_config_parse(path)
    except Exception:
        # An unreadable or malformed file is botocore's to report when it loads it.
        return {}
    return parsed.get(section, {})  # type: ignore[no-any-return]


# botocore provider name -> the profile keys that configure it.
_PROFILE_KEYS: dict[str, frozenset[str]] = {
    "assume-role": frozenset({"role_arn"}),
    "assume-role-with-web-identity": frozenset({"web_identity_token_file"}),
    "sso": frozenset({"sso_session", "sso_start_url"}),
    "login": frozenset({"login_session"}),
    "custom-process": frozenset({"credential_process"}),
    "config-file": frozenset({"aws_access_key_id"}),
}


def configured_sources(session: botocore.session.Session) -> ConfiguredSources:
    """The chain sources the session's profile configures in ``~/.aws/config`` and
    ``~/.aws/credentials``. Environment keys are not looked at here: they are settings.
    """
    profile = session.profile or "default"
    config_path = os.path.expanduser(session.get_config_variable("config_file"))
    credentials_path = os.path.expanduser(session.get_config_variable("credentials_file"))
    section = profile if profile == "default" else f"profile {profile}"
    config = _profile_section(config_path, section)
    names = {name for name, keys in _PROFILE_KEYS.items() if keys & config.keys()}
    if "aws_access_key_id" in _profile_section(credentials_path, profile):
        names.add("shared-credentials-file")
    return ConfiguredSources(profile, frozenset(names))
