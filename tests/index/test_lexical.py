"""The BM25 backend against ``bm25s`` itself (the reference): an index is built by bm25s, and
questions read its saved arrays with numpy (:mod:`rag.index.lexical`), which must give bm25s's terms
and scores exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bm25s
import numpy as np
import pytest
import Stemmer

from rag.index import lexical
from rag.ingest.load import read_document, scan_corpus

from ..conftest import SEED_CORPUS

QUERIES = [
    "Who is expected to serve as secretary of state?",
    "What did Japan and South Korea agree on at the summit?",
    "elections elected electing the the the",
    "North Korea's missile launches and the trilateral Camp David framework",
    "zzzz unknownword",
    "of the and",  # Stop words only.
]


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    texts: list[str] = []
    files, _ = scan_corpus(SEED_CORPUS)
    for path in files:
        text = read_document(path, SEED_CORPUS).text
        texts += [line.strip() for line in text.replace(". ", ".\n").splitlines() if line.strip()]
    return texts


@pytest.fixture(scope="module")
def reference(sentences: list[str]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    stem = Stemmer.Stemmer("english").stemWords
    retriever.index(bm25s.tokenize(sentences, stopwords="en", stemmer=stem, show_progress=False), show_progress=False)
    return retriever


@pytest.fixture(scope="module")
def saved(sentences: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lexical") / "lexical"
    lexical.build_and_save(sentences, path)
    return path


def bm25s_terms(query: str) -> list[str]:
    stem = Stemmer.Stemmer("english").stemWords
    return list(bm25s.tokenize(query, stopwords="en", stemmer=stem, return_ids=False, show_progress=False)[0])


@pytest.mark.parametrize("query", QUERIES)
def test_terms_and_scores_equal_bm25s(saved: Path, reference: bm25s.BM25, sentences: list[str], query: str):
    ours = lexical.load(saved)
    terms = ours.terms(query)
    assert terms == bm25s_terms(query)
    assert ours.n_docs == len(sentences)
    known = [t for t in terms if t in reference.vocab_dict]
    expected = reference.get_scores(known) if known else np.zeros(len(sentences))
    assert np.allclose(ours.scores(terms), expected, rtol=1e-6, atol=1e-7)
    for term in set(known):
        assert ours.doc_freq(term) == int((reference.get_scores([term]) > 0).sum())


def test_the_in_memory_index_equals_the_saved_one(saved: Path, sentences: list[str]):
    memory, disk = lexical.from_texts(sentences), lexical.load(saved)
    assert memory.vocab == disk.vocab and memory.stopwords == disk.stopwords
    for query in QUERIES:
        assert np.array_equal(memory.scores(memory.terms(query)), disk.scores(disk.terms(query)))


def test_coverage_counts_distinct_terms_per_group(saved: Path, sentences: list[str]):
    index = lexical.load(saved)
    groups = np.arange(len(sentences)) // 10  # Ten sentences per group.
    terms = index.terms(QUERIES[1])
    got = index.coverage(terms, groups, int(groups.max()) + 1)
    for g in range(int(groups.max()) + 1):
        members = [sentences[i] for i in np.flatnonzero(groups == g)]
        held = {t for text in members for t in index.terms(text)}
        assert got[g] == pytest.approx(len(set(terms) & held) / len(set(terms)))


def test_an_index_written_before_the_stop_words_were_recorded_still_loads(saved: Path, tmp_path: Path):
    old = tmp_path / "lexical"
    shutil.copytree(saved, old)
    (old / "tokenizer.json").write_text(json.dumps({"stopwords": "en", "stemmer": "english"}))
    assert lexical.load(old).terms(QUERIES[0]) == lexical.load(saved).terms(QUERIES[0])


def test_arrays_that_do_not_match_the_vocabulary_are_refused(saved: Path, tmp_path: Path):
    bad = tmp_path / "lexical"
    shutil.copytree(saved, bad)
    np.save(bad / "indptr.csc.index.npy", np.load(saved / "indptr.csc.index.npy")[:-5])
    with pytest.raises(ValueError, match="do not match"):
        lexical.load(bad)


def test_no_indexable_term_gives_zero_scores(tmp_path: Path):
    lexical.build_and_save(["a", "I", "of the"], tmp_path / "lex")
    index = lexical.load(tmp_path / "lex")
    assert index.n_docs == 3
    assert not index.scores(index.terms("anything at all")).any()
