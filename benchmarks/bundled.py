"""Answer quality on the bundled articles, from the hand-written sets in ``benchmarks/data/``.

    python benchmarks/bundled.py [--half tuning|check|fresh|sources|all] [--k 3] [--json OUT]

See ``benchmarks/data/README.md`` for the sets and their format. A returned quote is right when it
overlaps one of the question's evidence spans. The corpus is copied to
``benchmarks/results/work/bundled/`` and indexed there once (later runs reuse the index). Every
question goes through :meth:`Engine.ask`; each follow-up is asked, with ``previous=`` its first
question, right after that question, as in a conversation.
Prints a table: answerable right first and in the top 3, follow-ups right first (and how often the
first quote is the previous question's first quote instead), and the status of the answers to
questions the articles do not answer and to off-topic ones. The status is the answer JSON's
``status`` where it has one, else ``abstained`` or ``answered``. Settings come from the environment
as ``rag`` reads them (:meth:`rag.Settings.from_env`): ``RAG_READER_DIR=DIR`` measures a reader
trained into ``DIR`` (``train_reranker --models DIR``) before it replaces ``models/``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from benchmarks.corpora import RESULTS, ROOT
from rag import STATUSES, Answer, Engine, Settings

__all__ = [
    "HALVES",
    "QUESTIONS_FILE",
    "BundledReport",
    "Evidence",
    "Half",
    "Item",
    "QuestionSets",
    "load_sets",
    "measure",
    "overlaps",
    "report_text",
]

QUESTIONS_FILE = Path(__file__).with_name("data") / "bundled_questions.json"
Half = Literal["tuning", "check", "fresh", "sources", "all"]
HALVES: tuple[Half, ...] = ("tuning", "check", "fresh", "sources")
"""The parts of each set: ``tuning`` for choices, ``check`` for reporting, ``fresh`` written after
every choice, from sentences drawn at random, and ``sources``, questions that name their source
(``benchmarks/data/README.md``)."""
SET_NAMES = ("answerable", "unanswerable", "followup", "offtopic")


@dataclass(frozen=True, kw_only=True)
class Evidence:
    doc: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, kw_only=True)
class Item:
    id: str
    question: str
    previous: str | None = None
    """The question asked before this one (follow-ups only)."""
    evidence: tuple[Evidence, ...] = ()
    """Spans any one of which answers the question; empty when the articles do not answer it."""


@dataclass(frozen=True, kw_only=True)
class QuestionSets:
    answerable: tuple[Item, ...]
    unanswerable: tuple[Item, ...]
    followup: tuple[Item, ...]
    offtopic: tuple[Item, ...]


def load_sets(half: Half = "tuning", *, path: Path = QUESTIONS_FILE, corpus: Path | None = None) -> QuestionSets:
    """The sets' ``half``, each evidence span checked against the corpus file it cites."""
    data = json.loads(path.read_text(encoding="utf-8"))
    folder = corpus or ROOT / data["corpus"]
    texts: dict[str, str] = {}
    chosen: dict[str, tuple[Item, ...]] = {}
    for name in SET_NAMES:
        halves = data["sets"][name]
        raw = [entry for h in HALVES for entry in halves[h]] if half == "all" else halves[half]
        items = []
        for entry in raw:
            evidence = tuple(Evidence(**e) for e in entry.get("evidence", ()))
            for e in evidence:
                if e.doc not in texts:
                    with open(folder / e.doc, encoding="utf-8", newline="") as fh:
                        texts[e.doc] = fh.read()
                if texts[e.doc][e.start : e.end] != e.text:
                    where = f"{e.doc}[{e.start}:{e.end}]"
                    raise ValueError(f"{path}: {entry['id']}: the text at {where} is not its evidence")
            items.append(
                Item(id=entry["id"], question=entry["question"], previous=entry.get("previous"), evidence=evidence)
            )
        chosen[name] = tuple(items)
    return QuestionSets(**chosen)


def overlaps(doc: str, start: int, end: int, evidence: tuple[Evidence, ...]) -> bool:
    """Whether the span ``doc[start:end]`` overlaps one of ``evidence``."""
    return any(e.doc == doc and start < e.end and e.start < end for e in evidence)


def _rank(answer: Answer, evidence: tuple[Evidence, ...]) -> int | None:
    return next((n for n, q in enumerate(answer.quotes, 1) if overlaps(q.doc, q.start, q.end, evidence)), None)


@dataclass(frozen=True, kw_only=True)
class BundledReport:
    half: str
    answerable: int
    answerable_first: int
    answerable_top3: int
    answerable_status: dict[str, int]
    followups: int
    followups_first: int
    followups_previous_first: int
    """Follow-ups whose first quote is the first quote of their previous question (and wrong)."""
    unanswerable: int
    unanswerable_status: dict[str, int]
    offtopic: int
    offtopic_status: dict[str, int]
    misses: tuple[str, ...]
    """The ids of the answerable questions and follow-ups not right first."""
    ask_p50_ms: float
    follow_up_p50_ms: float
    """Median time of ``Engine.ask`` for the answerable questions, and for the follow-ups."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(engine: Engine, sets: QuestionSets, *, half: str, k: int = 3) -> BundledReport:
    """Ask every question of ``sets`` and count the outcomes."""
    misses: list[str] = []
    first = top3 = 0
    answered_status: Counter[str] = Counter()
    times: dict[str, list[float]] = {"ask": [], "follow-up": []}

    def timed(kind: str, question: str, previous: str | None = None) -> Answer:
        started = time.perf_counter()
        answer = engine.ask(question, k=k, previous=previous)
        times[kind].append(1000 * (time.perf_counter() - started))
        return answer

    for item in sets.answerable:
        answer = timed("ask", item.question)
        rank = _rank(answer, item.evidence)
        answered_status[str(answer.status)] += 1
        first += rank == 1
        top3 += rank is not None and rank <= 3
        if rank != 1:
            misses.append(item.id)
    follow_first = previous_first = 0
    for item in sets.followup:
        before = engine.ask(item.previous or "", k=k)  # The conversation's turn before, as a user asks it.
        answer = timed("follow-up", item.question, item.previous)
        right = _rank(answer, item.evidence) == 1
        follow_first += right
        if not right:  # Did it quote the previous question's answer again?
            misses.append(item.id)
            same = answer.quotes and before.quotes and answer.quotes[0].text == before.quotes[0].text
            previous_first += bool(same)
    return BundledReport(
        half=half,
        answerable=len(sets.answerable),
        answerable_first=first,
        answerable_top3=top3,
        answerable_status=dict(answered_status),
        followups=len(sets.followup),
        followups_first=follow_first,
        followups_previous_first=previous_first,
        unanswerable=len(sets.unanswerable),
        unanswerable_status=dict(Counter(str(engine.ask(i.question, k=k).status) for i in sets.unanswerable)),
        offtopic=len(sets.offtopic),
        offtopic_status=dict(Counter(str(engine.ask(i.question, k=k).status) for i in sets.offtopic)),
        misses=tuple(misses),
        ask_p50_ms=statistics.median(times["ask"]) if times["ask"] else 0.0,
        follow_up_p50_ms=statistics.median(times["follow-up"]) if times["follow-up"] else 0.0,
    )


def _counts(status: dict[str, int]) -> str:
    return ", ".join(f"{status.get(s, 0)} {s}" for s in STATUSES)


def report_text(report: BundledReport) -> str:
    """The report as a small table for the terminal."""
    r = report
    rows = [
        ("half", r.half),
        ("answerable: right first", f"{r.answerable_first} of {r.answerable}"),
        ("answerable: right in top 3", f"{r.answerable_top3} of {r.answerable}"),
        ("answerable: status", _counts(r.answerable_status)),
        ("follow-ups: right first", f"{r.followups_first} of {r.followups}"),
        ("follow-ups: previous answer first", f"{r.followups_previous_first} of {r.followups}"),
        ("not answered by the articles: status", _counts(r.unanswerable_status) + f" (of {r.unanswerable})"),
        ("off-topic: status", _counts(r.offtopic_status) + f" (of {r.offtopic})"),
        ("missed", " ".join(r.misses) or "none"),
        ("ask p50: question / follow-up", f"{r.ask_p50_ms:.1f} / {r.follow_up_p50_ms:.1f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def bundled_engine() -> Engine:
    """An engine on a copy of the bundled corpus in ``benchmarks/results/work/bundled/`` (indexed
    there once, later runs reuse the index), with the settings ``rag`` reads from the environment."""
    work = RESULTS / "work" / "bundled"
    shutil.rmtree(work / "corpus", ignore_errors=True)
    shutil.copytree(ROOT / "corpus", work / "corpus")
    engine = Engine(Settings.from_env().with_dirs(work / "corpus", work / "index"))
    engine.build()
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=[*HALVES, "all"], default="tuning")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--json", type=Path, help="Also write the report here as JSON.")
    args = parser.parse_args()
    report = measure(bundled_engine(), load_sets(args.half), half=args.half, k=args.k)
    print(report_text(report))
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
