"""Generations: the ``CURRENT`` pointer, the build lock, and what both the writer and the reader need.

``CURRENT`` names the live ``gen-NNNNNN`` folder and is swapped atomically; ``.lock`` is held by a
build (fcntl), so two builds never interleave.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import shlex
import shutil
from pathlib import Path

from ..errors import IndexCorruptError, IndexLockedError

__all__ = [
    "CURRENT",
    "FILES",
    "FORMAT_VERSION",
    "LOCK",
    "IndexLock",
    "current_generation",
    "digest",
    "fsync_dir",
    "rebuild_hint",
    "remove_leftovers",
]

FORMAT_VERSION = 2
"""2: the manifest lists every file with its size and SHA-256 (``files``)."""
CURRENT = "CURRENT"
LOCK = ".lock"
FILES = ("manifest.json", "meta.sqlite", "vectors.npy", "sentences.faiss", "passages.faiss")


def rebuild_hint(index_dir: Path, corpus_dir: Path | None = None) -> str:
    """The one command that replaces a damaged index (naming the corpus too, when known)."""
    corpus = f" --corpus {shlex.quote(str(corpus_dir))}" if corpus_dir is not None else ""
    return f"rebuild it with `rag build --rebuild{corpus} --index {shlex.quote(str(index_dir))}`"


class IndexLock:
    """An exclusive, non-blocking lock on the index folder, held for a whole build."""

    def __init__(self, index_dir: Path) -> None:
        self._path = index_dir / LOCK
        self._fd: int | None = None

    def __enter__(self) -> IndexLock:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            if err.errno in (errno.EAGAIN, errno.EACCES):
                raise IndexLockedError(
                    f"another build (pid {holder}) is updating {self._path.parent}; wait for it to finish"
                ) from err
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def current_generation(index_dir: Path, corpus_dir: Path | None = None) -> Path | None:
    """The live generation folder, or ``None`` if no index was ever built here."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise IndexCorruptError(
            f"cannot read {index_dir / CURRENT} ({err}); {rebuild_hint(index_dir, corpus_dir)}"
        ) from err
    if not re.fullmatch(r"gen-[0-9]{6}", name):
        raise IndexCorruptError(
            f"{index_dir / CURRENT} names no generation ({name[:40]!r}); {rebuild_hint(index_dir, corpus_dir)}"
        )
    return index_dir / name


def remove_leftovers(index_dir: Path) -> None:
    """Remove what a killed build left behind: unfinished generations and pointer files."""
    for stale in index_dir.glob("gen-*.tmp*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in index_dir.glob(f"{CURRENT}.tmp*"):
        stale.unlink(missing_ok=True)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
