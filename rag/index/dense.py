"""Dense search backend: FAISS, inner product over unit vectors (= cosine similarity).

The index type follows the size (figures from ``benchmarks/run.py``, docs/performance.md):

- up to :data:`EXACT_LIMIT` vectors, exact search (``IndexFlatIP``): nothing to train, nothing
  missed, and a single-query scan of 50k x 384 floats stays under about 10 ms (measured 3 ms at
  25k, 10 ms at 50k, 18 ms at 100k, 150 ms at 1M on the 2-core benchmark machine), i.e. no more
  than the question's own encoding;
- beyond it, an inverted file with 8-bit scalar quantisation (``IVF{nlist},SQ8``): memory is a
  quarter of the raw float32 vectors and a query scans ``nprobe / nlist`` of them. ``nlist`` grows
  with the square root of the size; k-means is trained on ``40 * nlist`` sampled vectors. At 1M
  vectors (IVF1000,SQ8, nprobe 16): 1.4 ms a query, recall@10 0.975 against exact search,
  375 MiB, built in 26 s; nprobe 8 is 0.95, 32 is 0.985 for twice the time.

The retriever re-scores every candidate with its exact float32 vector, so quantisation changes
only which candidates are found, never their scores.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import faiss

__all__ = ["DEFAULT_NPROBE", "EXACT_LIMIT", "build", "describe", "ivf_of", "load", "nlist_for", "save", "search"]

EXACT_LIMIT = 50_000
DEFAULT_NPROBE = 16
TRAIN_PER_LIST = 40
"""k-means training points per inverted list (FAISS warns below 39)."""


def nlist_for(n: int) -> int:
    """Inverted lists for ``n`` vectors: about sqrt(n), so a list holds about sqrt(n) vectors."""
    return max(64, int(math.sqrt(n)))


def build(vectors: np.ndarray) -> faiss.Index:
    """An index over ``vectors`` (row i gets id i)."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape if vectors.ndim == 2 else (0, 384)
    # search() limits the calling thread to one; a build may run on a thread that once searched
    # (the app's worker threads are reused), so it asks for all cores again.
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    index: faiss.Index
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = nlist_for(n)
        index = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[np.sort(rng.choice(n, size=min(n, nlist * TRAIN_PER_LIST), replace=False))]
        index.train(sample)
        faiss.extract_index_ivf(index).nprobe = DEFAULT_NPROBE
    if n:
        index.add(vectors)
    return index


def ivf_of(index: faiss.Index) -> Any:
    """The inverted-file part of ``index`` (to set ``nprobe``), or ``None`` for exact search."""
    import faiss

    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def describe(index: faiss.Index) -> str:
    """``"Flat"`` or ``"IVF{nlist},SQ8 nprobe={nprobe}"``."""
    ivf = ivf_of(index)
    if ivf is None:
        return "Flat"
    return f"IVF{ivf.nlist},SQ8 nprobe={ivf.nprobe}"


def save(index: faiss.Index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path, nprobe: int | None = None) -> faiss.Index:
    import faiss

    index = faiss.read_index(str(path))
    ivf = ivf_of(index)
    if ivf is not None:
        ivf.nprobe = nprobe or DEFAULT_NPROBE
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` (scores, ids) for one query vector; ids of -1 (fewer than k vectors) dropped."""
    import faiss

    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    # One query is scanned by one thread anyway; more only wait on each other, which costs tens
    # of milliseconds when other processes keep the cores busy. (The setting is per calling
    # thread; build() sets it back to all cores for its own thread.)
    faiss.omp_set_num_threads(1)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
