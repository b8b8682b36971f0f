"""Lexical search backend: BM25 over the sentences, indexed by ``bm25s`` (arrays + JSON on disk, no pickle).

English stop words are dropped and the remaining lower-cased word tokens are reduced to their
Snowball stems (PyStemmer), so "elected" finds "election" and names, numbers and rare terms that a
small embedding model blurs still count. The tokenizer an index was built with (its token
pattern, stop words and stemmer) is recorded beside it (``tokenizer.json``) and used for its
queries, so an index built before stemming stays correct.

Builds use ``bm25s`` (tokenizing, BM25 weights, saving). Questions read the saved arrays with
numpy: a term's BM25 weights are one slice of the CSC arrays, and a sentence's score is the sum
over the query's terms, as ``bm25s.BM25.get_scores`` computes it (``tests/index/test_lexical.py``
checks both against ``bm25s`` itself). Importing ``bm25s`` pulls in scipy and numpy's f2py, half
a second of every cold ``rag ask``; reading its arrays needs neither.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["STEMMER", "LexicalIndex", "build_and_save", "from_texts", "load"]

STEMMER = "english"
"""The Snowball stemmer new indexes use (``None`` for none)."""
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
"""``bm25s.tokenize``'s default pattern, the one every index is built with."""
_EMPTY_MARK = "empty.json"
_TOKENIZER = "tokenizer.json"
_ARRAYS = ("data", "indices", "indptr")


def _stem_function(stemmer: str | None) -> Callable[[list[str]], list[str]] | None:
    if stemmer is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(stemmer).stemWords


def _english_stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return sorted(set(STOPWORDS_EN))


def _tokenize(texts: Sequence[str], stemmer: str | None) -> Any:
    """``bm25s.tokenize`` with the project's settings (builds only)."""
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stem_function(stemmer), show_progress=False)


@dataclass
class LexicalIndex:
    """BM25 weights of every (term, sentence) pair, as ``bm25s`` computed them: the sentences of
    term ``vocab[t]`` are ``indices[indptr[t]:indptr[t+1]]``, their weights the same slice of ``data``."""

    n_docs: int
    vocab: dict[str, int] = field(default_factory=dict)
    data: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    stemmer: str | None = STEMMER
    stopwords: frozenset[str] = frozenset()
    pattern: str = TOKEN_PATTERN

    def __post_init__(self) -> None:
        self._stem = _stem_function(self.stemmer)
        self._split = re.compile(self.pattern).findall

    def terms(self, text: str) -> list[str]:
        """The text's terms as the index holds them, in order: lower-cased, stop words dropped,
        stemmed (``bm25s.tokenize`` with this index's settings)."""
        words = [w for w in self._split(text.lower()) if w not in self.stopwords]
        return self._stem(words) if self._stem and words else words

    def doc_freq(self, term: str) -> int:
        """How many sentences hold ``term``."""
        i = self.vocab.get(term)
        return 0 if i is None else int(self.indptr[i + 1] - self.indptr[i])

    def sentences_with(self, term: str) -> np.ndarray:
        """The ids of the sentences that hold ``term``, ascending (none for a term not indexed)."""
        if term not in self.vocab:
            return np.zeros(0, dtype=np.int64)
        return np.sort(self._postings(term)[0])

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        i = self.vocab[term]
        start, end = int(self.indptr[i]), int(self.indptr[i + 1])
        return np.asarray(self.indices[start:end]), np.asarray(self.data[start:end])

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every sentence for the query ``terms`` (a term given twice counts twice;
        zeros when none is indexed)."""
        scores = np.zeros(self.n_docs, dtype=np.float32)
        for term in terms:
            if term in self.vocab:
                rows, weights = self._postings(term)
                np.add.at(scores, rows, weights)
        return scores

    def coverage(self, terms: Sequence[str], groups: np.ndarray, n_groups: int) -> np.ndarray:
        """For each group of sentences (``groups[i]`` is sentence i's group, e.g. its passage), the
        share of the distinct query ``terms`` that occur in at least one of its sentences."""
        distinct = set(terms)
        if not distinct:
            return np.zeros(n_groups, dtype=np.float32)
        found = np.zeros(n_groups, dtype=np.float32)
        for term in distinct & self.vocab.keys():
            rows, weights = self._postings(term)
            found += np.bincount(groups[rows[weights > 0]], minlength=n_groups) > 0
        return found / len(distinct)


def _terms_only(vocab: dict[str, int]) -> dict[str, int]:
    """The vocabulary without the empty token ``bm25s`` adds for empty queries (it has no postings)."""
    return {str(term): int(i) for term, i in vocab.items() if term}


def _from_retriever(retriever: Any, stemmer: str | None, stopwords: Sequence[str]) -> LexicalIndex:
    scores = retriever.scores
    return LexicalIndex(
        n_docs=int(scores["num_docs"]),
        vocab=_terms_only(retriever.vocab_dict),
        data=scores["data"],
        indices=scores["indices"],
        indptr=scores["indptr"],
        stemmer=stemmer,
        stopwords=frozenset(stopwords),
    )


def _index(texts: Sequence[str], stemmer: str | None) -> Any:
    """A ``bm25s.BM25`` over ``texts``, or ``None`` when no text has an indexable term."""
    import bm25s

    tokens = _tokenize(texts, stemmer) if texts else None
    if tokens is None or not tokens.vocab:
        return None
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    return retriever


def from_texts(texts: Sequence[str], stemmer: str | None = STEMMER) -> LexicalIndex:
    """An in-memory index over ``texts`` (document i is ``texts[i]``)."""
    retriever = _index(texts, stemmer)
    if retriever is None:
        return LexicalIndex(n_docs=len(texts), stemmer=stemmer, stopwords=frozenset(_english_stopwords()))
    return _from_retriever(retriever, stemmer, _english_stopwords())


def build_and_save(texts: Sequence[str], path: Path, stemmer: str | None = STEMMER) -> None:
    path.mkdir(parents=True, exist_ok=True)
    retriever = _index(texts, stemmer)
    if retriever is None:
        (path / _EMPTY_MARK).write_text(json.dumps({"n_docs": len(texts)}), encoding="utf-8")
        return
    retriever.save(str(path), show_progress=False)
    tokenizer = {"pattern": TOKEN_PATTERN, "stopwords": _english_stopwords(), "stemmer": stemmer}
    (path / _TOKENIZER).write_text(json.dumps(tokenizer), encoding="utf-8")


def load(path: Path) -> LexicalIndex:
    """The index ``build_and_save`` wrote (arrays memory-mapped); ``OSError``/``ValueError`` when damaged."""
    if (path / _EMPTY_MARK).is_file():
        return LexicalIndex(n_docs=int(json.loads((path / _EMPTY_MARK).read_text(encoding="utf-8"))["n_docs"]))
    if not (path / "params.index.json").is_file():
        raise OSError(f"{path} holds no lexical index")
    tokenizer_file = path / _TOKENIZER
    tokenizer = json.loads(tokenizer_file.read_text(encoding="utf-8")) if tokenizer_file.is_file() else {}
    stopwords = tokenizer.get("stopwords", "en")
    if isinstance(stopwords, str):  # Written before the list was recorded: bm25s's English list.
        stopwords = _english_stopwords()
    params = json.loads((path / "params.index.json").read_text(encoding="utf-8"))
    arrays = {name: np.load(path / f"{name}.csc.index.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
    vocab = _terms_only(json.loads((path / "vocab.index.json").read_text(encoding="utf-8")))
    if len(arrays["indptr"]) != len(vocab) + 1 or len(arrays["data"]) != len(arrays["indices"]):
        raise ValueError(f"{path}: the BM25 arrays do not match its vocabulary")
    return LexicalIndex(
        n_docs=int(params["num_docs"]),
        vocab=vocab,
        stemmer=tokenizer.get("stemmer"),
        stopwords=frozenset(stopwords),
        pattern=tokenizer.get("pattern", TOKEN_PATTERN),
        **arrays,
    )
