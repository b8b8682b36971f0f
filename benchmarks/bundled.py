"""Answer quality on the bundled articles, from the hand-written sets in ``benchmarks/data/``.

    python benchmarks/bundled.py [--half tuning|check|all] [--json OUT]

See ``benchmarks/data/README.md`` for the sets and their format. A returned quote is right when it
overlaps one of the question's evidence spans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rag.config import PROJECT_ROOT

__all__ = ["QUESTIONS_FILE", "Evidence", "Half", "Item", "QuestionSets", "load_sets", "overlaps"]

QUESTIONS_FILE = Path(__file__).with_name("data") / "bundled_questions.json"
Half = Literal["tuning", "check", "all"]
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


def load_sets(
    half: Half = "tuning", *, path: Path = QUESTIONS_FILE, corpus: Path | None = None
) -> QuestionSets:
    """The sets' ``half``, each evidence span checked against the corpus file it cites."""
    data = json.loads(path.read_text(encoding="utf-8"))
    folder = corpus or PROJECT_ROOT / data["corpus"]
    texts: dict[str, str] = {}
    chosen: dict[str, tuple[Item, ...]] = {}
    for name in SET_NAMES:
        halves = data["sets"][name]
        raw = halves["tuning"] + halves["check"] if half == "all" else halves[half]
        items = []
        for entry in raw:
            evidence = tuple(Evidence(**e) for e in entry.get("evidence", ()))
            for e in evidence:
                if e.doc not in texts:
                    with open(folder / e.doc, encoding="utf-8", newline="") as fh:
                        texts[e.doc] = fh.read()
                if texts[e.doc][e.start : e.end] != e.text:
                    raise ValueError(f"{path}: {entry['id']}: the text at {e.doc}[{e.start}:{e.end}] is not its evidence")
            items.append(
                Item(id=entry["id"], question=entry["question"], previous=entry.get("previous"), evidence=evidence)
            )
        chosen[name] = tuple(items)
    return QuestionSets(**chosen)


def overlaps(doc: str, start: int, end: int, evidence: tuple[Evidence, ...]) -> bool:
    """Whether the span ``doc[start:end]`` overlaps one of ``evidence``."""
    return any(e.doc == doc and start < e.end and e.start < end for e in evidence)
