"""Answer quality by encoder precision: ``rag eval``'s check part with fp32 and with int8 vectors.

    .venv/bin/python -m benchmarks.encoder_quality            # fp32, int8, int8 + derived passages
    .venv/bin/python -m benchmarks.encoder_quality --part tuning

The guard of the int8 encoder: MRR and R@1 may not drop by more than 0.005 against fp32. The
third row measures an idea that was not adopted unless it holds quality: a passage's vector as the
renormalised mean of its sentences' vectors instead of an encoding of the passage (a build then
encodes only sentences). Each row indexes the part from scratch and asks every question of it
through ``rag.evaluate.squad.evaluate`` (the same code as ``rag eval``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpora import RESULTS, SQUAD_PATH
from rag import Engine, Settings
from rag.chunk import split_sentences
from rag.embed.interface import DelegatingEmbedder, ProgressFn
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.squad import evaluate


class DerivedPassages(DelegatingEmbedder):
    """Encodes single sentences; a text of several sentences (a passage) gets the renormalised
    mean of its sentences' vectors. The sentences are split as the chunker splits a paragraph."""

    def __init__(self, inner: OnnxEmbedder) -> None:
        super().__init__(inner)
        self.encoded = 0

    @property
    def name(self) -> str:
        return self.inner.name + " derived passages"

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        parts = [[t[s:e] for s, e in split_sentences(t)] or [t] for t in texts]
        unique = list(dict.fromkeys(p for ps in parts for p in ps))
        self.encoded += len(unique)
        vectors = self.inner.encode(unique, progress)
        row = {t: i for i, t in enumerate(unique)}
        out = np.stack([vectors[[row[p] for p in ps]].mean(axis=0) for ps in parts])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--squad", type=Path, default=SQUAD_PATH)
    parser.add_argument("--part", default="check", choices=["check", "tuning", "all"])
    parser.add_argument("--only", default="fp32,int8,derived", help="Rows: fp32, int8, derived.")
    args = parser.parse_args()
    settings = Settings.from_env()
    int8 = OnnxEmbedder.from_settings(settings)
    fp32 = OnnxEmbedder.from_settings(settings) if int8.precision == "fp32" else None
    fp32 = fp32 or OnnxEmbedder(precision="fp32", cache_dir=settings.cache_dir)
    derived = DerivedPassages(int8)
    rows: dict[str, Any] = {"fp32": fp32, "int8": int8, "derived": derived}
    results: dict[str, Any] = {}
    for key in [k.strip() for k in args.only.split(",")]:
        embedder = rows[key]
        before = getattr(embedder, "texts_encoded", 0)

        def engine(s: Settings, e: Any = embedder) -> Engine:
            return Engine(s, e)

        report = evaluate(args.squad, settings, part=args.part, engine_factory=engine)
        results[embedder.name] = {**report.to_dict(), "texts_encoded": getattr(embedder, "texts_encoded", 0) - before}
        if isinstance(embedder, DerivedPassages):
            results[embedder.name]["texts_encoded"] = embedder.encoded
        print(f"{embedder.name}: MRR {report.mrr:.4f} R@1 {report.recall_at_1:.4f}", file=sys.stderr, flush=True)
    out = RESULTS / f"encoder-quality-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    cols = ["mrr", "recall_at_1", "recall_at_5", "passage_recall_at_1", "out_of_corpus_refused", "build_seconds"]
    head = ["encoder", "MRR", "R@1", "R@5", "passage R@1", "refused", "build s", "texts encoded (build + questions)"]
    print(" | ".join(head))
    for name, r in results.items():
        print(
            " | ".join(
                [
                    name,
                    *(f"{r[c]:.4f}" if c != "build_seconds" else f"{r[c]:.1f}" for c in cols),
                    str(r["texts_encoded"]),
                ]
            )
        )
    base = results.get(fp32.name)
    if base:
        for name, r in results.items():
            if name != fp32.name:
                mrr, r1 = r["mrr"] - base["mrr"], r["recall_at_1"] - base["recall_at_1"]
                print(f"{name} - fp32: MRR {mrr:+.4f}, R@1 {r1:+.4f}")
    print(out)


if __name__ == "__main__":
    main()
