"""The engine: the one API the CLI, the Gradio app, the evaluation and the benchmarks use.

It holds the settings, the encoder (loaded on first use, then kept) and the open index (reopened
when a build makes a new generation live), and wires the stages together:
load → chunk → embed → index (:mod:`rag.build`), retrieve → quote (:meth:`Engine.ask`).
The stored index (:mod:`rag.index`) stays behind it: callers get typed records.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .build import BuildProgress, build_index
from .config import Settings
from .corpus import add_files, remove_documents
from .embed import Embedder
from .encoder import OnnxEmbedder
from .errors import CorpusError, DocumentNotFoundError, IndexMissingError, QuestionError, RagError
from .followup import FirstSentences, asks_for_name, fuse_ranks, own_weight, queries, reading_weights
from .index import StoredIndex, current_generation
from .lexical import LexicalIndex
from .load import scan_corpus
from .quote import answer_from_candidates
from .read import Reader, Reading
from .read_features import ReaderRows, reader_rows
from .records import Answer, BuildReport, CandidateFeatures, DocumentMeta, DocumentState, IndexStatus, Status
from .retrieve import FEATURES, Candidate, candidate_features, prepare_question, retrieve
from .scope import conversation_scope
from .views import AnalystViews

if TYPE_CHECKING:
    from .watch import WatchEvent

__all__ = ["CandidateFeatures", "Engine"]


def _confidence(reading: Reading) -> float:
    return -1.0 if reading.confidence is None else reading.confidence


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
        self._firsts = FirstSentences()
        """The first sentence of the last questions asked alone on the live index."""

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
        ``by_source`` (or when it names several sources) also grouped per document (:mod:`rag.views`).

        ``previous`` is the question asked before in the same conversation: a follow-up ("which
        official did he meet?") is read with it, its own words counting at least as much as the
        previous question's (see :mod:`rag.followup`). ``vector``: the question's embedding when
        the caller has it already (benchmarks)."""
        if k < 1:
            raise RagError(f"k must be at least 1, not {k}")
        rs = self.settings.retrieval
        cleaned = prepare_question(question, rs.max_question_chars)
        try:
            context = prepare_question(previous, rs.max_question_chars) if previous else None
        except QuestionError:
            context = None  # An unusable previous question is no context, not an error in this one.
        index = self._live(will_encode=True)
        scope, asked, context = conversation_scope(index, cleaned, context)
        within = scope.sentences if scope else None
        reading = self._read(index, asked, context, vector if asked == cleaned else None, within)
        answer = answer_from_candidates(
            index,
            cleaned,
            list(reading.candidates),
            k,
            rs,
            status=reading.status,
            confidence=reading.confidence,
            span_ends=reading.span_ends,
            sources=scope.names if scope else (),
        )
        return self._by_source(index, answer, scope, asked, context, reading, k, asked_for=by_source)

    def _rank(self, index: StoredIndex, question: str, vector: np.ndarray, within: np.ndarray | None) -> Reading:
        """One retrieval query's candidates, best first: scored by the trained reader, or by the
        weighted sum of the retrieval features when the settings name no reader. ``within``: the
        only sentences that may be candidates (``None``: all)."""
        rs = self.settings.retrieval
        reader = self.reader()
        if reader is None:
            found = tuple(retrieve(index, question, vector, rs, within=within))
            return Reading(candidates=found, confidence=None, status=None, span_ends={})
        ids, features = candidate_features(index, question, vector, rs, within=within)
        return reader.read(index, question, vector, ids, features, rs, named=within is not None)

    def _read(
        self,
        index: StoredIndex,
        question: str,
        previous: str | None,
        vector: np.ndarray | None,
        within: np.ndarray | None = None,
    ) -> Reading:
        """The ranked candidates for ``question`` asked after ``previous`` (``None``: asked first).
        A follow-up is ranked alone and in context (the previous question plus the follow-up with
        its pronouns resolved), and the two rankings are fused by weighted reciprocal rank, each
        weighted by its reading's confidence, each candidate keeping the larger of each feature
        (:mod:`rag.followup`); status and confidence come from the reading that put the first
        quote first. When the previous question asked for a name, its best sentence is found
        first: the name a pronoun stands for (remembered from when this engine answered it, else
        ranked again). ``within``: the only sentences that may be quoted (``None``: all)."""
        fs = self.settings.followup
        weight = own_weight(question, fs.own_weight, fs.weak_own_weight) if previous else 1.0
        if previous is None or weight >= 1.0:
            reading = self._rank(index, question, self.encode_question(question) if vector is None else vector, within)
            if previous is None and vector is None:
                self._remember_first(index, question, reading, within)
            return reading
        previous_answer = None
        if asks_for_name(previous):
            named = self._first_of(index, previous, within)
            previous_answer = index.sentence_text(named) if named is not None else None
        plan = queries(question, previous, weight, previous_answer)
        vectors = (
            self.embedder.encode([q.text for q in plan])
            if vector is None
            else [vector, *self.embedder.encode([plan[1].text])]
        )
        readings = [self._rank(index, q.text, v, within) for q, v in zip(plan, vectors)]
        rankings = [r.candidates for r in readings]
        context = readings[1].candidates
        own_terms = set(index.lexical.terms(question))
        on_topic = not (context and own_terms) or bool(
            own_terms & set(index.lexical.terms(index.sentence_text(context[0].sentence_id)))
        )
        weights = reading_weights(
            [q.weight for q in plan], [r.confidence for r in readings], fs.confidence_floor, context_on_topic=on_topic
        )
        scores = fuse_ranks([[c.sentence_id for c in r] for r in rankings], weights, fs.rrf_k)
        best: dict[int, Candidate] = {}
        for cand in (c for r in rankings for c in r):
            seen = best.get(cand.sentence_id)
            larger = {name: max(getattr(seen, name), getattr(cand, name)) for name in FEATURES} if seen else {}
            best[cand.sentence_id] = replace(seen, **larger) if seen else cand
        fused = tuple(sorted((replace(c, score=scores[sid]) for sid, c in best.items()), key=lambda c: -c.score))
        # The confidence that the first quote answers is the one of the reading that put it first
        # (the larger if both did); when neither did, or when that reading would abstain, the
        # larger of the two: a vague follow-up ("And what did Japan say?") is not refused while the
        # conversation's reading finds an answer. Every status reads how close the conversation
        # came to the articles, not the follow-up's own words alone ("When was he assassinated?"
        # is far from every sentence).
        reader, near = self.reader(), max(r.best_dense for r in readings)

        def status(r: Reading) -> Status | None:
            if reader is None or r.confidence is None:
                return r.status
            return reader.status(r.confidence, near, r.capped, named=within is not None)

        first = [r for r in readings if fused and r.candidates and r.candidates[0].sentence_id == fused[0].sentence_id]
        judge = max(first or readings, key=_confidence)
        if status(judge) == "abstained":
            judge = max(readings, key=_confidence)
        return Reading(
            candidates=fused,
            confidence=judge.confidence,
            status=status(judge),
            span_ends={k: v for r in readings for k, v in r.span_ends.items()},
            best_dense=near,
            capped=judge.capped,
        )

    def _remember_first(
        self, index: StoredIndex, question: str, reading: Reading, within: np.ndarray | None
    ) -> int | None:
        """Remember (and return) the first sentence of ``reading``, ``question`` asked alone."""
        first = reading.candidates[0].sentence_id if reading.candidates else None
        return self._firsts.remember(index, question, first, within)

    def _first_of(self, index: StoredIndex, question: str, within: np.ndarray | None) -> int | None:
        """The first sentence of ``question`` asked alone (among ``within``, ``None``: all):
        remembered when this engine answered it on this index (a conversation's previous
        question, a moment ago), else ranked now."""
        known, first = self._firsts.recall(index, question, within)
        if known:
            return first
        reading = self._rank(index, question, self.encode_question(question), within)
        return self._remember_first(index, question, reading, within)

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
        corpus_dir = self.settings.corpus_dir
        return [p.relative_to(corpus_dir).as_posix() for p in scan_corpus(corpus_dir)[0]]

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

    # -- for evaluation and benchmarks -------------------------------------------------------

    def sentence_texts(self) -> list[str]:
        """The text of every indexed sentence, in index order."""
        index = self._live()
        return [index.sentence_text(sid) for sid in range(len(index.sentence_doc))]

    def sentence_passages(self) -> np.ndarray:
        """The passage id of every indexed sentence, in index order."""
        return np.asarray(self._live().sentence_passage)

    def vectors(self) -> np.ndarray:
        """Every distinct embedded text's vector (float32, one row each)."""
        return np.asarray(self._live().vectors, dtype=np.float32)

    def candidates(
        self, question: str, vector: np.ndarray, *, lexical: LexicalIndex | None = None
    ) -> CandidateFeatures:
        """The candidate sentences of ``question`` and their features, unscored. ``lexical``
        replaces the index's own BM25 index for this call (to measure another tokenizer)."""
        index = self._live()
        ids, features = candidate_features(index, question, vector, self.settings.retrieval, lexical=lexical)
        return CandidateFeatures(
            doc=tuple(index.documents[int(d)].doc for d in index.sentence_doc[ids]),
            start=index.sentence_start[ids],
            end=index.sentence_end[ids],
            features=features,
        )

    def reader_rows(
        self, question: str, vector: np.ndarray, *, top_n: int, exclude: Sequence[tuple[str, int]] = ()
    ) -> ReaderRows:
        """The answer reader's features of the best ``top_n`` candidates of ``question`` (to train
        and measure it; see :func:`rag.read.reader_rows`)."""
        return reader_rows(self._live(), question, vector, self.settings.retrieval, top_n, exclude)

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
        recording its URL and the fetch time (see :mod:`rag.fetch`). ``allow_private`` overrides
        ``settings.fetch.allow_private`` (the CLI, run by the machine's owner, allows private hosts)."""
        files = list(files)
        urls = list(urls)
        with tempfile.TemporaryDirectory(prefix="rag-fetch-") as tmp:
            if urls:
                from .fetch import fetch_urls, page_title, save_pages

                fetch_settings = self.settings.fetch
                if allow_private is not None:
                    fetch_settings = replace(fetch_settings, allow_private=allow_private)
                pages = fetch_urls(urls, fetch_settings)
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
        the returned event stops it (see :mod:`rag.watch`)."""
        from .watch import start_watching

        if not self.settings.corpus_dir.is_dir():
            raise CorpusError(
                f"corpus folder {self.settings.corpus_dir} does not exist: create it or pass --corpus DIR"
            )
        stop = start_watching(self.settings.corpus_dir, self.build, on_build, self.settings.watch)
        self._watch_stop = stop
        return stop

    def remove(self, docs: Iterable[str], progress: BuildProgress | None = None) -> BuildReport:
        """Delete documents from the corpus (all must exist, or none is deleted), then update the index."""
        remove_documents(self.settings.corpus_dir, docs)
        return self.build(progress=progress)
