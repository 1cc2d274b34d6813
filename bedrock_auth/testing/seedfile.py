"""Reading a seed file (JSON, or YAML with PyYAML) within the emulator's limits.

A seed file comes from outside the test suite (``bedrock-auth emulator --seed FILE``), so it is
read like any untrusted input: at most ``max_seed_bytes``, lists and mappings at most
``max_nesting`` deep, and YAML without aliases. PyYAML's ``SafeLoader`` refuses arbitrary
objects but still expands aliases, so a 400-byte "billion laughs" file becomes gigabytes; a seed
has no use for aliases, so any ``*alias`` (and therefore any ``<<:`` merge key) is refused.
Every failure is a ``ValueError`` naming the file, which the CLI reports on one ``error:`` line.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .limits import Limits, nesting_exceeds


def read_seed(path: Path, limits: Limits) -> Mapping[str, Any]:
    """The mapping in a JSON or YAML seed file, checked against ``limits``."""
    text = _read_text(path, limits.max_seed_bytes)
    yaml_file = path.suffix.lower() in (".yaml", ".yml")
    try:
        data = _load_yaml(text, path, limits.max_nesting) if yaml_file else _load_json(text, path)
    except RecursionError:  # nested beyond what the parser itself can follow
        raise _too_deep(path, limits.max_nesting) from None
    if nesting_exceeds(data, limits.max_nesting):
        raise _too_deep(path, limits.max_nesting)
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: a seed file holds a mapping with replies and faults")
    return data


def _too_deep(path: Path, max_nesting: int) -> ValueError:
    return ValueError(
        f"{path}: lists or mappings nested more than {max_nesting} deep "
        "(max_nesting / --max-nesting)"
    )


def _read_text(path: Path, max_bytes: int) -> str:
    # Read one byte past the cap rather than stat(): /dev/zero or a FIFO has no useful size.
    with path.open("rb") as file:
        raw = file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ValueError(
            f"{path}: larger than {max_bytes} bytes (max_seed_bytes / --max-seed-bytes)"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _load_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc


def _yaml(path: Path) -> Any:
    # PyYAML, imported only for YAML seed files (and without needing its type stubs).
    try:
        return importlib.import_module("yaml")
    except ImportError as exc:
        raise ValueError(f"{path}: YAML seed files need PyYAML (pip install pyyaml)") from exc


def _load_yaml(text: str, path: Path, max_nesting: int) -> Any:
    yaml = _yaml(path)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
    try:
        # The event stream is produced without recursion or alias expansion, so it is checked
        # first; only a file that passes is composed into objects.
        _check_events(yaml, yaml.parse(text, Loader=loader), path, max_nesting)
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        # PyYAML spreads a message over several lines; the CLI reports errors on one.
        raise ValueError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc


def _check_events(yaml: Any, events: Any, path: Path, max_nesting: int) -> None:
    depth = 0
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            raise ValueError(
                f"{path}: YAML aliases (*{event.anchor}) are not accepted in a seed file; "
                "write the value out"
            )
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > max_nesting:
                raise _too_deep(path, max_nesting)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
