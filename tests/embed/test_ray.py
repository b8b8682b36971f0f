"""`rag build --engine ray`: the embedding stage on a local Ray instance writes the same index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag import Engine, Settings
from rag.cli import main
from rag.index import StoredIndex

from ..conftest import copy_seed_corpus

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed: pip install '.[ray]'")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_build_writes_the_same_index(local_ray: None, seed_engine: Engine, tmp_path: Path):
    corpus = copy_seed_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    with pytest.raises(SystemExit) as done:
        main(["build", "--engine", "ray", "--quiet", "--corpus", str(corpus), "--index", str(index_dir)])
    assert done.value.code == 0

    ours = StoredIndex(index_dir)
    local = StoredIndex(seed_engine.settings.index_dir)
    assert ours.counts == local.counts
    keys, local_keys = ours.text_keys(), local.text_keys()
    assert set(keys) == set(local_keys)
    rows = sorted(keys)
    a = np.asarray(ours.vectors)[[keys[k] for k in rows]]
    b = np.asarray(local.vectors)[[local_keys[k] for k in rows]]
    # Same model file, same precision. int8 activations are quantized per batch and Ray batches
    # texts differently, so int8 vectors agree to a cosine of 0.99, fp32 ones to rounding.
    cosine = np.einsum("ij,ij->i", a, b)
    fp32 = "fp32" in ours.model
    assert ours.model == local.model
    assert cosine.min() >= (0.99999 if fp32 else 0.99), "Ray's actors embed every text as the local encoder does"

    answer = Engine(Settings().with_dirs(corpus, index_dir), seed_engine.embedder).ask(
        "Who is expected to serve as secretary of state?"
    )
    assert "Marco Rubio" in answer.quotes[0].text
