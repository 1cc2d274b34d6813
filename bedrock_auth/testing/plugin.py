"""pytest plugin (entry point ``pytest11: bedrock_auth``): emulator fixtures.

- ``bedrock_emulator``: a started :class:`BedrockEmulator` (plain http), stopped afterwards.
- ``bedrock_emulator_env``: the same emulator with ``emu.env()`` applied to ``os.environ``
  through ``monkeypatch`` (and ambient AWS settings that would override it removed), for code
  that builds its own clients from the environment.

The emulator is imported inside the fixtures so that merely having the plugin installed
costs nothing in unrelated test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .emulator import BedrockEmulator

# Ambient settings that would beat the emulator's env (a profile, a bearer token, ...).
_AMBIENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CA_BUNDLE",
    "BEDROCK_ROLE_ARN",
    "BEDROCK_AUTH_MODE",
)


@pytest.fixture
def bedrock_emulator() -> Iterator[BedrockEmulator]:
    """A running local Bedrock/STS emulator; stopped when the test ends.

    The library's process-wide caches are emptied before and after, so ``get_manager()`` in
    one test never hands out a manager bound to another test's (stopped) emulator.
    """
    from bedrock_auth import reset

    from .emulator import BedrockEmulator

    reset()
    with BedrockEmulator() as emulator:
        yield emulator
    reset()


@pytest.fixture
def bedrock_emulator_env(
    bedrock_emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> BedrockEmulator:
    """``bedrock_emulator`` with its ``env()`` exported for the duration of the test."""
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in bedrock_emulator.env().items():
        monkeypatch.setenv(name, value)
    return bedrock_emulator
