"""Questions asked in a reader's own words about the bundled articles, and near misses.

    python -m benchmarks.meaning_questions [--half tuning|check|all] [--k 3] [--file F] [--json OUT]

The set (``benchmarks/data/meaning_questions.json``, described beside it) was written from the
articles alone, in other words than theirs: ``paraphrase`` questions (31 of them about a sentence
that names its subject only in the sentence before or in a heading), ``near_miss`` questions that
almost match one sentence but that no article answers, on-topic ``unanswerable`` ones and
``offtopic`` ones. Each half is asked of the bundled corpus (indexed once under
``benchmarks/results/work/bundled/``) through :meth:`Engine.ask`. Prints, per set, the statuses,
and for the paraphrases right first, right in the top ``k``, ``answered`` when right first, and
the quotes per answer. ``tuning`` chooses, ``check`` reports. Settings come from the environment
as ``rag`` reads them (``RAG_READER_DIR=DIR`` measures another reader folder).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.bundled import Evidence, bundled_engine, overlaps
from rag import STATUSES, Engine

QUESTIONS = Path(__file__).with_name("data") / "meaning_questions.json"


def measure(engine: Engine, data: dict[str, Any], half: str, k: int) -> dict[str, Any]:
    def chosen(name: str) -> list[dict[str, Any]]:
        return [e for e in data[name] if half == "all" or e["half"] == half]

    out: dict[str, Any] = {"half": half, "k": k}
    first = top = right_answered = quotes = 0
    context_first = context_n = 0
    status: Counter[str] = Counter()
    times: list[float] = []
    misses = []
    items = chosen("paraphrase")
    for item in items:
        evidence = tuple(Evidence(**e) for e in item["evidence"])
        started = time.perf_counter()
        answer = engine.ask(item["question"], k=k)
        times.append(1000 * (time.perf_counter() - started))
        rank = next((n for n, q in enumerate(answer.quotes, 1) if overlaps(q.doc, q.start, q.end, evidence)), None)
        st = "abstained" if answer.abstained else str(answer.status or "answered")
        status[st] += 1
        first += rank == 1
        top += rank is not None
        right_answered += rank == 1 and st == "answered"
        quotes += len(answer.quotes)
        if item.get("context_subject"):
            context_n += 1
            context_first += rank == 1
        if rank != 1:
            misses.append(item["id"])
    out["paraphrase"] = {
        "n": len(items),
        "right_first": first,
        "right_in_top_k": top,
        "answered_when_right": right_answered,
        "context_subject": context_n,
        "context_subject_right_first": context_first,
        "status": dict(status),
        "quotes_per_answer": quotes / len(items) if items else 0.0,
        "misses": misses,
    }
    for name in ("near_miss", "unanswerable", "offtopic"):
        found: Counter[str] = Counter()
        for item in chosen(name):
            answer = engine.ask(item["question"], k=k)
            found["abstained" if answer.abstained else str(answer.status or "answered")] += 1
        out[name] = {"n": len(chosen(name)), "status": dict(found)}
    out["ask_p50_ms"] = statistics.median(times) if times else 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("tuning", "check", "all"), default="tuning")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--file", type=Path, default=QUESTIONS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    found = measure(bundled_engine(), json.loads(args.file.read_text(encoding="utf-8")), args.half, args.k)
    p = found["paraphrase"]
    print(f"meaning questions, {args.half} half, k = {args.k}")
    print(
        f"paraphrase: right first {p['right_first']} of {p['n']}, in the top {args.k} {p['right_in_top_k']}, "
        f"answered when right {p['answered_when_right']} of {p['right_first']}; subject in the sentence before: "
        f"{p['context_subject_right_first']} of {p['context_subject']} right first; "
        f"{p['quotes_per_answer']:.2f} quotes per answer"
    )
    for name in ("paraphrase", "near_miss", "unanswerable", "offtopic"):
        st = found[name]["status"]
        counts = ", ".join(f"{st.get(s, 0)} {s}" for s in STATUSES)
        print(f"{name:<13} ({found[name]['n']:>2}): {counts}")
    print(f"missed: {' '.join(p['misses']) or 'none'}; ask p50 {found['ask_p50_ms']:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
