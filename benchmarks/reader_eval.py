"""The check part's answers as ``rag eval`` scores them, with and without the trained reader.

    python -m benchmarks.reader_eval [DATASET.json] [--work /tmp/rag-reader] [--out benchmarks/reader_eval.json]

Runs after ``make train-reranker`` and reuses its work folder (the indexes and the cached question
vectors), so nothing is embedded again. Two settings, both asked through ``Engine.ask``:

- **check, 12 alone**: the check part's 12 articles indexed alone (what ``rag eval`` does); the
  tuning part's questions are the out-of-corpus ones;
- **check, 24 together**: all 24 articles indexed together, the check part's questions asked (what
  ``rag eval --together`` does: the harder setting, close to the issue's held-out measurement).

Each is run with the reader (``models/``), and with ``--baseline`` also without it
(``reader_dir=None``: the weighted sum and the evidence cut-off). Prints the reports and writes JSON.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from benchmarks.corpora import SQUAD_PATH
from benchmarks.quality import cached_vectors, harness
from rag import Engine, Settings, report_text
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.squad import load_squad, split_articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=SQUAD_PATH)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-reader"))
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("reader_eval.json"))
    parser.add_argument("--baseline", action="store_true", help="Also run without the reader.")
    args = parser.parse_args()
    articles = load_squad(args.dataset)
    tuning, check = split_articles(articles)
    texts = list(dict.fromkeys(q.text for a in articles for q in a.questions))
    embedder = OnnxEmbedder.from_settings(Settings())
    vectors = dict(zip(texts, cached_vectors(embedder, texts, args.work / "questions.npy")))
    results = {}
    for label, folder, others in (("check, 12 alone", "check", tuning), ("check, 24 together", "all", [])):
        base = Settings().with_dirs(args.work / folder / "corpus", args.work / folder / "index")
        runs = [("reader", base)]
        if args.baseline:
            runs.append(("weighted sum", replace(base, retrieval=replace(base.retrieval, reader_dir=None))))
        for reader, settings in runs:
            report = harness(Engine(settings), check, others, args.work, vectors=vectors, part=label)
            results[f"{label}, {reader}"] = report.to_dict()
            print(f"\n== {label}, {reader}\n{report_text(report)}")
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
