"""The cross-encoder (rag/read/cross_encoder.py): the committed model on the seed articles' own
sentences, the fusion with the reader's scores, when it runs, and a broken model folder."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag import Engine
from rag.config import default_reader_dir
from rag.errors import ModelError
from rag.read.cross_encoder import CrossEncoder, fuse, needed
from rag.read.reader import Reader

from ..conftest import reader_view
from ..test_answers import ANSWERABLE

MODELS = default_reader_dir()


@pytest.fixture(scope="module")
def cross() -> CrossEncoder:
    return CrossEncoder(MODELS)


def _sentences(engine: Engine, doc: str) -> list[str]:
    """The indexed sentences of one seed article, in order."""
    index = engine._live()
    record = index.document_by_name(doc)
    assert record is not None
    return [index.sentence_text(int(sid)) for sid in np.flatnonzero(index.sentence_doc == record.id)]


def test_the_committed_model_is_small_and_described():
    config = json.loads((MODELS / "cross_encoder.json").read_text(encoding="utf-8"))
    assert (MODELS / config["model"]).stat().st_size <= 25 * 1024 * 1024
    assert config["top"] >= 2 and config["weight"] > 0 and config["below_gap"] > 0
    described = (
        (MODELS / "README.md").read_text(encoding="utf-8").split("the cross-encoder (`rag/read/cross_encoder.py`)")[1]
    )
    assert all(w in described for w in ("make train-cross-encoder", "SQuAD", "Licence", "Metrics"))


def test_the_answering_sentence_outscores_its_neighbours(seed_engine: Engine, cross: CrossEncoder):
    """For each hand-checked question of the seed articles, the sentence that holds the answer
    scores above the sentences just before and after it (the reader's usual confusion)."""
    wins, total = 0, 0
    for question, phrase, doc in ANSWERABLE:
        sentences = _sentences(seed_engine, doc)
        at = next(i for i, s in enumerate(sentences) if phrase in s)
        around = [i for i in (at - 1, at, at + 1) if 0 <= i < len(sentences)]
        scores = cross.scores(question, [sentences[i] for i in around])
        best = around[int(np.argmax(scores))]
        wins += best == at
        total += 1
    assert wins >= 0.8 * total, f"{wins} of {total}"


def test_a_pair_scores_the_same_whatever_it_is_scored_with(cross: CrossEncoder):
    question = "Where did the three leaders meet?"
    a = "The leaders met at Camp David in August 2023."
    b = "Trade between the two countries grew last year."
    one = cross.scores(question, [a, b])
    other = cross.scores(question, [b, a, a])
    assert one[0] == other[1] == other[2] and one[1] == other[0]
    assert one[0] > one[1]
    assert cross.scores(question, []).shape == (0,)


def test_fusion_keeps_the_reader_scale_and_lets_either_overrule_a_small_lead():
    reader = np.array([3.0, 2.8, 1.0])
    assert np.allclose(fuse(reader, np.array([5.0, 5.0, 5.0]), 1.0, 1.0), reader)  # No opinion: unchanged.
    assert np.allclose(fuse(reader, np.array([1.0, 2.0, 3.0]), 0.0, 1.0), reader)  # Weight 0: unchanged.
    swapped = fuse(reader, np.array([-4.0, 4.0, -4.0]), 1.0, 1.0)
    assert swapped.mean() == pytest.approx(reader.mean())
    assert int(np.argmax(swapped)) == 1  # A close second the cross-encoder prefers goes first.
    kept = fuse(reader, np.array([-4.0, -4.0, 4.0]), 1.0, 1.0)
    assert int(np.argmax(kept)) == 0  # A far third does not overtake.
    # A spread below the floor counts as that fraction of a full one: small differences stay small.
    small = fuse(reader, np.array([0.0, 0.1, 0.0]), 1.0, 1.0)
    assert int(np.argmax(small)) == 0
    assert fuse(np.array([2.0]), np.array([9.0]), 1.0, 1.0).tolist() == [2.0]


def test_it_runs_only_when_the_first_place_is_open():
    assert needed(np.array([3.0, 2.5, 0.0]), 1.0)
    assert not needed(np.array([3.0, 1.5, 0.0]), 1.0)
    assert needed(np.array([0.0, 3.0, 2.9]), 1.0)  # Unsorted scores: the best two count.
    assert not needed(np.array([3.0]), 1.0) and not needed(np.zeros(0), 1.0)


def test_the_reader_without_it_differs_only_where_it_ran(seed_engine: Engine):
    """Turning the cross-encoder off (RetrievalSettings.cross_encoder) keeps every candidate; the
    order changes only for questions whose first place was open."""
    plain = Engine(
        replace(seed_engine.settings, retrieval=replace(seed_engine.settings.retrieval, cross_encoder=False)),
        seed_engine.embedder,
    )
    reader, plain_reader = seed_engine.reader(), plain.reader()
    assert reader is not None and reader.cross_encoder is not None
    assert plain_reader is not None and plain_reader.cross_encoder is None
    changed = 0
    for question, _, _ in ANSWERABLE:
        with_it, without = seed_engine.ask(question, k=10), plain.ask(question, k=10)
        assert with_it.quotes and without.quotes
        if [q.start for q in with_it.quotes] != [q.start for q in without.quotes]:
            changed += 1
    assert changed < len(ANSWERABLE)


def test_a_broken_cross_encoder_is_one_clear_error(tmp_path: Path):
    shutil.copytree(MODELS, tmp_path / "models")
    (tmp_path / "models" / "cross_encoder.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError, match=r"cross-encoder's settings .*make train-cross-encoder"):
        Reader(tmp_path / "models")
    assert Reader(tmp_path / "models", cross_encoder=False).cross_encoder is None
    (tmp_path / "models" / "cross_encoder.json").write_text(
        (MODELS / "cross_encoder.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "models" / "cross_encoder.onnx").write_bytes(b"not a model")
    broken = CrossEncoder(tmp_path / "models")
    with pytest.raises(
        ModelError, match=r"cannot load the cross-encoder .*cross_encoder.onnx.*make train-cross-encoder"
    ):
        broken.scores("a question?", ["a sentence."])


def test_a_lead_in_it_puts_first_is_quoted_with_the_sentence_the_reader_put_first(seed_engine: Engine):
    """The cross-encoder puts first the sentence just before the reader's own first (a lead-in
    naming the meeting); the first quote is then one verbatim span of both, so it holds the
    sentence that answers."""
    question = "Which topics were the focus of the trilateral industry ministers' meeting?"
    index = seed_engine._live()
    rows, own, fused = reader_view(seed_engine, question)
    lead, answer = int(rows.ids[np.argmax(fused)]), int(rows.ids[np.argmax(own)])
    assert answer == lead + 1 and index.sentence_passage[lead] == index.sentence_passage[answer]
    quote = seed_engine.ask(question).quotes[0]
    assert (quote.start, quote.end) == (index.sentence_start[lead], index.sentence_end[answer])
    assert quote.text == index.document_text(int(index.sentence_doc[lead]))[quote.start : quote.end]
    assert "focused on collaboration in economic security" in quote.text
