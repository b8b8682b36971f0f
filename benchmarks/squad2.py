"""SQuAD 2.0 figures: how the answer's status and confidence tell answers from near misses.

    python -m benchmarks.squad2 [--part check|tuning] [--k 3] [--v2 squad-v2.0-dev-a10.json]
        [--squad squad-v1.1-dev-a.json] [--sweep 0.1,0.15,0.2] [--json OUT]

``squad-v2.0-dev-a10.json`` (``../shared/eval``, CC BY-SA 4.0) holds 10 of the SQuAD v1.1 articles
with their answerable questions and "impossible" ones, written to look answerable from the same
paragraph. Its articles are split as :mod:`rag.evaluate.squad` splits the v1.1 file (by the position of
the same title there), so ``--part check`` reads only articles no model was trained or calibrated
on. The part's articles are indexed together and every question is asked through
:meth:`Engine.ask`. Prints, for answerable and impossible questions, the share of each status;
the share of answerable questions right first and ``answered``; the AUROC of ``confidence``
between answerable questions right first and impossible ones; and its calibration error (ECE)
against "the first quote holds the answer". (``rag eval`` on the v2.0 file gives the same kinds of
figure, with the other part's questions asked as out of corpus.) Settings come from the environment as ``rag`` reads
them (``RAG_READER_DIR=DIR`` measures another reader folder). ``--sweep`` adds what a higher
``answered_from`` would do (each answer ``answered`` now and at least that confident stays
``answered``): the trade between right answers kept ``answered`` and impossible questions not.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpora import SQUAD_PATH
from rag import STATUSES, Answer, Engine, Settings
from rag.evaluate.squad import (
    Article,
    Question,
    auroc,
    calibration_error,
    first_hit,
    load_squad,
    percentile,
    split_articles,
    write_corpus,
)

V2_DEV = SQUAD_PATH.with_name("squad-v2.0-dev-a10.json")
"""The SQuAD 2.0 file of ``../shared/eval`` beside the checkout."""


def part_articles(v2: Path, squad: Path, part: str) -> list[Article]:
    """The SQuAD 2.0 articles of ``part``, split as :mod:`rag.evaluate.squad` splits the v1.1 file."""
    tuning, check = split_articles(load_squad(squad))
    titles = {a.title for a in (check if part == "check" else tuning)}
    return [a for a in load_squad(v2) if a.title in titles]


def asked(articles: list[Article], k: int, settings: Settings) -> Iterator[tuple[Question, Answer, bool, float]]:
    """Every question of ``articles`` (indexed together in a temporary folder), asked through
    :meth:`Engine.ask`: (question, answer, right first, seconds)."""
    with tempfile.TemporaryDirectory(prefix="rag-squad2-") as tmp:
        write_corpus(articles, Path(tmp) / "corpus")
        engine = Engine(settings.with_dirs(Path(tmp) / "corpus", Path(tmp) / "index"))
        engine.build()
        for article in articles:
            for q in article.questions:
                started = time.perf_counter()
                answer = engine.ask(q.text, k=k)
                seconds = time.perf_counter() - started
                spans = [(x.start, x.end) if x.doc == article.doc else (0, 0) for x in answer.quotes]
                right = bool(q.answer_starts) and first_hit(spans, q.answer_starts) == 1
                yield q, answer, right, seconds


def measure(
    v2: Path, squad: Path, part: str, k: int, settings: Settings, thresholds: tuple[float, ...] = ()
) -> dict[str, Any]:
    articles = part_articles(v2, squad, part)
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    for q, answer, right, seconds in asked(articles, k, settings):
        latencies.append(seconds)
        rows.append(
            {
                "impossible": not q.answer_starts,
                "status": "abstained" if answer.abstained else (answer.status or "answered"),
                "confidence": float(answer.confidence or 0.0),
                "right_first": right,
                "quotes": len(answer.quotes),
            }
        )
    ans = [r for r in rows if not r["impossible"]]
    imp = [r for r in rows if r["impossible"]]
    sweep = {
        str(t): {
            "answerable_right_and_answered": float(np.mean([r["right_first"] and answered(r, t) for r in ans])),
            "impossible_not_answered": float(np.mean([not answered(r, t) for r in imp])),
        }
        for t in thresholds
        if ans and imp
    }

    def shares(group: list[dict[str, Any]]) -> dict[str, float]:
        return {s: float(np.mean([r["status"] == s for r in group])) if group else 0.0 for s in STATUSES}

    ece, _ = calibration_error(
        [r["confidence"] for r in rows], [bool(r["right_first"]) and not r["impossible"] for r in rows]
    )
    return {
        "part": part,
        "articles": len(articles),
        "answerable": len(ans),
        "impossible": len(imp),
        "answerable_status": shares(ans),
        "impossible_status": shares(imp),
        "answerable_right_first": float(np.mean([r["right_first"] for r in ans])) if ans else 0.0,
        "answerable_right_and_answered": float(np.mean([r["right_first"] and r["status"] == "answered" for r in ans]))
        if ans
        else 0.0,
        "impossible_not_answered": float(np.mean([r["status"] != "answered" for r in imp])) if imp else 0.0,
        "auroc": auroc([r["confidence"] for r in ans if r["right_first"]], [r["confidence"] for r in imp]),
        "ece": ece,
        "mean_quotes_answerable": float(np.mean([r["quotes"] for r in ans])) if ans else 0.0,
        "ask_p50_ms": 1000 * percentile(latencies, 0.5),
        "sweep": sweep,
    }


def answered(row: dict[str, Any], threshold: float) -> bool:
    """Whether the answer of ``row`` would stay ``answered`` with ``answered_from`` raised to ``threshold``."""
    return row["status"] == "answered" and row["confidence"] >= threshold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("check", "tuning"), default="check")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--v2", type=Path, default=V2_DEV, help="SQuAD 2.0 file (default: ../shared/eval's).")
    parser.add_argument("--squad", type=Path, default=SQUAD_PATH, help="SQuAD v1.1 file that splits the articles.")
    parser.add_argument("--sweep", default="", help="answered_from values to try, comma-separated: 0.1,0.15,0.2")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    try:
        thresholds = tuple(float(t) for t in args.sweep.split(",") if t.strip())
    except ValueError:
        parser.error(f"--sweep takes numbers separated by commas, not {args.sweep!r}")
    found = measure(args.v2, args.squad, args.part, args.k, Settings.from_env(), thresholds)
    print(f"SQuAD 2.0 dev, {args.part} part: {found['articles']} articles indexed together, k = {args.k}")
    print(f"{'questions':<12} {'n':>5} {'answered':>9} {'uncertain':>10} {'abstained':>10}")
    for name in ("answerable", "impossible"):
        st = found[f"{name}_status"]
        print(f"{name:<12} {found[name]:>5} {st['answered']:>9.1%} {st['uncertain']:>10.1%} {st['abstained']:>10.1%}")
    print(
        f"answerable right first {found['answerable_right_first']:.1%}, right and answered "
        f"{found['answerable_right_and_answered']:.1%}; impossible not answered {found['impossible_not_answered']:.1%}"
    )
    area = "n/a" if found["auroc"] is None else f"{found['auroc']:.3f}"
    print(
        f"AUROC of confidence (right first vs impossible) {area}; ECE {found['ece']:.3f}; "
        f"quotes per answerable answer {found['mean_quotes_answerable']:.2f}; ask p50 {found['ask_p50_ms']:.0f} ms"
    )
    if found["sweep"]:
        print(f"{'answered from':<14} {'answerable right and answered':>30} {'impossible not answered':>24}")
        for t, row in found["sweep"].items():
            print(f"{t:<14} {row['answerable_right_and_answered']:>30.1%} {row['impossible_not_answered']:>24.1%}")
    if args.json:
        args.json.write_text(json.dumps(found, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
