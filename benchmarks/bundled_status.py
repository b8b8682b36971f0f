"""Answers and their status on the bundled articles, for the hand-written question sets.

    python -m benchmarks.bundled_status [--half check|tuning|all] [--out benchmarks/bundled_status.json]

The five articles of ``corpus/`` are indexed in a temporary folder through the normal build path,
and every question of ``benchmarks/data/bundled_questions.json`` (see its README) is asked with
``Engine.ask`` (a follow-up with its previous question). An answer is right when its quote
overlaps one of the question's evidence spans. Prints, per set: right first / in the top 3 (where
the set has evidence), and how many answers were ``answered`` / ``uncertain`` / ``abstained``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.corpora import ROOT
from rag import Answer, Engine, Settings

DATA = ROOT / "benchmarks" / "data" / "bundled_questions.json"


def rank_of_right(answer: Answer, evidence: list[dict[str, Any]]) -> int | None:
    """1-based rank of the first quote overlapping an evidence span, else ``None``."""
    for rank, q in enumerate(answer.quotes, 1):
        if any(q.doc == ev["doc"] and q.start < ev["end"] and ev["start"] < q.end for ev in evidence):
            return rank
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["check", "tuning", "all"], default="all")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("bundled_status.json"))
    args = parser.parse_args()
    sets = json.loads(DATA.read_text(encoding="utf-8"))["sets"]
    halves = ["tuning", "check"] if args.half == "all" else [args.half]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="rag-bundled-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "corpus", root / "corpus")
        engine = Engine(Settings().with_dirs(root / "corpus", root / "index"))
        engine.build()
        print(f"{'set':<24} {'n':>3} {'right 1st':>9} {'top 3':>6}   answered / uncertain / abstained")
        for name, by_half in sets.items():
            for half in halves:
                items = by_half[half]
                rows = []
                for item in items:
                    answer = engine.ask(item["question"], k=3, previous=item.get("previous"))
                    rank = rank_of_right(answer, item["evidence"]) if "evidence" in item else None
                    rows.append(
                        {"id": item["id"], "status": answer.status, "confidence": answer.confidence, "rank": rank}
                    )
                counts = {s: sum(r["status"] == s for r in rows) for s in ("answered", "uncertain", "abstained")}
                has_evidence = all("evidence" in item for item in items)
                first = sum(r["rank"] == 1 for r in rows) if has_evidence else None
                top3 = sum(r["rank"] is not None for r in rows) if has_evidence else None
                results[f"{name}/{half}"] = {"n": len(rows), "right_first": first, "top3": top3, **counts, "rows": rows}
                shown = (f"{first:>9} {top3:>6}") if has_evidence else f"{'':>9} {'':>6}"
                print(
                    f"{name + ' (' + half + ')':<24} {len(rows):>3} {shown}   "
                    f"{counts['answered']} / {counts['uncertain']} / {counts['abstained']}"
                )
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
