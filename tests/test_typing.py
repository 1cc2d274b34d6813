"""What users' type checkers see: small user files checked with ``mypy --strict``.

Each case is one mypy run on a file in a temporary directory, with this checkout's package on
``MYPYPATH`` (the editable install is an import hook mypy cannot follow). The mypy cache is
shared by the module's cases, so only the first run analyses LangChain.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

import bedrock_auth

PROJECT = Path(bedrock_auth.__file__).resolve().parent.parent

# One pytest-xdist worker runs every case (pytest.ini: --dist loadgroup), so the shared cache
# is built once instead of once per worker.
pytestmark = pytest.mark.xdist_group("mypy")

MypyRun = Callable[[str], tuple[int, str]]


def run_mypy_strict(source: str, *, workdir: Path, cache_dir: Path) -> tuple[int, str]:
    """Write ``source`` as a user's module and run ``mypy --strict`` on it.

    Returns mypy's exit code (0: clean, 1: type errors) and its output. Errors inside
    ``bedrock_auth`` and its dependencies are not reported (``--follow-imports=silent``), as
    for an installed package: only the user's file is judged.
    """
    user_file = workdir / "user_code.py"
    user_file.write_text(textwrap.dedent(source))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--config-file=",
            "--cache-dir",
            str(cache_dir),
            "--no-error-summary",
            "--hide-error-context",
            str(user_file),
        ],
        cwd=workdir,
        env={**os.environ, "MYPYPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


@pytest.fixture
def mypy_strict(tmp_path: Path, mypy_cache: Path) -> MypyRun:
    """``mypy_strict(source) -> (exit code, output)`` for one user file."""
    return partial(run_mypy_strict, workdir=tmp_path, cache_dir=mypy_cache)


def test_default_api_is_typed_as_chat_bedrock_converse(mypy_strict: MypyRun) -> None:
    code, output = mypy_strict(
        """
        from langchain_aws import ChatBedrock, ChatBedrockConverse
        from pydantic import BaseModel

        from bedrock_auth import get_llm


        class Answer(BaseModel):
            text: str


        llm = get_llm("haiku")
        structured = llm.with_structured_output(Answer)
        model_id: str = llm.model_id
        converse: ChatBedrockConverse = get_llm("haiku", api="converse", fallback_regions=[])
        legacy: ChatBedrock = get_llm("haiku", api="invoke")
        reveal_type(llm)
        """
    )
    assert code == 0, output
    from langchain_aws import ChatBedrockConverse  # where it is defined moves between releases

    where = f"{ChatBedrockConverse.__module__}.{ChatBedrockConverse.__qualname__}"
    assert f'Revealed type is "{where}"' in output


def test_invoke_api_is_not_a_chat_bedrock_converse(mypy_strict: MypyRun) -> None:
    code, output = mypy_strict(
        """
        from langchain_aws import ChatBedrockConverse

        from bedrock_auth import get_llm

        llm: ChatBedrockConverse = get_llm("haiku", api="invoke")
        """
    )
    assert code == 1, output
    assert 'expression has type "ChatBedrock"' in output and "[assignment]" in output


def test_a_misspelt_mode_fails_type_checking(mypy_strict: MypyRun) -> None:
    code, output = mypy_strict(
        """
        from bedrock_auth import AuthConfig, BedrockClientManager

        manager = BedrockClientManager(mode="iam_role", validate=False)
        config = AuthConfig(mode="assume_role", retry_mode="adaptve")
        """
    )
    assert code == 1, output
    assert output.count("[arg-type]") + output.count("[typeddict-item]") >= 2, output
    assert "'iam_role'" in output and "'adaptve'" in output


def test_a_valid_mode_and_the_new_keywords_type_check(mypy_strict: MypyRun) -> None:
    code, output = mypy_strict(
        """
        from botocore.config import Config  # type: ignore[import-untyped]

        from bedrock_auth import BedrockClientManager, CredentialValues

        def broker() -> CredentialValues:
            return CredentialValues(access_key_id="AKIA", secret_access_key="s")

        manager = BedrockClientManager(
            mode="custom",
            credential_provider=broker,
            client_config=Config(tcp_keepalive=True),
            assume_role_kwargs={"SourceIdentity": "alice"},
            fallback_regions=["us-west-2"],
            validate=False,
        )
        """
    )
    assert code == 0, output
