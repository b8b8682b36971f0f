"""Retrieval quality for the benchmark, by the ReQA rule: a returned span is a hit when it
contains the start of a gold answer (in the same document).

Kept to this one small function so ``rag.evaluate.squad`` can replace it: it scores the engine's
sentences and passages and the peer's chunks alike, from (doc, start, end) spans ranked best first.
"""

from __future__ import annotations

from collections.abc import Sequence

from .corpora import Question

__all__ = ["Span", "recall_at"]

Span = tuple[str, int, int]
"""(document, start, end) of a returned text, offsets into the document's file text."""


def recall_at(questions: Sequence[Question], results: Sequence[Sequence[Span]], ks: Sequence[int]) -> dict[str, float]:
    """Fraction of questions with a hit among the first k spans, for each k (``"R@k"``)."""
    hits = {k: 0 for k in ks}
    for q, spans in zip(questions, results, strict=True):
        first = next(
            (
                rank
                for rank, (doc, start, end) in enumerate(spans)
                if doc == q.doc and any(start <= a < end for a in q.answer_starts)
            ),
            None,
        )
        for k in ks:
            hits[k] += first is not None and first < k
    n = max(1, len(questions))
    return {f"R@{k}": hits[k] / n for k in ks}
