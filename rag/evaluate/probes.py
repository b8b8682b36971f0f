"""Probes: what evaluation, the benchmarks and the training of the reader read of an engine's live
index besides answers (the candidates and their features, the reader's view of them, every
sentence's text and passage, every stored vector). Each is a function of an :class:`~rag.Engine`;
the engine itself answers questions and keeps its index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..engine import Engine
from ..index.lexical import LexicalIndex
from ..question.record import Query
from ..read.features import reader_features
from ..retrieve import Retrieved, candidate_features

__all__ = [
    "CandidateFeatures",
    "ReaderRows",
    "candidates",
    "reader_rows",
    "sentence_passages",
    "sentence_texts",
    "vectors",
]


@dataclass(frozen=True, kw_only=True)
class CandidateFeatures:
    """The candidate sentences for one question (for evaluation and benchmarks): where each
    stands (``doc``, ``start``, ``end``) and its features, one column per
    :class:`~rag.retrieve.Feature`."""

    doc: tuple[str, ...]
    start: np.ndarray
    end: np.ndarray
    features: np.ndarray


def sentence_texts(engine: Engine) -> list[str]:
    """The text of every indexed sentence, in index order."""
    index = engine._live()
    return [index.sentence_text(sid) for sid in range(len(index.sentence_doc))]


def sentence_passages(engine: Engine) -> np.ndarray:
    """The passage id of every indexed sentence, in index order."""
    return np.asarray(engine._live().sentence_passage)


def vectors(engine: Engine) -> np.ndarray:
    """Every distinct embedded text's vector (float32, one row each)."""
    return np.asarray(engine._live().vectors, dtype=np.float32)


def candidates(
    engine: Engine, question: str, vector: np.ndarray, *, lexical: LexicalIndex | None = None
) -> CandidateFeatures:
    """The candidate sentences of ``question`` and their features, unscored. ``lexical``
    replaces the index's own BM25 index for this call (to measure another tokenizer)."""
    index = engine._live()
    ids, features = candidate_features(index, question, vector, engine.settings.retrieval, lexical=lexical)
    return CandidateFeatures(
        doc=tuple(index.documents[int(d)].doc for d in index.sentence_doc[ids]),
        start=index.sentence_start[ids],
        end=index.sentence_end[ids],
        features=features,
    )


@dataclass(frozen=True, kw_only=True)
class ReaderRows:
    """The reader's view of one question (for training and measuring it): its best candidates in
    retrieval's order, where each stands, and their features."""

    ids: np.ndarray
    """Sentence ids (consecutive ids in one passage are consecutive sentences)."""
    doc: tuple[str, ...]
    start: np.ndarray
    end: np.ndarray
    next_start: np.ndarray
    """Offsets of the next sentence in the same passage; -1 where there is none."""
    next_end: np.ndarray
    x: np.ndarray
    """One row per candidate, one column per name in :data:`~rag.read.features.READER_FEATURES`."""
    retrieval: np.ndarray
    """Retrieval's features of all candidates (what :func:`~rag.read.reader.confidence_features` also reads)."""


def reader_rows(
    engine: Engine,
    question: str,
    query_vector: np.ndarray,
    *,
    top_n: int,
    exclude: Sequence[tuple[str, int]] = (),
) -> ReaderRows:
    """The answer reader's features of the best ``top_n`` candidates of ``question`` (to train and
    measure it), as :class:`ReaderRows`; sentences holding any ``(doc, offset)`` of ``exclude`` are
    taken out of the candidates first (to ask a question whose answer was removed)."""
    index, settings = engine._live(), engine.settings.retrieval
    query = Query.of(question)
    ids, features = candidate_features(index, query, query_vector, settings)
    names = [d.doc for d in index.documents]
    if exclude and len(ids):
        doc_of = np.array([names[int(d)] for d in index.sentence_doc[ids]])
        s, e = index.sentence_start[ids], index.sentence_end[ids]
        drop = np.zeros(len(ids), dtype=bool)
        for doc, offset in exclude:
            drop |= (doc_of == doc) & (s <= offset) & (offset < e)
        ids, features = ids[~drop], features[~drop]
    found = reader_features(
        index, Retrieved(question=query, vector=query_vector, ids=ids, features=features), settings, top_n
    )
    top, x, has_next = found.top, found.x, found.has_next
    nxt = np.minimum(top + 1, len(index.sentence_passage) - 1)
    return ReaderRows(
        ids=top,
        doc=tuple(names[int(d)] for d in index.sentence_doc[top]),
        start=index.sentence_start[top],
        end=index.sentence_end[top],
        next_start=np.where(has_next, index.sentence_start[nxt], -1),
        next_end=np.where(has_next, index.sentence_end[nxt], -1),
        x=x,
        retrieval=features,
    )
