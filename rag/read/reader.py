"""Read: the second stage, which scores whether each of the best candidates answers the question.

Retrieval (:mod:`rag.retrieve`) gathers candidate sentences and ranks them by a weighted sum of six
features. The reader takes the best ``top_n`` of them and scores each with a LightGBM lambdarank
model over richer, named features (:mod:`rag.read.features`), computed from what the index
already holds: the reader embeds nothing.

When the ranker's best two are close, a cross-encoder (:mod:`rag.read.cross_encoder`: MiniLM fine-tuned
on SQuAD, reading the question and each sentence together) rescores its best few, and the two
scores are fused (:meth:`Reader.rescored`).

It then decides three things, with small models fitted beside the ranker (``models/reader.json``):

- **confidence**: a calibrated probability that the first quote answers (logistic regression on
  :func:`confidence_features`), and from it and how close the question is to the articles the
  **status** (:func:`statuses`): ``"answered"``, ``"uncertain"`` (the quotes are kept, but the
  articles may not answer this directly) or ``"abstained"`` (only a question not near any
  sentence); a question asking when or how many whose first quote holds no time or amount, or
  naming something the articles never mention (:func:`~rag.read.features.unknown_names`), is at most ``"uncertain"``;
- **spans**: whether a quoted sentence is a lead-in whose next sentence carries the answer, in
  which case the quote spans both (logistic regression on :func:`span_features`; and, not fitted,
  where the cross-encoder put first the sentence just before the reader's first:
  :func:`~rag.read.cross_encoder.lead_in_first`; or where the best two are neighbours and the later
  opens by referring back to the earlier: :func:`joined_with_runner_up`).

``training/reranker.py`` (``make train-reranker``) trains all of it on the tuning part of the
SQuAD evaluation set; ``models/README.md`` says what data, what licence and what it measured.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from ..config import RetrievalSettings
from ..errors import ModelError
from ..index import StoredIndex
from ..records import Status
from ..retrieve import Candidate, Feature, Retrieved, ranked
from .cross_encoder import CrossEncoder, lead_in_first
from .features import COLUMN, READER_FEATURES, in_same_passage, reader_features, unknown_names
from .missing import Lacks, missing_from
from .trees import TreeEnsemble

__all__ = [
    "CONFIDENCE_FEATURES",
    "RUNNER_UP_WITHIN",
    "SPAN_FEATURES",
    "STATUS_THRESHOLDS",
    "Reader",
    "Reading",
    "confidence_features",
    "confidence_rows",
    "cross_encoder_text",
    "joined_with_runner_up",
    "logistic",
    "span_features",
    "statuses",
]

CONFIDENCE_FEATURES = (
    "top_score",
    "top_gap",
    "best_dense",
    "best_coverage",
    "top_idf_overlap",
    "top_asked_type_absent",
    "top_content_coverage",
)
SPAN_FEATURES = ("score", "next_score", "next_minus_score", "answer_type", "next_answer_type", "length", "next_length")


def statuses(
    confidence: np.ndarray,
    capped: np.ndarray,
    best_dense: np.ndarray,
    thresholds: Mapping[str, float],
    named: bool = False,
) -> np.ndarray:
    """Each answer's status from its confidence and ``best_dense``, the question's best cosine
    similarity to an indexed sentence (how close it is to the articles). ``abstained`` when the
    question is far from the articles (``best_dense`` below ``off_topic_below``) and the confidence
    below ``far_abstain_below``, or when it is not near them (below ``on_topic_from``) and the
    confidence is below ``abstain_below``: a question near the articles is at worst ``uncertain``,
    its quotes kept. Else ``answered`` from ``answered_from``, never where ``capped``: the question
    asks when or how many and the first quote holds no time or amount (a sentence without a number
    does not answer "how many" directly, however close it is), or it names something the articles
    never mention; else ``uncertain``. ``thresholds`` are ``models/reader.json``'s
    (:data:`STATUS_THRESHOLDS`). One rule for serving and for training's figures. ``named``: the
    question names a source of the collection (:mod:`rag.question.scope`), so it is not far from the
    articles, whatever its words' similarity."""
    t = thresholds
    far = (best_dense < t["off_topic_below"]) & (confidence < t["far_abstain_below"]) & (not named)
    doubtful = (best_dense < t["on_topic_from"]) & (confidence < t["abstain_below"])
    answered = (confidence >= t["answered_from"]) & ~capped
    return np.where(far | doubtful, "abstained", np.where(answered, "answered", "uncertain"))


STATUS_THRESHOLDS = ("abstain_below", "answered_from", "off_topic_below", "far_abstain_below", "on_topic_from")
"""The keys of ``models/reader.json`` that :func:`statuses` reads."""


def confidence_features(scores: np.ndarray, x: np.ndarray, features: np.ndarray) -> np.ndarray:
    """What the confidence is computed from (:data:`CONFIDENCE_FEATURES`): the reader's ``scores``
    of its candidates (best first), the reader's features of the quoted sentence (the first row of
    ``x``), and the retrieval ``features`` of all candidates."""
    if len(scores) == 0:
        return np.array([-10.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0], dtype=np.float64)
    gap = float(scores[0] - scores[1]) if len(scores) > 1 else 5.0
    return confidence_rows(np.array([scores[0]]), np.array([gap]), x[:1], features)[0]


def confidence_rows(score: np.ndarray, gap: np.ndarray, x: np.ndarray, features: np.ndarray) -> np.ndarray:
    """:func:`confidence_features` of several candidates at once, each read as if it were first:
    their reader ``score``, their lead ``gap`` over the next best, their rows ``x`` of the reader's
    features; ``features``: retrieval's features of all candidates."""
    n = len(score)
    return np.column_stack(
        [
            score,
            gap,
            np.full(n, features[:, Feature.DENSE].max()),
            np.full(n, features[:, Feature.COVERAGE].max()),
            np.nan_to_num(x[:, COLUMN["idf_overlap"]]),
            x[:, COLUMN["asked_type_absent"]],
            np.nan_to_num(x[:, COLUMN["content_coverage"]]),
        ]
    ).astype(np.float64)


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
            x[row, COLUMN["answer_type"]],
            x[nxt, COLUMN["answer_type"]],
            x[row, COLUMN["length"]],
            x[nxt, COLUMN["length"]],
        ],
        dtype=np.float64,
    )


_REFERS_BACK = re.compile(r"(?:She|He|They|It|Its|This|These|That|Those|His|Her|Their|Such|Both|The two)\b")
"""How a sentence that leans on the one before it opens: "She is currently a PhD candidate …"."""

RUNNER_UP_WITHIN = 3.0
"""How close (in the reader's scores) the runner-up must be to the first for
:func:`joined_with_runner_up`: the least of 0.5, 1, 1.5, 2 and 3 that kept every answer the rule
gained on the SQuAD tuning part when it took only a runner-up after the first (9 of 9; 58 of the
106 joins, for half the added length)."""


def cross_encoder_text(sid: int, text_of: Callable[[int], str], passage: np.ndarray) -> str:
    """What the cross-encoder reads for sentence ``sid`` (``text_of``: a sentence's text;
    ``passage``: each sentence's passage id): the sentence, after the one before it when that one
    is in the same passage and the sentence opens by referring back to it ("The two leaders agreed
    to rebuild trust …" is read after the sentence that names them). Other sentences are read
    alone: given to every sentence, the sentence before cost more than it gained (README, "The
    cross-encoder")."""
    text = text_of(sid)
    if in_same_passage(passage, np.array([sid]), -1)[0] and _REFERS_BACK.match(text):
        return f"{text_of(sid - 1)} {text}"
    return text


def joined_with_runner_up(
    index: StoredIndex, top: np.ndarray, scores: np.ndarray, has_next: np.ndarray
) -> Literal["next", "previous"] | None:
    """Whether the best two of the candidates ``top`` (best first, with their ``scores``;
    ``has_next``: each has a next sentence in its passage) read as one: neighbours in one passage,
    scored within :data:`RUNNER_UP_WITHIN` of each other, the later opening by referring back to
    the earlier ("Camilla Cavarape holds a Master's degree … She is currently a PhD candidate …").
    The later cannot stand alone and the earlier often only names the question's subject, so the
    first quote holds both (README, "The cross-encoder"): ``"next"`` when the runner-up comes
    right after the first (the first quote spans it), ``"previous"`` when it comes right before
    (it is quoted first, spanning the first); ``None`` when they do not read as one."""
    if len(top) < 2 or float(scores[0] - scores[1]) >= RUNNER_UP_WITHIN:
        return None
    first, second = int(top[0]), int(top[1])
    join: Literal["next", "previous"]
    if second == first + 1 and has_next[0]:
        later, join = second, "next"
    elif second == first - 1 and has_next[1]:
        later, join = first, "previous"
    else:
        return None
    return join if _REFERS_BACK.match(index.sentence_text(later)) else None


def logistic(model: dict[str, Any], x: np.ndarray) -> Any:
    """The probability a logistic regression stored in ``reader.json`` gives ``x`` (standardised
    by the model's ``mean`` and ``scale``): a number for one row, an array for rows (training)."""
    z = ((x - np.asarray(model["mean"])) / np.asarray(model["scale"])) @ np.asarray(model["coef"]) + model["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True, kw_only=True)
class Reading:
    """The reader's verdict on one question."""

    candidates: tuple[Candidate, ...]
    """The scored candidates, best first (``score`` is the reader's)."""
    confidence: float | None
    """Calibrated probability that the first candidate answers the question (``None``: no reader)."""
    status: Status | None
    span_ends: dict[int, int]
    """For a candidate sentence whose quote spans the next sentence too: sentence id → that next id."""
    best_dense: float = -1.0
    """The question's best cosine similarity to an indexed sentence (how close it is to the articles)."""
    capped: bool = False
    """The status may not be ``"answered"`` whatever the confidence (:func:`statuses`)."""
    lacks: Lacks | None = None
    """What the first quote lacks of the question (:func:`~rag.read.missing.missing_from`), as
    judged here, so the answer does not read it again; ``None``: not judged."""
    further: frozenset[int] | None = None
    """The sentences that may be quoted after the first quote: those likely to answer by
    themselves (:attr:`~rag.config.RetrievalSettings.further_quotes`); ``None``: any."""

    @classmethod
    def unread(cls, candidates: Iterable[Candidate]) -> Reading:
        """Candidates ranked without a reader: no status, confidence or spans."""
        return cls(candidates=tuple(candidates), confidence=None, status=None, span_ends={})


class Reader:
    """The trained second stage, loaded once from ``models/`` (LightGBM's text format + JSON) and
    evaluated with :class:`~rag.read.trees.TreeEnsemble` (no ``lightgbm`` import on the question path)."""

    def __init__(self, folder: Path, *, cross_encoder: bool = True) -> None:
        model, params = folder / "reader.txt", folder / "reader.json"
        try:
            self.trees = TreeEnsemble(model.read_text(encoding="utf-8"))
            self.params: dict[str, Any] = json.loads(params.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(
                f"cannot load the answer reader from {folder} ({err}); restore models/ from git "
                "or retrain it with `make train-reranker`"
            ) from err
        used = self.params["used_features"]
        if not set(used) <= set(READER_FEATURES) or self.trees.n_features != len(used):
            raise ModelError(
                f"the answer reader in {folder} was trained on other features; retrain it with `make train-reranker`"
            )
        if missing := [key for key in STATUS_THRESHOLDS if key not in self.params]:
            raise ModelError(
                f"{params} lacks the status thresholds {', '.join(missing)}; retrain it with `make train-reranker`"
            )
        self.top_n = int(self.params["top_n"])
        self._columns = [READER_FEATURES.index(f) for f in self.params["used_features"]]
        self.cross_encoder = CrossEncoder(folder) if cross_encoder else None
        """Rescores the reader's best few candidates (:mod:`rag.read.cross_encoder`); ``None``: the
        reader's scores alone."""

    def scores(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        return self.trees.predict(x[:, self._columns])

    def rescored(self, index: StoredIndex, question: str, top: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """The reader's ``scores`` of the sentences ``top``, the best few fused with the
        cross-encoder's when the first place is open (:func:`rag.read.cross_encoder.rescore`); it reads
        each as :func:`cross_encoder_text` gives it."""
        if self.cross_encoder is None:
            return scores
        return self.cross_encoder.rescore(
            question, scores, lambda row: cross_encoder_text(int(top[row]), index.sentence_text, index.sentence_passage)
        )

    def confidence(self, conf_x: np.ndarray) -> float:
        return float(logistic(self.params["confidence"], conf_x))

    def status(self, confidence: float, best_dense: float, capped: bool = False, named: bool = False) -> Status:
        """The status of one answer (:func:`statuses`)."""
        found = statuses(np.array([confidence]), np.array([capped]), np.array([best_dense]), self.params, named)
        return cast(Status, str(found[0]))

    def spans_next(self, span_x: np.ndarray) -> bool:
        return bool(logistic(self.params["span"], span_x) >= self.params["span"]["threshold"])

    def further(
        self,
        top: np.ndarray,
        own: np.ndarray,
        x: np.ndarray,
        features: np.ndarray,
        quoted: list[int],
        rs: RetrievalSettings,
    ) -> frozenset[int] | None:
        """The sentences of the candidates ``top`` (in the reader's order; ``own``: the reader's
        scores, ``x``: its features) after the first quote (``quoted``: its rows) that may be quoted
        too: each read as if the quotes and the candidates before it were not there and it were
        first (the confidence model on its own score, its lead over the candidates after it and
        its own features), kept when that would be ``answered`` (``answered_from``). ``None``: any
        (``further_quotes`` is ``"all"``)."""
        if rs.further_quotes == "all":
            return None
        rows = np.setdiff1d(np.arange(1, len(own)), quoted)
        if not len(rows):
            return frozenset()
        later = own.astype(np.float64)
        later[quoted] = -np.inf
        after = np.append(np.maximum.accumulate(later[::-1])[::-1][1:], -np.inf)  # best of the rows after each
        gap = np.where(np.isfinite(after[rows]), own[rows] - after[rows], 5.0)
        alone = logistic(self.params["confidence"], confidence_rows(own[rows], gap, x[rows], features))
        return frozenset(int(s) for s in top[rows[alone >= self.params["answered_from"]]])

    def read(
        self, index: StoredIndex, retrieved: Retrieved, settings: RetrievalSettings, named: bool = False
    ) -> Reading:
        """Score the best of retrieval's candidates and decide the answer's status, confidence and
        spans. ``named``: the question names its source (:func:`statuses`)."""
        question, ids, features = retrieved.question.text, retrieved.ids, retrieved.features
        found = reader_features(index, retrieved, settings, self.top_n)
        top, x = found.top, found.x
        own = self.scores(x)
        scores = self.rescored(index, question, top, own)
        order = np.argsort(-scores, kind="stable")
        top, x, scores, own = top[order], x[order], scores[order], own[order]
        has_next = found.has_next[order]
        join = joined_with_runner_up(index, top, scores, has_next)
        if join == "previous":
            # The runner-up goes first, with the first's score: its quote spans the first.
            swap = np.array([1, 0, *range(2, len(top))])
            order, top, x, own, has_next = order[swap], top[swap], x[swap], own[swap], has_next[swap]
        # The reader's candidates, then the rest in retrieval's order (for a ``k`` above
        # ``top_n``) with scores that keep descending.
        positions = np.concatenate([found.order[: len(top)][order], found.order[len(top) :]])
        floor = float(scores[-1]) if len(scores) else 0.0
        ordered = [*scores.tolist(), *(floor - 0.001 * (j + 1) for j in range(len(positions) - len(top)))]
        candidates = tuple(ranked(ids[positions], features[positions], np.array(ordered)))
        span_ends: dict[int, int] = {}
        for row in range(len(top)):  # Every row, so a larger k continues the same quotes.
            sx = span_features(row, own, x, top, bool(has_next[row]))
            if sx is not None and self.spans_next(sx):
                span_ends[int(top[row])] = int(top[row]) + 1
        if join is not None or lead_in_first(top, own, scores, has_next):
            # Often a lead-in naming the question's subject, the answer in the next sentence, which
            # the reader put first, or one of the best two: the first quote holds both (README,
            # "The cross-encoder" and "Answer quality").
            span_ends[int(top[0])] = int(top[0]) + 1
        # The rows of the first quote's sentences: the one its span ends with too.
        end = span_ends.get(int(top[0])) if len(top) else None
        quoted = [0, *np.flatnonzero(top == end)[:1]] if end is not None else [0]
        # Confidence and spans read the reader's own scores, which they were fitted on; the
        # cross-encoder only orders (fed its fused scores, the confidence rose for unanswerable
        # questions as much as for answerable ones: README, "The cross-encoder"). A first quote of
        # two sentences answers when either does: its confidence is the larger of theirs.
        best_own = np.sort(own)[::-1]
        conf_rows = [confidence_features(best_own, x[row : row + 1], features) for row in quoted]
        confidence = max(self.confidence(conf_x) for conf_x in conf_rows)
        best_dense = float(conf_rows[0][CONFIDENCE_FEATURES.index("best_dense")])
        kind_absent = bool(len(top)) and bool(np.all(x[quoted, COLUMN["asked_type_absent"]] == 1))
        named_absent = bool(len(top)) and bool(
            unknown_names(index, question, [int(d) for d in index.sentence_doc[top[:3]]])
        )
        lacks = None
        if settings.missing_caps and len(top):
            first, last = int(top[0]), int(end if end is not None else top[0])
            lacks = Lacks(first=first, last=last, missing=missing_from(index, question, first, last))
        lacking = lacks is not None and bool(lacks.missing)
        if lacking:  # Evidence against the quote: the confidence says so before the status is decided.
            odds = np.log(np.clip(confidence, 1e-6, 1 - 1e-6) / np.clip(1.0 - confidence, 1e-6, 1.0))
            confidence = float(1.0 / (1.0 + np.exp(-(odds + settings.missing_logit_shift))))
        capped = kind_absent or named_absent or lacking
        further = self.further(top, own, x, features, quoted, settings) if len(top) else None
        return Reading(
            candidates=candidates,
            confidence=confidence,
            status=self.status(confidence, best_dense, capped, named),
            span_ends=span_ends,
            best_dense=best_dense,
            capped=capped,
            lacks=lacks,
            further=further,
        )
