"""Retrieve: gather candidate sentences for a question and score them.

Candidates come from three places: the sentences nearest the question (FAISS), every sentence of
the passages nearest the question (FAISS), and the best BM25 matches. Each candidate is scored

    score = cos(question, sentence) + passage_weight * cos(question, passage)
            + lexical_weight * bm25(sentence) / max bm25

so a sentence is ranked by what it says, by the context it stands in, and by the exact terms it
shares with the question. Weights live in :class:`~rag.config.RetrievalSettings`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from . import dense
from .config import RetrievalSettings
from .errors import QuestionError
from .index import StoredIndex

__all__ = ["Candidate", "prepare_question", "retrieve"]


@dataclass(frozen=True)
class Candidate:
    sentence_id: int
    score: float
    dense: float
    passage: float
    lexical: float


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


def retrieve(
    index: StoredIndex, question: str, query_vector: np.ndarray, settings: RetrievalSettings
) -> list[Candidate]:
    """Candidate sentences for ``question``, best first."""
    n = settings.candidates
    if len(index.sentence_vec) == 0:
        return []
    _, sentence_ids = dense.search(index.sentence_index, query_vector, n)
    _, passage_ids = dense.search(index.passage_index, query_vector, max(1, n // 10))
    lexical_scores = index.lexical.scores(question)
    top_lexical = np.argpartition(-lexical_scores, min(n, len(lexical_scores) - 1))[:n]
    top_lexical = top_lexical[lexical_scores[top_lexical] > 0]

    # Sentences are stored in passage order, so a passage's sentences are one contiguous run.
    lo = np.searchsorted(index.sentence_passage, passage_ids, "left")
    hi = np.searchsorted(index.sentence_passage, passage_ids, "right")
    in_passages = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)] or [np.zeros(0, np.int64)])
    ids = np.unique(np.concatenate([sentence_ids, in_passages, top_lexical]).astype(np.int64))

    q = query_vector.astype(np.float32).ravel()
    sentence_sim = np.asarray(index.vectors[index.sentence_vec[ids]], dtype=np.float32) @ q
    passage_rows = index.passage_vec[index.sentence_passage[ids]]
    passage_sim = np.asarray(index.vectors[passage_rows], dtype=np.float32) @ q
    top_lex = float(lexical_scores.max()) if len(lexical_scores) else 0.0
    lex = lexical_scores[ids] / top_lex if top_lex > 0 else np.zeros(len(ids), dtype=np.float32)
    scores = sentence_sim + settings.passage_weight * passage_sim + settings.lexical_weight * lex
    order = np.argsort(-scores, kind="stable")
    return [
        Candidate(int(ids[i]), float(scores[i]), float(sentence_sim[i]), float(passage_sim[i]), float(lex[i]))
        for i in order
    ]
