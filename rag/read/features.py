"""Reader features: what the answer reader (:mod:`rag.read.reader`) knows about each of the best candidates.

The six features of retrieval, rank and gap features, the neighbouring sentences' similarity and
term overlap (and the question's similarity with the sentence joined to each neighbour: a
contextual vector from the stored vectors), the sentence's place in its passage and the passage's
in its document, IDF-weighted, bigram and proximity overlap with the question, answer-type
evidence and the question word: one named column each (:data:`READER_FEATURES`). Two columns ask
whether the *specific* thing asked is there (for the confidence that the first quote answers):
``asked_type_absent`` (the question asks for a date, when, or for an amount, and the sentence holds
no date, time or amount that the question does not already say; a year is not an amount) and
``content_coverage`` (the IDF-weighted share of the question's content words, question words and
auxiliaries left out, found in the sentence or its neighbours). Everything is computed from what
the index already holds: nothing is embedded.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..config import RetrievalSettings
from ..index import StoredIndex
from ..question.answer_type import holds
from ..retrieve import FEATURES, Retrieved, weights

__all__ = [
    "COLUMN",
    "QUESTION_WORDS",
    "READER_FEATURES",
    "TermStats",
    "TopFeatures",
    "in_same_passage",
    "reader_features",
    "unknown_names",
]

QUESTION_WORDS = ("what", "which", "who", "when", "where", "why", "how_many", "how", "other")

READER_FEATURES: tuple[str, ...] = (
    *FEATURES,
    "linear",
    "linear_gap",
    "linear_rank",
    "dense_gap",
    "dense_rank",
    "lexical_rank",
    "prev_dense",
    "next_dense",
    "context_prev",
    "context_next",
    "prev_idf_overlap",
    "next_idf_overlap",
    "sentence_position",
    "sentences_in_passage",
    "passage_position",
    "idf_overlap",
    "term_share",
    "bigram_overlap",
    "proximity",
    "novel_terms",
    "has_date",
    "has_number",
    "has_new_name",
    "next_answer_type",
    "question_terms",
    *(f"q_{w}" for w in QUESTION_WORDS),
    "asked_type_absent",
    "content_coverage",
)
"""The reader's features, in the column order of :func:`reader_features` and of the model."""


COLUMN = {name: i for i, name in enumerate(READER_FEATURES)}
"""The column of each of :data:`READER_FEATURES`."""
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.I)
_FUNCTION_WORDS = frozenset(
    """what which who whom whose when where why how many much does do did is are was were be been being has
    have had will would can could should may might must shall""".split()
)
"""Words of a question that say how it asks, not what it asks about (left out of ``content_coverage``)."""


class TermStats:
    """Tokens as the lexical index holds them (lower case, stop words dropped, stemmed), and each
    term's inverse document frequency over the indexed sentences."""

    def __init__(self, index: StoredIndex) -> None:
        self._lexical = index.lexical
        self._n = max(1, index.lexical.n_docs)

    def tokens(self, text: str) -> list[str]:
        return self._lexical.terms(text)

    def idf(self, term: str) -> float:
        df = self._lexical.doc_freq(term)
        return float(np.log(1.0 + (self._n - df + 0.5) / (df + 0.5)))


def _question_word(question: str) -> str:
    m = _WH.search(question)
    if m is None:
        return "other"
    word = m.group(1).lower()
    if word == "how" and re.match(r"how (many|much)\b", question[m.start() :], re.I):
        return "how_many"
    return {"whom": "who", "whose": "who"}.get(word, word)


@dataclass(frozen=True, kw_only=True)
class _Overlap:
    matched: frozenset[str]
    idf: float
    share: float
    bigrams: float
    proximity: float
    novel: float


def _overlap(tokens: list[str], q_terms: dict[str, float], q_bigrams: set[tuple[str, str]]) -> _Overlap:
    total = sum(q_terms.values()) or 1.0
    matched = {t for t in tokens if t in q_terms}
    positions = [i for i, t in enumerate(tokens) if t in q_terms]
    bigrams = set(itertools.pairwise(tokens))
    return _Overlap(
        matched=frozenset(matched),
        idf=sum(q_terms[t] for t in matched) / total,
        share=len(matched) / max(1, len(q_terms)),
        bigrams=len(bigrams & q_bigrams) / len(q_bigrams) if q_bigrams else 0.0,
        proximity=(positions[-1] - positions[0] + 1) / len(matched) if len(matched) >= 2 else np.nan,
        novel=float(sum(t not in q_terms for t in tokens)),
    )


def _ranks(values: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(values), dtype=np.float32)
    ranks[np.argsort(-values, kind="stable")] = np.arange(len(values), dtype=np.float32)
    return ranks


def in_same_passage(passage: np.ndarray, ids: np.ndarray, step: int) -> np.ndarray:
    """Whether sentence ``ids + step`` (``step``: -1 the one before, 1 the one after) exists and is
    in the same passage as each of ``ids`` (``passage``: each sentence's passage id). The one test
    of "has a neighbour" for the reader's features, its spans and the cross-encoder's text."""
    passage, ids = np.asarray(passage), np.asarray(ids, dtype=np.int64)
    other = ids + step
    inside = (other >= 0) & (other < len(passage))
    return inside & (passage[np.clip(other, 0, max(len(passage) - 1, 0))] == passage[ids])


@dataclass(frozen=True, kw_only=True)
class TopFeatures:
    """What :func:`reader_features` computes for one question."""

    order: np.ndarray
    """Every candidate's position in ``ids``, in retrieval's order (the first ``len(top)`` are ``top``)."""
    top: np.ndarray
    """The best ``top_n`` candidates' sentence ids, in retrieval's order."""
    x: np.ndarray
    """Their features, one row each, one column per name in :data:`READER_FEATURES`."""
    has_next: np.ndarray
    """Whether each one's next sentence is in the same passage."""


def reader_features(index: StoredIndex, found: Retrieved, settings: RetrievalSettings, top_n: int) -> TopFeatures:
    """The ``top_n`` of retrieval's candidates ``found`` by retrieval score and their reader
    features (:class:`TopFeatures`)."""
    question, ids, features = found.question, found.ids, found.features
    terms = TermStats(index)
    linear = features @ weights(settings)
    dense_rank = _ranks(features[:, 0])
    lexical_rank = _ranks(features[:, 2])
    by_linear = np.argsort(-linear, kind="stable")
    order = by_linear[:top_n]
    top = ids[order].astype(np.int64)
    n = len(top)
    x = np.full((n, len(READER_FEATURES)), np.nan, dtype=np.float32)
    if n == 0:
        return TopFeatures(order=by_linear, top=top, x=x, has_next=np.zeros(0, dtype=bool))
    x[:, : len(FEATURES)] = features[order]
    x[:, COLUMN["linear"]] = linear[order]
    x[:, COLUMN["linear_gap"]] = linear[order[0]] - linear[order]
    x[:, COLUMN["linear_rank"]] = np.arange(n)
    x[:, COLUMN["dense_gap"]] = features[:, 0].max() - features[order, 0]
    x[:, COLUMN["dense_rank"]] = dense_rank[order]
    x[:, COLUMN["lexical_rank"]] = lexical_rank[order]

    owner = index.sentence_passage
    prev = top - 1
    nxt = top + 1
    has_prev = in_same_passage(owner, top, -1)
    has_next = in_same_passage(owner, top, 1)

    q = np.asarray(found.vector, dtype=np.float32).ravel()
    vec = index.vectors
    own = np.asarray(vec[index.sentence_vec[top]], dtype=np.float32)
    for name, ctx, has, other_ids in (
        ("prev", "context_prev", has_prev, prev),
        ("next", "context_next", has_next, nxt),
    ):
        rows = np.flatnonzero(has)
        if len(rows):
            other = np.asarray(vec[index.sentence_vec[other_ids[rows]]], dtype=np.float32)
            x[rows, COLUMN[f"{name}_dense"]] = other @ q
            joined = own[rows] + other
            joined /= np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-9)
            x[rows, COLUMN[ctx]] = joined @ q

    lo = np.searchsorted(owner, owner[top], "left")
    hi = np.searchsorted(owner, owner[top], "right")
    x[:, COLUMN["sentence_position"]] = top - lo
    x[:, COLUMN["sentences_in_passage"]] = hi - lo
    pid = owner[top]
    x[:, COLUMN["passage_position"]] = pid - np.searchsorted(index.passage_doc, index.passage_doc[pid], "left")

    q_tokens = terms.tokens(question.text)
    q_terms = {t: terms.idf(t) for t in q_tokens}
    q_bigrams = set(itertools.pairwise(q_tokens))
    kind, asked, question_words = question.kind, question.asked, question.words
    content = {
        t: q_terms.get(t, terms.idf(t))
        for t in terms.tokens(
            " ".join(w for w in re.findall(r"\w+", question.text) if w.lower() not in _FUNCTION_WORDS)
        )
    }
    content_total = sum(content.values())
    texts: dict[int, str] = {}

    def text(sid: int) -> str:
        if sid not in texts:
            texts[sid] = index.sentence_text(sid)
        return texts[sid]

    overlaps: dict[int, _Overlap] = {}

    def overlap(sid: int) -> _Overlap:
        if sid not in overlaps:
            overlaps[sid] = _overlap(terms.tokens(text(sid)), q_terms, q_bigrams)
        return overlaps[sid]

    for row, sid in enumerate(top.tolist()):
        o = overlap(sid)
        s = text(sid)
        x[row, COLUMN["idf_overlap"]] = o.idf
        x[row, COLUMN["term_share"]] = o.share
        x[row, COLUMN["bigram_overlap"]] = o.bigrams
        x[row, COLUMN["proximity"]] = o.proximity
        x[row, COLUMN["novel_terms"]] = o.novel
        x[row, COLUMN["has_date"]] = float(holds("date", s, question_words))
        x[row, COLUMN["has_number"]] = float(holds("number", s, question_words))
        x[row, COLUMN["has_new_name"]] = float(holds("name", s, question_words))
        near = set(o.matched)
        absent = asked is not None and not holds(asked, s, question_words)
        if has_prev[row]:
            x[row, COLUMN["prev_idf_overlap"]] = overlap(sid - 1).idf
            near |= overlap(sid - 1).matched
        if has_next[row]:
            x[row, COLUMN["next_idf_overlap"]] = overlap(sid + 1).idf
            x[row, COLUMN["next_answer_type"]] = float(kind is not None and holds(kind, text(sid + 1), question_words))
            near |= overlap(sid + 1).matched
        x[row, COLUMN["asked_type_absent"]] = float(absent)
        x[row, COLUMN["content_coverage"]] = (
            sum(v for t, v in content.items() if t in near) / content_total if content_total else np.nan
        )
    x[:, COLUMN["question_terms"]] = len(q_terms)
    x[:, COLUMN[f"q_{_question_word(question.text)}"]] = 1.0
    for w in QUESTION_WORDS:
        col = COLUMN[f"q_{w}"]
        x[:, col] = np.nan_to_num(x[:, col])
    return TopFeatures(order=by_linear, top=top, x=x, has_next=has_next)


_QUESTION_NAME = re.compile(r"(?<!^)\b[A-Z][\w’'\-]*")


def unknown_names(index: StoredIndex, question: str, doc_ids: Sequence[int]) -> list[str]:
    """The capitalised words of ``question`` (its first word aside) that no indexed sentence
    holds and that the documents ``doc_ids`` do not hold either (a byline or heading is in the
    document, not among the sentences): "Australia" in "What is the capital of Australia?" asked
    of articles that never name it. Words the lexical index drops (stop words) are skipped."""
    unknown = []
    texts: list[str] | None = None
    for match in _QUESTION_NAME.finditer(question):
        word = match.group(0)
        terms = index.lexical.terms(word)
        if not terms or any(index.lexical.doc_freq(t) > 0 for t in terms):
            continue
        if texts is None:
            texts = [index.document_text(d) for d in dict.fromkeys(doc_ids)]
        if not any(re.search(rf"\b{re.escape(word)}\b", t, re.I) for t in texts):
            unknown.append(word)
    return unknown
