"""``rag find`` latency on a SQuAD collection: every article of the SQuAD file cut into ``--parts``
documents each, plus the bundled articles, optionally written ``--copies`` times over (the
copies' sentences are the same texts, so they cost no embedding, and each repeats every mention:
the collapsing of near-duplicates is measured at its worst).

    python -m benchmarks.find [SQUAD_FILE] [--parts 10] [--copies 1 4] [--queries 100]

Queries: fixed names and phrases (the bundled ones the tests check against a plain scan, names
and words of the SQuAD articles) and, for the rest, words and two-word capitalised names drawn at
random from the collection's sentences (seed 0). Each query is asked once to warm up, then timed
(``Engine.find``, one thread). Prints a table per collection: documents, sentences, p50 / p95 /
max milliseconds, and the mentions found (median and largest). Corpora and indexes are kept in
``benchmarks/results/work/find-*`` (a later run reuses them).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import time
from pathlib import Path

from benchmarks.corpora import RESULTS, ROOT, SQUAD_PATH, write_squad_corpus
from rag import Engine, Settings
from rag.evaluate.probes import sentence_texts
from rag.evaluate.squad import percentile

__all__ = ["FIXED", "collection", "measure", "queries"]

FIXED = [
    "Camp David",
    "tariff",
    "Ishiba",
    "Matsuo",
    "Terrence Matsuo",
    "South Korea",
    "Super Bowl",
    "Denver Broncos",
    "Normans",
    "Nikola Tesla",
    "Genghis Khan",
    "Yuan dynasty",
    "Amazon rainforest",
    "steam engine",
    "oxygen",
    "university",
    "Warsaw",
    "Huguenots",
    "Apollo",
    "the",
]
"""Names and phrases of the bundled and the SQuAD articles, from rare to the most frequent word."""


def collection(squad: Path, parts: int, copies: int) -> Engine:
    """An engine over the SQuAD articles (``parts`` documents each) and the bundled articles,
    ``copies`` times over, built once under ``benchmarks/results/work/``."""
    work = RESULTS / "work" / f"find-p{parts}-c{copies}"
    corpus = work / "corpus"
    if not (work / "index").is_dir():
        shutil.rmtree(work, ignore_errors=True)
        write_squad_corpus(corpus / "squad", squad, parts=parts)
        shutil.copytree(ROOT / "corpus", corpus / "bundled")
        for n in range(2, copies + 1):
            shutil.copytree(corpus / "squad", corpus / f"copy{n}" / "squad")
            shutil.copytree(corpus / "bundled", corpus / f"copy{n}" / "bundled")
    engine = Engine(Settings.from_env().with_dirs(corpus, work / "index"))
    engine.build()
    return engine


def queries(engine: Engine, n: int, seed: int = 0) -> list[str]:
    """:data:`FIXED`, then words and capitalised two-word names drawn from the sentences."""
    rng = random.Random(seed)
    texts = sentence_texts(engine)
    out = list(FIXED)
    while len(out) < n:
        text = rng.choice(texts)
        names = re.findall(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", text)
        words = [w for w in re.findall(r"\b[a-z]{4,}\b", text)]
        pool = names if names and rng.random() < 0.5 else words
        if pool:
            out.append(rng.choice(pool))
    return out[:n]


def measure(engine: Engine, asked: list[str]) -> dict[str, float]:
    for query in asked:
        engine.find(query)  # Warm-up: the index opened, the stems of the sentences read cached.
    times, found = [], []
    for query in asked:
        start = time.perf_counter()
        result = engine.find(query)
        times.append((time.perf_counter() - start) * 1000)
        found.append(result.places)
    status = engine.status()
    return {
        "documents": status.documents,
        "sentences": status.sentences,
        "queries": len(asked),
        "p50_ms": percentile(times, 0.5),
        "p95_ms": percentile(times, 0.95),
        "max_ms": max(times),
        "median_mentions": statistics.median(found),
        "max_mentions": max(found),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad", nargs="?", type=Path, default=SQUAD_PATH)
    parser.add_argument("--parts", type=int, default=10, help="Documents per SQuAD article.")
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 4], help="Collections to measure.")
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    squad = args.squad
    if not squad.is_file():
        parser.error(f"{squad}: no such SQuAD file; give its path")
    rows = []
    for copies in args.copies:
        engine = collection(squad, args.parts, copies)
        rows.append({"copies": copies, **measure(engine, queries(engine, args.queries))})
    head = [
        "copies",
        "documents",
        "sentences",
        "queries",
        "p50_ms",
        "p95_ms",
        "max_ms",
        "median_mentions",
        "max_mentions",
    ]
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for row in rows:
        print(" | ".join(f"{row[h]:.1f}" if isinstance(row[h], float) else str(row[h]) for h in head))


if __name__ == "__main__":
    main()
