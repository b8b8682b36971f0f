"""Retrieve: gather candidate sentences for a question and score them.

Candidates come from three places: the sentences nearest the question (FAISS), every sentence of
the passages nearest the question (FAISS), and the best BM25 matches; for a question that names its
source (:mod:`rag.question.scope`), from that source's sentences only. Each candidate gets a few
features (:class:`Feature`), and its score is their weighted sum:

- ``dense``: cos(question, sentence), what the sentence says (weight 1);
- ``passage``: cos(question, passage), the context it stands in;
- ``lexical``: BM25 of the sentence / the best sentence's BM25, the exact terms it shares;
- ``coverage``: the share of the question's terms (stemmed, stop words dropped) found in the
  passage;
- ``length``: the sentence's length in characters / 100, with a negative weight, so a long
  sentence is not preferred merely for holding more terms (quotes stay as short as the corpus's
  sentences on average);
- ``answer_type``: 1 when the question asks for a kind of answer the sentence holds (when →
  a year or date, how many → a number, who → a name not in the question), else 0.

The weights live in :class:`~rag.config.RetrievalSettings`; ``benchmarks/quality.py`` measures
each feature and fits the weights on the tuning part of the evaluation set (docs/answer-quality.md).
The passage's summed BM25 and the similarity of the neighbouring sentences were measured too and
left out: they did not help.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from .config import RetrievalSettings
from .index import StoredIndex, dense
from .index.lexical import LexicalIndex
from .question.answer_type import holds
from .question.record import Query


class Feature(IntEnum):
    """The features of a candidate sentence, each named once; the value is its column in the
    feature matrix of :func:`candidate_features`."""

    DENSE = 0
    PASSAGE = 1
    LEXICAL = 2
    ANSWER_TYPE = 3
    COVERAGE = 4
    LENGTH = 5


FEATURES = tuple(f.name.lower() for f in Feature)
"""The features' names, in column order."""

__all__ = [
    "FEATURES",
    "Candidate",
    "Feature",
    "Retrieved",
    "candidate_features",
    "gather",
    "ranked",
    "retrieve",
    "weights",
]


@dataclass(frozen=True, kw_only=True, eq=False)
class Retrieved:
    """One ranking's candidates as retrieval hands them to the reader: the question read, its
    vector, the candidate sentence ids and their features (one column per :class:`Feature`)."""

    question: Query
    vector: np.ndarray
    ids: np.ndarray
    features: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """A candidate sentence, its score and every feature it was scored on."""

    sentence_id: int
    score: float
    dense: float
    passage: float
    lexical: float
    answer_type: float
    coverage: float
    length: float


def weights(settings: RetrievalSettings) -> np.ndarray:
    """The weight of each :class:`Feature`, in column order (the dense similarity's is 1)."""
    by_feature = {
        Feature.DENSE: 1.0,
        Feature.PASSAGE: settings.passage_weight,
        Feature.LEXICAL: settings.lexical_weight,
        Feature.ANSWER_TYPE: settings.answer_type_weight,
        Feature.COVERAGE: settings.coverage_weight,
        Feature.LENGTH: settings.length_weight,
    }
    return np.array([by_feature[f] for f in Feature], dtype=np.float32)


def candidate_features(
    index: StoredIndex,
    question: Query | str,
    query_vector: np.ndarray,
    settings: RetrievalSettings,
    *,
    lexical: LexicalIndex | None = None,
    within: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate sentence ids for ``question`` and their features, one row per candidate and
    one column per :class:`Feature`. ``lexical`` stands in for the index's BM25 index. ``within``:
    the only sentence ids that may be candidates (the sources a question names,
    :mod:`rag.question.scope`); every one of them when they are at most ``settings.candidates``, else the
    nearest and the best BM25 matches among them."""
    question = Query.of(question) if isinstance(question, str) else question
    n = settings.candidates
    if len(index.sentence_vec) == 0 or (within is not None and len(within) == 0):
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(Feature)), dtype=np.float32)
    bm25 = index.lexical if lexical is None else lexical
    terms = bm25.terms(question.text)
    lexical_scores = bm25.scores(terms)
    q = query_vector.astype(np.float32).ravel()
    owner = index.sentence_passage
    if within is not None:
        ids = np.asarray(within, dtype=np.int64)
        if len(ids) > n:
            near = np.asarray(index.vectors[index.sentence_vec[ids]], dtype=np.float32) @ q
            matched = ids[lexical_scores[ids] > 0]
            best_matched = matched[np.argsort(-lexical_scores[matched], kind="stable")[:n]]
            ids = np.unique(np.concatenate([ids[np.argsort(-near, kind="stable")[:n]], best_matched]))
    else:
        _, sentence_ids = dense.search(index.sentence_index, query_vector, n)
        _, passage_ids = dense.search(index.passage_index, query_vector, max(1, n // 10))
        top_lexical = np.argpartition(-lexical_scores, min(n, len(lexical_scores) - 1))[:n]
        top_lexical = top_lexical[lexical_scores[top_lexical] > 0]
        # Sentences are stored in passage order, so a passage's sentences are one contiguous run.
        lo = np.searchsorted(owner, passage_ids, "left")
        hi = np.searchsorted(owner, passage_ids, "right")
        in_passages = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)] or [np.zeros(0, np.int64)])
        ids = np.unique(np.concatenate([sentence_ids, in_passages, top_lexical]).astype(np.int64))

    features = np.zeros((len(ids), len(Feature)), dtype=np.float32)
    features[:, Feature.DENSE] = np.asarray(index.vectors[index.sentence_vec[ids]], dtype=np.float32) @ q
    features[:, Feature.PASSAGE] = np.asarray(index.vectors[index.passage_vec[owner[ids]]], dtype=np.float32) @ q
    # The best candidate's BM25: the best sentence's, which is always a candidate unless ``within``.
    top_lex = float(lexical_scores[ids].max()) if len(ids) else 0.0
    if top_lex > 0:
        features[:, Feature.LEXICAL] = lexical_scores[ids] / top_lex
    features[:, Feature.COVERAGE] = bm25.coverage(terms, owner, len(index.passage_vec))[owner[ids]]
    features[:, Feature.LENGTH] = (index.sentence_end[ids] - index.sentence_start[ids]) / 100.0
    if question.kind is not None:
        for row, sid in enumerate(ids):
            features[row, Feature.ANSWER_TYPE] = float(
                holds(question.kind, index.sentence_text(int(sid)), question.words)
            )
    return ids, features


def gather(
    index: StoredIndex,
    question: Query,
    query_vector: np.ndarray,
    settings: RetrievalSettings,
    *,
    within: np.ndarray | None = None,
) -> Retrieved:
    """:func:`candidate_features` as the record the reader reads."""
    ids, features = candidate_features(index, question, query_vector, settings, within=within)
    return Retrieved(question=question, vector=query_vector, ids=ids, features=features)


def retrieve(
    index: StoredIndex,
    question: Query | str,
    query_vector: np.ndarray,
    settings: RetrievalSettings,
    *,
    within: np.ndarray | None = None,
) -> list[Candidate]:
    """Candidate sentences for ``question`` (among ``within``: see :func:`candidate_features`), best first."""
    ids, features = candidate_features(index, question, query_vector, settings, within=within)
    return ranked(ids, features, features @ weights(settings))


def ranked(ids: np.ndarray, features: np.ndarray, scores: np.ndarray) -> list[Candidate]:
    """The candidates ``ids`` with their ``features``, best first by ``scores`` (ties keep order)."""
    order = np.argsort(-scores, kind="stable")
    return [
        Candidate(
            sentence_id=int(ids[i]),
            score=float(scores[i]),
            **{f.name.lower(): float(features[i, f]) for f in Feature},
        )
        for i in order
    ]
