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


# -- the environment, modes and sources ------------------------------------------------------

# What reads or changes the process environment, as attributes of `os` or imported from it.
_ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def _environment_uses(tree: ast.AST) -> list[ast.AST]:
    """``os.environ``/``os.getenv``/... (``os`` under any alias) and ``from os import ...``."""
    aliases = {"os"} | {
        a.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for a in node.names
        if a.name == "os" and a.asname
    }
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        attribute = (
            isinstance(node, ast.Attribute)
            and node.attr in _ENVIRONMENT
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        )
        imported = isinstance(node, ast.ImportFrom) and node.module == "os"
        if attribute or (imported and any(a.name in _ENVIRONMENT for a in node.names)):
            found.append(node)
    return found


def _function_at(tree: ast.AST, line: int) -> str:
    """The innermost function holding ``line``, or ""."""
    holding = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    return max(holding, key=lambda node: node.lineno).name if holding else ""


def _says_child_process(lines: list[str], line: int) -> bool:
    """A comment on the line or the three above it says the variables are for a child."""
    window = lines[max(0, line - 4) : line]
    return any("child process" in text.partition("#")[2] for text in window)


def _environment_offenders(relative: str, text: str) -> list[str]:
    tree = ast.parse(text)
    lines = text.splitlines()
    offenders = []
    for node in _environment_uses(tree):
        line = getattr(node, "lineno", 0)
        # The exceptions: the testing package, and the CLI's emulator command, setting
        # variables for a child process they start, with a comment saying so.
        where = relative.startswith("testing/") or (
            relative == "cli.py" and _function_at(tree, line).startswith("_emulator")
        )
        if not (where and _says_child_process(lines, line)):
            offenders.append(f"{relative}:{line}")
    return offenders


def test_only_settings_reads_the_environment() -> None:
    offenders = [
        offender
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() != "settings.py"
        for offender in _environment_offenders(
            path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8")
        )
    ]
    assert not offenders, "the environment read outside settings.py: " + ", ".join(offenders)


def test_the_environment_check_sees_every_spelling() -> None:
    for text in (
        "import os\nos.environ['X'] = '1'\n",
        "import os\nvalue = os.getenv('X')\n",
        "import os as o\nvalue = o.environ.get('X')\n",
        "from os import environ\n",
        "import os\n\ndef _emulator():\n    os.environ['X'] = '1'\n",  # no comment
        "import os\n\ndef _demo():\n    os.environ['X'] = '1'  # for a child process\n",
    ):
        assert _environment_offenders("cli.py", text), text
    allowed = "import os\n\ndef _emulator():\n    # set for the child process it starts\n"
    assert not _environment_offenders("cli.py", allowed + "    os.environ['X'] = '1'\n")
    assert not _environment_offenders(
        "testing/x.py", "import os\n# the child process's variables\nos.environ['X'] = '1'\n"
    )


def _names_mode(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "mode"
    if isinstance(node, ast.Attribute):
        return node.attr == "mode"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "mode"
    return False


def _mode_words(node: ast.expr, modes: set[str]) -> bool:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_mode_words(element, modes) for element in node.elts)
    return isinstance(node, ast.Constant) and node.value in modes


def test_mode_strings_are_compared_only_in_sources() -> None:
    from bedrock_auth.settings import MODES

    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "sources.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                if any(map(_names_mode, operands)) and any(
                    _mode_words(operand, set(MODES)) for operand in operands
                ):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, "mode strings compared outside sources.py: " + ", ".join(offenders)


def test_each_mode_is_one_source_class() -> None:
    from bedrock_auth.settings import MODES
    from bedrock_auth.sources import SOURCE_CLASSES, SOURCES

    assert sorted(cls.METHOD for cls in SOURCES) == sorted(MODES)
    assert set(SOURCE_CLASSES) == set(MODES)
    assert SOURCES[-1].applies({}, {}), "the last source is the fallback"


def test_diagnostics_asks_the_source_instead_of_testing_its_type() -> None:
    import bedrock_auth.sources as sources

    classes = {
        name
        for name, value in vars(sources).items()
        if isinstance(value, type) and issubclass(value, sources.CredentialSource)
    }
    tree = ast.parse((PACKAGE / "diagnostics.py").read_text(encoding="utf-8"))
    named = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    # CredentialSource is the type doctor holds; no concrete source is named at all.
    assert not (named & classes) - {"CredentialSource"}


def test_one_table_of_source_names() -> None:
    """Display names of credential sources live in sources.SOURCE_NAMES only."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "sources.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                assert not keys & {"shared-credentials-file", "explicit"}, path
