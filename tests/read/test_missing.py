"""What a question asks that the first quote does not hold (``rag.read.missing``), on its own and as
the engine reports it for an uncertain answer: in JSON, the terminal, Markdown and the page."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag import Answer, Engine, Missing, answer_markdown, answer_text, missing_note, to_json
from rag.read.missing import missing_from, missing_terms
from ui.render import answer_html

from ..present.test_markdown import render
from ..ui.test_ui_render import HOSTILE, assert_inert, hostile_answer


def texts(question: str, quote: str, *context: str) -> list[str]:
    return [m.text for m in missing_terms(question, quote, context)]


# -- what is missing, and the near variant the text holds -------------------------------------

REPORTED = [
    # Names: another part of the same name, another person with the same first name.
    (
        "When was the George V Bridge built?",
        "The George IV Bridge was built in 1834.",
        ["George V Bridge (the text says George IV Bridge)"],
    ),
    (
        "What did John Smith say about the deal?",
        "John Brown said the deal was over.",
        ["John Smith (the text says John Brown)"],
    ),
    ("When did OPEC begin?", "The embargo began when OAPEC proclaimed it.", ["OPEC (the text says OAPEC)"]),
    (
        "How many English words come from Latin?",
        "Many French words come from Latin.",
        ["English (the text says French)"],
    ),
    ("Where did Camilla Cavarape study law?", "She studied law in Milan.", ["Camilla Cavarape"]),
    ("Why did Poland protest?", "Hungary protested in March.", ["Poland (the text says Hungary)"]),
    ("Why did Poland protest?", "Hungary objected in March.", ["Poland"]),
    # Numbers: digits and words, percentages, money; another number of the same kind.
    ("What took 182 days?", "Filming took 128 days.", ["182 (the text says 128)"]),
    ("Who tells Bond he has five minutes?", "He tells Bond he has three minutes.", ["five (the text says three)"]),
    ("Which party won 45% of the vote?", "Labour won 40% of the vote.", ["45% (the text says 40%)"]),
    ("What cost $3 billion?", "The bridge cost $2 billion.", ["$3 billion (the text says $2 billion)"]),
    (
        "What was the name of the thirty-fourth film?",
        "Spectre is the twenty-fourth film.",
        ["thirty-fourth (the text says twenty-fourth)"],
    ),
    # Dates: another year (the closest), another month, a relative month.
    ("What did the summit decide in 2019?", "The summit of 2023 decided on a hotline.", ["2019 (the text says 2023)"]),
    ("What happened in the 1980s?", "The plan was abandoned in 1995.", ["1980s (the text says 1995)"]),
    ("Who signed the deal in March?", "The deal was signed in October.", ["March (the text says October)"]),
    (
        "What happened at Camp David last August?",
        "The summit at Camp David took place in July.",
        ["last August (the text says July)"],
    ),
    # Qualifiers: named only where the text holds another in the same place.
    (
        "Who was the youngest actress to be cast?",
        "Bellucci became the oldest actress to be cast.",
        ["youngest (the text says oldest)"],
    ),
    (
        "What was the second Bond theme to top the chart?",
        "It was the first Bond theme to top the chart.",
        ["second (the text says first)"],
    ),
    (
        "Who returned for his eighth appearance as Bond?",
        "Craig returned for his fourth appearance as Bond.",
        ["eighth (the text says fourth)"],
    ),
    # A negation, either way round; a negating prefix.
    ("What can not be used to make steel?", "Iron ore can be used to make steel.", ["can not (the text says can)"]),
    ("Who was never elected?", "Smith was elected in 1990.", ["never"]),
    (
        "What wasn't used in the final release?",
        "The demo was used in the final release.",
        ["wasn't (the text says was)"],
    ),
    ("Who has never been elected?", "Smith, elected in 1990, served.", ["never"]),
    (
        "Who said he would return to direct?",
        "Mendes said he would not return to direct.",
        ["would return (the text says would not return)"],
    ),
    (
        "What can be used to make steel?",
        "Coal cannot be used to make steel.",
        ["can be used (the text says cannot be used)"],
    ),
    (
        "What was the unofficial car of the film?",
        "The DB10 was the official car of the film.",
        ["unofficial (the text says official)"],
    ),
    # A word whose opposite the quote says instead (rag.read.opposites).
    (
        "Who closed the bridge in 1887?",
        "The bridge was opened in 1887 by King George IV.",
        ["closed (the text says opened)"],
    ),
    (
        "Whose wife belonged to the group?",
        "Lucia told him her husband belonged to the group.",
        ["wife (the text says husband)"],
    ),
    (
        "What did Lee ask them to add to the resolution?",
        "Lee asked them to remove the word from the resolution.",
        ["add (the text says remove)"],
    ),
    # "non-" before a name the quote holds without it.
    (
        "When was the non-Muslim Brotherhood founded?",
        "The Muslim Brotherhood was founded in Egypt in 1928.",
        ["non-Muslim (the text says Muslim)"],
    ),
    # A count the quote does not hold in any form.
    ("What did the advisers say about three-way ties?", "They will advance cooperation.", ["three"]),
]


@pytest.mark.parametrize(("question", "quote", "expected"), REPORTED)
def test_what_the_question_asks_and_the_quote_lacks_is_named(question: str, quote: str, expected: list[str]):
    assert texts(question, quote) == expected


NOT_REPORTED = [
    # Case, accents, possessives, plurals, inflections, a country and its people.
    ("What was Beyonce's debut album?", "Beyoncé released her debut album in 2003."),
    ("What did the Germans build?", "Germany built a wall."),
    ("What did the Japanese government say?", "Japan said it would wait."),
    ("What do the french think?", "France thinks otherwise."),
    ("Who met the Knowles sisters?", "Jay met Knowles at the party."),
    # A person by the last word of the name, with or without a title; a name by its acronym.
    ("What did Barack Obama say?", "Obama said the deal was done."),
    ("What did President Yoon say?", "Yoon said the alliance would hold."),
    ("When did the UN form?", "The United Nations formed in 1945."),
    ("When did the United Nations form?", "The UN formed in 1945."),
    ("What did the U.S. sign?", "The US signed the deal."),
    ("What does R&B stand for?", "R&B stands for rhythm and blues."),
    # A question's typo in a long name.
    ("At what age did she meet LaTavia Robertson?", "At age eight she met LaTavia Roberson."),
    # Numbers written another way; a count of things the question asks to list; "one of".
    ("What cost $5 million?", "The bridge cost five million dollars."),
    ("How many, 1,500 or more?", "About 1500 came."),
    ("What share was 40 percent?", "Its share was 40%."),
    ("What two instruments did his father play?", "His father played the flute and violin."),
    ("Name four sound profiles that distort.", "Settings like Rock, Acoustic, and Bass distort."),
    ("Which one of the allies objected?", "Japan objected."),
    ("What happened in the 1990s?", "In 1995 the plan was abandoned."),
    # "non-" that the quote holds too.
    ("Who opposed non-violent protest?", "Critics of non-violent protest were many."),
    # A count held by a word: "trilateral", "bilateral", "both".
    ("What did the advisers say about three-way ties?", "They will advance trilateral cooperation."),
    ("What did the two leaders agree on?", "Both leaders agreed to meet again."),
    ("What did the two countries sign?", "The countries signed a bilateral treaty."),
    # Names, numbers and dates in the context: the sentence before, the heading, the title.
    ("What did Yoon tell Donald Trump?", "Yoon later told him the alliance was strong.", "Yoon called Donald Trump."),
    ("What did Chopin compose in 1830?", "He composed two concertos that year.", "Frédéric Chopin", "In 1830 he left."),
    # Qualifiers without a variant in their place, and words that only look like one.
    ("What was Beyoncé's first album?", "Beyoncé's debut album was a success."),
    ("Who was the first person to notice her voice?", "Her teacher noticed her voice."),
    ("How long did the hiatus last?", "The hiatus took two years."),
    ("What did she do at first?", "She sang in a choir."),
    ("What happened last year?", "The summit was held."),
    # A negation the quote holds in other words; a question with none and a quote with one elsewhere.
    ("Who did not agree with the plan?", "Wang and Nyima rejected the plan."),
    ("What has the government not allowed?", "Testing has been denied by the government."),
    ("When did the war end?", "The war did not end until 1945."),
    # Opposites that a paraphrase may swap with the roles (converses), or that the question names
    # both of; an opposite only in the context.
    ("Which artist did Beyonce lose to?", "Beyonce was nominated, but the award was won by Beck."),
    ("Who died shortly before they moved?", "Soon after the death of his sister, the family moved."),
    ("Was the house for male or female students?", "The house took in male students."),
    ("Who opened the bridge?", "King George IV did so.", "The bridge was closed in 1990 and opened again."),
    # Words of the question's form: its first word, function words, wh-words.
    ("According to reports, what did the advisers say?", "The advisers said so."),
    ("Besides Japan, who attended?", "Japan and Korea attended."),
    ("What is it?", "It is a bridge."),
]


@pytest.mark.parametrize("case", NOT_REPORTED, ids=[c[0] for c in NOT_REPORTED])
def test_what_the_quote_holds_in_any_form_is_not_named(case: tuple[str, ...]):
    question, quote, *context = case
    assert texts(question, quote, *context) == []


def test_a_missing_item_records_its_kind_and_variant():
    found = missing_terms("Did John Smith not win 3 votes in May 2019?", "John Brown won 5 votes in June 2018.")
    assert [(m.kind, m.term, m.text_says) for m in found] == [
        ("name", "John Smith", "John Brown"),
        ("number", "3", "5"),
        ("date", "May", "June"),
        ("date", "2019", "2018"),
        ("negation", "not", None),
    ]


def test_a_negation_counts_only_in_the_quote_itself():
    assert texts("Who did not vote?", "Smith voted.", "Jones did not vote.") == ["did not"]


def test_variants_prefer_the_quote_and_the_closest_year():
    assert texts("What happened in 2019?", "It happened in 2012 and 2018.", "In 2020 it ended.") == [
        "2019 (the text says 2018)"
    ]


def test_missing_terms_are_read_from_the_question_alone_in_its_order_once_each():
    found = texts("Did Paris or Paris meet Rome in 1990?", "London met Madrid.")
    assert found == ["Paris", "Rome", "1990"]


# -- in the answer, and in every view of it -----------------------------------------------------


def test_the_answer_json_lists_missing_as_strings_and_objects():
    answer = Answer(
        question="When was the George V Bridge built?",
        abstained=False,
        answer="x [1]",
        status="uncertain",
        missing=(
            Missing(term="George V Bridge", text_says="George IV Bridge", kind="name"),
            Missing(term="2019", kind="date"),
        ),
    )
    data = json.loads(to_json(answer))
    assert data["missing"] == ["George V Bridge (the text says George IV Bridge)", "2019"]
    assert data["missing_detail"][0] == {
        "term": "George V Bridge",
        "text_says": "George IV Bridge",
        "kind": "name",
        "text": "George V Bridge (the text says George IV Bridge)",
    }
    assert data["missing_detail"][1]["text_says"] is None
    assert missing_note(answer) == "Not in the quote: George V Bridge (the text says George IV Bridge); 2019."


def test_every_view_shows_what_is_missing_under_the_quotes_and_keeps_it_inert():
    answer = Answer(
        **{
            **hostile_answer().__dict__,
            "status": "uncertain",
            "missing": (Missing(term=HOSTILE, text_says=HOSTILE, kind="name"),),
        }
    )
    page = answer_html(answer)
    assert_inert(page)
    assert page.index('class="rq-qtext"') < page.index('class="rq-missing"') < page.index('class="rq-copy"')
    text = answer_text(answer)
    assert text.index(answer.quotes[0].text[:20]) < text.index("Not in the quote:") < text.index("[1] ")
    markdown = answer_markdown(answer)
    assert markdown.index("> ") < markdown.index("*Not in the quote: ") < markdown.index("[^1]:")
    rendered = render(markdown)
    assert "<script" not in rendered and "<em>Not in the quote: &lt;script&gt;" in rendered


def test_nothing_missing_shows_nothing():
    answer = hostile_answer()
    assert missing_note(answer) is None
    assert "Not in the" not in answer_text(answer) + answer_markdown(answer) + answer_html(answer)


# -- on the real engine and the bundled articles -----------------------------------------------


def test_an_uncertain_answer_names_the_changed_name_and_what_the_text_says(seed_engine: Engine):
    answer = seed_engine.ask("Who gave a speech that shocked European allies at the Paris Security Conference?")
    assert answer.status == "uncertain" and "Munich Security Conference" in answer.quotes[0].text
    assert answer.to_dict()["missing"] == ["Paris Security Conference (the text says Munich Security Conference)"]
    which = "the first quote" if len(answer.quotes) > 1 else "the quote"
    assert f"Not in {which}: Paris Security Conference (the text says Munich Security Conference)." in (
        " ".join(answer_text(answer).split())
    )


def test_an_answered_question_has_nothing_missing(seed_engine: Engine):
    answer = seed_engine.ask("Who gave a speech that shocked European allies at the Munich Security Conference?")
    assert answer.status == "answered" and answer.missing == ()
    assert answer.to_dict()["missing"] == [] and "Not in the" not in answer_text(answer)


def _sentence(engine: Engine, phrase: str) -> int:
    """The id of the indexed sentence that holds ``phrase``."""
    index = engine._live()
    found = [sid for sid in range(len(index.sentence_doc)) if phrase in index.sentence_text(sid)]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("question", "phrase", "expected"),
    [
        (
            "Which meeting produced the first joint statement between the two countries in 27 years?",
            "first joint statement between their two countries in 17 years",
            ["27 (the text says 17)"],
        ),
        (
            "When did the first U.S.-Japan-South Korea Industry Ministers' Meeting take place in Tokyo?",
            "Industry Ministers’ Meeting took place in Washington",
            ["Tokyo"],
        ),
        (
            "Where did President Lee Jae Myung meet Prime Minister Shigeo Kishida?",
            "summit with Prime Minister Shigeo Ishiba",
            ["Shigeo Kishida (the text says Shigeo Ishiba)"],
        ),
        (
            "Who met on the sidelines of the Munich Security Conference on February 18, 2025?",
            "met on the sidelines of the Munich Security Conference on February 15, 2025",
            ["18 (the text says 15)"],
        ),
        # The quote's context counts: the document's author (not in the quote) ...
        (
            "Why does Terrence Matsuo expect Trump's team to support trilateralism?",
            "contours of his national security and foreign policy team suggest",
            [],
        ),
    ],
)
def test_the_engine_reads_a_quote_with_its_context(
    seed_engine: Engine, question: str, phrase: str, expected: list[str]
):
    sid = _sentence(seed_engine, phrase)
    found = missing_from(seed_engine._live(), question, sid, sid)
    assert [m.text for m in found] == expected


@pytest.mark.parametrize(
    ("question", "phrase", "alone"),
    [
        # ... the passage's heading ("Trump's Tariffs: A Uniting Factor for Tokyo and Seoul") ...
        (
            "Which summit let Tokyo and Seoul reinforce their economic cooperation in the face of Trump's Tariffs?",
            "The Lee-Ishiba summit provided a valuable opportunity",
            ["Trump's Tariffs"],
        ),
        # ... and the sentence before ("... shortly after the US presidential election, ...").
        ("What did Yoon tell the press after the US presidential election?", "Yoon later told the press", ["US"]),
    ],
)
def test_context_keeps_a_name_of_the_heading_or_the_sentence_before_from_being_missing(
    seed_engine: Engine, question: str, phrase: str, alone: list[str]
):
    index = seed_engine._live()
    sid = _sentence(seed_engine, phrase)
    assert texts(question, index.sentence_text(sid)) == alone  # The quote alone lacks them ...
    assert missing_from(index, question, sid, sid) == ()  # ... its context holds them.


def test_rest_and_mcp_describe_the_missing_field():
    from ui import mcp, rest

    schema = rest._ANSWER["content"]["application/json"]["schema"]
    assert {"missing", "missing_detail"} <= set(schema["required"]) <= set(schema["properties"])
    assert re.search(r'"missing"', open(mcp.__file__, encoding="utf-8").read())


PIECES = [
    "George", "IV", "V", "Bridge", "U.S.", "R&B", "OPEC", "of", "the", "not", "can't", "never", "first", "second",
    "largest", "1,500", "$2", "billion", "40%", "percent", "2019", "1990s", "'50s", "May", "March", "last",
    "thirty-fourth", "twenty", "one", "Beyoncé's", "Japan", ",", ".", "?", "\n", "–", "what", "Who", "did", "can",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=14),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=14),
)
def test_any_text_gives_terms_that_stand_in_the_question_and_variants_in_the_text(q: list[str], t: list[str]):
    question, quote = " ".join(q), " ".join(t)
    for item in missing_terms(question, quote, (quote[::-1],)):
        assert " ".join(item.term.split()) in " ".join(question.split())
        if item.text_says:
            assert " ".join(item.text_says.split()) in " ".join(f"{quote} {quote[::-1]}".split())


@pytest.mark.parametrize(
    ("question", "quote", "expected"),
    [
        # A capital written for its country's government is held by the country's name ...
        ("How do Seoul and Tokyo view Beijing?", "South Korea and Japan both distrust China.", []),
        ("What did Pyongyang test?", "North Korea tested a missile.", []),
        # ... but a capital as a place is the city: "in Tokyo" is not held by "Japan".
        (
            "Which meeting took place in Tokyo?",
            "The meeting between Japan and Korea took place in Washington.",
            ["Tokyo"],
        ),
        # ... and a capital is never held by another country's name.
        ("How does Seoul view Beijing?", "South Korea distrusts Russia.", ["Beijing"]),
    ],
)
def test_a_capital_standing_for_its_country(question: str, quote: str, expected: list[str]):
    assert [m.term for m in missing_terms(question, quote)] == expected


def test_a_country_is_held_by_its_capital():
    assert missing_terms("What did Japan sign?", "Tokyo signed the accord.") == ()
    assert [m.term for m in missing_terms("What did Japan sign?", "Seoul signed the accord.")] == ["Japan"]


def test_an_uncertain_answer_reads_what_its_quote_lacks_once(seed_engine: Engine, monkeypatch: pytest.MonkeyPatch):
    """The reader judges what the first quote lacks (for its status); the answer shows that
    judgement rather than reading the quote again."""
    import rag.read.missing as module

    calls: list[str] = []
    real = module.missing_terms

    def counted(question: str, quote: str, context: Sequence[str] = ()) -> tuple[Missing, ...]:
        calls.append(quote)
        return real(question, quote, context)

    monkeypatch.setattr(module, "missing_terms", counted)
    answer = seed_engine.ask("Who gave a speech that shocked European allies at the Paris Security Conference?")
    assert answer.status == "uncertain" and answer.missing
    assert len(calls) == 1
