"""Every Python snippet in README.md and docs/*.md runs as written, against the emulator.

A snippet is run in a fresh namespace, with only the environment a reader has after starting
`bedrock-auth emulator --tls` and pasting the `export` lines it prints. Anything more a snippet
needs (a `dev` profile, a `.env` file, the `MY_*` variables it reads "from your own store") is
shown to the reader just above it, as shell lines in a collapsed block, and the test runs
those very lines in bash:

    <details><summary>Run it against the emulator</summary>

    ```bash
    export MY_APP_KEY_ID=$AWS_ACCESS_KEY_ID
    ```

    </details>

A snippet that needs something the emulator cannot give (an MFA device, a pod's token file,
real VPC endpoints, a resource of your own account) or that is not code to run (a signature,
printed output) is a fragment: it carries a marker on the line before it, which is shown in the
rendered page as nothing and in the source as the reason:

    <!-- not run: asks for an MFA code on the terminal -->

docs/testing.md is run by tests/test_emulator_docs.py (its examples include pytest modules), and
docs/scale-out.md by tests/test_scale_out_docs.py (each example in its own process).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bedrock_auth.cli import _export_lines
from bedrock_auth.testing import BedrockEmulator

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md"))]
PAGES.remove(ROOT / "docs" / "testing.md")
PAGES.remove(ROOT / "docs" / "scale-out.md")  # forks and clusters: tests/test_scale_out_docs.py

# An optional fragment marker or emulator setup block, then a python fence; the fence may be
# indented (in a list item).
_SETUP = "<details><summary>Run it against the emulator</summary>"
_SNIPPET = re.compile(
    r"(?:<!-- not run: (?P<reason>[^>]+?) -->\n"
    rf"|{_SETUP}\n\n```bash\n(?P<setup>.*?)```\n\n</details>\n\n)?"
    r"^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class Snippet:
    name: str
    code: str
    setup: str = ""  # shell lines shown above it
    reason: str | None = None  # why it is a fragment


def _snippets() -> Iterator[Snippet]:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _SNIPPET.finditer(text):
            line = text.count("\n", 0, match.start("code"))
            name = f"{page.relative_to(ROOT)}:{line}"
            code = textwrap.dedent(match["code"])
            yield Snippet(name, code, match["setup"] or "", match["reason"])


SNIPPETS = list(_snippets())
RUNNABLE = [snippet for snippet in SNIPPETS if snippet.reason is None]


def test_snippets_are_found_and_few_are_fragments() -> None:
    assert len(SNIPPETS) >= 40
    fragments = [snippet.name for snippet in SNIPPETS if snippet.reason is not None]
    assert len(fragments) <= len(SNIPPETS) // 4, fragments
    assert len([snippet for snippet in SNIPPETS if snippet.setup]) >= 8  # the setup is read


def test_every_setup_block_is_followed_by_its_snippet() -> None:
    shown = sum(page.read_text(encoding="utf-8").count(_SETUP) for page in PAGES)
    assert shown == len([snippet for snippet in SNIPPETS if snippet.setup])


@pytest.fixture(scope="module")
def docs_emu() -> Iterator[BedrockEmulator]:
    # `bedrock-auth emulator --tls`, as the pages say: Bedrock API keys (bearer auth) refuse a
    # plain-HTTP endpoint.
    with BedrockEmulator(tls=True) as emulator:
        yield emulator


def _shell(lines: str, cwd: Path) -> dict[str, str]:
    """The environment after running ``lines`` in bash, as a reader's shell would have it."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("the emulator setup shown in the docs is bash")
    done = subprocess.run(
        [bash, "-c", f"set -eu\n{lines}\nenv -0"],
        cwd=cwd,
        capture_output=True,
        check=True,
        timeout=60,
    )
    pairs = (item.split(b"=", 1) for item in done.stdout.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


# What bash sets for itself: not the reader's setup.
_BASH_OWN = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})


def _reader_env(
    snippet: Snippet, emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, cwd: Path
) -> None:
    """The export lines `bedrock-auth emulator` prints, then the snippet's own setup."""
    exports = "\n".join(_export_lines(emu.env(), emu.endpoint_url))
    after = _shell(f"{exports}\n{snippet.setup}", cwd)
    for name, value in after.items():
        if os.environ.get(name) != value and name not in _BASH_OWN:
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize("snippet", RUNNABLE, ids=[snippet.name for snippet in RUNNABLE])
def test_snippet_runs(
    snippet: Snippet,
    docs_emu: BedrockEmulator,
    monkeypatch: pytest.MonkeyPatch,
    clean_aws_env: Path,
) -> None:
    docs_emu.clear()
    _reader_env(snippet, docs_emu, monkeypatch, clean_aws_env)
    exec(compile(snippet.code, snippet.name, "exec"), {"__name__": "__doc_snippet__"})
