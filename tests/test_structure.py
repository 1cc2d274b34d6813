"""The package's shape: no import circle (type-only imports included), one home per fact."""

from __future__ import annotations

import ast
from pathlib import Path

import bedrock_auth

PACKAGE = Path(bedrock_auth.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """Every bedrock_auth module ``path`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            if base.startswith("bedrock_auth"):
                # `from . import runtime` imports the submodule, not the package.
                subs = {f"{base}.{a.name}" for a in node.names} & modules
                found.update(subs or {base})
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("bedrock_auth"))
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    names = set(modules)
    return {
        name: {m for m in _imports(path, name, names) if m in modules and m != "bedrock_auth"}
        for name, path in modules.items()
    }


def test_no_import_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                circles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_the_graph_sees_imports() -> None:
    graph = _graph()
    assert "bedrock_auth.errors" in graph["bedrock_auth._translate"]
    assert "bedrock_auth.manager" in graph["bedrock_auth.invoke"]  # a type-only import


def test_errors_module_holds_only_classes_and_redaction() -> None:
    assert not _graph()["bedrock_auth.errors"]


def test_old_translate_error_location_warns_for_one_release() -> None:
    import warnings

    import bedrock_auth.errors as errors

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = errors.translate_error
    assert old is bedrock_auth.translate_error
    assert [w.category for w in caught] == [DeprecationWarning]


def test_the_export_table_is_what_type_checkers_see() -> None:
    """``bedrock_auth._EXPORTS`` names each public name once; the TYPE_CHECKING block that
    gives them their static types must import exactly those, from the same modules, each as
    an explicit re-export (``name as name``)."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    typed: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.dump(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name} is not re-exported as itself"
            assert alias.name not in typed, f"{alias.name} is imported twice"
            typed[alias.name] = node.module
    assert typed == bedrock_auth._EXPORTS
    assert sorted(bedrock_auth.__all__) == sorted(["__version__", *bedrock_auth._EXPORTS])
    for name, module in bedrock_auth._EXPORTS.items():
        assert getattr(bedrock_auth, name).__module__ == module, name
