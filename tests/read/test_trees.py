"""rag.read.trees against the reference, lightgbm.Booster.predict, on the shipped reader model."""

from __future__ import annotations

import numpy as np
import pytest

from rag.read.trees import TreeEnsemble
from tests.conftest import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "reader.txt"


@pytest.fixture(scope="module")
def model_text() -> str:
    return MODEL.read_text(encoding="utf-8")


def rows(n_features: int, seed: int) -> np.ndarray:
    """Rows that reach every kind of branch: spread values, exact zeros, NaNs, 0/1 flags."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, (3000, n_features))
    x[rng.random(x.shape) < 0.1] = 0.0
    x[rng.random(x.shape) < 0.1] = np.nan
    flags = rng.random(n_features) < 0.3
    x[:, flags] = rng.integers(0, 2, (len(x), int(flags.sum())))
    return x


def test_scores_match_lightgbm_on_the_shipped_model(model_text: str):
    lightgbm = pytest.importorskip("lightgbm")
    trees = TreeEnsemble(model_text)
    booster = lightgbm.Booster(model_str=model_text)
    assert trees.n_features == booster.num_feature()
    for seed in range(3):
        x = rows(trees.n_features, seed)
        np.testing.assert_allclose(trees.predict(x), booster.predict(x, num_threads=1), rtol=0, atol=1e-9)
    # float32 rows, as the reader's features are, score as LightGBM scores them.
    x32 = rows(trees.n_features, 7).astype(np.float32)
    np.testing.assert_allclose(trees.predict(x32), booster.predict(x32, num_threads=1), rtol=0, atol=1e-9)


def test_the_trees_distinguish_rows(model_text: str):
    scores = TreeEnsemble(model_text).predict(rows(TreeEnsemble(model_text).n_features, 11))
    assert len(np.unique(np.round(scores, 9))) > 100


def test_wrong_input_is_a_clear_error(model_text: str):
    trees = TreeEnsemble(model_text)
    with pytest.raises(ValueError, match="expected rows of"):
        trees.predict(np.zeros((2, trees.n_features + 1)))
    assert trees.predict(np.zeros((0, trees.n_features))).shape == (0,)
    with pytest.raises(ValueError, match="not a LightGBM text model"):
        TreeEnsemble("{}")
