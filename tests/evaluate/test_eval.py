"""The evaluation harness: offsets, metrics on hand-checkable cases, and a small real run.

``tests/data/squad-mini.json`` holds three SQuAD v1.1 dev articles (CC BY-SA 4.0), three
paragraphs and twelve questions each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag import Answer, CitedPassage, Engine, Quote, Settings, report_text
from rag.cli import main
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.squad import (
    Scored,
    calibration_error,
    evaluate,
    first_hit,
    load_squad,
    score_answer,
    split_articles,
    summarize,
    write_corpus,
)

MINI = Path(__file__).resolve().parent.parent / "data" / "squad-mini.json"


def test_answer_offsets_map_into_the_written_documents(tmp_path: Path):
    raw = json.loads(MINI.read_text(encoding="utf-8"))
    articles = load_squad(MINI)
    write_corpus(articles, tmp_path)
    for article, raw_article in zip(articles, raw["data"]):
        text = (tmp_path / article.doc).read_text(encoding="utf-8")
        assert text == article.text
        answers = [qa["answers"] for p in raw_article["paragraphs"] for qa in p["qas"]]
        assert len(answers) == len(article.questions)
        for question, gold in zip(article.questions, answers):
            found = {text[s : s + len(a["text"])] for s in question.answer_starts for a in gold}
            assert {a["text"] for a in gold} <= found
        assert json.loads((tmp_path / f"{article.doc}.meta.json").read_text())["title"] == article.title


def test_split_is_by_article_and_deterministic():
    articles = load_squad(MINI)
    tuning, check = split_articles(articles)
    assert [a.title for a in tuning] == ["Super_Bowl_50", "Teacher"]
    assert [a.title for a in check] == ["Warsaw"]
    assert split_articles(load_squad(MINI)) == (tuning, check)


def test_first_hit_needs_the_answer_start_inside_the_span():
    spans = [(0, 10), (10, 20), (20, 30)]
    assert first_hit(spans, [25]) == 3
    assert first_hit(spans, [10]) == 2  # Ends are exclusive.
    assert first_hit(spans, [35, 5]) == 1
    assert first_hit(spans, [30]) is None


def _answer(spans: list[tuple[int, int]], doc: str = "a.txt") -> Answer:
    quotes = tuple(
        Quote(n=i + 1, text="one two three", doc=doc, title=doc, start=s, end=e, score=1.0)
        for i, (s, e) in enumerate(spans)
    )
    passages = tuple(
        CitedPassage(n=i + 1, doc=doc, title=doc, text="", start=s, end=e, quote_spans=())
        for i, (s, e) in enumerate(spans)
    )
    return Answer(question="q", abstained=False, answer="", quotes=quotes, passages=passages)


def test_metrics_on_a_hand_checked_case():
    scored = [
        score_answer(_answer([(0, 10), (10, 20)]), "a.txt", [3]),  # Hit at rank 1.
        score_answer(_answer([(0, 10), (10, 20), (20, 30)]), "a.txt", [22]),  # Hit at rank 3.
        score_answer(_answer([(0, 10)], doc="b.txt"), "a.txt", [3]),  # Right span, wrong document.
        score_answer(Answer(question="q", abstained=True, answer="no"), "a.txt", [3]),  # Abstained: a miss.
    ]
    assert [s.sentence_rank for s in scored] == [1, 3, None, None]
    assert scored[3] == Scored(
        abstained=True, sentence_rank=None, passage_rank=None, first_quote_words=None, status="abstained"
    )
    refused = [
        Scored(
            abstained=r,
            sentence_rank=None,
            passage_rank=None,
            first_quote_words=None,
            status="abstained" if r else "answered",
        )
        for r in (True, False, True, True)
    ]
    report = summarize(scored, refused, dataset="x", part="all", articles=1, k=10, mean_sentence_words=3.0)
    assert report.mrr == pytest.approx((1 + 1 / 3) / 4)
    assert (report.recall_at_1, report.recall_at_5, report.recall_at_10) == (0.25, 0.5, 0.5)
    assert (report.passage_recall_at_1, report.passage_recall_at_5) == (0.25, 0.5)
    assert report.abstained == 0.25
    assert report.out_of_corpus_refused == 0.75 and report.out_of_corpus_questions == 4
    assert report.mean_quote_words == 3.0
    assert report.statuses == {"answered": 3, "uncertain": 0, "abstained": 1}
    assert report.out_of_corpus_statuses == {"answered": 1, "uncertain": 0, "abstained": 3}
    assert report.calibration_error is None  # No confidences given.


@pytest.fixture(scope="module")
def mini_report(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxEmbedder):
    """The tuning part of the mini set (2 articles, 24 questions) on the real model; the check
    article's 12 questions are the out-of-corpus ones."""
    return evaluate(
        MINI,
        Settings(),
        k=10,
        part="tuning",
        engine_factory=lambda s: Engine(s, embedder),
        workdir=tmp_path_factory.mktemp("eval"),
    )


def test_real_run_reports_consistent_metrics(mini_report):
    r = mini_report
    assert (r.articles, r.questions, r.out_of_corpus_questions) == (2, 24, 12)
    assert 0 <= r.recall_at_1 <= r.mrr <= r.recall_at_10 <= 1
    assert r.recall_at_1 <= r.recall_at_5 <= r.recall_at_10
    assert r.passage_recall_at_1 >= r.recall_at_1 and r.passage_recall_at_5 >= r.recall_at_5
    # Far above chance (about 70 sentences): the right sentence is usually among the first quotes.
    assert r.recall_at_5 >= 0.7 and r.mrr >= 0.5
    # The cut-off gives up about 4% of answerable questions on the full tuning part; on 24 it varies.
    assert r.abstained <= 0.2 and r.out_of_corpus_refused is not None
    assert 0 < r.mean_quote_words <= 2 * r.mean_sentence_words
    assert r.build_seconds > 0 and 0 < r.latency_p50_ms <= r.latency_p95_ms
    # Four follow-up pairs on the tuning part's paragraphs ("Where did Super Bowl 50 take place?" ->
    # "Which NFL team won it?"), each asked after its first question.
    assert r.follow_up_questions == 4 and 0 <= r.follow_up_recall_at_1 <= r.follow_up_mrr <= 1
    assert r.follow_up_mrr > 0
    assert sum(r.statuses.values()) == 24 and sum(r.out_of_corpus_statuses.values()) == 12
    assert r.out_of_corpus_statuses["abstained"] == round(12 * r.out_of_corpus_refused)
    assert r.calibration_error is not None and 0 <= r.calibration_error <= 1


def test_together_indexes_every_article_and_asks_the_part(mini_report, embedder, tmp_path: Path):
    together = evaluate(
        MINI,
        Settings(),
        k=10,
        part="check",
        together=True,
        engine_factory=lambda s: Engine(s, embedder),
        workdir=tmp_path,
    )
    assert (together.articles, together.questions, together.out_of_corpus_questions) == (1, 12, 0)
    assert "all 3 articles indexed" in together.part and together.recall_at_5 >= 0.5


def test_a_larger_k_only_adds_hits_below_the_first(mini_report, embedder, tmp_path: Path):
    top1 = evaluate(
        MINI, Settings(), k=1, part="tuning", engine_factory=lambda s: Engine(s, embedder), workdir=tmp_path
    )
    assert top1.recall_at_1 == mini_report.recall_at_1 == top1.mrr
    assert top1.recall_at_10 == top1.recall_at_1


def test_eval_command_refuses_a_file_that_is_not_squad(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [{"title": "x"}]}', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(bad), "--json"])
    assert result.exit_code == 1
    assert "bad.json is not a SQuAD v1.1 file" in result.output


def test_impossible_questions_are_counted_apart_with_the_auroc_of_the_confidence():
    """SQuAD 2.0 questions the articles do not answer: their statuses apart from the answerable
    ones', in the ECE as wrong, and how often a right first quote is more confident than they are."""

    def outcome(status: str, confidence: float, rank: int | None = None) -> Scored:
        words = 3 if status != "abstained" else None
        return Scored(
            abstained=status == "abstained",
            sentence_rank=rank,
            passage_rank=rank,
            first_quote_words=words,
            status=status,  # type: ignore[arg-type]
            confidence=confidence,
        )

    scored = [outcome("answered", 0.9, 1), outcome("uncertain", 0.4, 1), outcome("answered", 0.8, 2)]
    impossible = [outcome("answered", 0.5), outcome("uncertain", 0.2), outcome("abstained", 0.4)]
    kwargs = {"dataset": "x", "part": "all", "articles": 1, "k": 10, "mean_sentence_words": 3.0}
    report = summarize(scored, [], impossible=impossible, **kwargs)  # type: ignore[arg-type]
    assert report.questions == 3 and report.impossible_questions == 3
    assert report.impossible_statuses == {"answered": 1, "uncertain": 1, "abstained": 1}
    # Right first: 0.9 beats all three; 0.4 beats 0.2 and ties 0.4 (half): 4.5 of 6 pairs.
    assert report.confidence_auroc == pytest.approx(4.5 / 6)
    right = [True, True, False, False, False, False]
    ece = calibration_error([0.9, 0.4, 0.8, 0.5, 0.2, 0.4], right)[0]
    assert report.calibration_error == pytest.approx(ece) and ece > 0
    assert "impossible (SQuAD 2.0)" in report_text(report)
    plain = summarize(scored, [], **kwargs)  # type: ignore[arg-type]
    assert plain.impossible_questions == 0 and plain.confidence_auroc is None
    assert plain.calibration_error != pytest.approx(report.calibration_error)
    assert "impossible" not in report_text(plain)
