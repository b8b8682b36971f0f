"""Question preparation and the answer-type cue used in scoring."""

from __future__ import annotations

import pytest

from rag.retrieve import answer_type, prepare_question


def test_filler_repeated_three_times_or_more_is_kept_once():
    assert prepare_question("Who won? word word word word", 1000) == "Who won? word"
    assert prepare_question("Is it very very good?", 1000) == "Is it very very good?"
    long = prepare_question("What happened in Seoul? " + "word " * 20_000, 1000)
    assert long == "What happened in Seoul? word"


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
