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
index or the new one, never a half-written one; a killed build leaves only ``.tmp`` files that the
next build removes. Nothing is pickled: arrays are ``.npy`` loaded with ``allow_pickle=False``.

The manifest records the size and SHA-256 of every other file. Opening a generation checks that
every file is there with its recorded size, that the manifest is complete and that the tables,
vectors and search indexes agree with each other; :meth:`StoredIndex.verify` (``rag status
--verify``, and every build before it reuses anything) also checks the hashes. A damaged index
raises :class:`~rag.errors.IndexCorruptError` naming the one command that fixes it.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shlex
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
from .errors import IndexCorruptError, IndexLockedError, IndexMissingError, RagError
from .records import Chunks, Document, DocumentMeta

__all__ = [
    "FORMAT_VERSION",
    "IndexContent",
    "IndexLock",
    "StoredIndex",
    "current_generation",
    "rebuild_hint",
    "remove_leftovers",
    "write_generation",
]

FORMAT_VERSION = 2
"""2: the manifest lists every file with its size and SHA-256 (``files``)."""
CURRENT = "CURRENT"
LOCK = ".lock"
_FILES = ("manifest.json", "meta.sqlite", "vectors.npy", "sentences.faiss", "passages.faiss")
_MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "model": str,
    "dim": int,
    "chunk": dict,
    "built_at": str,
    "generation": str,
    "counts": dict,
    "documents": dict,
    "files": dict,
}
_OPEN_ATTEMPTS = 3

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
    loader_version: int = 0
    """Version of the text extraction that read the documents (see :data:`rag.load.LOADER_VERSION`)."""


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


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _seal(folder: Path) -> dict[str, dict[str, Any]]:
    """Flush every file of ``folder`` to disk; their sizes and SHA-256 hashes, for the manifest."""
    table: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
            table[path.relative_to(folder).as_posix()] = {"size": path.stat().st_size, "sha256": _digest(path)}
    return table


def remove_leftovers(index_dir: Path) -> None:
    """Remove what a killed build left behind: unfinished generations and pointer files."""
    for stale in index_dir.glob("gen-*.tmp*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in index_dir.glob(f"{CURRENT}.tmp*"):
        stale.unlink(missing_ok=True)


def _write_files(folder: Path, content: IndexContent, name: str) -> None:
    _write_sqlite(folder / "meta.sqlite", content)
    np.save(folder / "vectors.npy", np.ascontiguousarray(content.vectors, dtype=np.float32), allow_pickle=False)
    dense.save(dense.build(content.vectors[content.sentence_vec]), folder / "sentences.faiss")
    dense.save(dense.build(content.vectors[content.passage_vec]), folder / "passages.faiss")
    sentence_texts = [
        doc.text[s:e] for doc, chunks in zip(content.documents, content.chunks) for s, e in chunks.sentences
    ]
    lexical.build_and_save(sentence_texts, folder / "lexical")
    manifest = {
        "format_version": FORMAT_VERSION,
        "rag_version": content.rag_version,
        "model": content.model,
        "dim": int(content.vectors.shape[1]),
        "chunk": content.chunk_settings,
        "loader": content.loader_version,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "generation": name,
        "counts": {
            "documents": len(content.documents),
            "passages": len(content.passage_vec),
            "sentences": len(content.sentence_vec),
            "texts": len(content.text_keys),
        },
        "documents": {d.doc: {"sha256": d.sha256, "kind": d.kind} for d in content.documents},
        "files": _seal(folder),
    }
    with open(folder / "manifest.json", "w", encoding="utf-8") as fh:
        fh.write(json.dumps(manifest, indent=1, ensure_ascii=False))
        fh.flush()
        os.fsync(fh.fileno())
    for directory in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(directory)  # The files' names, too, are on disk before the folder is renamed.


def write_generation(index_dir: Path, content: IndexContent) -> str:
    """Write ``content`` as a new generation and make it the live one. Call under :class:`IndexLock`.

    Until ``CURRENT`` is swapped (one ``os.replace``) readers keep the previous generation, whatever
    happens to this process; an error before the swap removes the unfinished folder and leaves the
    previous index as it was."""
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(index_dir)
    try:
        previous = current_generation(index_dir)
    except IndexCorruptError:
        previous = None  # An unreadable CURRENT is what a rebuild replaces, not a reason to stop.
    numbers = [int(p.name[4:10]) for p in index_dir.glob("gen-[0-9][0-9][0-9][0-9][0-9][0-9]") if p.is_dir()]
    name = f"gen-{max(numbers, default=0) + 1:06d}"
    tmp = index_dir / f"{name}.tmp{os.getpid()}"
    pointer = index_dir / f"{CURRENT}.tmp{os.getpid()}"
    live = False
    try:
        tmp.mkdir()
        _write_files(tmp, content, name)
        os.rename(tmp, index_dir / name)
        _fsync_dir(index_dir)
        with open(pointer, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, index_dir / CURRENT)
        live = True
        _fsync_dir(index_dir)
    except BaseException as err:
        if live:
            raise  # The new generation is complete and live; the next build tidies up.
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(index_dir / name, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise RagError(
                f"cannot write the index in {index_dir} ({err.strerror or err}); the previous index is "
                "unchanged: free some disk space or fix the folder's permissions, then build again"
            ) from err
        raise
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
    """A generation opened for reading, after checking it (see the module's docstring). Arrays are
    loaded once; document texts on demand.

    ``expected_model`` refuses an index built by another model (its vectors would not match the
    questions'); ``corpus_dir`` only makes error messages name the full rebuild command."""

    def __init__(
        self,
        index_dir: Path,
        nprobe: int | None = None,
        *,
        corpus_dir: Path | None = None,
        expected_model: str | None = None,
    ) -> None:
        self.index_dir = index_dir
        self._hint = rebuild_hint(index_dir, corpus_dir)
        for attempt in range(_OPEN_ATTEMPTS):
            gen = current_generation(index_dir, corpus_dir)
            if gen is None:
                raise IndexMissingError(f"no index in {index_dir}: build it with `rag build --index {index_dir}`")
            try:
                self._open(gen, nprobe)
                break
            except IndexCorruptError:
                # A build may have swapped in a newer generation and removed this one meanwhile.
                if attempt + 1 < _OPEN_ATTEMPTS and current_generation(index_dir, corpus_dir) != gen:
                    continue
                raise
        if expected_model is not None and self.model != expected_model:
            self.close()
            raise IndexCorruptError(
                f"the index in {index_dir} was built with the model {self.model}, not {expected_model}; {self._hint}"
            )

    def _open(self, gen: Path, nprobe: int | None) -> None:
        self.path = gen
        self.manifest = self._read_manifest()
        self._check_files()
        conn = None
        reading = "meta.sqlite"
        try:
            conn = sqlite3.connect(f"file:{gen / reading}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            sent = np.array(
                conn.execute("SELECT doc_id, passage_id, start, end, vec FROM sentences ORDER BY id").fetchall(),
                dtype=np.int64,
            ).reshape(-1, 5)
            pas = np.array(
                conn.execute("SELECT doc_id, start, end, vec FROM passages ORDER BY id").fetchall(),
                dtype=np.int64,
            ).reshape(-1, 4)
            docs = conn.execute(
                "SELECT id, doc, sha256, kind, title, publisher, author, date, url, body_start "
                "FROM documents ORDER BY id"
            ).fetchall()
            reading = "vectors.npy"
            self.vectors = np.load(gen / reading, mmap_mode="r", allow_pickle=False)
            reading = "sentences.faiss"
            self.sentence_index = dense.load(gen / reading, nprobe)
            reading = "passages.faiss"
            self.passage_index = dense.load(gen / reading, nprobe)
            reading = "lexical"
            self.lexical = lexical.load(gen / reading)
        except (sqlite3.DatabaseError, ValueError, OSError, RuntimeError, KeyError, TypeError) as err:
            if conn is not None:
                conn.close()
            raise self._damaged(f"{gen / reading} is damaged ({err})") from err
        self._conn = conn
        self._db_lock = threading.Lock()
        self.sentence_doc, self.sentence_passage, self.sentence_start, self.sentence_end, self.sentence_vec = sent.T
        self.passage_doc, self.passage_start, self.passage_end, self.passage_vec = pas.T
        self.documents = [DocRecord(r[0], r[1], r[2], r[3], DocumentMeta(*r[4:9]), r[9]) for r in docs]
        self._texts: dict[int, str] = {}
        try:
            self._verify_counts()
        except IndexCorruptError:
            conn.close()
            raise

    def _damaged(self, what: str) -> IndexCorruptError:
        return IndexCorruptError(f"{what}; {self._hint}")

    def _read_manifest(self) -> dict[str, Any]:
        path = self.path / "manifest.json"
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise self._damaged(f"{path} is missing") from err
        except (OSError, ValueError) as err:
            raise self._damaged(f"{path} is unreadable ({err})") from err
        if not isinstance(manifest, dict):
            raise self._damaged(f"{path} holds no manifest")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise self._damaged(
                f"index at {self.path} has format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}"
            )
        wrong = [k for k, kind in _MANIFEST_FIELDS.items() if not isinstance(manifest.get(k), kind)]
        if wrong:
            raise self._damaged(f"{path} lacks or garbles {', '.join(wrong)}")
        if manifest["generation"] != self.path.name:
            raise self._damaged(f"{path} belongs to {manifest['generation']}, not {self.path.name}")
        for rel, entry in manifest["files"].items():
            if not (isinstance(entry, dict) and isinstance(entry.get("size"), int) and entry.get("sha256")):
                raise self._damaged(f"{path} garbles the entry of {rel}")
        return dict(manifest)

    def _check_files(self) -> None:
        files: dict[str, dict[str, Any]] = self.manifest["files"]
        for name in _FILES[1:]:
            if name not in files:
                raise self._damaged(f"{self.path / 'manifest.json'} does not list {name}")
        for rel, entry in files.items():
            path = self.path / rel
            try:
                actual = path.stat().st_size
            except OSError as err:
                raise self._damaged(f"{path} is missing") from err
            if actual != entry["size"]:
                raise self._damaged(
                    f"{path} is {actual} bytes, the manifest says {entry['size']} (truncated or modified)"
                )

    def _verify_counts(self) -> None:
        counts = self.manifest["counts"]
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
        dim = self.manifest["dim"]
        if self.vectors.ndim != 2 or (len(self.vectors) and self.vectors.shape[1] != dim):
            problems.append("vector dimension differs from the manifest")
        if found["sentences"] and self.sentence_index.d != dim:
            problems.append("FAISS dimension differs from the manifest")
        # Every reference between the tables must land inside its target (else a query would crash).
        refs = (
            (self.sentence_doc, found["documents"]),
            (self.sentence_passage, found["passages"]),
            (self.sentence_vec, found["texts"]),
            (self.passage_doc, found["documents"]),
            (self.passage_vec, found["texts"]),
        )
        if any(len(ids) and (ids.min() < 0 or ids.max() >= n) for ids, n in refs):
            problems.append("a table refers to a row that does not exist")
        if len(self.sentence_passage) and np.any(np.diff(self.sentence_passage) < 0):
            problems.append("sentences are out of passage order")
        if np.any(self.sentence_start > self.sentence_end) or np.any(self.passage_start > self.passage_end):
            problems.append("a span ends before it starts")
        if problems:
            raise self._damaged(f"index at {self.path} is inconsistent ({'; '.join(problems)})")

    def verify(self) -> int:
        """Check every file against the SHA-256 the manifest records. Returns the bytes checked;
        raises :class:`IndexCorruptError` naming the first file that differs."""
        checked = 0
        for rel, entry in self.manifest["files"].items():
            path = self.path / rel
            try:
                digest = _digest(path)
            except OSError as err:
                raise self._damaged(f"{path} cannot be read ({err.strerror or err})") from err
            if digest != entry["sha256"]:
                raise self._damaged(f"{path} does not match its checksum in the manifest (damaged or modified)")
            checked += int(entry["size"])
        return checked

    @property
    def model(self) -> str:
        return str(self.manifest["model"])

    def document_text(self, doc_id: int) -> str:
        text = self._texts.get(doc_id)
        if text is None:
            with self._db_lock:
                row = self._conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                raise self._damaged(f"document {doc_id} is missing from {self.path}")
            text = str(row[0])
            if len(self._texts) > 256:
                self._texts.clear()
            self._texts[doc_id] = text
        return text

    def sentence_text(self, sid: int) -> str:
        """The text of sentence ``sid``: a slice of its document's text."""
        doc_text = self.document_text(int(self.sentence_doc[sid]))
        return doc_text[int(self.sentence_start[sid]) : int(self.sentence_end[sid])]

    def document_by_name(self, doc: str) -> DocRecord | None:
        return next((d for d in self.documents if d.doc == doc), None)

    def text_keys(self) -> dict[str, int]:
        """Vector row of each embedded text's key (what a build may reuse)."""
        with self._db_lock:
            return {key: vec for vec, key in self._conn.execute("SELECT vec, key FROM texts")}

    def stored_document(self, record: DocRecord) -> Document:
        """An indexed document as it was loaded (its text read from the index), for a build to reuse."""
        return Document(
            record.doc, self.document_text(record.id), record.sha256, record.kind, record.meta, record.body_start
        )

    def close(self) -> None:
        self._conn.close()


def text_key(text: str) -> str:
    """The key a text's vector is stored under: a hash of its normalised form."""
    return hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()
