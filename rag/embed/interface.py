"""Embed: what an encoder is (:class:`Embedder`).

The project's encoder is :class:`rag.embed.onnx.OnnxEmbedder` (the model exported to ONNX, run by
onnxruntime), used by builds, questions and the Ray path alike. The form texts are embedded in
is :func:`rag.text.normalize_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

__all__ = ["DelegatingEmbedder", "Embedder", "ProgressFn"]

ProgressFn = Callable[[int, int], None]
"""Called with (texts done, texts in all) while encoding."""


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray: ...

    def preload(self) -> None:
        """Start loading the model in the background (a no-op when it is loaded or nothing needs
        loading); :meth:`encode` waits for it."""


class DelegatingEmbedder:
    """An :class:`Embedder` that hands everything to ``inner``: a subclass overrides only what it
    does differently (encode on Ray actors, record the texts, derive passages' vectors)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def preload(self) -> None:
        self.inner.preload()

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        return self.inner.encode(texts, progress)
