"""A deterministic stand-in for the encoder, for fast bookkeeping tests (never for answer quality)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


class FakeEmbedder:
    """Hashed bag of words, L2-normalised. Records every text it is given."""

    name = "fake-bow"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    @property
    def texts_encoded(self) -> int:
        return sum(len(c) for c in self.calls)

    def preload(self) -> None:
        """Nothing to load."""

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.md5(word.strip(".,;:!?\"'()").encode()).digest()[:4], "little")
                out[i, h % self.dim] += 1.0
            out[i, 0] += 1e-3
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        if progress:
            progress(len(texts), len(texts))
        return out
