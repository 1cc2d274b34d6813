"""The profile's ``credential_process``, run with a time limit and reported without its output.

botocore's ``ProcessProvider`` waits for the command for ever and copies what it printed on
stderr into its error, where a helper may have printed a token. :class:`TimedProcessProvider`
takes its place in the chain under the same name (``custom-process``): it runs the command
with a time limit, parses the output exactly as botocore does (``Version`` 1, ``AccessKeyId``,
``SecretAccessKey``, optional ``SessionToken``, ``Expiration`` and ``AccountId``), and reports
every failure as a :class:`~bedrock_auth.errors.CredentialsNotFoundError` that names the
profile and the executable: never the command's arguments, which may hold secrets, nor
anything it printed.

Limit: only the profile in use gets it. A ``credential_process`` in a profile reached through
``source_profile`` is run by botocore's own provider, which ``AssumeRoleProvider`` builds for
that hop itself.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from botocore.compat import compat_shell_split
from botocore.credentials import Credentials, ProcessProvider

from bedrock_auth._refresh import Metadata, ScaledRefreshableCredentials
from bedrock_auth.errors import CredentialsNotFoundError

__all__ = ["TimedProcessProvider"]

logger = logging.getLogger("bedrock_auth")

_FORMAT = (
    "it must exit 0 and print JSON with Version 1, AccessKeyId, SecretAccessKey and optionally "
    "SessionToken and Expiration"
)


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
            lambda: self.fetch(command), self.METHOD, fetched=(metadata, fetched_at)
        )

    def fetch(self, command: str) -> Metadata:
        """Run ``command`` and return its credentials as botocore's refresh metadata."""
        argv = compat_shell_split(command)  # as botocore splits it: no shell
        if not argv:
            raise self._failed("", "is empty", f"set it to a command; {_FORMAT}")
        executable = os.path.basename(argv[0])
        logger.debug("running credential_process of profile %s (%s)", self.profile, executable)
        return self._parse(self._run(argv, executable), executable)

    def _run(self, argv: list[str], executable: str) -> bytes:
        # ``from None`` throughout: subprocess's own exceptions name the full command line,
        # arguments included, and a chained exception would show it in every traceback.
        try:
            done = subprocess.run(argv, capture_output=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise self._failed(
                executable,
                f"did not finish within {self.timeout:g} s and was stopped",
                "run the command by hand to see what it waits for (a login, a prompt, the "
                "network)",
            ) from None
        except OSError as exc:
            raise self._failed(
                executable,
                f"could not be started ({exc.strerror or type(exc).__name__})",
                "check that the command exists and is executable",
            ) from None
        if done.returncode != 0:
            raise self._failed(
                executable,
                f"exited with status {done.returncode}",
                "run the command by hand to see its error (not shown here: what a "
                "credential_process prints may hold secrets)",
            )
        stdout: bytes = done.stdout
        return stdout

    def _parse(self, stdout: bytes, executable: str) -> Metadata:
        try:
            parsed = json.loads(stdout.decode("utf-8"))
        except ValueError:  # also UnicodeDecodeError; JSONDecodeError holds the output
            raise self._failed(executable, "did not print JSON", _FORMAT) from None
        if not isinstance(parsed, dict):
            raise self._failed(executable, "did not print a JSON object", _FORMAT)
        if parsed.get("Version") != 1:
            raise self._failed(executable, "printed an unsupported Version", _FORMAT)
        missing = [key for key in ("AccessKeyId", "SecretAccessKey") if key not in parsed]
        if missing:
            raise self._failed(executable, f"printed no {' and no '.join(missing)}", _FORMAT)
        return {
            "access_key": parsed["AccessKeyId"],
            "secret_key": parsed["SecretAccessKey"],
            "token": parsed.get("SessionToken"),
            "expiry_time": parsed.get("Expiration"),
            "account_id": parsed.get("AccountId") or self.profile_config.get("aws_account_id"),
        }

    def _failed(self, executable: str, what: str, fix: str) -> CredentialsNotFoundError:
        command = f" ({executable})" if executable else ""
        return CredentialsNotFoundError(
            f"credential_process of profile '{self.profile}'{command} {what}.\nFix: {fix}."
        )
