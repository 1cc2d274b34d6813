"""Every Python example in docs/scale-out.md runs as written, against the emulator.

Each example runs in its own process with the emulator's endpoint and keys in the environment.
An example preceded by ``<!-- not run: reason -->`` is skipped with that reason (Spark, Dask).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bedrock_auth.testing import BedrockEmulator

DOC = Path(__file__).resolve().parent.parent / "docs" / "scale-out.md"
_BLOCK = re.compile(r"(?:<!-- not run: (?P<reason>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.S)
EXAMPLES = [(m.group("code"), m.group("reason")) for m in _BLOCK.finditer(DOC.read_text())]


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize(
    ("code", "not_run"), EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))]
)
def test_example_runs(emu: BedrockEmulator, tmp_path: Path, code: str, not_run: str | None) -> None:
    if not_run:
        pytest.skip(f"not run: {not_run}")
    if "import ray" in code and importlib.util.find_spec("ray") is None:
        pytest.skip("Ray is not installed: pip install -e '.[ray]'")
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BEDROCK_"))}
    env.update(emu.env())
    env.update(HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "c"), RAY_USAGE_STATS_ENABLED="0")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "k")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # bounds a hang, does not judge speed: a busy CI machine took 144 s
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Emulated reply to" in done.stdout or "print(" not in code
