"""Writer: a new generation, written beside the live one and made live with one atomic swap."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError, RagError
from ..records import Chunks, Document
from . import dense, lexical
from .generations import CURRENT, FORMAT_VERSION, current_generation, digest, fsync_dir, remove_leftovers

__all__ = ["IndexContent", "write_generation"]

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
    loader_version: int
    """Version of the text extraction that read the documents (see :data:`rag.ingest.load.LOADER_VERSION`)."""


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


def _seal(folder: Path) -> dict[str, dict[str, Any]]:
    """Flush every file of ``folder`` to disk; their sizes and SHA-256 hashes, for the manifest."""
    table: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
            table[path.relative_to(folder).as_posix()] = {"size": path.stat().st_size, "sha256": digest(path)}
    return table


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
        fsync_dir(directory)  # The files' names, too, are on disk before the folder is renamed.


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
        fsync_dir(index_dir)
        with open(pointer, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, index_dir / CURRENT)
        live = True
        fsync_dir(index_dir)
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
