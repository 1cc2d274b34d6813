"""Every example in the library's docstrings runs as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import bedrock_auth

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(bedrock_auth.__path__, "bedrock_auth.")
    if not info.name.endswith((".plugin", "__main__"))
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
