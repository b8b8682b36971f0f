"""The encoder benchmark: the ONNX encoder against plain sentence-transformers (torch), one run.

    .venv/bin/python -m benchmarks.encoder                 # the 24 SQuAD articles of ../shared/eval
    .venv/bin/python -m benchmarks.encoder --questions 100 # fewer questions for the latency rows

1. ``rag build`` of the 24 articles (one document each, as ``rag eval`` writes them) into a fresh
   index, from a shell: process start, model load, chunking, encoding and writing included.
2. sentence-transformers on torch (batch 64, normalised) encoding the texts that build encodes
   (every distinct passage and sentence, once), in this process, after the build.
3. The same texts through the ONNX encoder at fp32 and at this CPU's int8: seconds, and cosine
   against the torch vectors (mean, min, and the share of texts below 0.98).
4. Question encoding, one question at a time (the path of ``rag ask``): p50/p95 ms per encoder.
5. ``rag ask`` from a shell on the built index (median of 5), and whether it imported torch,
   bm25s, scipy or httpx (it needs none of them).

Prints a table; the JSON goes to ``benchmarks/results/encoder-DATE.json``. Timings are wall-clock
on whatever else the machine does: compare rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpora import RESULTS, ROOT, SQUAD_PATH
from benchmarks.run import pct
from benchmarks.run_report import machine
from rag.chunk import chunk_text
from rag.config import Settings
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.squad import load_squad, write_corpus
from rag.ingest.load import read_document, scan_corpus
from rag.text import normalize_text


def build_texts(settings: Settings) -> list[str]:
    """The distinct texts a full build of ``settings.corpus_dir`` encodes (passages, sentences)."""
    seen: dict[str, None] = {}
    files, _ = scan_corpus(settings.corpus_dir)
    for path in files:
        doc = read_document(path, settings.corpus_dir)
        chunks = chunk_text(doc.text, settings.chunk, doc.body_start)
        for s, e in [*chunks.passages, *chunks.sentences]:
            seen.setdefault(normalize_text(doc.text[s:e]), None)
    return list(seen)


def shell(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return time.perf_counter() - t, out


def cosine_stats(ours: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    cos = np.einsum("ij,ij->i", ours, ref)
    return {"mean": float(cos.mean()), "min": float(cos.min()), "below_0.98": float((cos < 0.98).mean())}


def question_ms(encoder: Any, questions: list[str]) -> dict[str, float]:
    for q in questions[:5]:
        encoder(q)
    times = []
    for q in questions:
        t = time.perf_counter()
        encoder(q)
        times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--squad", type=Path, default=SQUAD_PATH, help="SQuAD v1.1 file (default: ../shared/eval's).")
    parser.add_argument("--questions", type=int, default=300, help="Questions for the latency rows.")
    args = parser.parse_args()
    work = RESULTS / "work" / "encoder"
    shutil.rmtree(work, ignore_errors=True)
    articles = load_squad(args.squad)
    settings = Settings().with_dirs(work / "corpus", work / "index")
    write_corpus(articles, settings.corpus_dir)
    questions = [q.text for a in articles for q in a.questions][: args.questions]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    rag = str(Path(sys.executable).parent / "rag")
    folders = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    results: dict[str, Any] = {"machine": machine(), "articles": len(articles)}

    int8 = OnnxEmbedder.from_settings(Settings.from_env())
    fp32 = OnnxEmbedder(precision="fp32", cache_dir=int8.cache_dir)
    for enc in (int8, fp32):
        enc.ensure_exported()  # Exported once per machine (not part of a build's time).

    build_s, _ = shell([rag, "build", "--quiet", "--rebuild", *folders], env)
    texts = build_texts(settings)
    results["build"] = {"seconds": build_s, "texts": len(texts), "precision": int8.name}

    from sentence_transformers import SentenceTransformer

    t = time.perf_counter()
    model = SentenceTransformer(int8.model_dir(), device="cpu")
    results["torch_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ref = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    results["torch_encode_s"] = time.perf_counter() - t
    for enc in (fp32, int8):
        t = time.perf_counter()
        ours = enc.encode(texts)
        results[enc.name] = {"encode_s": time.perf_counter() - t, "cosine_vs_torch": cosine_stats(ours, ref)}

    import torch

    torch.set_num_threads(1)  # One question at a time runs on one thread in every encoder.
    results["question_torch"] = question_ms(
        lambda q: model.encode([q], normalize_embeddings=True, convert_to_numpy=True), questions
    )
    for enc in (fp32, int8):
        results[enc.name]["question"] = question_ms(lambda q, enc=enc: enc.encode([q]), questions)

    script = "import sys, runpy; sys.argv = ['rag', *sys.argv[1:]]\n"
    script += (
        "try:\n    runpy.run_module('rag.cli', run_name='__main__')\nexcept SystemExit as e:\n    assert not e.code\n"
    )
    script += "heavy = [m for m in ('torch', 'bm25s', 'scipy', 'httpx') if m in sys.modules]\n"
    script += "print('imported:', ', '.join(heavy) or 'none of torch, bm25s, scipy, httpx', file=sys.stderr)\n"
    ask = [rag, "ask", questions[0], *folders]
    cold = [shell(ask, env)[0] for _ in range(5)]
    _, probe = shell([sys.executable, "-c", script, "ask", questions[0], *folders], env)
    results["cold_ask"] = {"median_s": statistics.median(cold), "all_s": cold, "imported": probe.stderr.strip()}

    out = RESULTS / f"encoder-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(table(results, int8.name, fp32.name))
    m = results["machine"]
    print(f"\n{m['cpu']}, {m['cores']} cores, load average at start {m['load_average_at_start'][0]:.1f}; {out}")


def table(r: dict[str, Any], int8: str, fp32: str) -> str:
    b = r["build"]
    rows = [
        ("texts a build encodes (distinct passages + sentences)", f"{b['texts']}", ""),
        (f"rag build from a shell, {r['articles']} articles ({int8})", f"{b['seconds']:.1f} s", ""),
        ("sentence-transformers torch, batch 64, same texts", f"{r['torch_encode_s']:.1f} s", ""),
        ("build / torch encode", f"{b['seconds'] / r['torch_encode_s']:.2f}x", "≤ 0.5x"),
    ]
    for name in (fp32, int8):
        c = r[name]["cosine_vs_torch"]
        rows.append((f"{name}: encode same texts", f"{r[name]['encode_s']:.1f} s", ""))
        rows.append(
            (
                "  cosine vs torch mean / min / share < 0.98",
                f"{c['mean']:.4f} / {c['min']:.4f} / {c['below_0.98']:.3f}",
                "",
            )
        )
    q = r["question_torch"]
    rows.append(("question encode p50 / p95, torch", f"{q['p50_ms']:.1f} / {q['p95_ms']:.1f} ms", ""))
    for name in (fp32, int8):
        q = r[name]["question"]
        rows.append((f"question encode p50 / p95, {name}", f"{q['p50_ms']:.1f} / {q['p95_ms']:.1f} ms", "≤ 4 ms"))
    c = r["cold_ask"]
    rows.append(("rag ask from a shell (median of 5)", f"{c['median_s']:.2f} s ({c['torch']})", "≤ 1.0 s"))
    w1 = max(len(x[0]) for x in rows)
    w2 = max(len(x[1]) for x in rows)
    lines = [f"{'measure':<{w1}}  {'value':<{w2}}  target", "-" * (w1 + w2 + 10)]
    lines += [f"{a:<{w1}}  {v:<{w2}}  {t}".rstrip() for a, v, t in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
