"""Benchmark corpora: the SQuAD v1.1 dev half as ~50 plain-text documents, with gold offsets.

Each SQuAD article is split into two documents (first and second half of its paragraphs), so the
24 articles of the dev half give 48 documents of a realistic size. Paragraphs are separated by a
blank line; every question keeps the offsets of its gold answers in the file it ends up in, which
is what the scoring in :mod:`benchmarks.scoring` compares returned spans with.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project's checkout: the benchmarks run from it (``python -m benchmarks.run``)."""

__all__ = ["RESULTS", "ROOT", "SEED_QUESTIONS", "SQUAD_PATH", "Question", "write_squad_corpus"]

SQUAD_PATH = ROOT.parent / "shared" / "eval" / "squad-v1.1-dev-a.json"
"""The SQuAD v1.1 file of ``../shared/eval`` beside the checkout (every benchmark's default)."""
RESULTS = ROOT / "benchmarks" / "results"
"""Where the benchmarks write their JSON (not committed)."""

# Questions about the bundled seed corpus, for latency only (their answers are not checked here).
SEED_QUESTIONS = [
    "Who is expected to serve as secretary of state?",
    "Which meeting produced the first joint statement between Japan and South Korea in 17 years?",
    "What is the primary source of friction between Japan and South Korea?",
    "Where did the first U.S.-Japan-South Korea Industry Ministers' Meeting take place?",
    "Who gave a speech that shocked European allies in Munich?",
    "What did Trump's advisers tell Seoul and Tokyo?",
    "How did the Camp David summit change trilateral cooperation?",
    "What are the risks to the trilateral partnership?",
    "What role does China play in the relationship?",
    "How do I bake sourdough bread?",
]


@dataclass(frozen=True)
class Question:
    text: str
    doc: str
    """File name (relative to the corpus folder) of the document holding the gold answers."""
    answer_starts: tuple[int, ...]
    """Character offsets in ``doc`` where a gold answer starts."""


def write_squad_corpus(dest: Path, squad_path: Path = SQUAD_PATH, parts: int = 2) -> list[Question]:
    """Write the SQuAD articles as ``parts`` documents each into ``dest`` (replaced); return every
    question with the offsets of its gold answers in those files."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    data = json.loads(squad_path.read_text(encoding="utf-8"))["data"]
    questions: list[Question] = []
    for a_i, article in enumerate(data):
        paragraphs = article["paragraphs"]
        size = -(-len(paragraphs) // parts)
        for part in range(parts):
            chunk = paragraphs[part * size : (part + 1) * size]
            if not chunk:
                continue
            name = f"{a_i:02d}{chr(ord('a') + part)}_{article['title'][:40]}.txt"
            title = article["title"].replace("_", " ")
            text = f"{title}\n\n"
            for para in chunk:
                base = len(text)
                text += para["context"] + "\n\n"
                for qa in para["qas"]:
                    starts = tuple(sorted({base + a["answer_start"] for a in qa["answers"]}))
                    questions.append(Question(qa["question"], name, starts))
            (dest / name).write_text(text, encoding="utf-8", newline="")
    return questions


def sample_questions(questions: list[Question], n: int, seed: int = 0) -> list[Question]:
    """A fixed random sample of ``n`` questions (all of them if there are fewer)."""
    if n >= len(questions):
        return list(questions)
    return random.Random(seed).sample(questions, n)
