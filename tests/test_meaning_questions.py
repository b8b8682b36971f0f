"""Checks for benchmarks/data/meaning_questions.json and meaning_questions_fresh.json (standard
library + pytest only).

Every evidence/near span must be an exact slice of its article in corpus/, start and
end on sentence boundaries, ids must be unique, tuning/check halves balanced (the fresh set is
all check), and a near_miss item's `missing` terms must be absent from its `near` sentence.
"""

import functools
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "meaning_questions.json"
FRESH = ROOT / "benchmarks" / "data" / "meaning_questions_fresh.json"
FRESH_SETS = {"paraphrase": 30, "near_miss": 15, "unanswerable": 15, "offtopic": 5}
CORPUS = ROOT / "corpus"
SETS = {"paraphrase": 80, "near_miss": 40, "unanswerable": 30, "offtopic": 10}
HALVES = {"tuning", "check"}
SENT_END = '.?!\u201d"\u2019)'


def _load(path=DATA):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@functools.cache
def _doc(name):
    with open(CORPUS / name, encoding="utf-8", newline="") as f:
        return f.read()


def _spans(data):
    for item in data["paraphrase"]:
        for span in item["evidence"]:
            yield item["id"], span
    for item in data["near_miss"]:
        yield item["id"], item["near"]


def _absent(term, text):
    pat = r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)"
    return re.search(pat, text.lower().replace("\xa0", " ")) is None


def test_set_sizes_and_fields():
    data = _load()
    for name, n in SETS.items():
        assert len(data[name]) == n, name
        for item in data[name]:
            assert item["question"].strip().endswith("?"), item["id"]
            assert item["half"] in HALVES, item["id"]
    for item in data["paraphrase"]:
        assert item["evidence"], item["id"]
        assert isinstance(item["context_subject"], bool), item["id"]
    for item in data["near_miss"]:
        assert item["changed"].strip() and item["missing"], item["id"]


def test_ids_unique():
    data = _load()
    ids = [item["id"] for name in SETS for item in data[name]]
    assert len(ids) == len(set(ids))


def test_halves_balanced():
    data = _load()
    for name in SETS:
        c = Counter(item["half"] for item in data[name])
        assert abs(c["tuning"] - c["check"]) <= 1, (name, c)
    # each half covers every article, about evenly
    docs = sorted(p.name for p in CORPUS.glob("*.txt"))
    per = Counter((item["evidence"][0]["doc"], item["half"]) for item in data["paraphrase"])
    for d in docs:
        assert per[(d, "tuning")] >= 1 and per[(d, "check")] >= 1, d
        assert abs(per[(d, "tuning")] - per[(d, "check")]) <= 1, d
    near = Counter((item["near"]["doc"], item["half"]) for item in data["near_miss"])
    for d in docs:
        assert near[(d, "tuning")] >= 1 and near[(d, "check")] >= 1, d
    ctx = Counter(item["half"] for item in data["paraphrase"] if item["context_subject"])
    assert sum(ctx.values()) >= 28 and min(ctx["tuning"], ctx["check"]) >= 12, ctx


def test_the_fresh_set_is_all_check_with_unique_ids():
    data = _load(FRESH)
    for name, n in FRESH_SETS.items():
        assert len(data[name]) == n, name
        assert all(item["half"] == "check" and item["question"].strip().endswith("?") for item in data[name]), name
    ids = [item["id"] for name in FRESH_SETS for item in data[name]]
    assert len(ids) == len(set(ids)) and not set(ids) & {i["id"] for n in SETS for i in _load()[n]}
    assert sum(item["context_subject"] for item in data["paraphrase"]) >= 12


@pytest.mark.parametrize("item_id,span", [*_spans(_load()), *_spans(_load(FRESH))])
def test_span_is_exact_whole_sentence(item_id, span):
    text = _doc(span["doc"])
    s, e = span["start"], span["end"]
    assert 0 <= s < e <= len(text), item_id
    assert text[s:e] == span["text"], item_id
    # starts at a line start or after sentence-final punctuation plus whitespace
    if s > 0:
        before = text[:s]
        assert before[-1] in "\n" or (before[-1].isspace() and before.rstrip()[-1:] in SENT_END), (
            item_id,
            before[-20:],
        )
    # ends with sentence-final punctuation or at the end of a line
    after = text[e : e + 1]
    assert after in ("", "\n", "\r") or (after.isspace() and span["text"][-1] in SENT_END), (
        item_id,
        text[e - 10 : e + 10],
    )
    assert span["text"] == span["text"].strip(), item_id


def test_near_miss_missing_terms_absent_from_near():
    for item in _load()["near_miss"] + _load(FRESH)["near_miss"]:
        for term in item["missing"]:
            assert term.lower() in item["question"].lower(), (item["id"], term)
            assert _absent(term, item["near"]["text"]), (item["id"], term)


def test_unanswerable_terms_absent_from_corpus():
    corpus = "\n".join(_doc(p.name) for p in sorted(CORPUS.glob("*.txt")))
    for item in _load()["unanswerable"] + _load(FRESH)["unanswerable"]:
        assert item["about"] in {p.name for p in CORPUS.glob("*.txt")}, item["id"]
        for term in item["absent_terms"]:
            assert term.lower() not in corpus.lower().replace("\xa0", " "), (item["id"], term)
