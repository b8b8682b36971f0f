"""Question preparation and the answer-type cue used in scoring (rag/question/)."""

from __future__ import annotations

import pytest

from rag.question.answer_type import answer_type, holds
from rag.question.record import prepare_question


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
        ("On what date was the treaty signed?", "date"),
        ("As a norm, what day of the week is it held?", "date"),
        ("By when did the colonies gain independence?", "date"),
        ("How many students attend?", "number"),
        ("What percentage of voters agreed?", "number"),
        ("Who led the army?", "name"),
        ("The treaty was signed by whom?", "name"),
        ("What is oxygen?", None),
    ],
)
def test_answer_type_of_a_question(question: str, kind: str | None):
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    ("kind", "text", "question_words", "expected"),
    [
        ("date", "The summit took place in August 2023.", set(), True),
        ("date", "Media Day is held on a Monday.", set(), True),
        ("date", "The leaders met after the election.", set(), False),
        ("when", "The leaders met after the election.", set(), True),
        ("when", "The leaders agreed to deepen cooperation.", set(), False),
        ("amount", "About 28,500 troops are stationed there.", set(), True),
        ("amount", "The alliance was formed in 1953.", set(), False),
        ("amount", "Both of the two countries agreed.", {"two"}, False),
        ("number", "Two countries agreed.", set(), True),
        ("name", "It was signed by the leaders of Japan.", set(), True),
        ("name", "It was signed by the leaders of Japan.", {"japan"}, False),
    ],
)
def test_holds_an_answer_of_a_kind(kind, text: str, question_words: set[str], expected: bool):
    assert holds(kind, text, question_words) is expected
