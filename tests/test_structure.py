"""The package's shape: no import circle (type-only and dynamic imports included), small modules
and functions, process state in one registry, no pre-release shims."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

import bedrock_auth
import bedrock_auth._translate

PACKAGE = Path(bedrock_auth.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(source: str, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """Every bedrock_auth module ``source`` imports, anywhere in the file: import statements,
    ``import_module(...)`` and ``__import__(...)`` calls, and module names written in a dict
    (tables of lazily imported names, which feed ``import_module``)."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = f"{_anchor(package, node.level)}.{base}".rstrip(".")
            if base.startswith("bedrock_auth"):
                # `from . import runtime` imports the submodule, not the package.
                subs = {f"{base}.{a.name}" for a in node.names} & modules
                found.update(subs or {base})
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("bedrock_auth"))
        elif isinstance(node, ast.Call):
            found.update(_dynamic_import(node, package))
        elif isinstance(node, ast.Dict):
            written = [c for c in (*node.keys, *node.values) if isinstance(c, ast.Constant)]
            found.update(c.value for c in written if c.value in modules)
    found.discard(name)
    return found


def _anchor(package: str, level: int) -> str:
    return package.rsplit(".", level - 1)[0] if level > 1 else package


def _dynamic_import(call: ast.Call, package: str) -> set[str]:
    """The module an ``import_module("...")`` or ``__import__("...")`` call names, if constant."""
    func = call.func
    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if called not in ("import_module", "__import__") or not call.args:
        return set()
    target = call.args[0]
    if not (isinstance(target, ast.Constant) and isinstance(target.value, str)):
        return set()
    name: str = target.value
    if called == "import_module" and name.startswith("."):
        given = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "package")]
        anchor = given[0].value if given and isinstance(given[0], ast.Constant) else package
        level = len(name) - len(name.lstrip("."))
        name = f"{_anchor(str(anchor), level)}.{name.lstrip('.')}".rstrip(".")
    return {name} if name.startswith("bedrock_auth") else set()


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    names = set(modules)
    return {
        name: {
            m
            for m in _imports(path.read_text("utf-8"), name, path.name == "__init__.py", names)
            if m in modules and m != "bedrock_auth"
        }
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
    assert "bedrock_auth._langchain" in graph["bedrock_auth.llm"]  # import_module("...")
    assert "bedrock_auth._anthropic" in graph["bedrock_auth.adapters"]  # a name in a table
    assert "bedrock_auth.invoke" in graph["bedrock_auth"]  # __init__'s lazy names


@pytest.mark.parametrize(
    "source",
    [
        "from importlib import import_module\nimport_module('bedrock_auth.models')",
        "import importlib\nimportlib.import_module('.models', 'bedrock_auth')",
        "import importlib\nimportlib.import_module('..models', package='bedrock_auth.testing')",
        "__import__('bedrock_auth.models')",
        "LAZY = {'resolve_model_id': 'bedrock_auth.models'}",
    ],
)
def test_dynamic_imports_are_edges(source: str) -> None:
    modules = set(_modules())
    assert _imports(source, "bedrock_auth.errors", False, modules) == {"bedrock_auth.models"}


def test_errors_holds_only_the_exception_classes() -> None:
    import bedrock_auth.errors as errors

    assert _graph()["bedrock_auth.errors"] == {"bedrock_auth._redact"}  # messages are redacted
    tree = ast.parse((PACKAGE / "errors.py").read_text("utf-8"))
    names = {
        target.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    assert names == {"__all__", "FAILOVER_ERRORS"}
    assert not [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.Try))]
    assert all(isinstance(getattr(errors, name), (type, tuple)) for name in errors.__all__)


@pytest.mark.parametrize(
    "name", ["translate_error", "ErrorContext", "redact", "remember_secrets", "forget_secrets"]
)
def test_errors_has_no_old_spellings(name: str) -> None:
    import bedrock_auth.errors as errors

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning on the way to the error
        with pytest.raises(AttributeError):
            getattr(errors, name)
    assert getattr(bedrock_auth, name, None) is (
        getattr(bedrock_auth._translate, name) if name in ("translate_error", "ErrorContext")
        else None
    )


def test_no_deprecation_warning_is_raised_anywhere() -> None:
    """Nothing has been released: an old spelling is removed, not kept with a warning."""
    offenders = {
        _module_name(path)
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Name) and node.id == "DeprecationWarning"
    }
    assert offenders == set()


def test_only_the_state_registry_registers_fork_hooks() -> None:
    """Every process-wide cache goes through bedrock_auth._state (reset() and fork walk it)."""
    users = sorted(
        _module_name(path)
        for path in PACKAGE.rglob("*.py")
        if "register_at_fork" in path.read_text("utf-8")
    )
    assert users == ["bedrock_auth._state"]


# -- size ---------------------------------------------------------------------------------------

MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 60
# Modules that are tables of data rather than logic: exempt from the module size limit.
DATA_MODULES: frozenset[str] = frozenset()

def _oversize() -> list[str]:
    found = []
    for name, path in sorted(_modules().items()):
        source = path.read_text("utf-8")
        if len(source.splitlines()) > MAX_MODULE_LINES and name not in DATA_MODULES:
            found.append(name)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    found.append(f"{name}.{node.name}")
    return found


def test_no_module_over_800_lines_and_no_function_over_60() -> None:
    assert _oversize() == []


# -- license ------------------------------------------------------------------------------------


def test_the_apache_license_is_in_the_repo_and_shipped_in_the_wheel() -> None:
    """pyproject declares Apache-2.0 and lists LICENSE in license-files, which setuptools puts
    in the wheel's .dist-info/licenses/ (checked by building it once; a test build would need
    the network for setuptools>=77)."""
    tomllib = pytest.importorskip("tomllib")
    root = PACKAGE.parent
    project = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    text = (root / "LICENSE").read_text("utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


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
