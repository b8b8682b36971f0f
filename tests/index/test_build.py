"""Incremental builds: what is embedded, reused, added, updated and removed."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rag import Engine, Settings
from rag.config import ChunkSettings
from rag.errors import IndexMissingError
from rag.index import StoredIndex
from rag.text import normalize_text

from ..fakes import FakeEmbedder

NEW_ARTICLE = (
    "Ministers meet in Busan\n\n"
    "The foreign ministers of the three countries met in Busan on Tuesday to discuss shipbuilding. "
    "They agreed to set up a joint working group on naval repair yards.\n"
)


def test_first_build_embeds_each_distinct_text_once(fresh_corpus: Settings):
    fake = FakeEmbedder()
    report = Engine(fresh_corpus, fake).build()
    assert len(report.added) == 5 and report.written and report.full_rebuild
    encoded = [t for call in fake.calls for t in call]
    assert len(encoded) == len(set(encoded)) == report.embedded
    index = StoredIndex(fresh_corpus.index_dir)
    n_distinct = len({normalize_text(t) for t in encoded})
    assert len(index.vectors) == n_distinct
    # Single-sentence paragraphs are both a passage and a sentence, and embedded once.
    assert report.embedded < index.counts["passages"] + index.counts["sentences"]


def test_unchanged_corpus_writes_nothing_and_embeds_nothing(fresh_corpus: Settings):
    fake = FakeEmbedder()
    engine = Engine(fresh_corpus, fake)
    engine.build()
    before = fake.texts_encoded
    report = engine.build()
    assert not report.written and fake.texts_encoded == before
    assert len(report.unchanged) == 5


def test_each_corpus_file_is_read_once_per_build(fresh_corpus: Settings, monkeypatch: pytest.MonkeyPatch):
    """A new file is hashed and extracted from one read of its bytes (a file edited between two
    reads could be stored under the other version's checksum); an unchanged one is read once, to
    hash it."""
    reads: list[str] = []
    real = Path.read_bytes

    def counting(path: Path) -> bytes:
        if path.parent == fresh_corpus.corpus_dir:
            reads.append(path.name)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    engine = Engine(fresh_corpus, FakeEmbedder())
    names = sorted(p.name for p in fresh_corpus.corpus_dir.iterdir())
    assert engine.build().added and sorted(reads) == names
    reads.clear()
    assert len(engine.build().unchanged) == 5 and sorted(reads) == names


def test_add_change_remove(fresh_corpus: Settings, tmp_path: Path):
    fake = FakeEmbedder()
    engine = Engine(fresh_corpus, fake)
    engine.build()
    corpus = fresh_corpus.corpus_dir

    new = tmp_path / "busan.txt"
    new.write_text(NEW_ARTICLE, encoding="utf-8")
    fake.calls.clear()
    report = engine.add([(new, new.name)])
    assert report.added == ("busan.txt",) and len(report.unchanged) == 5
    sent = {t for call in fake.calls for t in call}
    assert all(t in normalize_text(NEW_ARTICLE) for t in sent), "only the new article's texts are embedded"
    assert engine.ask("Where did the foreign ministers meet to discuss shipbuilding?").quotes[0].doc == "busan.txt"

    # Change one sentence: only that sentence and its passage are new texts.
    changed = NEW_ARTICLE.replace("on Tuesday", "on Wednesday")
    (corpus / "busan.txt").write_text(changed, encoding="utf-8")
    fake.calls.clear()
    report = engine.build()
    assert report.updated == ("busan.txt",)
    assert [t for call in fake.calls for t in call] == [
        normalize_text(changed),  # The passage: heading and both sentences.
        "The foreign ministers of the three countries met in Busan on Wednesday to discuss shipbuilding.",
    ]

    fake.calls.clear()
    report = engine.remove(["busan.txt"])
    assert report.removed == ("busan.txt",) and fake.texts_encoded == 0
    assert "busan.txt" not in engine.status().docs
    assert not (corpus / "busan.txt").exists()


def test_bad_files_are_skipped_and_reported(fresh_corpus: Settings):
    corpus = fresh_corpus.corpus_dir
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "image.txt").write_bytes(b"\x89PNG\x00\x00binary")
    (corpus / "slides.pptx").write_bytes(b"PK\x03\x04")
    report = Engine(fresh_corpus, FakeEmbedder()).build()
    skipped = {s.doc: s.reason for s in report.skipped}
    assert set(skipped) == {"empty.txt", "image.txt", "slides.pptx"}
    assert len(report.added) == 5


def test_chunk_settings_change_rechunks_but_reuses_identical_texts(fresh_corpus: Settings):
    fake = FakeEmbedder()
    Engine(fresh_corpus, fake).build()
    first = fake.texts_encoded
    settings = replace(fresh_corpus, chunk=ChunkSettings(max_passage_chars=300))
    report = Engine(settings, fake).build()
    assert report.full_rebuild == "the chunk settings changed" and len(report.updated) == 5
    assert report.reused > 0 and fake.texts_encoded - first == report.embedded < first


def test_model_change_forces_full_rebuild(fresh_corpus: Settings):
    Engine(fresh_corpus, FakeEmbedder()).build()

    class Other(FakeEmbedder):
        name = "other-model"

    other = Other()
    report = Engine(fresh_corpus, other).build()
    assert report.full_rebuild and "model changed" in report.full_rebuild
    assert report.reused == 0 and report.embedded == other.texts_encoded > 0


def test_ask_without_index_is_a_clear_error(tmp_path: Path):
    engine = Engine(Settings().with_dirs(tmp_path / "c", tmp_path / "i"), FakeEmbedder())
    with pytest.raises(IndexMissingError, match="rag build"):
        engine.ask("anything?")


def test_duplicate_content_under_two_names_is_quoted_once(fresh_corpus: Settings):
    corpus = fresh_corpus.corpus_dir
    shutil.copy(corpus / "004_90e34d0e3a6c28e6.txt", corpus / "copy-of-004.txt")
    engine = Engine(fresh_corpus, FakeEmbedder())
    engine.build()
    answer = engine.ask("What did JD Vance say at the Munich Security Conference?", k=10)
    texts = [q.text for q in answer.quotes]
    assert len(texts) == len(set(texts))
