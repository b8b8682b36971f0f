"""The hand-written question sets about the bundled articles (benchmarks/data/bundled_questions.json)."""

from __future__ import annotations

import json

import pytest

from benchmarks.bundled import HALVES, QUESTIONS_FILE, load_sets

from .conftest import SEED_CORPUS


def test_every_evidence_span_is_the_file_text_at_its_offsets():
    sets = load_sets("all")  # raises when a span's text differs from the file at its offsets
    spans = [e for items in (sets.answerable, sets.followup) for item in items for e in item.evidence]
    assert len(spans) >= 90
    for e in spans:
        text = (SEED_CORPUS / e.doc).read_bytes().decode("utf-8")
        assert text[e.start : e.end] == e.text and e.text.strip() == e.text


def test_sets_have_disjoint_parts_of_the_documented_sizes():
    parts = {half: load_sets(half) for half in HALVES}
    sizes = {"answerable": (35, 25), "unanswerable": (10, 8), "followup": (12, 6), "offtopic": (5, 3)}
    for name, (least, fresh) in sizes.items():
        found = {half: getattr(sets, name) for half, sets in parts.items()}
        assert len(found["tuning"]) >= least and len(found["check"]) >= least and len(found["fresh"]) >= fresh
        ids = [i.id for items in found.values() for i in items]
        questions = [i.question for items in found.values() for i in items]
        assert len(set(ids)) == len(ids) and len(set(questions)) == len(questions)
    assert len(parts["sources"].answerable) >= 30  # Questions naming their source: answerable only.
    everything = load_sets("all")
    assert len(everything.answerable) == sum(len(sets.answerable) for sets in parts.values())
    assert all(i.previous and i.evidence for i in everything.followup)
    assert all(i.evidence and not i.previous for i in everything.answerable)
    assert not any(i.evidence or i.previous for i in everything.unanswerable + everything.offtopic)


def test_a_wrong_offset_is_reported_with_the_question_id(tmp_path):
    data = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    data["sets"]["answerable"]["check"][0]["evidence"][0]["start"] += 1
    broken = tmp_path / "questions.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="a02"):
        load_sets("check", path=broken, corpus=SEED_CORPUS)
