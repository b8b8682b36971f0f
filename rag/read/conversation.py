"""The conversation's ranking: a question asked alone, or a follow-up ranked alone and in context
with the two rankings fused (what :mod:`rag.question.followup` plans, the reader's readings fused).

A follow-up is ranked alone and in context (the previous question plus the follow-up with its
pronouns resolved), and the two rankings are fused by weighted reciprocal rank, each weighted by
its reading's confidence (:func:`reading_weights`), each candidate keeping the larger of each
feature; status and confidence come from the reading that put the first quote first. When the
previous question asked for a name, its best sentence is found first: the name a pronoun stands
for (remembered from when it was answered, :class:`FirstSentences`, else ranked again).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ..config import FollowUpSettings
from ..index import StoredIndex
from ..question.followup import asks_for_name, own_weight, queries
from ..records import Status
from ..retrieve import FEATURES, Candidate
from .reader import Reader, Reading

__all__ = ["Conversation", "FirstSentences", "fuse_ranks", "reading_weights"]

Rank = Callable[[StoredIndex, str, np.ndarray, "np.ndarray | None"], Reading]
"""One retrieval query's candidates, best first (the engine's: the reader's, or retrieval's)."""


def reading_weights(
    weights: Sequence[float], confidences: Sequence[float | None], floor: float, *, context_on_topic: bool = True
) -> list[float]:
    """Each ranking's weight (the follow-up's own first, then the conversation's) times its
    reading's confidence plus ``floor``, summing to 1; the plain ``weights`` when a reading has no
    confidence (no reader). The conversation's reading counts its confidence only when
    ``context_on_topic``: its first sentence holds one of the follow-up's own words (after "What
    did the Lee-Ishiba meeting produce?", "And what about North Korea?" must quote North Korea)."""
    if any(c is None for c in confidences):
        return list(weights)
    trusted = [float(c) if i == 0 or context_on_topic else 0.0 for i, c in enumerate(confidences)]  # type: ignore[arg-type]
    scaled = [w * (c + floor) for w, c in zip(weights, trusted)]
    total = sum(scaled)
    return [w / total for w in scaled] if total > 0 else list(weights)


def fuse_ranks(rankings: Sequence[Sequence[int]], weights: Sequence[float], rrf_k: float) -> dict[int, float]:
    """Weighted reciprocal-rank fusion: each id's sum of ``weight / (rrf_k + rank)`` over the
    rankings it is in (rank 0 first)."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank)
    return fused


class FirstSentences:
    """The first sentence (its id, or ``None``) of the last ``kept`` questions asked alone on one
    index, each among the sentences it was asked of (``within``: a named source's, or ``None``
    for all), for a follow-up that needs the name its previous question was answered with; asked
    of another index (a new generation), it forgets what it held. Safe to share between threads."""

    def __init__(self, kept: int = 256) -> None:
        self.kept = kept
        self._firsts: OrderedDict[tuple[str, bytes | None], int | None] = OrderedDict()
        self._owner: object | None = None
        self._lock = threading.Lock()

    def recall(self, owner: object, question: str, within: np.ndarray | None = None) -> tuple[bool, int | None]:
        """Whether ``question``'s first sentence on ``owner`` is remembered, and which it is."""
        key = _key(question, within)
        with self._lock:
            if self._owner is owner and key in self._firsts:
                return True, self._firsts[key]
        return False, None

    def remember(self, owner: object, question: str, first: int | None, within: np.ndarray | None = None) -> int | None:
        """Remember (and return) ``first``, the first sentence of ``question`` on ``owner``."""
        with self._lock:
            if self._owner is not owner:
                self._firsts.clear()
                self._owner = owner
            self._firsts[_key(question, within)] = first
            while len(self._firsts) > self.kept:
                self._firsts.popitem(last=False)
        return first


def _key(question: str, within: np.ndarray | None) -> tuple[str, bytes | None]:
    return question, None if within is None else np.asarray(within, dtype=np.int64).tobytes()


def _confidence(reading: Reading) -> float:
    return -1.0 if reading.confidence is None else reading.confidence


class Conversation:
    """Ranks a question asked alone or after another, on ``rank`` (one query's reading),
    ``encode`` (texts to vectors) and ``reader`` (the trained reader, for statuses; ``None``:
    none), with the follow-up settings ``settings()`` gives."""

    def __init__(
        self,
        rank: Rank,
        encode: Callable[[Sequence[str]], np.ndarray],
        reader: Callable[[], Reader | None],
        settings: Callable[[], FollowUpSettings],
    ) -> None:
        self._rank = rank
        self._encode = encode
        self._reader = reader
        self._settings = settings
        self._firsts = FirstSentences()
        """The first sentence of the last questions asked alone on the live index."""

    def read(
        self,
        index: StoredIndex,
        question: str,
        previous: str | None,
        vector: np.ndarray | None,
        within: np.ndarray | None = None,
    ) -> Reading:
        """The ranked candidates for ``question`` asked after ``previous`` (``None``: asked first;
        see the module's docstring). ``vector``: the question's, when the caller has it.
        ``within``: the only sentences that may be quoted (``None``: all)."""
        fs = self._settings()
        weight = own_weight(question, fs.own_weight, fs.weak_own_weight) if previous else 1.0
        if previous is None or weight >= 1.0:
            reading = self._rank(index, question, self._encode([question])[0] if vector is None else vector, within)
            if previous is None and vector is None:
                self._remember_first(index, question, reading, within)
            return reading
        previous_answer = None
        if asks_for_name(previous):
            named = self._first_of(index, previous, within)
            previous_answer = index.sentence_text(named) if named is not None else None
        plan = queries(question, previous, weight, previous_answer)
        vectors = self._encode([q.text for q in plan]) if vector is None else [vector, *self._encode([plan[1].text])]
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
        reader, near = self._reader(), max(r.best_dense for r in readings)

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
            lacks=judge.lacks,
            further=None
            if any(r.further is None for r in readings)
            else frozenset().union(*(r.further or () for r in readings)),
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
        reading = self._rank(index, question, self._encode([question])[0], within)
        return self._remember_first(index, question, reading, within)
