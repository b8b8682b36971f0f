"""The package's shape: every module imports alone and no modules import each other in a circle,
the rooms import only what ARCHITECTURE.md allows, and no module outgrows one screenful of jobs."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import rag
import training
import ui

from .conftest import PROJECT_ROOT

MODULES = sorted(
    [m.name for m in pkgutil.walk_packages(rag.__path__, "rag.")]
    + [m.name for m in pkgutil.walk_packages(ui.__path__, "ui.")]
    + [m.name for m in pkgutil.walk_packages(training.__path__, "training.")]
)
MAX_LINES = 400
STAGES = ("ingest", "embed", "index", "question", "read", "present", "views", "evaluate")
"""The stage folders of ``rag/``, in the data's order (with ``chunk``, ``retrieve`` and ``quote``
modules between them)."""


def _imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    """Every module of ``rag/``, ``ui/`` and ``training/`` by its dotted name."""
    return {_module_name(p): p for top in ("rag", "ui", "training") for p in sorted((PROJECT_ROOT / top).rglob("*.py"))}


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom, known: set[str]) -> list[str]:
    """The modules of the project that ``node`` (in module ``name`` at ``path``) imports, at any depth of the file."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in known]
    if node.level:
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        base = package[: len(package) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    found = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
    return [m for m in dict.fromkeys(found) if m in known]


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {
        name: {t for node in _imports(path) for t in _targets(name, path, node, known) if t != name}
        for name, path in sources.items()
    }


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_alone(module: str):
    """A fresh interpreter imports the module first: a cycle that only works in one import order fails here."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_modules_were_found():
    assert {
        "rag.engine",
        "rag.index",
        "rag.index.reader",
        "rag.index.writer",
        "rag.index.build",
        "rag.ingest.load",
        "rag.embed.onnx",
        "rag.question.scope",
        "rag.read.reader",
        "rag.present.text",
        "rag.evaluate.squad",
        "rag.text",
        "ui.app",
        "training.reranker",
    } <= set(MODULES)


def test_no_modules_import_each_other_in_a_circle():
    """Not even through an import inside a function: one module of a circle could not be read
    without the other (the package roots ``rag`` and ``ui`` gather names and are left out)."""
    graph = {k: v - {"rag", "ui"} for k, v in _graph().items() if k not in ("rag", "ui")}
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not circles, " ; ".join(" -> ".join(c) for c in circles)


def test_the_stage_folders_are_packages_the_install_carries():
    """Every folder of ``rag/`` is a package, and ``pyproject.toml`` lists each (a package it
    left out would be missing from a non-editable install)."""
    tomllib = pytest.importorskip("tomllib")
    listed = set(tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {_module_name(p) for top in ("rag", "ui") for p in (PROJECT_ROOT / top).rglob("__init__.py")}
    assert {f"rag.{s}" for s in STAGES} <= packages
    assert listed == packages | {"rag.models"}


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
    """Only the index's own modules, the engine and the question, retrieve, read and quote stages
    (which read it) touch ``rag.index``."""
    allowed = {
        "rag.engine",
        "rag.retrieve",
        "rag.quote",
        "rag.question.scope",
        "rag.question.record",
        "rag.read.reader",
        "rag.read.features",
        "rag.read.conversation",
        "rag.read.missing",
        "rag.evaluate.probes",
        "rag.views.find",
        "rag.views.by_source",
    }
    for name, imported in _graph().items():
        if name.startswith("rag.") and not name.startswith("rag.index"):
            uses = any(t == "rag.index" or t.startswith("rag.index.") for t in imported)
            assert not uses or name in allowed, f"{name} reaches into the stored index"


def test_what_every_door_does_runs_without_the_page():
    """The REST API and the actions every door shares import neither Gradio nor the page, and the
    CLI imports ``ui/`` only when it serves. (The MCP tools are Gradio endpoints: they need it.)"""
    code = (
        "import sys, rag.cli, ui.rest, ui.actions; "
        "print(sorted(m for m in sys.modules if m == 'gradio' or m.startswith(('gradio.', 'ui.app'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
    cli = subprocess.run(
        [sys.executable, "-c", "import sys, rag.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'ui'))"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.stdout.strip() == "[]", cli.stderr[-2000:]


@pytest.mark.parametrize("folder", ["rag", "ui", "training", "benchmarks"])
def test_no_module_is_too_long(folder: str):
    for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{path} has {lines} lines: split it by job"
