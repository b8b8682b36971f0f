"""Corpus management: add files to the corpus folder and remove them, safely.

Names are sanitised (no folders, no ``..``, no hidden files), types and sizes checked, and an
existing document is never overwritten unless asked. Used by ``rag add``/``rag remove`` (through
:mod:`rag.ingest.trash`) and the UI.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from ..errors import CorpusError, DocumentNotFoundError, DocumentTooLargeError
from .load import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, sidecar_path

__all__ = ["add_files", "resolve_document", "safe_name"]


def safe_name(name: str) -> str:
    """A plain file name for ``name``; raises :class:`CorpusError` if none can be made safely."""
    original = name
    parts = name.replace("\\", "/").split("/")
    if "\0" in name or ".." in parts or (parts[0] == "" and len(parts) > 1) or re.match(r"^[A-Za-z]:", name):
        raise CorpusError(f"{original!r}: a file name may not point outside the corpus folder")
    base = unicodedata.normalize("NFC", parts[-1]).strip()
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .")
    if not base or base in {".", ".."} or base.startswith("."):
        raise CorpusError(f"{original!r}: not a usable file name; rename the file")
    suffix = Path(base).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(
            f"{original!r}: unsupported type {suffix or '(none)'!r}; use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    return _shortened(base, suffix)


_MAX_NAME_BYTES = 200
"""A corpus file name's length in UTF-8 bytes: room under the file system's 255 for the sidecar's and
a partial copy's additions."""


def _shortened(base: str, suffix: str) -> str:
    """``base`` cut to :data:`_MAX_NAME_BYTES`, its type (``suffix``) kept."""
    stem = base[: len(base) - len(suffix)]
    while len((stem + suffix).encode("utf-8")) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if not stem:
        raise CorpusError(f"{base[:40]!r}...: not a usable file name; rename the file")
    return stem + suffix


def add_files(corpus_dir: Path, files: Iterable[tuple[Path, str]], *, overwrite: bool = False) -> list[str]:
    """Copy each ``(source path, desired name)`` into ``corpus_dir``; returns the names written.
    A ``.meta.json`` sidecar beside a source file comes along under the new name.

    Everything is checked before anything is copied, so a bad file changes nothing."""
    from .load import read_document

    corpus_dir.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[Path, Path]] = []
    for source, wanted in files:
        name = safe_name(wanted)
        if not source.is_file():
            raise CorpusError(f"{source}: no such file")
        if source.stat().st_size > MAX_FILE_BYTES:
            raise DocumentTooLargeError(f"{wanted}: larger than the {MAX_FILE_BYTES // 2**20} MiB limit; split it")
        target = corpus_dir / name
        if target.exists() and not overwrite:
            raise CorpusError(f"{name} is already in the corpus; remove it first or add with --overwrite")
        if any(t == target for _, t in plan):
            raise CorpusError(f"{name} is given twice")
        # Read it the way a build will, so an unreadable file is refused now, not skipped later.
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / name
            shutil.copyfile(source, probe)
            if sidecar_path(source).is_file():
                shutil.copyfile(sidecar_path(source), sidecar_path(probe))
            read_document(probe, Path(tmp), "probe")
        plan.append((source, target))
    for source, target in plan:
        pairs = [(source, target)]
        if sidecar_path(source).is_file():
            # When replacing, the sidecar goes first (one build sees both); when not, the document
            # claims its name first, so a sidecar never lands on another upload's document.
            side = (sidecar_path(source), sidecar_path(target))
            pairs.insert(0 if overwrite else 1, side)
        for src, dst in pairs:
            tmp_target = dst.with_name(f".{dst.name[:40]}.{secrets.token_hex(8)}.part")  # Never shared by two adds.
            shutil.copyfile(src, tmp_target)
            if overwrite or dst != target:
                os.replace(tmp_target, dst)
                continue
            try:
                os.link(tmp_target, dst)  # Atomic: fails if another upload took the name meanwhile.
            except FileExistsError:
                raise CorpusError(
                    f"{target.name} is already in the corpus; remove it first or add with --overwrite"
                ) from None
            finally:
                tmp_target.unlink(missing_ok=True)
    return [t.name for _, t in plan]


def resolve_document(corpus_dir: Path, doc: str) -> Path:
    """The corpus file for ``doc`` (a path relative to the corpus), refusing anything outside it."""
    root = corpus_dir.resolve()
    given = root / doc
    folder = given.parent.resolve()
    if (root not in given.resolve().parents) or (folder != root and root not in folder.parents):
        raise CorpusError(f"{doc!r} is not inside the corpus folder {corpus_dir}")
    if not given.is_file():
        raise DocumentNotFoundError(f"{doc!r} is not in the corpus {corpus_dir}; `rag status` lists the documents")
    return folder / given.name  # A symbolic link itself, not what it points to.
