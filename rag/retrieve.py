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
each feature and fits the weights on the tuning part of the evaluation set (README, "Answer
quality"). The passage's summed BM25 and the similarity of the neighbouring sentences were
measured too and left out: they did not help.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

import numpy as np

from .config import RetrievalSettings
from .errors import QuestionError
from .index import StoredIndex, dense
from .index.lexical import LexicalIndex


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
    "ASKS_CALENDAR_DATE",
    "FEATURES",
    "AnswerKind",
    "Candidate",
    "Feature",
    "answer_type",
    "candidate_features",
    "holds",
    "prepare_question",
    "ranked",
    "retrieve",
    "weights",
]


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


def prepare_question(question: str, max_chars: int) -> str:
    """The question with control characters removed and white space folded, cut at a word
    boundary near ``max_chars``. Raises :class:`QuestionError` if nothing is left."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") else ch for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QuestionError("the question is empty: type a question about the articles")
    if len(cleaned) > max_chars:
        cut = cleaned.rfind(" ", 0, max_chars + 1)
        cleaned = cleaned[: cut if cut > max_chars // 2 else max_chars]
    if not re.search(r"\w", cleaned):
        raise QuestionError("the question has no words: type a question about the articles")
    return cleaned


_YEAR_OR_DATE = re.compile(
    r"\b(1\d{3}|20\d{2})s?\b|\b(January|February|March|April|May|June|July|August|September|October|November|"
    r"December|century|centuries|decade|BC|AD)\b"
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_WEEKDAY = re.compile(rf"\b({_WEEKDAYS})\b", re.I)
_TIME = re.compile(
    rf"\b(\d{{1,4}}s?|{_WEEKDAYS}|spring|summer|autumn|fall|winter|"
    r"days?|weeks?|months?|years?|seasons?|ago|since|until|before|after|during|era|age|period|today|yesterday|"
    r"tomorrow|morning|evening|night|now|recently|soon|later|earlier|once|when|while)\b",
    re.I,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|"
    "million|billion|dozen|half"
)
_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I)
_AMOUNT = re.compile(rf"\d[\d,.]*|\b({_NUMBER_WORDS}|trillion)\b", re.I)
_YEAR = re.compile(r"^(1\d{3}|20\d{2})$")
ASKS_CALENDAR_DATE = r"\b(what|which)\s+(year|date|day|month|century|decade)s?\b"
"""A question naming the calendar unit it asks for ("on what date", "in which year"): a date, not
any time ("when")."""
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_ASKS = (
    (
        "date",
        re.compile(
            rf"^(when\b|what time\b|(by|since|until|till) when\b)|{ASKS_CALENDAR_DATE}",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|far|old|large|big|high|tall|often)\b|\bwhat (percentage|"
            r"percent|number|amount)\b",
            re.I,
        ),
    ),
    ("name", re.compile(r"^(who|whom|whose)\b|\b(who|whom|whose)\b", re.I)),
)
AnswerKind = Literal["date", "when", "number", "amount", "name"]


def answer_type(question: str) -> Literal["date", "number", "name"] | None:
    """The kind of answer ``question`` asks for: ``"date"`` ("when", "on what date", "in which
    year"), ``"number"`` ("how many", "what percentage"), ``"name"`` ("who") or ``None``."""
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind  # type: ignore[return-value]
    return None


def holds(kind: AnswerKind, text: str, question_words: set[str]) -> bool:
    """Whether ``text`` holds an answer of ``kind``: ``"date"`` a year, month, century or weekday;
    ``"when"`` that or any word of time ("after", "in the evening", "1990s"); ``"number"`` a digit
    or a number word; ``"amount"`` a number that is neither a year nor in ``question_words``;
    ``"name"`` a capitalised word, not starting a sentence, that is not in ``question_words``
    (lower case)."""
    if kind == "date":
        return _YEAR_OR_DATE.search(text) is not None or _WEEKDAY.search(text) is not None
    if kind == "when":
        return _YEAR_OR_DATE.search(text) is not None or _TIME.search(text) is not None
    if kind == "number":
        return _NUMBER.search(text) is not None
    if kind == "amount":
        found = (m.group(0).lower().rstrip(".,") for m in _AMOUNT.finditer(text))
        return any(w not in question_words and not _YEAR.match(w) for w in found)
    return any(m.group(0).lower() not in question_words for m in _NAME.finditer(text))


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
    question: str,
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
    n = settings.candidates
    if len(index.sentence_vec) == 0 or (within is not None and len(within) == 0):
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(Feature)), dtype=np.float32)
    bm25 = index.lexical if lexical is None else lexical
    terms = bm25.terms(question)
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
    kind = answer_type(question)
    if kind is not None:
        question_words = {w.lower() for w in re.findall(r"\w+", question)}
        for row, sid in enumerate(ids):
            features[row, Feature.ANSWER_TYPE] = float(holds(kind, index.sentence_text(int(sid)), question_words))
    return ids, features


def retrieve(
    index: StoredIndex,
    question: str,
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
