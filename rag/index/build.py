"""Build: bring the index up to date with the corpus, embedding only texts it has never embedded.

1. Compare every corpus file's hash with the live index: added, updated, removed, unchanged.
   Nothing changed: nothing is written and the model is never loaded.
2. Chunk every document (cheap, deterministic); reuse the stored text of unchanged ones.
3. Key each passage and sentence by the hash of its normalised text. Keys the live index already
   holds reuse its vectors; the rest (deduplicated) go to the encoder once.
4. Write a new generation atomically (see :mod:`rag.index`).

A different model drops every stored vector; different chunk settings or a new text extraction
(:data:`~rag.ingest.load.LOADER_VERSION`) re-read and re-chunk every document (vectors of identical texts
under the same model stay valid and are reused).

The report also names documents worth a word (:class:`~rag.records.Notice`): a page indexed by its
visible text for want of an article, and the same text under two names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from .._version import __version__
from ..chunk import chunk_text
from ..config import Settings
from ..embed.interface import Embedder
from ..errors import CorpusError, IndexCorruptError, IndexMissingError
from ..ingest.load import LOADER_VERSION, file_hash, read_bytes, read_document, scan_corpus
from ..records import BuildReport, Chunks, Document, Notice, Skipped
from ..text import normalize_text, text_key
from .generations import IndexLock, remove_leftovers
from .reader import StoredIndex
from .writer import IndexContent, write_generation

__all__ = ["BuildProgress", "build_index"]

BuildProgress = Callable[[str, int, int], None]
"""Called with (stage, done, total); stages are "reading", "embedding" and "writing"."""


def _open_previous(settings: Settings, rebuild: bool) -> tuple[StoredIndex | None, str | None]:
    """The live index to update, checksums verified (its texts and vectors are reused, so damage
    must not carry over); ``None`` and why if everything is to be rebuilt."""
    if rebuild:
        return None, "a full rebuild was asked for"
    try:
        previous = StoredIndex(settings.index_dir, corpus_dir=settings.corpus_dir)
    except IndexMissingError:
        return None, "there was no index yet"
    except IndexCorruptError as err:
        return None, f"the previous index could not be used ({err})"
    try:
        previous.verify()
    except IndexCorruptError as err:
        previous.close()
        return None, f"the previous index could not be used ({err})"
    return previous, None


def _load_documents(
    settings: Settings, previous: StoredIndex | None, reuse_docs: bool, progress: BuildProgress | None
) -> tuple[list[Document], list[str], list[str], list[str], list[str], list[Skipped]]:
    files, skipped = scan_corpus(settings.corpus_dir)
    stored = {d.doc: d for d in previous.documents} if previous is not None else {}
    documents: list[Document] = []
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for i, path in enumerate(files):
        rel = path.relative_to(settings.corpus_dir).as_posix()
        try:
            data = read_bytes(path, rel)  # Read once: hashed, and extracted when new or changed.
            sha = file_hash(path, data)
            old = stored.get(rel)
            if old is not None and old.sha256 == sha and reuse_docs and previous is not None:
                documents.append(previous.stored_document(old))  # Only reused texts are read.
                unchanged.append(rel)
            else:
                documents.append(read_document(path, settings.corpus_dir, sha, data))
                (updated if old is not None else added).append(rel)
        except CorpusError as err:
            skipped.append(Skipped(doc=rel, reason=str(err)))
        if progress:
            progress("reading", i + 1, len(files))
    present = {d.doc for d in documents}
    removed = sorted(set(stored) - present)
    return documents, added, updated, unchanged, removed, skipped


def build_index(
    settings: Settings,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: BuildProgress | None = None,
) -> BuildReport:
    """Update the index in ``settings.index_dir`` from ``settings.corpus_dir``."""
    started = time.perf_counter()
    with IndexLock(settings.index_dir):
        remove_leftovers(settings.index_dir)  # What a killed build left, even if nothing is written now.
        previous, reason = _open_previous(settings, rebuild)
        same_model = previous is not None and previous.model == embedder.name
        if previous is not None and not same_model:
            reason = f"the model changed ({previous.model} -> {embedder.name})"
        elif previous is not None and previous.chunk_settings != settings.chunk.as_dict():
            reason = "the chunk settings changed"
        elif previous is not None and previous.loader_version != LOADER_VERSION:
            reason = "the text extraction changed"
        try:
            documents, added, updated, unchanged, removed, skipped = _load_documents(
                settings, previous, reason is None, progress
            )
            notices = _notices(documents)
            if previous is not None and reason is None and not (added or updated or removed):
                return BuildReport(
                    unchanged=tuple(unchanged),
                    skipped=tuple(skipped),
                    notices=notices,
                    seconds=time.perf_counter() - started,
                )
            chunks = [chunk_text(d.text, settings.chunk, d.body_start) for d in documents]
            known = previous.text_keys() if previous is not None and same_model else {}
            arrays, embedded, reused = _assemble(documents, chunks, known, previous, embedder, progress)
        finally:
            if previous is not None:
                previous.close()
        content = IndexContent(
            documents=documents,
            chunks=chunks,
            model=embedder.name,
            chunk_settings=settings.chunk.as_dict(),
            rag_version=__version__,
            loader_version=LOADER_VERSION,
            **arrays,  # type: ignore[arg-type]
        )
        if progress:
            progress("writing", 0, 1)
        write_generation(settings.index_dir, content)
        if progress:
            progress("writing", 1, 1)
    return BuildReport(
        added=tuple(added),
        updated=tuple(updated),
        removed=tuple(removed),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
        notices=notices,
        embedded=embedded,
        reused=reused,
        full_rebuild=reason,
        seconds=time.perf_counter() - started,
        written=True,
    )


def _notices(documents: Sequence[Document]) -> tuple[Notice, ...]:
    """What the loader noted, and every document whose text another one already has."""
    notices = [Notice(doc=d.doc, note=d.note) for d in documents if d.note]
    first: dict[str, str] = {}
    for d in documents:
        key = text_key(d.text[d.body_start :])
        if key in first:
            notices.append(Notice(doc=d.doc, note=f"duplicate: the same text as {first[key]}; remove one of them"))
        else:
            first[key] = d.doc
    return tuple(notices)


def _assemble(
    documents: list[Document],
    chunks: list[Chunks],
    known: dict[str, int],
    previous: StoredIndex | None,
    embedder: Embedder,
    progress: BuildProgress | None,
) -> tuple[dict[str, object], int, int]:
    """Vectors for every passage and sentence: reused by key where known, else encoded once."""
    row_of: dict[str, int] = {}
    keys: list[str] = []
    to_encode: list[str] = []
    reuse_rows: list[int] = []  # Rows of the previous index's vectors, in order of first use.

    def row(text: str) -> int:
        key = text_key(text)
        found = row_of.get(key)
        if found is None:
            found = row_of[key] = len(keys)
            keys.append(key)
            if key in known:
                reuse_rows.append(known[key])
            else:
                reuse_rows.append(-1)
                to_encode.append(normalize_text(text))
        return found

    passage_vec = np.array([row(d.text[s:e]) for d, c in zip(documents, chunks) for s, e in c.passages], dtype=np.int64)
    sentence_vec = np.array(
        [row(d.text[s:e]) for d, c in zip(documents, chunks) for s, e in c.sentences], dtype=np.int64
    )

    def report(done: int, total: int) -> None:
        if progress:
            progress("embedding", done, total)

    encoded = embedder.encode(to_encode, report) if to_encode else None
    dim = (
        encoded.shape[1]
        if encoded is not None
        else (previous.vectors.shape[1] if previous is not None else embedder.dim)
    )
    vectors = np.zeros((len(keys), dim), dtype=np.float32)
    rows = np.array(reuse_rows, dtype=np.int64)
    old = rows >= 0
    if old.any() and previous is not None:
        order = np.argsort(rows[old])  # Read the memory-mapped rows in file order.
        targets = np.flatnonzero(old)[order]
        vectors[targets] = previous.vectors[rows[old][order]]
    if encoded is not None:
        vectors[~old] = encoded
    return (
        {"text_keys": keys, "vectors": vectors, "passage_vec": passage_vec, "sentence_vec": sentence_vec},
        len(to_encode),
        int(old.sum()),
    )
