"""Every Python snippet in README.md and docs/*.md runs as written, against the emulator.

A snippet is run in a fresh namespace, with only the environment a reader would have: the
emulator's endpoints (HTTPS) and keys, a `dev` profile, a model and an agent in `BEDROCK_*`, and the
`MY_*` variables the snippets read "from your own store". A snippet that needs something the
tests cannot give (an MFA device, a pod's token file, real VPC endpoints) or that is not code
to run (a signature, printed output) carries a marker on the line before it, which is shown
in the rendered page as nothing and in the source as the reason:

    <!-- not run: asks for an MFA code on the terminal -->

docs/testing.md is run by tests/test_emulator_docs.py (its examples include pytest modules), and
docs/scale-out.md by tests/test_scale_out_docs.py (each example in its own process).
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bedrock_auth.testing import BedrockEmulator

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md"))]
PAGES.remove(ROOT / "docs" / "testing.md")
PAGES.remove(ROOT / "docs" / "scale-out.md")  # forks and clusters: tests/test_scale_out_docs.py

# An optional marker line, then a python fence; the fence may be indented (in a list item).
_SNIPPET = re.compile(
    r"(?:<!-- not run: (?P<reason>[^>]+?) -->\n)?"
    r"^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```",
    re.DOTALL | re.MULTILINE,
)
APP_PROFILE = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"


def _snippets() -> Iterator[tuple[str, str, str | None]]:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _SNIPPET.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            name = f"{page.relative_to(ROOT)}:{line}"
            code = textwrap.dedent(match["code"])
            yield name, code, match["reason"]


SNIPPETS = list(_snippets())
RUNNABLE = [(name, code) for name, code, reason in SNIPPETS if reason is None]


def test_snippets_are_found_and_few_are_skipped() -> None:
    assert len(SNIPPETS) >= 40
    skipped = [name for name, _code, reason in SNIPPETS if reason is not None]
    assert len(skipped) <= len(SNIPPETS) // 4, skipped


@pytest.fixture(scope="module")
def docs_emu() -> Iterator[BedrockEmulator]:
    # HTTPS, as AWS is: Bedrock API keys (bearer auth) refuse a plain-HTTP endpoint.
    with BedrockEmulator(tls=True) as emulator:
        emulator.add_inference_profile(APP_PROFILE, "anthropic.claude-haiku-4-5-20251001-v1:0")
        yield emulator


@pytest.fixture
def reader_env(
    docs_emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, clean_aws_env: Path
) -> BedrockEmulator:
    """What a reader's machine has, pointed at the emulator."""
    for name, value in docs_emu.env().items():
        monkeypatch.setenv(name, value)
    home = Path(os.environ["HOME"])  # the temp HOME clean_aws_env made
    (home / ".aws" / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    (home / ".aws" / "credentials").write_text(
        f"[dev]\naws_access_key_id = AKIADEVPROFILE000001\n"
        f"aws_secret_access_key = {docs_emu.secret_access_key}\n"
    )
    for name, value in {
        "BEDROCK_MODEL_ID": "claude-sonnet-4-5",
        "BEDROCK_AGENT_ID": "AGENT12345",
        "BEDROCK_AGENT_ALIAS_ID": "ALIAS12345",
        "MY_APP_KEY_ID": "AKIAMYAPPKEY00000001",
        "MY_APP_SECRET": docs_emu.secret_access_key,
        "MY_BEDROCK_API_KEY": "ABSK" + "ZG9jcy1zbmlwcGV0LWtleQ" * 3,
        "CLAUDE_CODE_USE_BEDROCK": "1",  # the app-level switch the migration guide shows
    }.items():
        monkeypatch.setenv(name, value)
    docs_emu.clear()
    return docs_emu


@pytest.mark.parametrize(("name", "code"), RUNNABLE, ids=[name for name, _ in RUNNABLE])
def test_snippet_runs(name: str, code: str, reader_env: BedrockEmulator) -> None:
    exec(compile(code, name, "exec"), {"__name__": "__doc_snippet__"})
