"""The engine: the one API the CLI, the Gradio app, the evaluation and the benchmarks use.

It holds the settings, the encoder (loaded on first use, then kept) and the open index (reopened
when a build makes a new generation live), and wires the stages together: ingest → chunk → embed
→ index (:mod:`rag.index.build`); question → retrieve → read → quote (:meth:`Engine.ask`).
The stored index (:mod:`rag.index`) stays behind it: callers get typed records. What evaluation
and the benchmarks read of the index besides answers is in :mod:`rag.evaluate.probes`.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import Settings
from .embed.interface import Embedder
from .embed.onnx import OnnxEmbedder
from .errors import CorpusError, DocumentNotFoundError, IndexMissingError, RagError
from .index import StoredIndex, current_generation
from .index.build import BuildProgress, build_index
from .ingest.corpus import add_files
from .ingest.load import scan_corpus
from .ingest.trash import move_to_trash, restore_from_trash, trash_dir, trashed
from .question.record import Query, parse_question
from .quote import answer_from_reading
from .read.conversation import Conversation
from .read.reader import Reader, Reading
from .records import Answer, BuildReport, DocumentMeta, DocumentState, IndexStatus
from .retrieve import gather, retrieve
from .views.by_source import AnalystViews, grouped

if TYPE_CHECKING:
    from .ingest.watch import WatchEvent

__all__ = ["Engine"]


class Engine(AnalystViews):
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder: Embedder = embedder or OnnxEmbedder.from_settings(settings)
        self._index: StoredIndex | None = None
        self._reader: Reader | None = None
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        """Builds in this process wait for each other (the watcher, uploads); other processes'
        builds are kept out by the index lock (:class:`~rag.errors.IndexLockedError`)."""
        self._watch_stop: threading.Event | None = None
        self._conversation = Conversation(
            self._rank, lambda texts: self.embedder.encode(texts), self.reader, lambda: self.settings.followup
        )
        """Ranks a question alone or after the one before it (:mod:`rag.read.conversation`)."""

    # -- reading ---------------------------------------------------------------------------

    def _live(self, *, will_encode: bool = False) -> StoredIndex:
        """The live index, reopened if a build has swapped in a new generation since.
        ``will_encode``: the caller encodes a question next, so a first opening loads the model
        meanwhile, on another thread."""
        s = self.settings
        gen = current_generation(s.index_dir, s.corpus_dir)
        with self._lock:
            if gen is None:
                raise IndexMissingError(f"no index in {s.index_dir}: build it with `rag build --index {s.index_dir}`")
            if self._index is None or self._index.path != gen:
                if will_encode:
                    self.embedder.preload()
                self._index = StoredIndex(s.index_dir, corpus_dir=s.corpus_dir, expected_model=self.embedder.name)
            return self._index

    def open(self) -> None:
        """Open the live index now: raises :class:`IndexMissingError` (or ``IndexCorruptError``)
        naming the fix, so a caller can fail once, clearly, before asking many questions."""
        self._live()

    def reader(self) -> Reader | None:
        """The trained answer reader (loaded once), or ``None`` when the settings name none."""
        folder = self.settings.retrieval.reader_dir
        if folder is None:
            return None
        with self._lock:
            if self._reader is None:
                self._reader = Reader(folder, cross_encoder=self.settings.retrieval.cross_encoder)
            return self._reader

    def encode_question(self, question: str) -> np.ndarray:
        return self.embedder.encode([question])[0]

    def ask(
        self,
        question: str,
        k: int = 3,
        previous: str | None = None,
        *,
        vector: np.ndarray | None = None,
        by_source: bool = False,
    ) -> Answer:
        """Quotes that answer ``question`` (at most ``k``, best first), or an abstention; with
        ``by_source`` (or when it names several sources) also grouped per document (:mod:`rag.views.by_source`).

        ``previous`` is the question asked before in the same conversation: a follow-up ("which
        official did he meet?") is read with it, its own words counting at least as much as the
        previous question's (see :mod:`rag.question.followup`). ``vector``: the question's embedding when
        the caller has it already (benchmarks)."""
        if k < 1:
            raise RagError(f"k must be at least 1, not {k}")
        rs = self.settings.retrieval
        parsed, index = parse_question(question, previous, rs.max_question_chars, lambda: self._live(will_encode=True))
        vector = vector if parsed.asked == parsed.cleaned else None
        by_source = grouped(parsed, by_source)
        if vector is None and by_source:  # Read once more per source: encode it once.
            vector = self.encode_question(parsed.asked)
        reading = self._conversation.read(index, parsed.asked, parsed.previous, vector, parsed.within)
        answer = answer_from_reading(
            index,
            parsed.cleaned,
            reading,
            k,
            rs,
            sources=parsed.scope.names if parsed.scope else (),
            asked=parsed.asked,
        )
        return self._by_source(index, answer, parsed, reading, k, vector if by_source else None)

    def _rank(self, index: StoredIndex, question: str, vector: np.ndarray, within: np.ndarray | None) -> Reading:
        """One retrieval query's candidates, best first: scored by the trained reader, or by the
        weighted sum of the retrieval features when the settings name no reader. ``within``: the
        only sentences that may be candidates (``None``: all)."""
        rs, query = self.settings.retrieval, Query.of(question)
        reader = self.reader()
        if reader is None:
            return Reading.unread(retrieve(index, query, vector, rs, within=within))
        return reader.read(index, gather(index, query, vector, rs, within=within), rs, named=within is not None)

    def status(self) -> IndexStatus:
        corpus_dir, index_dir = str(self.settings.corpus_dir), str(self.settings.index_dir)
        try:
            index = self._live()
        except IndexMissingError:
            return IndexStatus(corpus_dir=corpus_dir, index_dir=index_dir, built=False)
        counts = index.counts
        return IndexStatus(
            corpus_dir=corpus_dir,
            index_dir=index_dir,
            built=True,
            documents=counts["documents"],
            passages=counts["passages"],
            sentences=counts["sentences"],
            texts=counts["texts"],
            model=index.model,
            built_at=index.built_at,
            generation=index.generation,
            docs=tuple(d.doc for d in index.documents),
        )

    def verify(self) -> int:
        """Check every file of the live index against its checksum (``rag status --verify``).
        Returns the bytes checked; raises :class:`IndexCorruptError` naming the fix."""
        return self._live().verify()

    def document(self, doc: str) -> tuple[DocumentMeta, str]:
        """An indexed document's metadata and the text its offsets index."""
        index = self._live()
        record = index.document_by_name(doc)
        if record is None:
            raise DocumentNotFoundError(f"{doc!r} is not in the index; `rag status` lists the documents")
        return record.meta, index.document_text(record.id)

    def files(self) -> list[str]:
        """The indexable files in the corpus folder, as paths relative to it."""
        return [p.relative_to(self.settings.corpus_dir).as_posix() for p in scan_corpus(self.settings.corpus_dir)[0]]

    def documents(self) -> list[DocumentState]:
        """Every document of the index and of the corpus folder, and its state: ``indexed``,
        ``deleted`` (from the folder since the last build) or ``not indexed yet``. Reads the
        index's metadata only, never a document's text."""
        files = set(self.files())
        try:
            records = self._live().documents
        except IndexMissingError:
            records = []
        rows = [
            DocumentState(doc=r.doc, meta=r.meta, state="indexed" if r.doc in files else "deleted") for r in records
        ]
        indexed = {r.doc for r in records}
        rows += [DocumentState(doc=doc, state="not indexed yet") for doc in sorted(files - indexed)]
        return rows

    # -- writing ---------------------------------------------------------------------------

    def build(self, *, rebuild: bool = False, progress: BuildProgress | None = None) -> BuildReport:
        with self._build_lock:
            report = build_index(self.settings, self.embedder, rebuild=rebuild, progress=progress)
        if report.written:
            with self._lock:
                self._index = None  # Reopened on next use; the old generation stays readable meanwhile.
        return report

    def add(
        self,
        files: Iterable[tuple[Path, str]] = (),
        *,
        urls: Iterable[str] = (),
        allow_private: bool | None = None,
        overwrite: bool = False,
        progress: BuildProgress | None = None,
    ) -> BuildReport:
        """Copy files (``(path, name)`` pairs) and web pages or PDFs fetched from ``urls`` into the
        corpus, then update the index once. Every file and URL is checked first: one that fails adds
        nothing. A fetched page is stored under a name from its title (else its URL) with a sidecar
        recording its URL and the fetch time (see :mod:`rag.ingest.fetch`). ``allow_private`` overrides
        ``settings.fetch.allow_private`` (the CLI, run by the machine's owner, allows private hosts)."""
        files, urls = list(files), list(urls)
        with tempfile.TemporaryDirectory(prefix="rag-fetch-") as tmp:
            if urls:
                from .ingest.fetch import fetch_urls, page_title, save_pages

                private = self.settings.fetch.allow_private if allow_private is None else allow_private
                pages = fetch_urls(urls, replace(self.settings.fetch, allow_private=private))
                files += save_pages([(page, page_title(page)) for page in pages], Path(tmp))
            if not files:
                raise CorpusError("nothing to add: give one or more files or http(s) URLs")
            add_files(self.settings.corpus_dir, files, overwrite=overwrite)
        return self.build(progress=progress)

    @property
    def watching(self) -> bool:
        """Whether a watcher started by :meth:`start_watching` is running (the page then follows it)."""
        return self._watch_stop is not None and not self._watch_stop.is_set()

    def start_watching(self, on_build: WatchEvent) -> threading.Event:
        """Rebuild whenever the corpus folder changes (debounced, one build at a time), on a daemon
        thread that is listening when this returns; ``on_build`` gets each report or error. Setting
        the returned event stops it (see :mod:`rag.ingest.watch`)."""
        from .ingest.watch import start_watching

        corpus = self.settings.corpus_dir
        if not corpus.is_dir():
            raise CorpusError(f"corpus folder {corpus} does not exist: create it or pass --corpus DIR")
        self._watch_stop = start_watching(corpus, self.build, on_build, self.settings.watch)
        return self._watch_stop

    def remove(self, docs: Iterable[str], progress: BuildProgress | None = None) -> BuildReport:
        """Move documents (and sidecars) to the trash (all must exist, or none moves), then update the index."""
        move_to_trash(self.settings.corpus_dir, trash_dir(self.settings.index_dir), docs)
        return self.build(progress=progress)

    def restore(self, docs: Iterable[str], progress: BuildProgress | None = None) -> BuildReport:
        """Move removed documents back from the trash (:mod:`rag.ingest.trash`), then update the index."""
        restore_from_trash(self.settings.corpus_dir, trash_dir(self.settings.index_dir), docs)
        return self.build(progress=progress)

    def trash(self) -> list[str]:
        """The removed documents :meth:`restore` can bring back, most recently removed first."""
        return trashed(trash_dir(self.settings.index_dir))
