"""Read: the second stage, which scores whether each of the best candidates answers the question.

Retrieval (:mod:`rag.retrieve`) gathers candidate sentences and ranks them by a weighted sum of six
features. The reader takes the best ``top_n`` of them and scores each with a LightGBM lambdarank
model over richer, named features (:data:`READER_FEATURES`): the six of retrieval, rank and gap
features, the neighbouring sentences' similarity and term overlap, the sentence's place in its
passage and the passage's in its document, IDF-weighted, bigram and proximity overlap with the
question, answer-type evidence and the question word. Everything is computed from what the index
already holds (vectors included): the reader embeds nothing.

It then decides three things, with small models fitted beside the ranker (``models/reader.json``):

- **confidence**: a calibrated probability that the first quote answers (logistic regression on
  :func:`confidence_features`), and from it the **status**: ``"answered"``, ``"uncertain"`` (the
  quotes are kept, but the articles may not answer this directly) or ``"abstained"``;
- **spans**: whether a quoted sentence is a lead-in whose next sentence carries the answer, in
  which case the quote spans both (logistic regression on :func:`span_features`).

``benchmarks/train_reranker.py`` (``make train-reranker``) trains all of it on the tuning part of the
SQuAD evaluation set; ``models/README.md`` says what data, what licence and what it measured.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import RetrievalSettings
from .errors import ModelError
from .index import StoredIndex
from .records import Status
from .retrieve import _NAME, _NUMBER, _YEAR_OR_DATE, FEATURES, Candidate, answer_type, weights

__all__ = [
    "CONFIDENCE_FEATURES",
    "QUESTION_WORDS",
    "READER_FEATURES",
    "SPAN_FEATURES",
    "Reader",
    "Reading",
    "TermStats",
    "confidence_features",
    "reader_features",
    "span_features",
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
)
"""The reader's features, in the column order of :func:`reader_features` and of the model."""

CONFIDENCE_FEATURES = ("top_score", "top_gap", "best_dense", "best_coverage", "top_idf_overlap")
SPAN_FEATURES = ("score", "next_score", "next_minus_score", "answer_type", "next_answer_type", "length", "next_length")

_COL = {name: i for i, name in enumerate(READER_FEATURES)}
_CANDIDATE_FIELDS = ("dense", "passage", "lexical", "coverage")
"""The retrieval features a :class:`~rag.retrieve.Candidate` carries, in its field order."""
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.I)


def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


class TermStats:
    """Tokens as the lexical index holds them (lower case, stop words dropped, stemmed), and each
    term's inverse document frequency over the indexed sentences."""

    def __init__(self, index: StoredIndex) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer(index.lexical.stemmer).stemWord if index.lexical.stemmer else None
        self._stop = _stopwords()
        self._n = max(1, index.lexical.n_docs)
        retriever = index.lexical.retriever
        self._vocab: dict[str, int] = dict(retriever.vocab_dict) if retriever is not None else {}
        self._indptr = np.asarray(retriever.scores["indptr"]) if retriever is not None else np.zeros(1, np.int64)

    def tokens(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._stop]
        return [self._stem(w) for w in words] if self._stem else words

    def idf(self, term: str) -> float:
        i = self._vocab.get(term)
        df = int(self._indptr[i + 1] - self._indptr[i]) if i is not None and i + 1 < len(self._indptr) else 0
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


def _holds(kind: str | None, text: str, question_words: set[str]) -> float:
    if kind == "date":
        return float(_YEAR_OR_DATE.search(text) is not None)
    if kind == "number":
        return float(_NUMBER.search(text) is not None)
    if kind == "name":
        return float(any(m.group(0).lower() not in question_words for m in _NAME.finditer(text)))
    return 0.0


def reader_features(
    index: StoredIndex,
    terms: TermStats,
    question: str,
    query_vector: np.ndarray,
    ids: np.ndarray,
    features: np.ndarray,
    settings: RetrievalSettings,
    top_n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``top_n`` candidates by retrieval score (of ``ids`` with retrieval ``features``) and
    their reader features, one row per candidate, one column per name in :data:`READER_FEATURES`."""
    linear = features @ weights(settings)
    dense_rank = _ranks(features[:, 0])
    lexical_rank = _ranks(features[:, 2])
    order = np.argsort(-linear, kind="stable")[:top_n]
    top = ids[order].astype(np.int64)
    n = len(top)
    x = np.full((n, len(READER_FEATURES)), np.nan, dtype=np.float32)
    if n == 0:
        return top, x
    x[:, : len(FEATURES)] = features[order]
    x[:, _COL["linear"]] = linear[order]
    x[:, _COL["linear_gap"]] = linear[order[0]] - linear[order]
    x[:, _COL["linear_rank"]] = np.arange(n)
    x[:, _COL["dense_gap"]] = features[:, 0].max() - features[order, 0]
    x[:, _COL["dense_rank"]] = dense_rank[order]
    x[:, _COL["lexical_rank"]] = lexical_rank[order]

    owner = index.sentence_passage
    total = len(owner)
    prev = top - 1
    nxt = top + 1
    has_prev = (prev >= 0) & (owner[np.maximum(prev, 0)] == owner[top])
    has_next = (nxt < total) & (owner[np.minimum(nxt, total - 1)] == owner[top])

    q = np.asarray(query_vector, dtype=np.float32).ravel()
    vec = index.vectors
    own = np.asarray(vec[index.sentence_vec[top]], dtype=np.float32)
    for name, ctx, has, other_ids in (
        ("prev", "context_prev", has_prev, prev),
        ("next", "context_next", has_next, nxt),
    ):
        rows = np.flatnonzero(has)
        if len(rows):
            other = np.asarray(vec[index.sentence_vec[other_ids[rows]]], dtype=np.float32)
            x[rows, _COL[f"{name}_dense"]] = other @ q
            joined = own[rows] + other
            joined /= np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-9)
            x[rows, _COL[ctx]] = joined @ q

    lo = np.searchsorted(owner, owner[top], "left")
    hi = np.searchsorted(owner, owner[top], "right")
    x[:, _COL["sentence_position"]] = top - lo
    x[:, _COL["sentences_in_passage"]] = hi - lo
    pid = owner[top]
    x[:, _COL["passage_position"]] = pid - np.searchsorted(index.passage_doc, index.passage_doc[pid], "left")

    q_tokens = terms.tokens(question)
    q_terms = {t: terms.idf(t) for t in q_tokens}
    q_bigrams = set(itertools.pairwise(q_tokens))
    kind = answer_type(question)
    question_words = {w.lower() for w in re.findall(r"\w+", question)}
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
        x[row, _COL["idf_overlap"]] = o.idf
        x[row, _COL["term_share"]] = o.share
        x[row, _COL["bigram_overlap"]] = o.bigrams
        x[row, _COL["proximity"]] = o.proximity
        x[row, _COL["novel_terms"]] = o.novel
        x[row, _COL["has_date"]] = _holds("date", s, question_words)
        x[row, _COL["has_number"]] = _holds("number", s, question_words)
        x[row, _COL["has_new_name"]] = _holds("name", s, question_words)
        if has_prev[row]:
            x[row, _COL["prev_idf_overlap"]] = overlap(sid - 1).idf
        if has_next[row]:
            x[row, _COL["next_idf_overlap"]] = overlap(sid + 1).idf
            x[row, _COL["next_answer_type"]] = _holds(kind, text(sid + 1), question_words)
    x[:, _COL["question_terms"]] = len(q_terms)
    x[:, _COL[f"q_{_question_word(question)}"]] = 1.0
    for w in QUESTION_WORDS:
        col = _COL[f"q_{w}"]
        x[:, col] = np.nan_to_num(x[:, col])
    return top, x


def confidence_features(scores: np.ndarray, x: np.ndarray, features: np.ndarray) -> np.ndarray:
    """What the confidence is computed from (:data:`CONFIDENCE_FEATURES`): the reader's scores of
    the candidates ``x`` (best first), and the retrieval ``features`` of all candidates."""
    if len(scores) == 0:
        return np.array([-10.0, 0.0, -1.0, 0.0, 0.0], dtype=np.float64)
    gap = float(scores[0] - scores[1]) if len(scores) > 1 else 5.0
    return np.array(
        [
            float(scores[0]),
            gap,
            float(features[:, 0].max()),
            float(features[:, FEATURES.index("coverage")].max()),
            float(np.nan_to_num(x[0, _COL["idf_overlap"]])),
        ],
        dtype=np.float64,
    )


def span_features(row: int, scores: np.ndarray, x: np.ndarray, ids: np.ndarray, has_next: bool) -> np.ndarray | None:
    """What the span decision for candidate ``row`` is computed from (:data:`SPAN_FEATURES`), or
    ``None`` when it has no next sentence in its passage (``has_next``) or that sentence is not
    among the scored candidates ``ids``."""
    where = np.flatnonzero(ids == ids[row] + 1)
    if not has_next or len(where) == 0:
        return None
    nxt = int(where[0])
    return np.array(
        [
            scores[row],
            scores[nxt],
            scores[nxt] - scores[row],
            x[row, _COL["answer_type"]],
            x[nxt, _COL["answer_type"]],
            x[row, _COL["length"]],
            x[nxt, _COL["length"]],
        ],
        dtype=np.float64,
    )


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True, kw_only=True)
class Reading:
    """The reader's verdict on one question."""

    candidates: tuple[Candidate, ...]
    """The scored candidates, best first (``score`` is the reader's)."""
    confidence: float
    """Calibrated probability that the first candidate answers the question."""
    status: Status
    span_ends: dict[int, int]
    """For a candidate sentence whose quote spans the next sentence too: sentence id → that next id."""


class Reader:
    """The trained second stage, loaded once from ``models/`` (LightGBM's text format + JSON)."""

    def __init__(self, folder: Path) -> None:
        import lightgbm

        model, params = folder / "reader.txt", folder / "reader.json"
        try:
            self.booster = lightgbm.Booster(model_str=model.read_text(encoding="utf-8"))
            self.params: dict[str, Any] = json.loads(params.read_text(encoding="utf-8"))
        except (OSError, ValueError, lightgbm.basic.LightGBMError) as err:
            raise ModelError(
                f"cannot load the answer reader from {folder} ({err}); restore models/ from git "
                "or retrain it with `make train-reranker`"
            ) from err
        if not set(self.params["used_features"]) <= set(READER_FEATURES):
            raise ModelError(
                f"the answer reader in {folder} was trained on other features; retrain it with `make train-reranker`"
            )
        self.top_n = int(self.params["top_n"])
        self._columns = [READER_FEATURES.index(f) for f in self.params["used_features"]]
        self._terms: tuple[StoredIndex, TermStats] | None = None

    def terms(self, index: StoredIndex) -> TermStats:
        if self._terms is None or self._terms[0] is not index:
            self._terms = (index, TermStats(index))
        return self._terms[1]

    def scores(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        return np.asarray(self.booster.predict(x[:, self._columns], num_threads=1), dtype=np.float64)

    def confidence(self, conf_x: np.ndarray) -> float:
        cal = self.params["confidence"]
        z = float(np.dot(cal["coef"], (conf_x - cal["mean"]) / cal["scale"]) + cal["intercept"])
        return _sigmoid(z)

    def status(self, confidence: float) -> Status:
        if confidence < self.params["abstain_below"]:
            return "abstained"
        return "answered" if confidence >= self.params["answered_from"] else "uncertain"

    def spans_next(self, span_x: np.ndarray) -> bool:
        span = self.params["span"]
        z = float(np.dot(span["coef"], (span_x - span["mean"]) / span["scale"]) + span["intercept"])
        return _sigmoid(z) >= span["threshold"]

    def read(
        self,
        index: StoredIndex,
        question: str,
        query_vector: np.ndarray,
        ids: np.ndarray,
        features: np.ndarray,
        settings: RetrievalSettings,
    ) -> Reading:
        """Score the best candidates (retrieval's ``ids`` and ``features``) and decide the answer's
        status, confidence and spans."""
        top, x = reader_features(index, self.terms(index), question, query_vector, ids, features, settings, self.top_n)
        scores = self.scores(x)
        order = np.argsort(-scores, kind="stable")
        top, x, scores = top[order], x[order], scores[order]
        confidence = self.confidence(confidence_features(scores, x, features))
        # The reader's candidates, then the rest in retrieval's order (for a ``k`` above
        # ``top_n``) with scores that keep descending.
        by_linear = np.argsort(-(features @ weights(settings)), kind="stable")
        positions = np.concatenate([by_linear[: len(top)][order], by_linear[len(top) :]])
        floor = float(scores[-1]) if len(scores) else 0.0
        ranked = [*scores.tolist(), *(floor - 0.001 * (j + 1) for j in range(len(positions) - len(top)))]
        candidates = tuple(
            Candidate(int(ids[p]), score, *(float(features[p, FEATURES.index(f)]) for f in _CANDIDATE_FIELDS))
            for p, score in zip(positions.tolist(), ranked)
        )
        span_ends: dict[int, int] = {}
        owner = index.sentence_passage
        for row in range(len(top)):  # Every row, so a larger k continues the same quotes.
            sid = int(top[row])
            has_next = sid + 1 < len(owner) and owner[sid + 1] == owner[sid]
            sx = span_features(row, scores, x, top, bool(has_next))
            if sx is not None and self.spans_next(sx):
                span_ends[int(top[row])] = int(top[row]) + 1
        return Reading(
            candidates=candidates, confidence=confidence, status=self.status(confidence), span_ends=span_ends
        )
