"""The package's shape: every module imports alone (no import cycles), the rooms import only
what ARCHITECTURE.md allows, and no module of ``rag/`` outgrows one screenful of jobs."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import rag
import ui

from .conftest import PROJECT_ROOT

MODULES = sorted(
    [m.name for m in pkgutil.walk_packages(rag.__path__, "rag.")]
    + [m.name for m in pkgutil.walk_packages(ui.__path__, "ui.")]
)
MAX_LINES = 400


def _imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_alone(module: str):
    """A fresh interpreter imports the module first: a cycle that only works in one import order fails here."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_modules_were_found():
    assert {"rag.engine", "rag.index", "rag.index.reader", "rag.index.writer", "rag.text", "ui.app"} <= set(MODULES)


def test_no_module_of_the_package_imports_a_name_from_its_root():
    """Only ``rag/__init__.py`` gathers the public names; a module taking one from it (rather than
    from the module that defines it) works only in some import orders."""
    package = PROJECT_ROOT / "rag"
    for path in sorted(package.rglob("*.py")):
        if path == package / "__init__.py":
            continue
        depth = len(path.relative_to(package).parts)  # 1 for rag/x.py, 2 for rag/index/x.py
        for node in _imports(path):
            if not isinstance(node, ast.ImportFrom):
                continue
            assert node.module != "rag" and not (node.module or "").startswith("rag."), f"{path}: use a relative import"
            if node.level == depth and node.module is None:  # `from . import x` in rag/: x must be a module
                for alias in node.names:
                    assert (package / f"{alias.name}.py").is_file() or (package / alias.name).is_dir(), (
                        f"{path} imports {alias.name} from the package root"
                    )


def test_the_ui_uses_only_the_public_api():
    for path in sorted((PROJECT_ROOT / "ui").glob("*.py")):
        for node in _imports(path):
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("rag") for a in node.names), path
            elif node.level == 0 and node.module and node.module.startswith("rag"):
                assert node.module == "rag", f"{path} imports {node.module}: use `from rag import ...`"
                assert {a.name for a in node.names} <= set(rag.__all__), path


def test_the_stored_index_stays_private():
    """Only the build, the engine and the scope/retrieve/read/quote stages (which read it) touch ``rag.index``."""
    allowed = {
        "build.py",
        "engine.py",
        "scope.py",
        "retrieve.py",
        "read.py",
        "read_features.py",
        "quote.py",
        "find.py",
        "views.py",
    }
    for path in sorted((PROJECT_ROOT / "rag").glob("*.py")):
        uses = any(isinstance(n, ast.ImportFrom) and n.module == "index" and n.level == 1 for n in _imports(path))
        assert not uses or path.name in allowed, f"{path} reaches into the stored index"


def test_no_module_is_too_long():
    for path in sorted((PROJECT_ROOT / "rag").rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{path} has {lines} lines: split it by job"
