"""Query latency of answer selection on the bundled corpus: the encoder alone vs a whole ask.

    python -m benchmarks.quality_latency [--repeat 20] [--out benchmarks/quality_latency.json]

The seed corpus is indexed in a temporary folder through the normal build path. Each question is
timed ``--repeat`` times, interleaved: encoding the question with sentence-transformers (torch, the
model's own code), encoding it with our encoder, retrieving, reading (the trained second stage,
:mod:`rag.read.reader`) and quoting with that vector, and ``Engine.ask`` end to end. The budget (issue
10) is an end-to-end p50 of at most 4x sentence-transformers' p50 for encoding the question
alone; the ratio to our own encoder is printed too. Prints a table and writes JSON. Settings come
from the environment as ``rag`` reads them (``RAG_READER_DIR``, ``RAG_ENCODER_PRECISION``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.corpora import ROOT
from rag import Engine, Settings
from rag.evaluate.squad import percentile

QUESTIONS = [
    "Who is expected to serve as secretary of state?",
    "Which meeting produced the first joint statement between Japan and South Korea in 17 years?",
    "What is the primary source of friction between Japan and South Korea?",
    "Where did the first U.S.-Japan-South Korea Industry Ministers' Meeting take place?",
    "Who gave a speech that shocked European allies in Munich?",
    "How did the Camp David summit change trilateral cooperation?",
    "When did the Camp David summit take place?",
    "How many moons does Jupiter have?",
    "What is the boiling point of mercury?",
    "What do Trump's advisers say about Japan and South Korea?",
]


def _ms(values: list[float], q: float) -> float:
    return 1000 * percentile(values, q)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("quality_latency.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rag-latency-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "corpus", root / "corpus")
        engine = Engine(Settings.from_env().with_dirs(root / "corpus", root / "index"))
        engine.build()
        from sentence_transformers import SentenceTransformer

        reference = SentenceTransformer(engine.embedder.model_dir(), device="cpu")  # type: ignore[attr-defined]
        for question in QUESTIONS:  # Warm up the models and the caches.
            engine.ask(question)
            reference.encode([question])
        timings: dict[str, list[float]] = {
            "sentence-transformers encode": [],
            "encode only": [],
            "retrieve + read + quote": [],
            "ask (end to end)": [],
        }
        for _ in range(args.repeat):
            for question in QUESTIONS:
                started = time.perf_counter()
                reference.encode([question])
                timings["sentence-transformers encode"].append(time.perf_counter() - started)
                started = time.perf_counter()
                vector = engine.encode_question(question)
                timings["encode only"].append(time.perf_counter() - started)
                started = time.perf_counter()
                engine.ask(question, vector=vector)
                timings["retrieve + read + quote"].append(time.perf_counter() - started)
                started = time.perf_counter()
                engine.ask(question)
                timings["ask (end to end)"].append(time.perf_counter() - started)
    rows = {
        name: {
            "p50_ms": round(_ms(v, 0.5), 2),
            "p95_ms": round(_ms(v, 0.95), 2),
            "mean_ms": round(1000 * statistics.fmean(v), 2),
        }
        for name, v in timings.items()
    }
    ask = rows["ask (end to end)"]["p50_ms"]
    ratio = ask / rows["sentence-transformers encode"]["p50_ms"]
    own = ask / rows["encode only"]["p50_ms"]
    print(f"{'stage':<30} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}   ({len(QUESTIONS)} questions x {args.repeat})")
    for name, row in rows.items():
        print(f"{name:<30} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['mean_ms']:>8.2f}")
    print(f"end-to-end p50 / sentence-transformers encode p50 = {ratio:.2f} (budget 4)")
    print(f"end-to-end p50 / our encoder's p50 = {own:.2f}")
    result = {
        "stages": rows,
        "ratio_p50": round(ratio, 3),
        "ratio_p50_own_encoder": round(own, 3),
        "repeat": args.repeat,
    }
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
