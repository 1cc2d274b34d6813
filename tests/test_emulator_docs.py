"""Every Python example in docs/testing.md runs as written.

Blocks that define ``test_*`` functions are pytest modules (run through ``pytester``, named by
their ``# test_x.py`` first line); the others are scripts, executed in-process.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOC = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
SCRIPTS = [b for b in BLOCKS if "def test_" not in b]
TEST_MODULES = [b for b in BLOCKS if "def test_" in b]


def test_the_doc_has_examples() -> None:
    assert len(SCRIPTS) >= 5
    assert len(TEST_MODULES) >= 2


@pytest.mark.parametrize("source", SCRIPTS, ids=[f"script{i}" for i in range(len(SCRIPTS))])
def test_script_example(source: str) -> None:
    exec(compile(source, str(DOC), "exec"), {"__name__": "doc_example"})


@pytest.mark.parametrize(
    "source", TEST_MODULES, ids=[f"module{i}" for i in range(len(TEST_MODULES))]
)
def test_pytest_example(
    source: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = re.match(r"# (test_\w+)\.py", source)
    assert name, "a pytest example must start with '# test_<name>.py'"
    pytester.makepyfile(**{name.group(1): source})
    # Name the plugin explicitly so the example works whether or not the package is installed.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    result = pytester.runpytest("-p", "bedrock_auth.testing.plugin", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=source.count("\ndef test_"))
