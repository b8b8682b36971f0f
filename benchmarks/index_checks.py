"""What the index's integrity checks cost: opening (sizes and cross-checks, done on every open)
against verifying (SHA-256 of every file: ``rag status --verify`` and every build).

    python -m benchmarks.index_checks                   # 10,000 and 100,000 sentences
    python -m benchmarks.index_checks --sizes 1000 50000

Writes synthetic generations (random unit vectors, dimension 384, generated sentences) through
the real write path, then times, best of ``--repeat``: writing, opening, and verifying. No model
is involved. Prints a table and writes JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpora import RESULTS
from rag import __version__
from rag.config import ChunkSettings
from rag.index import IndexContent, StoredIndex, current_generation, write_generation
from rag.ingest.load import LOADER_VERSION
from rag.records import Chunks, Document
from rag.text import text_key

WORDS = "alliance trade summit minister tariff shipyard Seoul Tokyo Washington accord navy export".split()


def synthetic(n_sentences: int, per_doc: int = 500, dim: int = 384) -> IndexContent:
    """Documents of ``per_doc`` sentences, one passage per five sentences, random unit vectors."""
    rng = np.random.default_rng(0)
    documents: list[Document] = []
    chunks: list[Chunks] = []
    keys: list[str] = []
    passage_vec: list[int] = []
    sentence_vec: list[int] = []
    for d in range(max(1, n_sentences // per_doc)):
        sentences = [" ".join(rng.choice(WORDS, 8)) + f" number {d}-{i}." for i in range(min(per_doc, n_sentences))]
        text = " ".join(sentences)
        spans, pos = [], 0
        for sentence in sentences:
            spans.append((pos, pos + len(sentence)))
            pos += len(sentence) + 1
        passages = [(spans[i][0], spans[min(i + 4, len(spans) - 1)][1]) for i in range(0, len(spans), 5)]
        documents.append(Document(doc=f"doc{d:05d}.txt", text=text, sha256=f"{d:064x}", kind="txt"))
        chunks.append(
            Chunks(
                passages=tuple(passages),
                sentences=tuple(spans),
                sentence_passage=tuple(i // 5 for i in range(len(spans))),
            )
        )
        for s, e in passages:
            passage_vec.append(len(keys))
            keys.append(text_key(text[s:e]))
        for s, e in spans:
            sentence_vec.append(len(keys))
            keys.append(text_key(text[s:e]))
    vectors = rng.standard_normal((len(keys), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return IndexContent(
        documents=documents,
        chunks=chunks,
        text_keys=keys,
        vectors=vectors,
        passage_vec=np.array(passage_vec, dtype=np.int64),
        sentence_vec=np.array(sentence_vec, dtype=np.int64),
        model="synthetic",
        chunk_settings=ChunkSettings().as_dict(),
        rag_version=__version__,
        loader_version=LOADER_VERSION,
    )


def best_of(repeat: int, fn: Any) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(n_sentences: int, repeat: int, root: Path) -> dict[str, Any]:
    content = synthetic(n_sentences)
    index_dir = root / f"index-{n_sentences}"
    write_seconds = best_of(1, lambda: write_generation(index_dir, content))
    gen = current_generation(index_dir)
    assert gen is not None
    size = sum(p.stat().st_size for p in gen.rglob("*") if p.is_file())

    def open_close() -> None:
        StoredIndex(index_dir).close()

    index = StoredIndex(index_dir)
    open_seconds = best_of(repeat, open_close)
    verify_seconds = best_of(repeat, index.verify)
    index.close()
    shutil.rmtree(index_dir)
    return {
        "sentences": n_sentences,
        "texts": len(content.text_keys),
        "index_mib": round(size / 2**20, 1),
        "write_s": round(write_seconds, 3),
        "open_s": round(open_seconds, 4),
        "verify_s": round(verify_seconds, 4),
        "verify_mib_per_s": round(size / 2**20 / verify_seconds, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "index_checks.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rag-checks-") as tmp:
        rows = [measure(n, args.repeat, Path(tmp)) for n in args.sizes]
    header = ["sentences", "texts", "index_mib", "write_s", "open_s", "verify_s", "verify_mib_per_s"]
    print("  ".join(f"{h:>16}" for h in header))
    for row in rows:
        print("  ".join(f"{row[h]:>16}" for h in header))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"rows": rows, "cpus": os.cpu_count(), "loadavg": os.getloadavg()}
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
