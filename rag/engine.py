"""The engine: the one API the CLI and the Gradio app are thin adapters over.

It holds the settings, the encoder (loaded on first use, then kept) and the open index (reopened
when a build makes a new generation live), and wires the stages together:
load → chunk → embed → index (:mod:`rag.build`), retrieve → quote (:meth:`Engine.ask`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .build import BuildProgress, build_index
from .config import Settings
from .corpus import add_files, remove_documents
from .embed import Embedder, SentenceTransformerEmbedder
from .errors import IndexMissingError, QuestionError, RagError
from .followup import retrieval_text
from .index import StoredIndex, current_generation
from .quote import answer_from_candidates
from .read import Reader
from .records import Answer, BuildReport, DocumentMeta, IndexStatus
from .retrieve import candidate_features, prepare_question, ranked

__all__ = ["Engine"]


class Engine:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder: Embedder = embedder or SentenceTransformerEmbedder(settings.model_path, settings.batch_size)
        self._index: StoredIndex | None = None
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------

    def index(self) -> StoredIndex:
        """The live index, reopened if a build has swapped in a new generation since."""
        s = self.settings
        gen = current_generation(s.index_dir, s.corpus_dir)
        with self._lock:
            if gen is None:
                raise IndexMissingError(f"no index in {s.index_dir}: build it with `rag build --index {s.index_dir}`")
            if self._index is None or self._index.path != gen:
                self._index = StoredIndex(s.index_dir, corpus_dir=s.corpus_dir, expected_model=self.embedder.name)
            return self._index

    def reader(self) -> Reader | None:
        """The trained answer reader (loaded once), or ``None`` when the settings name none."""
        folder = self.settings.retrieval.reader_dir
        if folder is None:
            return None
        with self._lock:
            if self._reader is None:
                self._reader = Reader(folder)
            return self._reader

    def encode_question(self, question: str) -> np.ndarray:
        return self.embedder.encode([question])[0]

    def ask(
        self, question: str, k: int = 3, previous: str | None = None, *, query_vector: np.ndarray | None = None
    ) -> Answer:
        """Quotes that answer ``question`` (at most ``k``, best first), or an abstention.

        ``previous`` is the question asked before in the same conversation: a short follow-up
        ("and what did Japan say?") is retrieved together with it (see :mod:`rag.followup`).
        ``query_vector`` is the retrieval text's vector when the caller already encoded it (the
        evaluation benchmarks, which encode every question once)."""
        if k < 1:
            raise RagError(f"k must be at least 1, not {k}")
        rs = self.settings.retrieval
        cleaned = prepare_question(question, rs.max_question_chars)
        try:
            context = prepare_question(previous, rs.max_question_chars) if previous else None
        except QuestionError:
            context = None  # An unusable previous question is no context, not an error in this one.
        query = retrieval_text(cleaned, context)
        index = self.index()
        vector = self.encode_question(query) if query_vector is None else query_vector
        ids, features = candidate_features(index, query, vector, rs)
        reader = self.reader()
        if reader is None:
            return answer_from_candidates(index, cleaned, ranked(ids, features, rs), k, rs)
        reading = reader.read(index, query, vector, ids, features, rs)
        return answer_from_candidates(
            index,
            cleaned,
            reading.candidates,
            k,
            rs,
            status=reading.status,
            confidence=reading.confidence,
            span_ends=reading.span_ends,
        )

    def status(self) -> IndexStatus:
        base = IndexStatus(str(self.settings.corpus_dir), str(self.settings.index_dir), built=False)
        try:
            index = self.index()
        except IndexMissingError:
            return base
        m = index.manifest
        return IndexStatus(
            corpus_dir=base.corpus_dir,
            index_dir=base.index_dir,
            built=True,
            documents=m["counts"]["documents"],
            passages=m["counts"]["passages"],
            sentences=m["counts"]["sentences"],
            model=m["model"],
            built_at=m["built_at"],
            generation=m["generation"],
            docs=tuple(d.doc for d in index.documents),
        )

    def verify(self) -> int:
        """Check every file of the live index against its checksum (``rag status --verify``).
        Returns the bytes checked; raises :class:`IndexCorruptError` naming the fix."""
        return self.index().verify()

    def document(self, doc: str) -> tuple[DocumentMeta, str]:
        """An indexed document's metadata and the text its offsets index."""
        index = self.index()
        record = index.document_by_name(doc)
        if record is None:
            raise RagError(f"{doc!r} is not in the index; `rag status` lists the documents")
        return record.meta, index.document_text(record.id)

    # -- writing ---------------------------------------------------------------------------

    def build(self, *, rebuild: bool = False, progress: BuildProgress | None = None) -> BuildReport:
        report = build_index(self.settings, self.embedder, rebuild=rebuild, progress=progress)
        if report.written:
            with self._lock:
                self._index = None  # Reopened on next use; the old generation stays readable meanwhile.
        return report

    def add(
        self, files: Iterable[tuple[Path, str]], *, overwrite: bool = False, progress: BuildProgress | None = None
    ) -> BuildReport:
        """Copy files (``(path, name)`` pairs) into the corpus, then update the index."""
        add_files(self.settings.corpus_dir, files, overwrite=overwrite)
        return self.build(progress=progress)

    def remove(self, docs: Iterable[str], progress: BuildProgress | None = None) -> BuildReport:
        """Delete documents from the corpus (all must exist, or none is deleted), then update the index."""
        remove_documents(self.settings.corpus_dir, docs)
        return self.build(progress=progress)
