"""The shape of app/, read from its source (nothing is imported): files small enough to read, no
import circles, each folder importing only the folders below it, and no Qt where a module says it
has none (view models, work functions and the other plain modules tests drive without a window)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
MAX_LINES = 400  # past this a module is probably doing two jobs
# Each folder may import from itself and the folders before it; the three pages not from each other.
LAYERS = [{"common"}, {"workers"}, {"widgets"}, {"generate", "denoise", "train"}, {"shell"}, {"tooling"}, {"main"}]
QT_PACKAGES = ("PySide6", "pyqtgraph")
SAYS_NO_QT = ("no Qt", "without Qt")


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(APP.rglob("*.py"))}


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"))


@cache
def imports(name: str) -> frozenset[str]:
    """Every module `name` imports, at the top or inside a function (`from app.x import y` counts
    as app.x.y where y is a module)."""
    found = set()
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if f"{node.module}.{alias.name}" in MODULES)
    return frozenset(found)


def app_imports(name: str) -> set[str]:
    return {module for module in imports(name) if module in MODULES and module != name}


def folder(name: str) -> str:
    """app.generate.view_model -> generate; app.main -> main."""
    return name.split(".")[1]


def layer(name: str) -> int:
    return next(index for index, folders in enumerate(LAYERS) if folder(name) in folders)


def test_every_module_is_in_a_layer():
    known = set().union(*LAYERS)
    assert [name for name in MODULES if name not in ("app", "app.__main__") and folder(name) not in known] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_file_is_longer_than_a_module_should_be(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(APP.parent)} has {lines} lines"


def test_folders_import_only_the_folders_below_them():
    wrong = [f"{name} imports {imported}" for name in MODULES if name not in ("app", "app.__main__")
             for imported in app_imports(name)
             if folder(imported) != folder(name) and layer(imported) >= layer(name)]
    assert wrong == []


def test_no_module_imports_itself_through_others():
    def circle_from(start: str) -> list[str] | None:
        path, seen = [start], set()

        def visit(name: str) -> list[str] | None:
            for imported in sorted(app_imports(name)):
                if imported == start:
                    return [*path, start]
                if imported not in seen:
                    seen.add(imported)
                    path.append(imported)
                    if found := visit(imported):
                        return found
                    path.pop()
            return None

        return visit(start)

    circles = [" -> ".join(circle) for name in MODULES if (circle := circle_from(name))]
    assert circles == []


def says_it_has_no_qt(name: str) -> bool:
    docstring = ast.get_docstring(tree(name)) or ""
    return any(claim in docstring for claim in SAYS_NO_QT)


QT_FREE = sorted(name for name in MODULES if name.endswith(("view_model", "_work", ".work")) or says_it_has_no_qt(name))


def test_the_view_models_and_work_functions_are_among_the_qt_free_modules():
    for page in ("generate", "denoise", "train"):
        assert f"app.{page}.view_model" in QT_FREE
    assert {"app.generate.generation_work", "app.denoise.denoise_work", "app.train.training_work"} <= set(QT_FREE)


@pytest.mark.parametrize("name", QT_FREE)
def test_modules_without_qt_import_none_even_indirectly(name):
    reached, todo = {name}, [name]
    while todo:
        for imported in app_imports(todo.pop()) - reached:
            reached.add(imported)
            todo.append(imported)
    with_qt = sorted(module for module in reached if any(i.split(".")[0] in QT_PACKAGES for i in imports(module)))
    assert with_qt == [], f"{name} reaches Qt through {with_qt}"
