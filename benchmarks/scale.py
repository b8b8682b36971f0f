"""Scale: the dense index at up to a million sentence vectors (synthetic, built from real ones).

Real sentence vectors are too few here, so each synthetic vector is a real one (a "topic") plus
Gaussian noise, normalised: cos(vector, its topic) is about 0.6-0.8, like neighbouring sentences
of one article. Queries are real question vectors. The ground truth is exact search
(``IndexFlatIP``) over the same vectors; the index under test is whatever :func:`rag.index.dense.build`
chooses for that size, searched one query at a time as ``rag ask`` does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.evaluate.squad import percentile
from rag.index import dense

__all__ = ["flat_latency", "run_scale", "synthetic_vectors"]


def synthetic_vectors(topics: np.ndarray, n: int, seed: int = 0, chunk: int = 100_000) -> np.ndarray:
    """``n`` unit vectors, each a random row of ``topics`` plus noise of a random size."""
    rng = np.random.default_rng(seed)
    dim = topics.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        rows = topics[rng.integers(0, len(topics), m)]
        sigma = rng.uniform(0.035, 0.065, size=(m, 1)).astype(np.float32)
        block = rows + sigma * rng.standard_normal((m, dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + m] = block
    return out


def _latencies(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Search one query at a time, on one thread as :func:`rag.index.dense.search` does;
    (milliseconds per query, ids [queries, k])."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    times = np.empty(len(queries))
    ids = np.empty((len(queries), k), dtype=np.int64)
    index.search(queries[:1], k)  # Warm-up.
    for i, q in enumerate(queries):
        t = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k)
        times[i] = (time.perf_counter() - t) * 1000
        ids[i] = found[0]
    faiss.omp_set_num_threads(threads)
    return times, ids


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth)]))


def flat_latency(vectors: np.ndarray, queries: np.ndarray, sizes: Sequence[int], k: int = 100) -> list[dict[str, Any]]:
    """Exact search p50 at several sizes (what the exact-search threshold is chosen from)."""
    import faiss

    rows = []
    for n in sizes:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors[:n])
        times, _ = _latencies(index, queries, k)
        rows.append({"n": n, "p50_ms": percentile(times, 0.50), "p95_ms": percentile(times, 0.95)})
        del index
    return rows


def run_scale(
    topics: np.ndarray,
    queries: np.ndarray,
    n: int,
    nprobes: tuple[int, ...] = (4, 8, 16, 32, 64),
    flat_sizes: Sequence[int] = (),
) -> dict[str, Any]:
    """Build the index :func:`rag.index.dense.build` picks for ``n`` synthetic vectors; measure build
    time, memory, and per-query latency and recall@10 / @100 against exact search per nprobe."""
    import faiss

    t = time.perf_counter()
    vectors = synthetic_vectors(topics, n)
    generate_s = time.perf_counter() - t
    queries = np.ascontiguousarray(queries, dtype=np.float32)

    flat = flat_latency(vectors, queries, [s for s in flat_sizes if s < n])
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 100)
    flat_times, _ = _latencies(exact, queries, 100)
    del exact

    t = time.perf_counter()
    index = dense.build(vectors)
    build_s = time.perf_counter() - t
    memory = len(faiss.serialize_index(index))
    result: dict[str, Any] = {
        "n": n,
        "dim": int(vectors.shape[1]),
        "index": dense.describe(index),
        "generate_s": generate_s,
        "build_s": build_s,
        "index_bytes": memory,
        "raw_float32_bytes": int(vectors.nbytes),
        "exact_p50_ms": percentile(flat_times, 0.50),
        "queries": len(queries),
        "flat": flat,
        "nprobe": [],
    }
    ivf = dense.ivf_of(index)
    for nprobe in nprobes if ivf is not None else (0,):
        if ivf is not None:
            ivf.nprobe = nprobe
        times, found = _latencies(index, queries, 100)
        result["nprobe"].append(
            {
                "nprobe": nprobe,
                "p50_ms": percentile(times, 0.50),
                "p95_ms": percentile(times, 0.95),
                "recall@10": _recall(found[:, :10], truth[:, :10]),
                "recall@100": _recall(found, truth),
                "default": nprobe == dense.DEFAULT_NPROBE,
            }
        )
    return result
