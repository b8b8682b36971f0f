"""Evaluate: answer quality on a SQuAD v1.1-format file, through the normal build and ask paths.

1. Each article becomes one ``.txt`` document in a temporary corpus: its paragraphs, separated by
   blank lines, with the title in a ``.meta.json`` sidecar. A gold answer's offset inside its
   paragraph plus the paragraph's offset in the document is its offset in the document.
2. The articles are split by position into a tuning part (even positions) and a check part (odd
   positions); the part evaluated is indexed with :meth:`Engine.build` and every question of it is
   asked with :meth:`Engine.ask`.
   SQuAD 2.0 questions without an answer ("impossible") are asked too and counted apart: their
   statuses, and how well the confidence tells them from answerable questions quoted right first
   (AUROC).
3. Questions whose article is not in the corpus (the other part, or ``--unanswerable OTHER.json``)
   are asked too: a correct refusal is an abstention.
4. Follow-ups: pairs of questions on one paragraph, the second's subject replaced by a pronoun
   (:mod:`rag.evaluate.followup_pairs`), are asked with ``previous=`` the first; scored like the others.

Metrics follow the ReQA protocol: a quote is a hit when its span contains the start of a gold
answer. Sentence-level MRR and Recall@1/5/10 over the ranked quotes, passage-level Recall@1/5 over
the cited passages in citation order; an abstention on an answerable question is a miss.
Answers' statuses are counted for both kinds of question, and the confidence's calibration error
(ECE, 10 equal-width bins) is measured against "the first quote holds the answer" (never, for an
out-of-corpus question).

With ``together``, every article of the dataset is indexed and only the part's questions are
asked (the harder setting: each answer competes with all articles' sentences; no question is out
of corpus).
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..config import Settings
from ..engine import Engine
from ..errors import RagError
from ..records import STATUSES, Answer, EvalReport, Status
from .followup_pairs import FollowUpPair, make_pairs
from .probes import sentence_texts

__all__ = [
    "Article",
    "Part",
    "Question",
    "Scored",
    "auroc",
    "calibration_error",
    "evaluate",
    "first_hit",
    "follow_up_pairs",
    "load_squad",
    "mean_sentence_words",
    "percentile",
    "score_answer",
    "split_articles",
    "summarize",
    "write_corpus",
]

Part = Literal["tuning", "check", "all"]
PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    text: str
    answer_starts: tuple[int, ...]
    """Offsets of the gold answers' first characters in the article's document."""
    paragraph: int
    """The number of the paragraph it was asked on (in ``Article.paragraphs``)."""


@dataclass(frozen=True, kw_only=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]
    """The paragraphs as the file gives them."""
    questions: tuple[Question, ...]

    @property
    def text(self) -> str:
        """The paragraphs joined by blank lines: the document's whole text (answer offsets index it)."""
        return PARAGRAPH_SEPARATOR.join(self.paragraphs)

    @property
    def doc(self) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in self.title)
        return f"{safe or 'article'}.txt"


def load_squad(path: Path) -> list[Article]:
    """The articles of a SQuAD v1.1-format file, with answer offsets mapped into each document."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        articles = []
        for raw in data["data"]:
            texts: list[str] = []
            questions: list[Question] = []
            offset = 0
            for number, paragraph in enumerate(raw["paragraphs"]):
                context = paragraph["context"]
                for qa in paragraph["qas"]:
                    starts = tuple(sorted({offset + int(a["answer_start"]) for a in qa["answers"]}))
                    questions.append(
                        Question(id=str(qa["id"]), text=qa["question"], answer_starts=starts, paragraph=number)
                    )
                texts.append(context)
                offset += len(context) + len(PARAGRAPH_SEPARATOR)
            articles.append(Article(title=str(raw["title"]), paragraphs=tuple(texts), questions=tuple(questions)))
    except OSError as err:
        raise RagError(f"cannot read {path}: {err.strerror or err}; give a SQuAD v1.1 JSON file") from err
    except (ValueError, KeyError, TypeError) as err:
        raise RagError(
            f"{path} is not a SQuAD v1.1 file ({type(err).__name__}: {err}); it needs "
            '{"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers"}]}]}]}'
        ) from err
    return articles


def split_articles(articles: Sequence[Article]) -> tuple[list[Article], list[Article]]:
    """(tuning, check): articles at even positions tune, articles at odd positions check."""
    return list(articles[0::2]), list(articles[1::2])


def follow_up_pairs(article: Article) -> list[tuple[FollowUpPair, Question]]:
    """The follow-up pairs of ``article`` (see :mod:`rag.evaluate.followup_pairs`), each with the SQuAD
    question its follow-up was made from (for the gold answers). Pairs are made of questions
    asked on one paragraph."""
    by_paragraph: dict[int, list[Question]] = {}
    for question in article.questions:
        if question.answer_starts:
            by_paragraph.setdefault(question.paragraph, []).append(question)
    return [
        (pair, questions[n])
        for number, questions in by_paragraph.items()
        for n, pair in make_pairs([q.text for q in questions], article.paragraphs[number])
    ]


def write_corpus(articles: Sequence[Article], folder: Path) -> None:
    """One ``.txt`` per article (byte-exact text, so offsets hold) and a sidecar with its title."""
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        (folder / article.doc).write_text(article.text, encoding="utf-8", newline="")
        (folder / f"{article.doc}.meta.json").write_text(json.dumps({"title": article.title}), encoding="utf-8")


def first_hit(spans: Sequence[tuple[int, int]], starts: Sequence[int]) -> int | None:
    """1-based rank of the first span that contains one of ``starts``, else ``None``."""
    for rank, (start, end) in enumerate(spans, 1):
        if any(start <= s < end for s in starts):
            return rank
    return None


@dataclass(frozen=True, kw_only=True)
class Scored:
    """One answerable question's outcome."""

    abstained: bool
    sentence_rank: int | None
    passage_rank: int | None
    first_quote_words: int | None
    status: Status = "answered"
    confidence: float | None = None


def score_answer(answer: Answer, doc: str, starts: Sequence[int]) -> Scored:
    """Where the first quote (and the first cited passage) holding a gold answer start is ranked."""
    if answer.abstained:
        return Scored(
            abstained=True,
            sentence_rank=None,
            passage_rank=None,
            first_quote_words=None,
            status="abstained",
            confidence=answer.confidence,
        )
    quote_spans = [(q.start, q.end) if q.doc == doc else (0, 0) for q in answer.quotes]
    passage_spans = [(p.start, p.end) if p.doc == doc else (0, 0) for p in answer.passages]
    words = len(answer.quotes[0].text.split()) if answer.quotes else None
    return Scored(
        abstained=False,
        sentence_rank=first_hit(quote_spans, starts),
        passage_rank=first_hit(passage_spans, starts),
        first_quote_words=words,
        status=answer.status or "answered",
        confidence=answer.confidence,
    )


def _mrr(ranks: Sequence[int | None]) -> float:
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks) if ranks else 0.0


def calibration_error(
    confidences: Sequence[float], outcomes: Sequence[bool], bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error of ``confidences`` against ``outcomes`` over ``bins`` equal-width
    bins, and the reliability table: per non-empty bin, its range, size, mean confidence and the
    share of outcomes that came true."""
    table: list[dict[str, float]] = []
    n = len(confidences)
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [
            (c, o) for c, o in zip(confidences, outcomes) if lo <= c < hi or (b == bins - 1 and math.isclose(c, 1.0))
        ]
        if not members:
            continue
        mean_conf = statistics.fmean(c for c, _ in members)
        rate = statistics.fmean(float(o) for _, o in members)
        ece += len(members) / n * abs(mean_conf - rate)
        table.append({"low": lo, "high": hi, "n": len(members), "confidence": mean_conf, "right": rate})
    return ece, table


def _recall(ranks: Sequence[int | None], at: int) -> float:
    return sum(r is not None and r <= at for r in ranks) / len(ranks) if ranks else 0.0


def percentile(values: Sequence[float] | np.ndarray, q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank (0 for none): the one percentile
    helper of the package and the benchmarks."""
    if len(values) == 0:
        return 0.0
    ordered = sorted(float(v) for v in values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarize(
    scored: Sequence[Scored],
    refused: Sequence[Scored],
    *,
    dataset: str,
    part: str,
    articles: int,
    k: int,
    mean_sentence_words: float,
    build_seconds: float = 0.0,
    latencies: Sequence[float] = (),
    follow_ups: Sequence[Scored] = (),
    impossible: Sequence[Scored] = (),
) -> EvalReport:
    """The report for answerable outcomes ``scored``, out-of-corpus outcomes ``refused``,
    follow-up outcomes ``follow_ups`` and outcomes of impossible questions ``impossible``."""
    ranks = [s.sentence_rank for s in scored]
    follow_ranks = [s.sentence_rank for s in follow_ups]
    passage_ranks = [s.passage_rank for s in scored]
    words = [s.first_quote_words for s in scored if s.first_quote_words is not None]
    n = len(scored)
    return EvalReport(
        dataset=dataset,
        part=part,
        articles=articles,
        questions=n,
        k=k,
        mrr=_mrr(ranks),
        recall_at_1=_recall(ranks, 1),
        recall_at_5=_recall(ranks, 5),
        recall_at_10=_recall(ranks, 10),
        passage_recall_at_1=_recall(passage_ranks, 1),
        passage_recall_at_5=_recall(passage_ranks, 5),
        abstained=sum(s.abstained for s in scored) / n if n else 0.0,
        out_of_corpus_questions=len(refused),
        out_of_corpus_refused=sum(o.abstained for o in refused) / len(refused) if refused else None,
        statuses=_counts(scored),
        out_of_corpus_statuses=_counts(refused),
        calibration_error=_ece(scored, [*refused, *impossible]),
        follow_up_questions=len(follow_ups),
        follow_up_mrr=_mrr(follow_ranks),
        follow_up_recall_at_1=_recall(follow_ranks, 1),
        mean_quote_words=statistics.fmean(words) if words else 0.0,
        mean_sentence_words=mean_sentence_words,
        build_seconds=build_seconds,
        latency_p50_ms=1000 * percentile(latencies, 0.50),
        latency_p95_ms=1000 * percentile(latencies, 0.95),
        impossible_questions=len(impossible),
        impossible_statuses=_counts(impossible) if impossible else {},
        confidence_auroc=auroc(
            [s.confidence for s in scored if s.sentence_rank == 1 and s.confidence is not None],
            [s.confidence for s in impossible if s.confidence is not None],
        ),
    )


def auroc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """P(a random ``positive`` scores above a random ``negative``), ties half; ``None`` if either is empty."""
    if not positive or not negative:
        return None
    p, n = np.asarray(positive, dtype=float)[:, None], np.asarray(negative, dtype=float)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def _counts(outcomes: Sequence[Scored]) -> dict[str, int]:
    return {s: sum(o.status == s for o in outcomes) for s in STATUSES}


def _ece(scored: Sequence[Scored], out: Sequence[Scored]) -> float | None:
    pairs = [(s.confidence, s.sentence_rank == 1) for s in scored] + [(o.confidence, False) for o in out]
    if not pairs or any(c is None for c, _ in pairs):
        return None
    return calibration_error([float(c or 0.0) for c, _ in pairs], [o for _, o in pairs])[0]


def mean_sentence_words(engine: Engine) -> float:
    """Mean length in words of the indexed sentences."""
    lengths = [len(text.split()) for text in sentence_texts(engine)]
    return statistics.fmean(lengths) if lengths else 0.0


def evaluate(
    dataset: Path,
    settings: Settings,
    *,
    k: int = 10,
    part: Part = "check",
    unanswerable: Path | None = None,
    together: bool = False,
    engine_factory: Callable[[Settings], Engine] = Engine,
    workdir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Index ``part`` of ``dataset`` in a temporary corpus and ask every question of it.

    Out-of-corpus questions are those of ``unanswerable`` (articles whose title is in the corpus
    are left out) or, without it, those of the other part of ``dataset``. With ``together``, all
    articles are indexed and there are none, unless ``unanswerable`` names them."""
    articles = load_squad(dataset)
    tuning, check = split_articles(articles)
    chosen = {"tuning": tuning, "check": check, "all": articles}[part]
    indexed = articles if together else chosen
    if unanswerable is not None:
        titles = {a.title for a in indexed}
        others = [a for a in load_squad(unanswerable) if a.title not in titles]
    else:
        others = [] if together else {"tuning": check, "check": tuning, "all": []}[part]
    if not chosen:
        raise RagError(f"{dataset} has no articles in its {part} part; use --part all")
    with tempfile.TemporaryDirectory(prefix="rag-eval-", dir=workdir) as tmp:
        root = Path(tmp)
        write_corpus(indexed, root / "corpus")
        engine = engine_factory(settings.with_dirs(root / "corpus", root / "index"))
        report = engine.build()
        answerable = [(a.doc, q) for a in chosen for q in a.questions if q.answer_starts]
        impossible = [q for a in chosen for q in a.questions if not q.answer_starts]
        out_of_corpus = [q for a in others for q in a.questions]
        pairs = [(a.doc, pair, q) for a in chosen for pair, q in follow_up_pairs(a)]
        total = len(answerable) + len(out_of_corpus) + len(pairs) + len(impossible)
        scored: list[Scored] = []
        latencies: list[float] = []
        for i, (doc, question) in enumerate(answerable):
            started = time.perf_counter()
            answer = engine.ask(question.text, k=k)
            latencies.append(time.perf_counter() - started)
            scored.append(score_answer(answer, doc, question.answer_starts))
            if progress:
                progress(i + 1, total)
        refused: list[Scored] = []
        for i, question in enumerate(out_of_corpus):
            refused.append(score_answer(engine.ask(question.text, k=1), "", ()))
            if progress:
                progress(len(answerable) + i + 1, total)
        follow_ups = []
        for i, (doc, pair, question) in enumerate(pairs):
            answer = engine.ask(pair.question, k=k, previous=pair.previous)
            follow_ups.append(score_answer(answer, doc, question.answer_starts))
            if progress:
                progress(len(answerable) + len(out_of_corpus) + i + 1, total)
        not_answerable = []
        for i, question in enumerate(impossible):
            not_answerable.append(score_answer(engine.ask(question.text, k=k), "", ()))
            if progress:
                progress(total - len(impossible) + i + 1, total)
        sentence_words = mean_sentence_words(engine)
    return summarize(
        scored,
        refused,
        dataset=Path(dataset).name,
        part=f"{part}, all {len(indexed)} articles indexed" if together else part,
        articles=len(chosen),
        k=k,
        mean_sentence_words=sentence_words,
        build_seconds=report.seconds,
        latencies=latencies,
        follow_ups=follow_ups,
        impossible=not_answerable,
    )
