"""The answer reader's confidence, status thresholds and spans, fitted on the ranker's out-of-fold
scores (:mod:`training.reranker`): the rows each is fitted on, the logistic regressions, and the
thresholds that read how far a question is from the articles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from rag.read.reader import confidence_features, span_features, statuses
from training.data import Item, K

__all__ = ["ABSTAIN_COST", "confidence_rows", "logistic", "span_rows", "topic_thresholds"]

ABSTAIN_COST = 10
"""An answerable question abstained (no quotes at all) costs as much as this many off-topic ones
left ``uncertain`` (quotes kept, with the note that the articles may not answer)."""


def confidence_rows(items: Sequence[Item], scores: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Confidence features and labels (the first candidate holds the answer) of scored items."""
    xs, ys = [], []
    for it, s in zip(items, scores):
        order = np.argsort(-s, kind="stable")
        xs.append(confidence_features(s[order], it.x[order], it.base))
        ys.append(bool(len(order)) and bool(it.hit[order[0]]))
    return np.array(xs), np.array(ys, dtype=float)


def span_rows(
    items: Sequence[Item], scores: Sequence[np.ndarray], first_only: bool = False
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, float, float, bool, bool]]]:
    """Span features and labels (the next sentence holds the answer, this one does not) of each
    item's first ``K`` candidates; and per item (index, first length, spanned length, first hit,
    next hit) for the first candidate."""
    xs, ys, firsts = [], [], []
    for i, (it, s) in enumerate(zip(items, scores)):
        order = np.argsort(-s, kind="stable")
        ss, x, ids, has_next = s[order], it.x[order], it.ids[order], it.has_next[order]
        for row in range(min(1 if first_only else K, len(order))):
            sx = span_features(row, ss, x, ids, bool(has_next[row]))
            if sx is None:
                continue
            j = order[row]
            xs.append(sx)
            ys.append(float(it.next_hit[j] and not it.hit[j]))
            if row == 0:
                nxt = int(np.flatnonzero(ids == ids[0] + 1)[0])
                firsts.append(
                    (i, it.lengths[j], it.lengths[j] + it.lengths[order[nxt]], bool(it.hit[j]), bool(it.next_hit[j]))
                )
    return np.array(xs), np.array(ys), firsts


def topic_thresholds(
    answerable: tuple[np.ndarray, np.ndarray], off_topic: tuple[np.ndarray, np.ndarray], thresholds: dict[str, float]
) -> dict[str, float]:
    """``off_topic_below``, ``far_abstain_below`` and ``on_topic_from`` for
    :func:`rag.read.reader.statuses`, given its other ``thresholds``: on a grid, the three with the least
    cost, an answerable question abstained costing :data:`ABSTAIN_COST` off-topic ones not
    abstained. ``answerable`` and ``off_topic`` are (confidence, best dense similarity) of tuning
    questions."""

    def abstained(questions: tuple[np.ndarray, np.ndarray], t: dict[str, float]) -> float:
        confidence, dense = questions
        return float(np.mean(statuses(confidence, np.zeros(len(dense), dtype=bool), dense, t) == "abstained"))

    best: tuple[float, dict[str, float]] = (np.inf, {})
    for far_below in np.round(np.arange(0.05, 0.61, 0.05), 2):
        for low in np.round(np.arange(0.20, 0.60, 0.01), 2):
            for high in np.round(np.arange(low, 0.81, 0.01), 2):
                found = {
                    "off_topic_below": float(low),
                    "far_abstain_below": float(far_below),
                    "on_topic_from": float(high),
                }
                t = thresholds | found
                cost = ABSTAIN_COST * abstained(answerable, t) + 1.0 - abstained(off_topic, t)
                if cost < best[0] - 1e-12:
                    best = (cost, found)
    return best[1]


def logistic(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    mean, scale = x.mean(0), x.std(0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / scale, y)
    return {
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
    }
