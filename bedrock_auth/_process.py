"""Every ``credential_process``, run with a time limit and reported without its output.

botocore's ``ProcessProvider`` waits for the command for ever, waits for the end of its output
rather than for the command (a helper that leaves a child holding its stdout blocks it), and
copies what the command printed on stderr into its error, where a helper may have printed a
token. :class:`TimedProcessProvider` takes its place under the same name (``custom-process``):
it runs the command in a session of its own, reads its output until the command exits (not
until every process that inherited the pipe closes it), stops the command and everything it
started when the time limit passes, parses the output as botocore does (``Version`` 1,
``AccessKeyId``, ``SecretAccessKey``, optional ``SessionToken``, ``Expiration`` and
``AccountId``) but checks each value's type, and reports every failure as a
:class:`~bedrock_auth.errors.CredentialsNotFoundError` that names the profile and the
executable: never the command's arguments, which may hold secrets, nor anything it printed.
No exception of the run is chained to that error: subprocess's own name the whole command.

It runs the profile in use (:func:`~bedrock_auth.credentials.use_chain`) and, through
:func:`time_source_profiles`, every profile botocore's ``AssumeRoleProvider`` reaches through
``source_profile``.

A helper that prompts on the terminal can still read its stdin and write its stderr, but in a
session of its own it cannot open ``/dev/tty``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from botocore.compat import compat_shell_split
from botocore.credentials import Credentials, ProcessProvider

from bedrock_auth._fetched import checked
from bedrock_auth._redact import redact
from bedrock_auth._refresh import Metadata, ScaledRefreshableCredentials
from bedrock_auth.errors import CredentialsNotFoundError

__all__ = ["TimedProcessProvider", "time_source_profiles"]

logger = logging.getLogger("bedrock_auth")

_FORMAT = (
    "it must exit 0 and print JSON with Version 1, AccessKeyId, SecretAccessKey and optionally "
    "SessionToken and Expiration"
)
_POSIX = os.name == "posix"
# More output than any credentials: a helper printing without end is stopped, not buffered.
_MAX_OUTPUT = 1 << 20
_NOT_JSON = object()
# How often the command's exit is checked while its output pipe stays quiet.
_POLL_SECONDS = 0.05


class TimedProcessProvider(ProcessProvider):  # type: ignore[misc]
    """botocore's ``ProcessProvider`` for one profile, with a time limit on the command.

    With an ``Expiration`` the credentials are refreshable (the command runs again before
    they expire, windows sized to their lifetime); without one they are static.
    """

    def __init__(
        self, profile_name: str, load_config: Callable[[], Mapping[str, Any]], timeout: float
    ) -> None:
        super().__init__(profile_name, load_config)
        self.profile = profile_name
        self.timeout = timeout

    def load(self) -> Credentials | None:
        command = self.profile_config.get("credential_process")
        if command is None:
            return None
        fetched_at = datetime.now(timezone.utc)
        metadata = self.fetch(command)
        if metadata["expiry_time"] is None:
            return Credentials(
                metadata["access_key"],
                metadata["secret_key"],
                metadata["token"],
                method=self.METHOD,
                account_id=metadata["account_id"],
            )
        return ScaledRefreshableCredentials(
            lambda: self.fetch(command),
            self.METHOD,
            fetched=(metadata, fetched_at),
            source=self._named(_executable(command)),
        )

    def fetch(self, command: str) -> Metadata:
        """Run ``command`` and return its credentials as botocore's refresh metadata."""
        executable = _executable(command)
        if not executable:
            raise self._failed("", "is empty", f"set it to a command; {_FORMAT}")
        logger.debug("running %s", self._named(executable))  # as errors show it
        return self._parse(self._run(compat_shell_split(command), executable), executable)

    def _run(self, argv: list[str], executable: str) -> bytes:
        started = _start(argv)
        if isinstance(started, OSError):
            raise self._failed(
                executable,
                f"could not be started ({started.strerror or type(started).__name__})",
                "check that the command exists and is executable",
            )
        try:
            stdout = _read_until_exit(started, self.timeout)
        finally:
            _stop(started)
        if stdout is not None and len(stdout) > _MAX_OUTPUT:
            raise self._failed(executable, "printed more than 1 MiB", _FORMAT)
        if stdout is None:
            raise self._failed(
                executable,
                f"did not finish within {self.timeout:g} s and was stopped",
                "run the command by hand to see what it waits for (a login, a prompt, the "
                "network)",
            )
        if started.returncode != 0:
            raise self._failed(
                executable,
                f"exited with status {started.returncode}",
                "run the command by hand to see its error (not shown here: what a "
                "credential_process prints may hold secrets)",
            )
        return stdout

    def _parse(self, stdout: bytes, executable: str) -> Metadata:
        parsed = _decoded(stdout)
        if parsed is _NOT_JSON:
            raise self._failed(executable, "did not print JSON", _FORMAT)
        if not isinstance(parsed, dict):
            raise self._failed(executable, "did not print a JSON object", _FORMAT)
        version = parsed.get("Version")
        if type(version) is not int or version != 1:  # True == 1, and botocore takes it
            raise self._failed(executable, "printed an unsupported Version", _FORMAT)
        missing = [key for key in ("AccessKeyId", "SecretAccessKey") if key not in parsed]
        if missing:
            raise self._failed(executable, f"printed no {' and no '.join(missing)}", _FORMAT)
        metadata = {
            "access_key": parsed["AccessKeyId"],
            "secret_key": parsed["SecretAccessKey"],
            "token": parsed.get("SessionToken"),
            "expiry_time": parsed.get("Expiration"),
            "account_id": parsed.get("AccountId") or self.profile_config.get("aws_account_id"),
        }
        checked(metadata, self._named(executable), _FORMAT)
        return metadata

    def _named(self, executable: str) -> str:
        shown = f" ({redact(executable)})" if executable else ""
        return f"credential_process of profile '{self.profile}'{shown}"

    def _failed(self, executable: str, what: str, fix: str) -> CredentialsNotFoundError:
        return CredentialsNotFoundError(f"{self._named(executable)} {what}.\nFix: {fix}.")


def _executable(command: str) -> str:
    """The command's program name: shown in messages, where its arguments never are."""
    argv = compat_shell_split(command)  # as botocore splits it: no shell
    return os.path.basename(argv[0]) if argv else ""


def _decoded(stdout: bytes) -> Any:
    """The JSON value printed, else :data:`_NOT_JSON`. Nothing of a parser's error is kept:
    it holds the document, and the document holds the secret."""
    parsed: Any = _NOT_JSON
    with contextlib.suppress(ValueError):  # UnicodeDecodeError and JSONDecodeError too
        parsed = json.loads(stdout.decode("utf-8"))
    return parsed


def _start(argv: list[str]) -> subprocess.Popen[bytes] | OSError:
    """The command, started in a session of its own (POSIX: its process group is stopped
    with it); the ``OSError`` instead when it cannot start, returned so that no handler
    chains it (its ``filename`` and ``args`` may name the command line)."""
    try:
        return subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # never shown, and never left to fill a pipe
            start_new_session=_POSIX,
        )
    except OSError as exc:
        return OSError(exc.errno, exc.strerror)


def _read_until_exit(process: subprocess.Popen[bytes], timeout: float) -> bytes | None:
    """What ``process`` printed until it exited; ``None`` if it did not exit in ``timeout``
    seconds. Past :data:`_MAX_OUTPUT` bytes nothing more is read. A child that inherited its
    stdout and keeps it open does not hold this up, as it holds up ``communicate()``."""
    assert process.stdout is not None
    if not _POSIX:  # no select() on pipes: wait for the end of the output instead
        with contextlib.suppress(subprocess.TimeoutExpired):
            return process.communicate(timeout=timeout)[0]
        return None
    deadline = time.monotonic() + timeout
    pipe, chunks = process.stdout.fileno(), bytearray()
    os.set_blocking(pipe, False)
    with selectors.DefaultSelector() as selector:
        selector.register(pipe, selectors.EVENT_READ)
        open_ = True
        while process.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not open_:  # the output ended: only the exit is left to wait for
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(left)
            elif selector.select(min(left, _POLL_SECONDS)):
                open_ = _drain(pipe, chunks)
        if open_:
            _drain(pipe, chunks)  # what it printed just before it exited
    return bytes(chunks)


def _drain(pipe: int, chunks: bytearray) -> bool:
    """Read what ``pipe`` holds now; False once it reached its end."""
    while len(chunks) <= _MAX_OUTPUT:
        try:
            chunk = os.read(pipe, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        chunks += chunk
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a command still running (and, on POSIX, what it started), reap it, close its pipe.

    A command that exited is left alone, and so is anything it left running (a daemon of its
    own): only a command stopped for its time limit takes its process group with it.
    """
    if process.poll() is None:
        if _POSIX:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


class _TimedSourceProfiles:
    """botocore's ``ProfileProviderBuilder`` as ``AssumeRoleProvider`` uses it for the
    profile a ``source_profile`` names, each ``credential_process`` under
    :class:`TimedProcessProvider`."""

    def __init__(self, builder: Any, load_config: Callable[[], Any], timeout: float) -> None:
        self._builder = builder
        self._load_config = load_config
        self._timeout = timeout

    def providers(self, profile_name: str, disable_env_vars: bool = False) -> list[Any]:
        return [
            TimedProcessProvider(profile_name, self._load_config, self._timeout)
            if isinstance(provider, ProcessProvider)
            else provider
            for provider in self._builder.providers(
                profile_name=profile_name, disable_env_vars=disable_env_vars
            )
        ]


def time_source_profiles(
    providers: list[Any], load_config: Callable[[], Any], timeout: float
) -> None:
    """Put a time limit on every ``credential_process`` botocore's role providers among
    ``providers`` run for a ``source_profile``.

    botocore has no hook for it: ``AssumeRoleProvider`` keeps the builder it makes a source
    profile's providers with in ``_profile_provider_builder``, and that builder is wrapped.
    """
    for provider in providers:
        builder = getattr(provider, "_profile_provider_builder", None)
        if builder is not None and not isinstance(builder, _TimedSourceProfiles):
            provider._profile_provider_builder = _TimedSourceProfiles(builder, load_config, timeout)
