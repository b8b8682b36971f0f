"""The trash: a removed document is moved, with its ``.meta.json`` sidecar, into ``.trash/`` inside
the index folder, not deleted, so a slip can be undone (``rag restore NAME``, the page's *Undo*,
``POST /api/trash/NAME``). The build never reads it: it lies outside the corpus folder (and a
hidden folder inside the corpus would be passed over too). The trash keeps the last removed copy
of each name until it is emptied by hand.

A symbolic link in the corpus is removed as a link (never followed, never moved): what it pointed
to is left alone, and nothing of it comes back from the trash.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from ..errors import CorpusError, DocumentNotFoundError
from .corpus import resolve_document, safe_name
from .load import SIDECAR_SUFFIX, sidecar_path

__all__ = ["TRASH_FOLDER", "move_to_trash", "restore_from_trash", "trash_dir", "trashed"]

TRASH_FOLDER = ".trash"


def trash_dir(index_dir: Path) -> Path:
    return index_dir / TRASH_FOLDER


def _relative(doc: str) -> Path:
    """``doc`` as a path below a folder, refusing absolute paths, ``..`` and hidden parts."""
    parts = doc.replace("\\", "/").strip("/").split("/")
    if not doc or "\0" in doc or doc.startswith("/") or any(p in {"", ".", ".."} for p in parts):
        raise CorpusError(f"{doc!r} is not inside the corpus folder: name a document as `rag status` lists it")
    safe_name(parts[-1])  # The same names the corpus accepts (type, no hidden file).
    return Path(*parts)


def _link(corpus_dir: Path, doc: str) -> Path | None:
    """The symbolic link ``doc`` names in the corpus (its folder inside the corpus), if it is one."""
    path = corpus_dir / _relative(doc)
    if not path.is_symlink():
        return None
    root = corpus_dir.resolve()
    parent = path.parent.resolve()
    if parent != root and root not in parent.parents:
        raise CorpusError(f"{doc!r} is not inside the corpus folder {corpus_dir}")
    return path


def move_to_trash(corpus_dir: Path, trash: Path, docs: Iterable[str]) -> list[str]:
    """Move documents (and their sidecars) from the corpus folder into ``trash``; every one is
    checked first, so a bad name moves nothing. Returns the names moved."""
    plan = [(doc, _link(corpus_dir, doc) or resolve_document(corpus_dir, doc)) for doc in docs]
    for doc, path in plan:
        if path.is_symlink():
            path.unlink()
            continue
        target = trash / _relative(doc)
        target.parent.mkdir(parents=True, exist_ok=True)
        if sidecar_path(path).is_file():
            shutil.move(sidecar_path(path), sidecar_path(target))
        else:
            sidecar_path(target).unlink(missing_ok=True)  # An older copy's sidecar must not come back with this one.
        shutil.move(path, target)
    return [doc for doc, _ in plan]


def trashed(trash: Path) -> list[str]:
    """The documents in ``trash``, as the names they had in the corpus, most recently removed first."""
    if not trash.is_dir():
        return []
    files = [p for p in trash.rglob("*") if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX)]
    files.sort(key=lambda p: (-p.stat().st_mtime_ns, p.as_posix()))
    return [p.relative_to(trash).as_posix() for p in files]


def restore_from_trash(corpus_dir: Path, trash: Path, docs: Iterable[str]) -> list[str]:
    """Move documents (and their sidecars) back from ``trash`` into the corpus folder; every one is
    checked first (it is in the trash, its name is free in the corpus). Returns the names restored."""
    plan: list[tuple[Path, Path]] = []
    for doc in docs:
        rel = _relative(doc)
        source, target = trash / rel, corpus_dir / rel
        if not source.is_file() or source.is_symlink():
            listed = ", ".join(trashed(trash)[:5]) or "it is empty"
            raise DocumentNotFoundError(f"{doc!r} is not in the trash {trash} ({listed})")
        if target.exists() or target.is_symlink():
            raise CorpusError(f"{doc} is in the corpus again; remove or rename it there first, then restore")
        plan.append((source, target))
    for source, target in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        if sidecar_path(source).is_file():
            shutil.move(sidecar_path(source), sidecar_path(target))  # The sidecar first: one build sees both.
        shutil.move(source, target)
    return [target.relative_to(corpus_dir).as_posix() for _, target in plan]
