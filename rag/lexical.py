"""Lexical search backend: BM25 over the sentences, with ``bm25s`` (arrays + JSON on disk, no pickle).

English stop words are dropped; everything else is lower-cased word tokens, so names, numbers and
rare terms that a small embedding model blurs still count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LexicalIndex", "build_and_save", "load", "tokenize"]

_EMPTY_MARK = "empty.json"


def tokenize(texts: Sequence[str]) -> Any:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", show_progress=False)


@dataclass
class LexicalIndex:
    retriever: Any
    n_docs: int

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every sentence for ``query`` (zeros when no query term is indexed)."""
        import bm25s

        if self.retriever is None:
            return np.zeros(self.n_docs, dtype=np.float32)
        tokens = bm25s.tokenize(query, stopwords="en", return_ids=False, show_progress=False)[0]
        if not tokens:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)


def build_and_save(texts: Sequence[str], path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    tokens = tokenize(texts) if texts else None
    if tokens is None or not tokens.vocab:
        # No sentence has a single indexable term (or there are none): every BM25 score is zero.
        (path / _EMPTY_MARK).write_text(json.dumps({"n_docs": len(texts)}), encoding="utf-8")
        return
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    retriever.save(str(path), show_progress=False)


def load(path: Path) -> LexicalIndex:
    if (path / _EMPTY_MARK).is_file():
        return LexicalIndex(None, int(json.loads((path / _EMPTY_MARK).read_text(encoding="utf-8"))["n_docs"]))
    if not (path / "params.index.json").is_file():
        raise OSError(f"{path} holds no lexical index")
    import bm25s

    retriever = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
    return LexicalIndex(retriever, int(retriever.scores["num_docs"]))
