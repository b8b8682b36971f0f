"""Removing a document moves it (with its sidecar) into the index folder's trash, which the build
never reads; restoring brings it back. A symbolic link is removed as a link only. And every document
has one display name, used by every door."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag import CorpusError, DocumentMeta, DocumentNotFoundError, Engine

from ..conftest import copy_collection

DOC = "002_2ffb6e26d87a6384.txt"


@pytest.fixture
def engine(seed_engine: Engine, tmp_path: Path) -> Engine:
    return Engine(copy_collection(seed_engine.settings, tmp_path), seed_engine.embedder)


def test_remove_moves_to_the_trash_and_restore_brings_it_back(engine: Engine):
    corpus, trash = engine.settings.corpus_dir, engine.settings.index_dir / ".trash"
    text, sidecar = (corpus / DOC).read_bytes(), (corpus / f"{DOC}.meta.json").read_bytes()
    report = engine.remove([DOC])
    assert report.removed == (DOC,) and DOC not in engine.status().docs
    assert not (corpus / DOC).exists() and not (corpus / f"{DOC}.meta.json").exists()
    assert (trash / DOC).read_bytes() == text and (trash / f"{DOC}.meta.json").read_bytes() == sidecar
    assert engine.trash() == [DOC]
    assert not engine.build().written, "the build does not read the trash"

    report = engine.restore([DOC])
    assert report.added == (DOC,) and DOC in engine.status().docs
    assert (corpus / DOC).read_bytes() == text and (corpus / f"{DOC}.meta.json").read_bytes() == sidecar
    assert engine.trash() == [] and {d.doc: d.name for d in engine.documents()}[DOC] == "360info — Camilla Cavarape"


def test_restore_refuses_what_it_cannot_do_and_changes_nothing(engine: Engine):
    with pytest.raises(DocumentNotFoundError, match="not in the trash"):
        engine.restore([DOC])
    engine.remove([DOC])
    (engine.settings.corpus_dir / DOC).write_text("A new file of the same name.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="in the corpus again"):
        engine.restore([DOC])
    assert engine.trash() == [DOC]
    with pytest.raises(CorpusError, match="not inside the corpus"):
        engine.restore(["../index/x.txt"])


def test_remove_checks_every_name_first(engine: Engine):
    with pytest.raises(DocumentNotFoundError):
        engine.remove([DOC, "no-such-file.txt"])
    assert (engine.settings.corpus_dir / DOC).is_file() and engine.trash() == []


def test_a_symbolic_link_is_removed_as_a_link(engine: Engine, tmp_path: Path):
    corpus = engine.settings.corpus_dir
    target = corpus / DOC
    before = target.read_bytes()
    os.symlink(target, corpus / "alias.txt")
    engine.remove(["alias.txt"])
    assert not (corpus / "alias.txt").is_symlink() and target.read_bytes() == before
    assert engine.trash() == [], "a link is not kept in the trash"

    outside = tmp_path / "outside.txt"
    outside.write_text("Not part of the corpus.\n", encoding="utf-8")
    os.symlink(outside, corpus / "away.txt")
    engine.remove(["away.txt"])
    assert outside.read_text(encoding="utf-8") == "Not part of the corpus.\n"


def test_the_display_name():
    assert DocumentMeta(title="A title", publisher="P", author="A").display_name("x.txt") == "A title"
    assert DocumentMeta(publisher="360info", author="Camilla Cavarape").display_name("x.txt") == (
        "360info — Camilla Cavarape"
    )
    assert DocumentMeta(publisher="Chatham House").display_name("x.txt") == "Chatham House"
    assert DocumentMeta().display_name("x.txt") == "x.txt"


def test_every_door_uses_the_display_name(seed_engine: Engine):
    from rag import answer_markdown, answer_text

    answer = seed_engine.ask("When did the new phase of trilateral cooperation begin?")
    cited = [p for p in answer.passages if p.doc == DOC]
    assert cited and cited[0].title == "360info — Camilla Cavarape"
    assert all(q.title == "360info — Camilla Cavarape" for q in answer.quotes if q.doc == DOC)
    assert "*360info — Camilla Cavarape*" in answer_markdown(answer)
    assert "] 360info — Camilla Cavarape (" in answer_text(answer)
