"""Dense search backend: FAISS, inner product over unit vectors (= cosine similarity).

The index type follows the size: exact (``IndexFlatIP``) up to :data:`EXACT_LIMIT` vectors, where
an exhaustive scan is still a few milliseconds; beyond it an inverted-file index with 8-bit scalar
quantisation (``IVF{n},SQ8``), which keeps memory near a quarter of the raw float32 vectors.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

__all__ = ["DEFAULT_NPROBE", "EXACT_LIMIT", "build", "load", "save", "search"]

EXACT_LIMIT = 100_000
DEFAULT_NPROBE = 32


def build(vectors: np.ndarray) -> faiss.Index:
    """An index over ``vectors`` (row i gets id i)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape if vectors.ndim == 2 else (0, 384)
    index: faiss.Index
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(4 * math.sqrt(n))
        index = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(n, size=min(n, nlist * 64), replace=False)]
        index.train(sample)
        faiss.extract_index_ivf(index).nprobe = DEFAULT_NPROBE
    if n:
        index.add(vectors)
    return index


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path, nprobe: int | None = None) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexIVF) or "IVF" in type(index).__name__:
        faiss.extract_index_ivf(index).nprobe = nprobe or DEFAULT_NPROBE
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` (scores, ids) for one query vector; ids of -1 (fewer than k vectors) dropped."""
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
