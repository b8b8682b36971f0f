"""How often :func:`rag.read.missing.missing_terms` names something missing, on SQuAD 2.0.

    python -m benchmarks.missing [SQUAD2.json] [--part all|even|odd] [--context previous|paragraph]
                                 [--examples N] [--kind KIND]

- **answerable** questions against their answer sentence (the sentence holding the first gold
  answer's start) with the sentence before it and the article's title as context: a right
  answer, so the list should be empty (a non-empty one is a false alarm);
- **impossible** questions (written to look answerable from the same paragraph) against the
  paragraph's sentence that shares the most of their words (stems, function words aside), with
  the same context: the list should often name something.

Prints one row per kind of term (any, name, number, date, qualifier, negation): the share of
answerable questions with nothing of that kind missing, the share of impossible ones with
something of that kind missing, and how many of those name a near variant ("the text says …").
``--context paragraph`` reads the whole paragraph before the sentence as context instead of the
sentence before. ``--examples N`` prints N answerable questions with a false alarm (of ``--kind``),
and N impossible ones with a term found, to see what the rules do.

Data: ``../shared/eval/squad-v2.0-train-first10.json`` (the default; tune on it) and
``squad-v2.0-dev-a10.json`` (``--part even``: its articles at even positions, a check).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from benchmarks.corpora import ROOT
from rag.chunk import split_sentences
from rag.read.missing import missing_terms
from rag.records import Missing
from rag.text import FUNCTION_WORDS

KINDS = ("name", "number", "date", "qualifier", "negation")
DEFAULT = ROOT.parent / "shared" / "eval" / "squad-v2.0-train-first10.json"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if w not in FUNCTION_WORDS}


def _overlap(question: str, sentence: str) -> int:
    q = {w[:6] for w in _words(question)}
    return len(q & {w[:6] for w in _words(sentence)})


def run(path: Path, part: str, context: str) -> list[tuple[bool, str, str, tuple[Missing, ...]]]:
    """``(impossible, question, sentence, missing)`` for every question of the part."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    rows = []
    for pos, article in enumerate(data):
        if (part == "even" and pos % 2) or (part == "odd" and not pos % 2):
            continue
        title = article["title"].replace("_", " ")
        for para in article["paragraphs"]:
            text = para["context"]
            spans = split_sentences(text, 0, len(text), 10_000)
            sentences = [text[s:e] for s, e in spans]
            for qa in para["qas"]:
                question = qa["question"]
                if qa.get("is_impossible"):
                    k = max(range(len(sentences)), key=lambda i: (_overlap(question, sentences[i]), -i))
                else:
                    at = qa["answers"][0]["answer_start"]
                    k = next((i for i, (s, e) in enumerate(spans) if s <= at < e), len(spans) - 1)
                before = " ".join(sentences[:k]) if context == "paragraph" else (sentences[k - 1] if k else "")
                found = missing_terms(question, sentences[k], (before, title))
                rows.append((bool(qa.get("is_impossible")), question, sentences[k], found))
    return rows


def table(rows: list[tuple[bool, str, str, tuple[Missing, ...]]]) -> str:
    answerable = [r for r in rows if not r[0]]
    impossible = [r for r in rows if r[0]]
    lines = [
        f"{'kind':<10} {'answerable: none missing':>25} {'impossible: some missing':>24} {'with a variant':>15}",
    ]
    for kind in ("any", *KINDS):

        def has(found: tuple[Missing, ...], kind: str = kind) -> list[Missing]:
            return [m for m in found if kind == "any" or m.kind == kind]

        clean = sum(not has(r[3]) for r in answerable) / max(1, len(answerable))
        flagged = [r for r in impossible if has(r[3])]
        variants = sum(any(m.text_says for m in has(r[3])) for r in flagged)
        share = len(flagged) / max(1, len(impossible))
        lines.append(f"{kind:<10} {clean:>25.1%} {share:>24.1%} {variants:>15}")
    lines.append(f"({len(answerable)} answerable, {len(impossible)} impossible questions)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--part", choices=("all", "even", "odd"), default="all")
    parser.add_argument("--context", choices=("previous", "paragraph"), default="previous")
    parser.add_argument("--examples", type=int, default=0)
    parser.add_argument("--kind", choices=("any", *KINDS), default="any")
    args = parser.parse_args()
    rows = run(args.dataset, args.part, args.context)
    print(f"{args.dataset.name}, articles: {args.part}, context: {args.context}")
    print(table(rows))
    if args.examples:
        counts: Counter[str] = Counter()
        for impossible, question, sentence, found in rows:
            picked = [m.text for m in found if args.kind in ("any", m.kind)]
            label = "impossible" if impossible else "answerable"
            if picked and counts[label] < args.examples:
                counts[label] += 1
                print(f"\n[{label}] {question}\n  {sentence[:300]}\n  missing: {picked}")


if __name__ == "__main__":
    main()
