"""Lexical search backend: BM25 over the sentences, with ``bm25s`` (arrays + JSON on disk, no pickle).

English stop words are dropped and the remaining lower-cased word tokens are reduced to their
Snowball stems (PyStemmer), so "elected" finds "election" and names, numbers and rare terms that a
small embedding model blurs still count. The tokenizer an index was built with is recorded beside
it (``tokenizer.json``) and used for its queries, so an index built before stemming stays correct.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["STEMMER", "LexicalIndex", "build_and_save", "from_texts", "load", "tokenize"]

STEMMER = "english"
"""The Snowball stemmer new indexes use (``None`` for none)."""
_EMPTY_MARK = "empty.json"
_TOKENIZER = "tokenizer.json"


def _stem_function(stemmer: str | None) -> Callable[[list[str]], list[str]] | None:
    if stemmer is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(stemmer).stemWords


def tokenize(texts: Sequence[str], stemmer: str | None = STEMMER) -> Any:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stem_function(stemmer), show_progress=False)


@dataclass
class LexicalIndex:
    retriever: Any
    n_docs: int
    stemmer: str | None = STEMMER

    def __post_init__(self) -> None:
        self._stem = _stem_function(self.stemmer)

    def terms(self, query: str) -> list[str]:
        """The query's terms as the index holds them: lower-cased, stemmed, stop words dropped."""
        import bm25s

        return list(bm25s.tokenize(query, stopwords="en", stemmer=self._stem, return_ids=False, show_progress=False)[0])

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every sentence for the query ``terms`` (zeros when none is indexed)."""
        if self.retriever is None:  # No sentence has an indexable term: every score is zero.
            return np.zeros(self.n_docs, dtype=np.float32)
        known = [t for t in terms if t in self.retriever.vocab_dict]
        if not known:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)

    def coverage(self, terms: Sequence[str], groups: np.ndarray, n_groups: int) -> np.ndarray:
        """For each group of sentences (``groups[i]`` is sentence i's group, e.g. its passage), the
        share of the distinct query ``terms`` that occur in at least one of its sentences."""
        distinct = set(terms)
        if self.retriever is None or not distinct:
            return np.zeros(n_groups, dtype=np.float32)
        found = np.zeros(n_groups, dtype=np.float32)
        for term in distinct & self.retriever.vocab_dict.keys():
            hits = np.flatnonzero(self.retriever.get_scores([term]) > 0)
            found += np.bincount(groups[hits], minlength=n_groups) > 0
        return found / len(distinct)


def from_texts(texts: Sequence[str], stemmer: str | None = STEMMER) -> LexicalIndex:
    """An in-memory index over ``texts`` (document i is ``texts[i]``)."""
    import bm25s

    tokens = tokenize(texts, stemmer) if texts else None
    if tokens is None or not tokens.vocab:
        return LexicalIndex(None, len(texts), stemmer)  # Not a single indexable term.
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    return LexicalIndex(retriever, len(texts), stemmer)


def build_and_save(texts: Sequence[str], path: Path, stemmer: str | None = STEMMER) -> None:
    path.mkdir(parents=True, exist_ok=True)
    index = from_texts(texts, stemmer)
    if index.retriever is None:
        (path / _EMPTY_MARK).write_text(json.dumps({"n_docs": len(texts)}), encoding="utf-8")
        return
    index.retriever.save(str(path), show_progress=False)
    (path / _TOKENIZER).write_text(json.dumps({"stopwords": "en", "stemmer": stemmer}), encoding="utf-8")


def load(path: Path) -> LexicalIndex:
    if (path / _EMPTY_MARK).is_file():
        return LexicalIndex(None, int(json.loads((path / _EMPTY_MARK).read_text(encoding="utf-8"))["n_docs"]))
    if not (path / "params.index.json").is_file():
        raise OSError(f"{path} holds no lexical index")
    import bm25s

    tokenizer = path / _TOKENIZER
    stemmer = json.loads(tokenizer.read_text(encoding="utf-8")).get("stemmer") if tokenizer.is_file() else None
    retriever = bm25s.BM25.load(str(path), mmap=True, show_progress=False)
    return LexicalIndex(retriever, int(retriever.scores["num_docs"]), stemmer)
