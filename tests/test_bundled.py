"""The hand-written question sets about the bundled articles (benchmarks/data/bundled_questions.json)."""

from __future__ import annotations

import json

import pytest

from benchmarks.bundled import QUESTIONS_FILE, load_sets

from .conftest import SEED_CORPUS


def test_every_evidence_span_is_the_file_text_at_its_offsets():
    sets = load_sets("all")  # raises when a span's text differs from the file at its offsets
    spans = [e for items in (sets.answerable, sets.followup) for item in items for e in item.evidence]
    assert len(spans) >= 90
    for e in spans:
        text = (SEED_CORPUS / e.doc).read_bytes().decode("utf-8")
        assert text[e.start : e.end] == e.text and e.text.strip() == e.text


def test_sets_have_two_disjoint_halves_of_the_documented_sizes():
    tuning, check = load_sets("tuning"), load_sets("check")
    for name, least in (("answerable", 35), ("unanswerable", 10), ("followup", 12), ("offtopic", 5)):
        tune, held = getattr(tuning, name), getattr(check, name)
        assert len(tune) >= least and len(held) >= least
        assert not {i.id for i in tune} & {i.id for i in held}
        assert not {i.question for i in tune} & {i.question for i in held}
    assert all(i.previous and i.evidence for i in tuning.followup + check.followup)
    assert all(i.evidence and not i.previous for i in tuning.answerable + check.answerable)


def test_a_wrong_offset_is_reported_with_the_question_id(tmp_path):
    data = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    data["sets"]["answerable"]["check"][0]["evidence"][0]["start"] += 1
    broken = tmp_path / "questions.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="a02"):
        load_sets("check", path=broken, corpus=SEED_CORPUS)
