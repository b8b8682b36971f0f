"""A LightGBM model's trees, read from its text format and evaluated with numpy.

The answer reader (:mod:`rag.read.reader`) scores about 40 rows per question with a LightGBM model.
Importing the ``lightgbm`` package costs about 2 s (it pulls in scikit-learn and pandas when they
are installed), which tripled the time of a cold ``rag ask``; evaluating the model's trees needs
none of that. This module reads the text format that ``Booster.save_model`` writes and walks every
tree of the ensemble at once, for every row, with LightGBM's own rules for numerical splits and
missing values. ``tests/read/test_trees.py`` checks it against ``lightgbm.Booster.predict``, the
reference, on the shipped model. LightGBM itself is needed only to train (``make train-reranker``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TreeEnsemble"]

_ZERO = 1e-35
"""LightGBM's ``kZeroThreshold``: a value this close to 0 is zero for ``missing_type=Zero``."""
_MISSING_ZERO, _MISSING_NAN = 1, 2


def _blocks(text: str) -> list[dict[str, str]]:
    """Each ``Tree=N`` block of a LightGBM text model as its ``key=value`` lines."""
    body = text.split("end of trees", 1)[0]
    trees = []
    for block in body.split("\nTree=")[1:]:
        fields = dict(line.split("=", 1) for line in block.splitlines()[1:] if "=" in line)
        trees.append(fields)
    return trees


class TreeEnsemble:
    """The sum of a LightGBM model's trees: ``predict`` gives the raw score (what ``Booster.predict``
    gives for a ranking objective). Raises ``ValueError`` for a text that is not a LightGBM model of
    numerical splits."""

    def __init__(self, text: str) -> None:
        if not text.startswith("tree\n"):
            raise ValueError("not a LightGBM text model")
        header = dict(line.split("=", 1) for line in text.split("\n\n", 1)[0].splitlines() if "=" in line)
        if header.get("num_class", "1") != "1" or "average_output" in text.split("\n\n", 1)[0]:
            raise ValueError("only single-output models that sum their trees are supported")
        self.n_features = int(header["max_feature_idx"]) + 1
        feature, threshold, default_left, missing, left, right, leaf_value, roots = [], [], [], [], [], [], [], []
        bias = 0.0
        nodes = leaves = 0
        for tree in _blocks(text):
            values = [float(v) for v in tree["leaf_value"].split()]
            if int(tree["num_leaves"]) == 1:
                bias += values[0]
                continue
            if int(tree.get("num_cat", "0")) != 0:
                raise ValueError("categorical splits are not supported")
            decision = [int(v) for v in tree["decision_type"].split()]
            feature += [int(v) for v in tree["split_feature"].split()]
            threshold += [float(v) for v in tree["threshold"].split()]
            default_left += [bool(d & 2) for d in decision]
            missing += [(d >> 2) & 3 for d in decision]

            # A child >= 0 is an internal node, < 0 the leaf ~child; both become global indices,
            # leaves stored as ~(global leaf index) so that a negative index always means a leaf.
            def where(child: int, nodes: int = nodes, leaves: int = leaves) -> int:
                return child + nodes if child >= 0 else ~(~child + leaves)

            left += [where(int(c)) for c in tree["left_child"].split()]
            right += [where(int(c)) for c in tree["right_child"].split()]
            roots.append(nodes)
            nodes += len(decision)
            leaves += len(values)
            leaf_value += values
        self.bias = bias
        self.feature = np.array(feature, dtype=np.int64)
        self.threshold = np.array(threshold, dtype=np.float64)
        self.default_left = np.array(default_left, dtype=bool)
        self.missing = np.array(missing, dtype=np.int8)
        self.left = np.array(left, dtype=np.int64)
        self.right = np.array(right, dtype=np.int64)
        self.leaf_value = np.array(leaf_value, dtype=np.float64)
        self.roots = np.array(roots, dtype=np.int64)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The raw score of each row of ``x`` (one column per feature the model was trained on)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got an array of shape {x.shape}")
        scores = np.full(len(x), self.bias)
        if len(x) == 0 or len(self.roots) == 0:
            return scores
        node = np.tile(self.roots, (len(x), 1))  # one walker per (row, tree), all at their roots
        rows = np.repeat(np.arange(len(x)), len(self.roots)).reshape(node.shape)
        walking = node >= 0
        while walking.any():
            at = node[walking]
            value = x[rows[walking], self.feature[at]]
            kind = self.missing[at]
            nan = np.isnan(value)
            value = np.where(nan & (kind != _MISSING_NAN), 0.0, value)  # as LightGBM: NaN is 0 unless NaN is "missing"
            is_missing = ((kind == _MISSING_ZERO) & (np.abs(value) <= _ZERO)) | ((kind == _MISSING_NAN) & nan)
            go_left = np.where(is_missing, self.default_left[at], value <= self.threshold[at])
            node[walking] = np.where(go_left, self.left[at], self.right[at])
            walking = node >= 0
        return scores + self.leaf_value[~node].sum(axis=1)
