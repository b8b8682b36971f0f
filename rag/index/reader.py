"""Reader: a generation opened for reading, after checking that its files and tables agree."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError, IndexMissingError
from ..records import Document, DocumentMeta
from . import dense, lexical
from .generations import FILES, FORMAT_VERSION, current_generation, digest, rebuild_hint

__all__ = ["DocRecord", "StoredIndex"]

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


@dataclass(frozen=True, kw_only=True)
class DocRecord:
    """An indexed document's row, without its text."""

    id: int
    doc: str
    sha256: str
    kind: str
    meta: DocumentMeta
    body_start: int


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
        self.documents = [
            DocRecord(
                id=r[0],
                doc=r[1],
                sha256=r[2],
                kind=r[3],
                meta=DocumentMeta(title=r[4], publisher=r[5], author=r[6], date=r[7], url=r[8]),
                body_start=r[9],
            )
            for r in docs
        ]
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
        for name in FILES[1:]:
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
                found = digest(path)
            except OSError as err:
                raise self._damaged(f"{path} cannot be read ({err.strerror or err})") from err
            if found != entry["sha256"]:
                raise self._damaged(f"{path} does not match its checksum in the manifest (damaged or modified)")
            checked += int(entry["size"])
        return checked

    @property
    def model(self) -> str:
        return str(self.manifest["model"])

    @property
    def chunk_settings(self) -> dict[str, Any]:
        """The chunk settings the generation was built with."""
        return dict(self.manifest["chunk"])

    @property
    def loader_version(self) -> int | None:
        """The text extraction the documents were read with (``None``: before it was recorded)."""
        found = self.manifest.get("loader")
        return found if isinstance(found, int) else None

    @property
    def built_at(self) -> str:
        return str(self.manifest["built_at"])

    @property
    def generation(self) -> str:
        return str(self.manifest["generation"])

    @property
    def counts(self) -> dict[str, int]:
        """Documents, passages, sentences and texts (distinct embedded texts) it holds."""
        return {k: int(v) for k, v in self.manifest["counts"].items()}

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
            doc=record.doc,
            text=self.document_text(record.id),
            sha256=record.sha256,
            kind=record.kind,
            meta=record.meta,
            body_start=record.body_start,
        )

    def close(self) -> None:
        self._conn.close()
