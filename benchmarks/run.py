"""The performance benchmark: one command, a table on stdout, JSON in ``benchmarks/results/``.

    python -m benchmarks.run            # everything (about 15-25 min on 2 cores)
    python -m benchmarks.run --quick    # smaller corpus, fewer questions, 200k vectors (a few min)
    python -m benchmarks.run --only latency,coldstart

Sections (each one's figures are in the JSON under its name):

- ``build``: full build of the SQuAD dev half (48 documents) against plain sentence-transformers
  (torch, batch 64) encoding exactly the texts the build gave the encoder, in the same run; counts
  texts embedded twice.
- ``incremental``: one document added to the other 47; its cost against its own encoding and
  against the full build.
- ``latency``: warm ``Engine.ask`` end to end, and the question encoder alone, on the bundled
  corpus and on the SQuAD index.
- ``coldstart``: ``rag ask`` and ``rag status`` from a shell; ``rag serve`` to its first answer.
- ``scale``: the dense index at 1M synthetic vectors (see ``benchmarks/scale.py``).
- ``peer``: LangChain + FAISS + HuggingFace embeddings on the same corpus and questions, in its
  own virtual environment (``--peer-python``), with the same scoring as ours.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.coldstart import bench_coldstart
from benchmarks.corpora import RESULTS, ROOT, SEED_QUESTIONS, Question, sample_questions, write_squad_corpus
from benchmarks.run_report import machine, table
from benchmarks.scale import run_scale
from benchmarks.scoring import Span, recall_at
from rag import Engine, Settings
from rag.embed.interface import DelegatingEmbedder, ProgressFn
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.probes import vectors
from rag.evaluate.squad import percentile

SECTIONS = ("build", "incremental", "latency", "coldstart", "scale", "peer")
PEER_PYTHON = str(ROOT / ".peer-venv" / "bin" / "python")
"""The peer's own virtual environment, as ``make bench`` sets it up."""


class RecordingEmbedder(DelegatingEmbedder):
    """The real embedder, remembering every text it is given (to re-encode the same texts alone
    and to check that none is embedded twice)."""

    def __init__(self, inner: OnnxEmbedder) -> None:
        super().__init__(inner)
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode(texts, progress)


class StageClock:
    """A build progress callback that notes when each stage first and last reports."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - self.start
        self.first.setdefault(stage, now)
        self.last[stage] = now


def pct(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by :func:`rag.evaluate.squad.percentile`."""
    return percentile(values, q / 100)


def torch_model(ctx: dict[str, Any]) -> Any:
    """Plain sentence-transformers on torch, the reference the build is measured against."""
    if "torch_model" not in ctx:
        from sentence_transformers import SentenceTransformer

        ctx["torch_model"] = SentenceTransformer(ctx["embedder"].model_dir(), device="cpu")
    return ctx["torch_model"]


def pure_encode_seconds(model: Any, texts: list[str]) -> float:
    """sentence-transformers' ``encode`` (torch) on ``texts``: one call, batch 64, no project code."""
    if not texts:
        return 0.0
    t = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    return time.perf_counter() - t


def onnx_encode_seconds(embedder: OnnxEmbedder, texts: list[str]) -> float:
    """The project's encoder alone on ``texts`` (what a build spends encoding them)."""
    t = time.perf_counter()
    embedder.encode(texts)
    return time.perf_counter() - t


# -- sections ---------------------------------------------------------------------------------


def bench_build(ctx: dict[str, Any]) -> dict[str, Any]:
    embedder: OnnxEmbedder = ctx["embedder"]
    recorder = RecordingEmbedder(embedder)
    settings = Settings().with_dirs(ctx["squad_dir"], ctx["work"] / "squad-index")
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    clock = StageClock()
    t = time.perf_counter()
    report = Engine(settings, recorder).build(rebuild=True, progress=clock)
    build_s = time.perf_counter() - t
    encode_s = pure_encode_seconds(torch_model(ctx), recorder.texts)
    status = Engine(settings, embedder).status()
    embed_span = clock.last.get("embedding", 0.0) - clock.first.get("embedding", 0.0)
    return {
        "documents": status.documents,
        "passages": status.passages,
        "sentences": status.sentences,
        "texts_encoded": len(recorder.texts),
        "distinct_texts_encoded": len(set(recorder.texts)),
        "index_texts": status.texts,
        "embedded_twice": len(recorder.texts) - len(set(recorder.texts)),
        "build_s": build_s,
        "pure_encode_s": encode_s,
        "build_over_encode": build_s / encode_s if encode_s else float("nan"),
        "stages_s": {
            "read+chunk (until the first embedding report)": clock.first.get("embedding", 0.0),
            "embedding (first to last report)": embed_span,
            "writing": clock.last.get("writing", 0.0) - clock.first.get("writing", 0.0),
        },
        "sentences_per_s": status.sentences / build_s,
        "passages_per_s": status.passages / build_s,
        "texts_per_s_build": len(recorder.texts) / build_s,
        "texts_per_s_encode": len(recorder.texts) / encode_s if encode_s else float("nan"),
        "report_embedded": report.embedded,
    }


def _full_build_s(ctx: dict[str, Any]) -> float:
    """The full SQuAD build's seconds: from the build section of this run, else built now."""
    if "build" not in ctx["results"]:
        ctx["results"]["build"] = bench_build(ctx)
    return float(ctx["results"]["build"]["build_s"])


def bench_incremental(ctx: dict[str, Any]) -> dict[str, Any]:
    """Take the full index, remove one document (nothing to embed), then add it back."""
    embedder: OnnxEmbedder = ctx["embedder"]
    full_s = _full_build_s(ctx)
    corpus, index_dir = ctx["work"] / "incr-corpus", ctx["work"] / "incr-index"
    for path in (corpus, index_dir):
        shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(ctx["squad_dir"], corpus)
    shutil.copytree(ctx["work"] / "squad-index", index_dir)
    docs = sorted(corpus.glob("*.txt"))
    held = docs[len(docs) // 2]
    spare = ctx["work"] / held.name
    shutil.move(held, spare)
    recorder = RecordingEmbedder(embedder)
    engine = Engine(Settings().with_dirs(corpus, index_dir), recorder)
    t = time.perf_counter()
    engine.build()
    remove_s = time.perf_counter() - t
    before = engine.status()
    recorder.texts.clear()
    t = time.perf_counter()
    report = engine.add([(spare, spare.name)])
    add_s = time.perf_counter() - t
    own_encode_s = onnx_encode_seconds(embedder, recorder.texts)
    spare.unlink()
    return {
        "documents_before": before.documents,
        "added": spare.name,
        "remove_s": remove_s,
        "texts_encoded_by_add": len(recorder.texts),
        "reused": report.reused,
        "full_build_s": full_s,
        "add_s": add_s,
        "own_encode_s": own_encode_s,
        "overhead_s": add_s - own_encode_s,
        "add_over_full": add_s / full_s,
    }


def _latency(engine: Engine, questions: Sequence[str], rounds: int) -> dict[str, Any]:
    for q in questions[:3]:
        engine.ask(q)  # Warm: index open, encoder loaded.
    e2e: list[float] = []
    enc: list[float] = []
    abstained = 0
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            engine.encode_question(q)
            enc.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            answer = engine.ask(q)
            e2e.append((time.perf_counter() - t) * 1000)
            abstained += answer.abstained
    return {
        "questions": len(questions) * rounds,
        "abstained": abstained,
        "e2e_p50_ms": pct(e2e, 50),
        "e2e_p95_ms": pct(e2e, 95),
        "encode_p50_ms": pct(enc, 50),
        "encode_p95_ms": pct(enc, 95),
        "e2e_over_encode_p50": pct(e2e, 50) / pct(enc, 50),
    }


def bench_latency(ctx: dict[str, Any]) -> dict[str, Any]:
    embedder: OnnxEmbedder = ctx["embedder"]
    seed = Engine(ctx["seed_settings"], embedder)
    seed.build()
    squad = Engine(Settings().with_dirs(ctx["squad_dir"], ctx["work"] / "squad-index"), embedder)
    squad.build()
    questions = [q.text for q in ctx["questions"][: ctx["n_latency"]]]
    return {
        "seed": _latency(seed, SEED_QUESTIONS, rounds=max(1, ctx["n_latency"] // len(SEED_QUESTIONS))),
        "squad": {**_latency(squad, questions, rounds=1), "sentences": squad.status().sentences},
    }


def bench_scale(ctx: dict[str, Any]) -> dict[str, Any]:
    embedder: OnnxEmbedder = ctx["embedder"]
    squad = Engine(Settings().with_dirs(ctx["squad_dir"], ctx["work"] / "squad-index"), embedder)
    squad.build()
    topics = vectors(squad)
    queries = np.stack([embedder.encode([q.text])[0] for q in ctx["questions"][:200]])
    return run_scale(topics, queries, ctx["scale_n"], flat_sizes=ctx["flat_sizes"])


def _our_spans(engine: Engine, questions: Sequence[Question], k: int) -> tuple[list[list[Span]], list[list[Span]]]:
    sentences, passages = [], []
    for q in questions:
        answer = engine.ask(q.text, k=k)
        sentences.append([(x.doc, x.start, x.end) for x in answer.quotes])
        by_n = {p.n: p for p in answer.passages}
        passages.append([(by_n[x.n].doc, by_n[x.n].start, by_n[x.n].end) for x in answer.quotes])
    return sentences, passages


def bench_peer(ctx: dict[str, Any]) -> dict[str, Any]:
    embedder: OnnxEmbedder = ctx["embedder"]
    questions: list[Question] = ctx["questions"][: ctx["n_quality"]]
    peer_python = ctx["peer_python"]
    if not Path(peer_python).exists():
        return {"error": f"no peer environment at {peer_python} (see benchmarks/README.md)"}
    qfile = ctx["work"] / "peer-questions.json"
    qfile.write_text(json.dumps([q.text for q in questions]), encoding="utf-8")
    out = ctx["work"] / "peer-result.json"
    cmd = [peer_python, str(ROOT / "benchmarks" / "peer_langchain.py"), "--corpus", str(ctx["squad_dir"])]
    cmd += ["--model", embedder.model_dir(), "--questions", str(qfile), "--k", "5", "--out", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if run.returncode != 0:
        return {"error": run.stderr[-800:]}
    peer = json.loads(out.read_text(encoding="utf-8"))
    peer_spans = [[(d, int(s), int(e)) for d, s, e in r] for r in peer["results"]]

    # Ours: the full build of the same folder (build section of this run), the same questions.
    build_s = _full_build_s(ctx)
    engine = Engine(Settings().with_dirs(ctx["squad_dir"], ctx["work"] / "squad-index"), embedder)
    engine.ask(questions[0].text)
    lat = []
    for q in questions:
        t = time.perf_counter()
        engine.ask(q.text, k=5)
        lat.append((time.perf_counter() - t) * 1000)
    sentences, passages = _our_spans(engine, questions, 5)
    ks = (1, 5)
    return {
        "questions": len(questions),
        "ours": {
            "build_s": build_s,
            "p50_ms": pct(lat, 50),
            "p95_ms": pct(lat, 95),
            "passage": recall_at(questions, passages, ks),
            "sentence": recall_at(questions, sentences, ks),
            "units": f"{engine.status().passages} passages + {engine.status().sentences} sentences",
        },
        "peer": {
            "name": "LangChain FAISS + HuggingFaceEmbeddings (1000/200-char chunks)",
            "build_s": peer["build_s"],
            "p50_ms": pct(peer["latency_ms"], 50),
            "p95_ms": pct(peer["latency_ms"], 95),
            "passage": recall_at(questions, peer_spans, ks),
            "units": f"{peer['chunks']} chunks",
            "model_load_s": peer["model_load_s"],
        },
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="Smaller corpus and fewer questions (a few minutes).")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"Comma-separated sections of {SECTIONS}.")
    parser.add_argument("--peer-python", default=PEER_PYTHON, help="Python of the peer's virtual environment.")
    parser.add_argument("--scale-n", type=int, help="Vectors for the scale section (default 1M, quick 200k).")
    parser.add_argument("--out", type=Path, help="JSON result path (default benchmarks/results/bench-DATE.json).")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = RESULTS / "work"
    work.mkdir(parents=True, exist_ok=True)
    questions = write_squad_corpus(work / "squad", parts=2)
    if args.quick:  # A quarter of the documents and their questions.
        keep = sorted({q.doc for q in questions})[:12]
        for path in (work / "squad").glob("*.txt"):
            if path.name not in keep:
                path.unlink()
        questions = [q for q in questions if q.doc in keep]
    seed_settings = Settings().with_dirs(work / "seed-corpus", work / "seed-index")
    shutil.rmtree(seed_settings.corpus_dir, ignore_errors=True)
    shutil.copytree(ROOT / "corpus", seed_settings.corpus_dir)

    embedder = OnnxEmbedder.from_settings(Settings.from_env())
    t = time.perf_counter()
    embedder.encode(["warm up"])
    model_load_s = time.perf_counter() - t
    ctx: dict[str, Any] = {
        "work": work,
        "squad_dir": work / "squad",
        "seed_settings": seed_settings,
        "questions": sample_questions(questions, len(questions)),
        "embedder": embedder,
        "n_latency": 50 if args.quick else 200,
        "n_quality": 200 if args.quick else 500,
        "cold_runs": 3,
        "scale_n": args.scale_n or (200_000 if args.quick else 1_000_000),
        "flat_sizes": [10_000, 25_000, 50_000, 100_000, 200_000] + ([] if args.quick else [500_000]),
        "peer_python": args.peer_python,
        "results": {},
    }
    results: dict[str, Any] = ctx["results"]
    results |= {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "model_load_s": model_load_s,
        "encoder": embedder.name,
    }
    benches: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "build": bench_build,
        "incremental": bench_incremental,
        "latency": bench_latency,
        "coldstart": bench_coldstart,
        "scale": bench_scale,
        "peer": bench_peer,
    }
    for name in SECTIONS:
        if name in sections:
            t = time.perf_counter()
            print(f"[{name}] ...", file=sys.stderr, flush=True)
            results[name] = benches[name](ctx)
            results[name]["section_s"] = time.perf_counter() - t
            print(f"[{name}] {results[name]['section_s']:.0f} s", file=sys.stderr, flush=True)
    results["load_average_at_end"] = os.getloadavg()
    out = args.out or RESULTS / f"bench-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")
    print(table(results))
    m = results["machine"]
    print(f"\n{m['cpu']}, {m['cores']} cores, load average at start {m['load_average_at_start'][0]:.1f}; {out}")


if __name__ == "__main__":
    main()
