"""Helpers for the credential-chain tests: a clean child interpreter, and moto set-up calls.

The child process gets ONLY the environment a test gives it (plus PATH and a temp HOME), so
neither the developer's shell nor their ``~/.aws`` can leak in, and botocore computes its SSO
cache directory from the temp HOME at import.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import textwrap
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bedrock_auth

from .servers import RoleCredentials

__all__ = [
    "ACCOUNT",
    "Chain",
    "IamUser",
    "MotoAdmin",
    "aws_files",
    "manager_code",
    "run_in_clean_env",
]

#: moto's default account: roles assumed in it are visible to its GetCallerIdentity.
ACCOUNT = "123456789012"
_RESULT_MARKER = "@@CHAIN-RESULT@@"
_CHILD_TIMEOUT = 60
# The child imports the bedrock_auth this process imported (a checkout, a worktree), not
# whichever one the interpreter would find on its own.
_PACKAGE_ROOT = str(Path(bedrock_auth.__file__).resolve().parents[1])


def aws_files(home: Path) -> tuple[Path, Path]:
    """``(config, credentials)`` under ``home/.aws`` (the directory is created)."""
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    return aws / "config", aws / "credentials"


def run_in_clean_env(code: str, env: Mapping[str, str | None], home: Path, cwd: Path,
                     *, timeout: float = _CHILD_TIMEOUT) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter and return the JSON result it printed.

    The child's environment is exactly: PATH, PYTHONPATH (the directory holding the
    bedrock_auth under test), HOME=``home``, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE
    under ``home/.aws``, AWS_EC2_METADATA_DISABLED=true, then ``env`` on top (a ``None``
    value removes a name, e.g. to enable IMDS). ``code`` must print one line
    ``@@CHAIN-RESULT@@<json>`` (see :func:`manager_code`).
    """
    config, credentials = aws_files(home)
    child_env: dict[str, str] = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": _PACKAGE_ROOT,
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name, value in env.items():
        if value is None:
            child_env.pop(name, None)
        else:
            child_env[name] = value
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(_RESULT_MARKER):
            result: dict[str, Any] = json.loads(line[len(_RESULT_MARKER):])
            result["stderr"] = proc.stderr
            return result
    raise AssertionError(
        f"child exited {proc.returncode} without a result\n--- stdout\n{proc.stdout}\n"
        f"--- stderr\n{proc.stderr}"
    )


def manager_code(options: Mapping[str, Any] | None = None, after: str = "") -> str:
    """Child code: build ``BedrockClientManager(**options)`` and report what it resolved.

    The result has ``ok``, and either ``credential_source``/``arn``/``account``/``region``/
    ``mode``/``auth_info`` or ``error`` (class name), ``error_module`` and ``message``.
    ``after`` runs with ``manager`` and ``result`` in scope and may add keys to ``result``.
    """
    after_lines = textwrap.indent(textwrap.dedent(after).strip("\n"), "    ") or "    pass"
    return "\n".join([
        "import json",
        "result = {}",
        "try:",
        "    from bedrock_auth import BedrockClientManager",
        f"    manager = BedrockClientManager(**json.loads({json.dumps(dict(options or {}))!r}))",
        "    identity = manager.identity",
        "    result.update(",
        "        ok=True,",
        "        credential_source=manager.credential_source,",
        "        arn=identity.arn if identity else None,",
        "        account=identity.account if identity else None,",
        "        region=manager.region,",
        "        mode=manager.mode,",
        "        auth_info=manager.auth_info(),",
        "    )",
        after_lines,
        "except Exception as exc:",
        "    result.update(ok=False, error=type(exc).__name__,",
        "                  error_module=type(exc).__module__, message=str(exc))",
        f"print({_RESULT_MARKER!r} + json.dumps(result, default=str))",
        "",
    ])


@dataclass(frozen=True)
class IamUser:
    """A moto IAM user with an access key: its GetCallerIdentity ARN names it."""

    name: str
    arn: str
    access_key_id: str
    secret_access_key: str


class MotoAdmin:
    """Set-up calls straight to moto (not through the recording proxy), over plain HTTP.

    Plain ``http.client`` rather than boto3: no proxy variables, profiles or credentials of
    the test process can interfere. moto does not check signatures unless auth enforcement is
    on, but it needs a SigV4-shaped header to route the request and pick the account.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _request(self, method: str, path: str, body: bytes = b"",
                 headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def query(self, service: str, action: str, version: str, **params: str) -> ET.Element:
        """One AWS query-protocol call; returns the parsed XML reply (raises on non-200)."""
        body = urllib.parse.urlencode({"Action": action, "Version": version, **params}).encode()
        status, payload = self._request("POST", "/", body, {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Amz-Date": "20240101T000000Z",
            "Authorization": ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/"
                              f"us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, "
                              "Signature=" + "0" * 64),
        })
        if status != 200:
            raise AssertionError(f"moto {service} {action} -> {status}: {payload[:500]!r}")
        return ET.fromstring(payload)

    @staticmethod
    def _text(root: ET.Element, name: str) -> str:
        for element in root.iter():
            if element.tag.rsplit("}", 1)[-1] == name and element.text:
                return element.text
        raise AssertionError(f"{name} not in moto reply: {ET.tostring(root)[:500]!r}")

    def create_user(self, prefix: str) -> IamUser:
        """A new IAM user (unique name) with one access key."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        user = self.query("iam", "CreateUser", "2010-05-08", UserName=name)
        key = self.query("iam", "CreateAccessKey", "2010-05-08", UserName=name)
        return IamUser(name=name, arn=self._text(user, "Arn"),
                       access_key_id=self._text(key, "AccessKeyId"),
                       secret_access_key=self._text(key, "SecretAccessKey"))

    def assume_role(self, role_name: str, session_name: str,
                    duration_seconds: int = 3600) -> RoleCredentials:
        """Temporary credentials for ``role_name`` in :data:`ACCOUNT`, as moto issues them."""
        reply = self.query("sts", "AssumeRole", "2011-06-15",
                           RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role_name}",
                           RoleSessionName=session_name, DurationSeconds=str(duration_seconds))
        return RoleCredentials(
            access_key_id=self._text(reply, "AccessKeyId"),
            secret_access_key=self._text(reply, "SecretAccessKey"),
            session_token=self._text(reply, "SessionToken"),
            expiration=self._text(reply, "Expiration"),
            arn=self._text(reply, "Arn"),
        )

    def set_auth(self, initial_no_auth_action_count: float) -> str:
        """``POST /moto-api/reset-auth``: after that many requests moto checks every signature
        and access key (``0``: at once; ``inf``: never). Returns the previous value."""
        status, payload = self._request("POST", "/moto-api/reset-auth",
                                        str(initial_no_auth_action_count).encode())
        if status != 200:
            raise AssertionError(f"moto reset-auth -> {status}: {payload!r}")
        return str(json.loads(payload)["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


@dataclass
class Chain:
    """One test's sandbox: a temp HOME (with ``.aws/``), a working directory, base env."""

    home: Path
    cwd: Path
    env: dict[str, str | None] = field(default_factory=dict)

    @property
    def config_file(self) -> Path:
        return aws_files(self.home)[0]

    @property
    def credentials_file(self) -> Path:
        return aws_files(self.home)[1]

    def write_config(self, text: str) -> None:
        self.config_file.write_text(text)

    def write_credentials(self, text: str) -> None:
        self.credentials_file.write_text(text)

    def run(self, options: Mapping[str, Any] | None = None,
            env: Mapping[str, str | None] | None = None, after: str = "") -> dict[str, Any]:
        """Build a manager with ``options`` in a clean child; the base env plus ``env``."""
        return run_in_clean_env(manager_code(options, after), {**self.env, **(env or {})},
                                self.home, self.cwd)
