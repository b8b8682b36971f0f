"""Question preparation and the answer-type cue used in scoring."""

from __future__ import annotations

import pytest

from rag.retrieve import answer_type, prepare_question


def test_long_question_is_cut_at_a_word_boundary():
    long = prepare_question("What happened in Seoul? " + "election " * 20_000, 1000)
    assert len(long) <= 1000 and long.startswith("What happened in Seoul? election")
    assert long.endswith("election")
    assert prepare_question("Is it  very\tvery\x00 good?", 1000) == "Is it very very good?"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the war end?", "date"),
        ("In what year was it founded?", "date"),
        ("How many students attend?", "number"),
        ("What percentage of voters agreed?", "number"),
        ("Who led the army?", "name"),
        ("The treaty was signed by whom?", "name"),
        ("What is oxygen?", None),
    ],
)
def test_answer_type_of_a_question(question: str, kind: str | None):
    assert answer_type(question) == kind
