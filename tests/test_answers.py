"""Answers on the real model and the real index of the five seed articles."""

from __future__ import annotations

import itertools

import pytest

from rag import Engine
from rag.errors import QuestionError

from .conftest import SEED_CORPUS, padded

# (question, a phrase the first quote must contain, the article it must come from)
ANSWERABLE = [
    ("Who is expected to serve as secretary of state?", "Marco Rubio", "001_e9bcd94228df86bd.txt"),
    (
        "Which meeting produced the first joint statement between Japan and South Korea in 17 years?",
        "Lee-Ishiba meeting",
        "003_1048780554bfa262.txt",
    ),
    (
        "What is the primary source of friction between Japan and South Korea?",
        "colonial rule",
        "002_2ffb6e26d87a6384.txt",
    ),
    (
        "Where did the first U.S.-Japan-South Korea Industry Ministers’ Meeting take place?",
        "Washington D.C.",
        "000_1d6a68f3fda306c0.txt",
    ),
    ("Who gave a speech that shocked European allies in Munich?", "JD Vance", "004_90e34d0e3a6c28e6.txt"),
]

OFF_TOPIC = [
    "How do I bake sourdough bread?",
    "Who won the 2018 FIFA World Cup?",
    "What is the boiling point of mercury?",
    "How many moons does Jupiter have?",
]


@pytest.mark.parametrize(("question", "phrase", "doc"), ANSWERABLE)
def test_first_quote_answers_the_question(seed_engine: Engine, question: str, phrase: str, doc: str):
    answer = seed_engine.ask(question)
    assert not answer.abstained
    first = answer.quotes[0]
    assert phrase in first.text and first.doc == doc


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_abstain(seed_engine: Engine, question: str):
    answer = seed_engine.ask(question)
    assert answer.abstained and answer.quotes == () and answer.passages == ()
    assert "do not answer" in answer.answer


def test_quotes_are_verbatim_slices_of_the_files(seed_engine: Engine):
    answer = padded(seed_engine).ask("What do Trump's advisers say about Japan and South Korea?", k=8)
    assert len(answer.quotes) == 8
    scores = [q.score for q in answer.quotes]
    assert scores == sorted(scores, reverse=True)
    for quote in answer.quotes:
        file_text = (SEED_CORPUS / quote.doc).read_bytes().decode("utf-8")
        assert file_text[quote.start : quote.end] == quote.text
        assert quote.text in answer.answer and f"[{quote.n}]" in answer.answer
    by_n = {p.n: p for p in answer.passages}
    assert sorted(by_n) == list(range(1, len(by_n) + 1))
    for quote in answer.quotes:
        passage = by_n[quote.n]
        assert passage.doc == quote.doc and passage.start <= quote.start < quote.end <= passage.end
        assert (quote.start - passage.start, quote.end - passage.start) in passage.quote_spans
        for s, e in passage.quote_spans:
            assert passage.text[s:e] in {q.text for q in answer.quotes}


@pytest.mark.parametrize(
    ("question", "previous"),
    [
        ("Who is expected to serve as secretary of state?", None),
        ("How does Trump regard alliances?", None),
        ("What did Trump's 2017 National Security Strategy commit the US to?", None),
        ("What report did he co-author?", "Who has been tapped as national security advisor?"),
    ],
)
def test_no_sentence_is_quoted_twice_in_one_answer(seed_engine: Engine, question: str, previous: str | None):
    """A quote may span a sentence and the next one; when an earlier quote already holds that next
    sentence, the later quote stops before it instead of repeating it."""
    for k in (3, 5, 10):
        answer = seed_engine.ask(question, k=k, previous=previous)
        spans = sorted((q.doc, q.start, q.end) for q in answer.quotes)
        for (doc, _, end), (next_doc, next_start, _) in itertools.pairwise(spans):
            assert doc != next_doc or end <= next_start, answer.quotes
        assert len({q.text for q in answer.quotes}) == len(answer.quotes)


def test_larger_k_continues_the_same_ranking(seed_engine: Engine):
    question = "How did the Camp David summit change trilateral cooperation?"
    for engine in (seed_engine, padded(seed_engine)):  # likely quotes only, and padded to k
        short = engine.ask(question, k=3).quotes
        long = engine.ask(question, k=10).quotes
        assert [q.text for q in long[: len(short)]] == [q.text for q in short]
    assert len(long) == 10


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x01", "?!."])
def test_empty_questions_are_refused_clearly(seed_engine: Engine, question: str):
    with pytest.raises(QuestionError, match="question"):
        seed_engine.ask(question)


def test_very_long_question_is_truncated_and_answered(seed_engine: Engine):
    # A question with a whole article pasted after it, twenty times over (about 100,000 characters).
    pasted = (SEED_CORPUS / "000_1d6a68f3fda306c0.txt").read_text(encoding="utf-8") * 20
    answer = seed_engine.ask("What did Trump's advisers tell officials in Seoul and Tokyo? " + pasted)
    assert len(answer.question) <= 1000 and answer.question.startswith("What did Trump's advisers")
    assert not answer.abstained and answer.quotes[0].doc == "000_1d6a68f3fda306c0.txt"


@pytest.mark.parametrize("question", ["한국과 일본의 관계는?", "日米韓の協力はどうなるか", "Japan 🤝 Korea?"])
def test_other_scripts_get_an_answer_or_an_abstention(seed_engine: Engine, question: str):
    answer = seed_engine.ask(question)
    assert answer.abstained or all(q.text for q in answer.quotes)


def test_emoji_only_question_gets_a_clear_message(seed_engine: Engine):
    with pytest.raises(QuestionError, match="no words"):
        seed_engine.ask("🤝🇯🇵🇰🇷?")


def test_follow_up_is_read_with_the_previous_question(seed_engine: Engine):
    previous = "What did Fleitz say about the alliance with Japan and South Korea?"
    alone = seed_engine.ask("And what did he say about China?")
    follow = seed_engine.ask("And what did he say about China?", previous=previous)
    assert follow.question == "And what did he say about China?"
    assert not follow.abstained
    assert any("Fleitz" in p.text or "He expressed" in q.text for p in follow.passages for q in follow.quotes)
    assert [q.text for q in follow.quotes] != [q.text for q in alone.quotes]


def test_unusable_previous_question_is_ignored_not_an_error(seed_engine: Engine):
    answer = seed_engine.ask("Who is Terrence Matsuo?", previous="???")
    assert not answer.abstained and "Matsuo" in answer.quotes[0].text
