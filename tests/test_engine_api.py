"""The engine's typed reads: documents() and its states, status(), records' JSON."""

from __future__ import annotations

import json
from pathlib import Path

from rag import DocumentState, Engine, Feature, Settings
from rag.evaluate.probes import candidates

from .conftest import copy_collection


def test_documents_report_each_state(seed_engine: Engine, tmp_path: Path):
    copy = copy_collection(seed_engine.settings, tmp_path)
    engine = Engine(copy, seed_engine.embedder)
    before = engine.documents()
    assert [d.state for d in before] == ["indexed"] * 5
    assert all(isinstance(d, DocumentState) and d.meta == engine.document(d.doc)[0] for d in before)
    assert any(d.meta.title for d in before), "metadata comes from the index"

    gone = before[0].doc
    (copy.corpus_dir / gone).unlink()
    (copy.corpus_dir / "new.txt").write_text("A new article about the alliance.\n", encoding="utf-8")
    states = {d.doc: d.state for d in engine.documents()}
    assert states[gone] == "deleted" and states["new.txt"] == "not indexed yet"
    assert sum(s == "indexed" for s in states.values()) == 4


def test_documents_without_an_index_are_all_waiting(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Some text.\n", encoding="utf-8")
    engine = Engine(Settings().with_dirs(corpus, tmp_path / "index"))
    assert [(d.doc, d.state, d.meta.title) for d in engine.documents()] == [("a.txt", "not indexed yet", None)]


def test_status_has_typed_counts_and_keeps_its_json(seed_engine: Engine):
    status = seed_engine.status()
    assert status.built and status.texts >= max(status.passages, status.sentences)
    keys = list(json.loads(json.dumps(status.to_dict())))
    assert "texts" not in keys, "the typed field stays out of `rag status --json`"
    assert keys[:3] == ["corpus_dir", "index_dir", "built"] and keys[-1] == "docs" and len(keys) == 10


def test_candidates_carry_every_named_feature(seed_engine: Engine):
    question = "Who is expected to serve as secretary of state?"
    found = candidates(seed_engine, question, seed_engine.encode_question(question))
    assert found.features.shape == (len(found.doc), len(Feature)) and len(found.doc) > 0
    first = seed_engine.ask(question).quotes[0]
    assert (first.doc, first.start, first.end) in set(zip(found.doc, found.start.tolist(), found.end.tolist()))
    assert (found.features[:, Feature.LENGTH] > 0).all(), "every candidate has its length"
