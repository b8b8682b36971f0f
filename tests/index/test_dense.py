"""The dense index follows the size: exact while small, IVF + 8-bit quantisation beyond."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.index import dense


def _clustered(n: int, dim: int = 64, topics: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((topics, dim)).astype(np.float32)
    x = centers[rng.integers(0, topics, n)] + 0.5 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_small_collections_get_exact_search():
    vectors = _clustered(500)
    index = dense.build(vectors)
    assert dense.describe(index) == "Flat"
    scores, ids = dense.search(index, vectors[7], 5)
    assert ids[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-5)
    exact = np.argsort(-(vectors @ vectors[7]))[:5]
    assert list(ids) == list(exact)


def test_large_collections_get_ivf_sq8_with_high_recall(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(dense, "EXACT_LIMIT", 2_000)
    vectors = _clustered(20_000)
    index = dense.build(vectors)
    assert dense.describe(index) == f"IVF{dense.nlist_for(20_000)},SQ8 nprobe={dense.DEFAULT_NPROBE}"
    dense.save(index, tmp_path / "x.faiss")
    loaded = dense.load(tmp_path / "x.faiss")
    assert dense.describe(loaded) == dense.describe(index)
    assert (tmp_path / "x.faiss").stat().st_size < vectors.nbytes / 3  # 8 bits a dimension, not 32.

    queries = _clustered(50, seed=1)
    hits = 0
    for q in queries:
        _, found = dense.search(loaded, q, 10)
        hits += len(set(found) & set(np.argsort(-(vectors @ q))[:10]))
    assert hits / (10 * len(queries)) >= 0.9


def test_fewer_vectors_than_asked():
    index = dense.build(_clustered(3))
    _scores, ids = dense.search(index, _clustered(1, seed=2)[0], 10)
    assert len(ids) == 3 and sorted(ids) == [0, 1, 2]
    empty = dense.build(np.zeros((0, 384), dtype=np.float32))
    assert len(dense.search(empty, np.zeros(384, dtype=np.float32), 5)[1]) == 0
