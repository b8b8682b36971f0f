"""Index: the on-disk store, written atomically as generations and read back with checks.

Layout of an index folder::

    index/
      CURRENT              name of the live generation, swapped atomically (os.replace)
      .lock                held by a build (fcntl), so two builds never interleave
      gen-000003/
        manifest.json      format, model, chunk settings, documents with content hashes, counts
        meta.sqlite        documents (with their text), passages, sentences, texts (vector keys)
        vectors.npy        float32 [texts, dim]: one row per distinct embedded text
        sentences.faiss    FAISS index over the sentences' vectors (ids = sentence ids)
        passages.faiss     FAISS index over the passages' vectors (ids = passage ids)
        lexical/           bm25s arrays and JSON over the sentences

A build writes a whole new generation, then points ``CURRENT`` at it, so a reader sees the old
index or the new one, never a half-written one; a killed build leaves only a ``.tmp`` folder that
the next build removes. Nothing is pickled: arrays are ``.npy`` loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from . import dense, lexical
from .embed import normalize_text
from .errors import IndexCorruptError, IndexLockedError, IndexMissingError
from .records import Chunks, Document, DocumentMeta

__all__ = ["FORMAT_VERSION", "IndexContent", "IndexLock", "StoredIndex", "current_generation", "write_generation"]

FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = ".lock"
_FILES = ("manifest.json", "meta.sqlite", "vectors.npy", "sentences.faiss", "passages.faiss")

_SCHEMA = """
CREATE TABLE documents (id INTEGER PRIMARY KEY, doc TEXT UNIQUE NOT NULL, sha256 TEXT NOT NULL,
  kind TEXT NOT NULL, title TEXT, publisher TEXT, author TEXT, date TEXT, url TEXT,
  body_start INTEGER NOT NULL, text TEXT NOT NULL);
CREATE TABLE passages (id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
  start INTEGER NOT NULL, end INTEGER NOT NULL, vec INTEGER NOT NULL);
CREATE TABLE sentences (id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id),
  passage_id INTEGER NOT NULL REFERENCES passages(id), start INTEGER NOT NULL, end INTEGER NOT NULL,
  vec INTEGER NOT NULL);
CREATE TABLE texts (vec INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL);
"""


def _fix(index_dir: Path) -> str:
    return f"rebuild it with `rag build --rebuild --index {index_dir}`"


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


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or ``None`` if no index was ever built here."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise IndexCorruptError(f"cannot read {index_dir / CURRENT} ({err}); {_fix(index_dir)}") from err
    if not name.startswith("gen-") or "/" in name:
        raise IndexCorruptError(f"{index_dir / CURRENT} names no generation ({name!r}); {_fix(index_dir)}")
    return index_dir / name


@dataclass(frozen=True)
class IndexContent:
    """Everything a generation holds, as the builder assembled it."""

    documents: Sequence[Document]
    chunks: Sequence[Chunks]
    text_keys: Sequence[str]
    """The key (hash of the normalised text) of each row of ``vectors``."""
    vectors: np.ndarray
    passage_vec: np.ndarray
    """Row of ``vectors`` for each passage, documents in order."""
    sentence_vec: np.ndarray
    model: str
    chunk_settings: dict[str, Any]
    rag_version: str


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_sqlite(path: Path, content: IndexContent) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(_SCHEMA)
        p_id = s_id = 0
        for d_id, (doc, chunks) in enumerate(zip(content.documents, content.chunks)):
            m = doc.meta
            conn.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    d_id,
                    doc.doc,
                    doc.sha256,
                    doc.kind,
                    m.title,
                    m.publisher,
                    m.author,
                    m.date,
                    m.url,
                    doc.body_start,
                    doc.text,
                ),
            )
            conn.executemany(
                "INSERT INTO passages VALUES (?,?,?,?,?)",
                [
                    (p_id + i, d_id, s, e, int(content.passage_vec[p_id + i]))
                    for i, (s, e) in enumerate(chunks.passages)
                ],
            )
            conn.executemany(
                "INSERT INTO sentences VALUES (?,?,?,?,?,?)",
                [
                    (s_id + i, d_id, p_id + chunks.sentence_passage[i], s, e, int(content.sentence_vec[s_id + i]))
                    for i, (s, e) in enumerate(chunks.sentences)
                ],
            )
            p_id += len(chunks.passages)
            s_id += len(chunks.sentences)
        conn.executemany("INSERT INTO texts VALUES (?,?)", enumerate(content.text_keys))
        conn.commit()
    finally:
        conn.close()


def write_generation(index_dir: Path, content: IndexContent) -> str:
    """Write ``content`` as a new generation and make it the live one. Call under :class:`IndexLock`."""
    index_dir.mkdir(parents=True, exist_ok=True)
    for stale in index_dir.glob("gen-*.tmp*"):
        shutil.rmtree(stale, ignore_errors=True)  # Left by a killed build.
    previous = current_generation(index_dir)
    numbers = [int(p.name[4:10]) for p in index_dir.glob("gen-[0-9][0-9][0-9][0-9][0-9][0-9]") if p.is_dir()]
    name = f"gen-{max(numbers, default=0) + 1:06d}"
    tmp = index_dir / f"{name}.tmp{os.getpid()}"
    tmp.mkdir()

    _write_sqlite(tmp / "meta.sqlite", content)
    np.save(tmp / "vectors.npy", np.ascontiguousarray(content.vectors, dtype=np.float32), allow_pickle=False)
    dense.save(dense.build(content.vectors[content.sentence_vec]), tmp / "sentences.faiss")
    dense.save(dense.build(content.vectors[content.passage_vec]), tmp / "passages.faiss")
    sentence_texts = [
        doc.text[s:e] for doc, chunks in zip(content.documents, content.chunks) for s, e in chunks.sentences
    ]
    lexical.build_and_save(sentence_texts, tmp / "lexical")
    manifest = {
        "format_version": FORMAT_VERSION,
        "rag_version": content.rag_version,
        "model": content.model,
        "dim": int(content.vectors.shape[1]),
        "chunk": content.chunk_settings,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "generation": name,
        "counts": {
            "documents": len(content.documents),
            "passages": len(content.passage_vec),
            "sentences": len(content.sentence_vec),
            "texts": len(content.text_keys),
        },
        "documents": {d.doc: {"sha256": d.sha256, "kind": d.kind} for d in content.documents},
    }
    files = [tmp / f for f in _FILES if f != "manifest.json"]
    manifest["file_sizes"] = {f.name: f.stat().st_size for f in files}
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
    os.rename(tmp, index_dir / name)
    _fsync_dir(index_dir)
    pointer = index_dir / f"{CURRENT}.tmp{os.getpid()}"
    pointer.write_text(name + "\n", encoding="utf-8")
    with open(pointer, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    # Keep the previous generation (a reader may still hold it open); drop older ones.
    keep = {name, previous.name if previous else None}
    for old in index_dir.glob("gen-[0-9][0-9][0-9][0-9][0-9][0-9]"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return name


@dataclass(frozen=True)
class DocRecord:
    id: int
    doc: str
    sha256: str
    kind: str
    meta: DocumentMeta
    body_start: int

    @property
    def title(self) -> str:
        return self.meta.title or self.doc


class StoredIndex:
    """A generation opened for reading. Arrays are loaded once; document texts on demand."""

    def __init__(self, index_dir: Path, nprobe: int | None = None) -> None:
        gen = current_generation(index_dir)
        if gen is None:
            raise IndexMissingError(f"no index in {index_dir}: build it with `rag build --index {index_dir}`")
        self.index_dir = index_dir
        self.path = gen
        self.manifest = self._read_manifest()
        self._check_files()
        try:
            self._conn = sqlite3.connect(f"file:{gen / 'meta.sqlite'}?mode=ro", uri=True, check_same_thread=False)
            self._db_lock = threading.Lock()
            sent = np.array(
                self._conn.execute("SELECT doc_id, passage_id, start, end, vec FROM sentences ORDER BY id").fetchall(),
                dtype=np.int64,
            ).reshape(-1, 5)
            pas = np.array(
                self._conn.execute("SELECT doc_id, start, end, vec FROM passages ORDER BY id").fetchall(),
                dtype=np.int64,
            ).reshape(-1, 4)
            docs = self._conn.execute(
                "SELECT id, doc, sha256, kind, title, publisher, author, date, url, body_start "
                "FROM documents ORDER BY id"
            ).fetchall()
            self.vectors = np.load(gen / "vectors.npy", mmap_mode="r", allow_pickle=False)
            self.sentence_index = dense.load(gen / "sentences.faiss", nprobe)
            self.passage_index = dense.load(gen / "passages.faiss", nprobe)
            self.lexical = lexical.load(gen / "lexical")
        except (sqlite3.DatabaseError, ValueError, OSError, RuntimeError) as err:
            raise IndexCorruptError(f"index at {gen} is damaged ({err}); {_fix(index_dir)}") from err
        self.sentence_doc, self.sentence_passage, self.sentence_start, self.sentence_end, self.sentence_vec = sent.T
        self.passage_doc, self.passage_start, self.passage_end, self.passage_vec = pas.T
        self.documents = [DocRecord(r[0], r[1], r[2], r[3], DocumentMeta(*r[4:9]), r[9]) for r in docs]
        self._texts: dict[int, str] = {}
        self._verify_counts()

    def _read_manifest(self) -> dict[str, Any]:
        try:
            manifest = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise IndexCorruptError(f"{self.path / 'manifest.json'} is missing; {_fix(self.index_dir)}") from err
        except (OSError, ValueError) as err:
            raise IndexCorruptError(
                f"{self.path / 'manifest.json'} is unreadable ({err}); {_fix(self.index_dir)}"
            ) from err
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexCorruptError(
                f"index at {self.path} has format {manifest.get('format_version')}, this version reads "
                f"{FORMAT_VERSION}; {_fix(self.index_dir)}"
            )
        return dict(manifest)

    def _check_files(self) -> None:
        for name in _FILES:
            if not (self.path / name).is_file():
                raise IndexCorruptError(f"{self.path / name} is missing; {_fix(self.index_dir)}")
        for name, size in self.manifest.get("file_sizes", {}).items():
            actual = (self.path / name).stat().st_size
            if actual != size:
                raise IndexCorruptError(
                    f"{self.path / name} is {actual} bytes, the manifest says {size} (truncated or modified); "
                    f"{_fix(self.index_dir)}"
                )

    def _verify_counts(self) -> None:
        counts = self.manifest.get("counts", {})
        found = {
            "documents": len(self.documents),
            "passages": len(self.passage_vec),
            "sentences": len(self.sentence_vec),
            "texts": len(self.vectors),
        }
        problems = [f"{k}: {found[k]} != {counts.get(k)}" for k in found if found[k] != counts.get(k)]
        if self.sentence_index.ntotal != found["sentences"] or self.passage_index.ntotal != found["passages"]:
            problems.append("FAISS sizes differ from the tables")
        if self.lexical.n_docs != found["sentences"]:
            problems.append("lexical index size differs from the tables")
        if len(self.vectors) and self.vectors.shape[1] != self.manifest.get("dim"):
            problems.append("vector dimension differs from the manifest")
        if problems:
            raise IndexCorruptError(
                f"index at {self.path} is inconsistent ({'; '.join(problems)}); {_fix(self.index_dir)}"
            )

    @property
    def model(self) -> str:
        return str(self.manifest["model"])

    def document_text(self, doc_id: int) -> str:
        text = self._texts.get(doc_id)
        if text is None:
            with self._db_lock:
                row = self._conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                raise IndexCorruptError(f"document {doc_id} is missing from {self.path}; {_fix(self.index_dir)}")
            text = str(row[0])
            if len(self._texts) > 256:
                self._texts.clear()
            self._texts[doc_id] = text
        return text

    def document_by_name(self, doc: str) -> DocRecord | None:
        return next((d for d in self.documents if d.doc == doc), None)

    def text_keys(self) -> dict[str, int]:
        """Vector row of each embedded text's key (what a build may reuse)."""
        with self._db_lock:
            return {key: vec for vec, key in self._conn.execute("SELECT vec, key FROM texts")}

    def stored_documents(self) -> dict[str, Document]:
        """Every indexed document as loaded, for the build to reuse the unchanged ones."""
        return {
            d.doc: Document(d.doc, self.document_text(d.id), d.sha256, d.kind, d.meta, d.body_start)
            for d in self.documents
        }

    def close(self) -> None:
        self._conn.close()


def text_key(text: str) -> str:
    """The key a text's vector is stored under: a hash of its normalised form."""
    return hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()
