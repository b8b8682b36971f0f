"""Questions that ask what one source says (rag/question/scope.py): which names count, which phrasings
attribute, and answers on the real model and index of the seed articles, whose sidecars name
their publishers and authors."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from benchmarks.run import RecordingEmbedder
from rag import Engine, answer_markdown, answer_text
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.probes import sentence_texts
from rag.question.scope import attributes, conversation_scope, named_scope, source_names
from rag.records import DocumentMeta
from rag.retrieve import FEATURES, candidate_features
from ui.render import answer_html

from ..conftest import padded


def _doc_of(engine: Engine, **meta: str) -> str:
    """The one seed document whose metadata has these values."""
    (doc,) = [d.doc for d in engine.documents() if all(getattr(d.meta, k) == v for k, v in meta.items())]
    return doc


def test_source_names_from_metadata():
    meta = DocumentMeta(
        publisher="Asia Society Policy Institute (ASPI)",
        author="Emma Chanlett-Avery; Jane Mellsop and Rorry Daniels",
        title="Asia Policy Brief (special issue)",
    )
    names = {(text, shown) for text, shown, _ in source_names(meta)}
    assert {("Asia Society Policy Institute", "Asia Society Policy Institute"), ("ASPI", "ASPI")} <= names
    assert {("Rorry Daniels", "Rorry Daniels"), ("Daniels", "Rorry Daniels"), ("Mellsop", "Jane Mellsop")} <= names
    assert ("Asia Policy Brief", "Asia Policy Brief") in names
    assert ("ASP", "Asia Society Policy Institute") in names  # Initials of its first 3+ capitalised words.
    assert not any("special issue" in text for text, _ in names)  # Only a capitalised parenthesis names.
    the = {text for text, _, _ in source_names(DocumentMeta(publisher="The Peninsula"))}
    assert the == {"The Peninsula", "Peninsula"}
    assert source_names(DocumentMeta()) == []
    # A site's tagline and a title's site name, as pages give them.
    page = DocumentMeta(
        publisher="Chatham House – International Affairs Think Tank", title="The future | Chatham House"
    )
    texts = [text for text, _, _ in source_names(page)]
    assert texts.count("Chatham House") == 1 and "The future" in texts


@pytest.mark.parametrize(
    ("question", "name", "expected"),
    [
        ("According to Chatham House, what does Trump lack?", "Chatham House", True),
        ("What does Chatham House say Trump lacks?", "Chatham House", True),
        ("What does the Chatham House comment say Trump lacks?", "Chatham House", True),
        ("What is Chatham House's view of the trilateral?", "Chatham House", True),
        ("How does Camilla Cavarape describe Trump's alliances?", "Camilla Cavarape", True),
        ("What does the trilateral lack, according to Chatham House?", "Chatham House", True),
        ("According to KEI, what is the threat?", "KEI", True),
        ("What does the Chatham House expert comment say Trump lacks?", "Chatham House", True),
        ("Where does Terrence Matsuo work?", "Terrence Matsuo", False),
        # Titles of SQuAD articles, in questions about them (none of its 4,961 questions attributes).
        ("How many museums are in Warsaw?", "Warsaw", False),
        ("Why has Warsaw seen many improvements over the past decade?", "Warsaw", False),
        ("What is the mayor of Warsaw called?", "Warsaw", False),
        ("What do supporters of Islamism believe their views reflect?", "Islamism", False),
        ("Is Camilla Cavarape an expert on Brazil?", "Camilla Cavarape", False),
        ("Where is Camilla Cavarape doing her doctorate?", "Camilla Cavarape", False),
    ],
)
def test_which_phrasings_attribute(question: str, name: str, expected: bool):
    start = question.index(name)
    assert attributes(question, start, start + len(name)) is expected


def test_a_named_publisher_is_the_only_source_quoted(seed_engine: Engine):
    chatham = _doc_of(seed_engine, publisher="Chatham House")
    question = "According to Chatham House, what has the Trump administration's approach to its alliances done?"
    scope = named_scope(seed_engine._live(), question)
    assert scope is not None and scope.names == ("Chatham House",)
    assert "Chatham" not in scope.question and scope.question.startswith("What has the Trump administration")
    every = padded(seed_engine)  # k quotes, so that other articles come in unscoped
    answer = every.ask(question, k=5)
    assert answer.sources == ("Chatham House",) and answer.status != "abstained"
    assert {q.doc for q in answer.quotes} == {chatham} and len(answer.quotes) == 5
    # Unscoped, the same words quote other articles too.
    unscoped = every.ask(scope.question, k=5)
    assert unscoped.sources == () and {q.doc for q in unscoped.quotes} != {chatham}
    assert answer.to_dict()["sources"] == ["Chatham House"]
    note = "Quoting only from Chatham House, as asked."
    assert note in answer_text(answer) and note in answer_markdown(answer) and note in answer_html(answer)


def test_without_the_reader_a_named_source_is_still_the_only_one_quoted(seed_engine: Engine):
    plain = Engine(
        replace(seed_engine.settings, retrieval=replace(seed_engine.settings.retrieval, reader_dir=None)),
        seed_engine.embedder,
    )
    # Its evidence is far above the cut-off (measured 0.88-0.89 against 0.627 under int8 and fp32
    # encoders; "... what does the Trump administration lack?" had 0.67-0.71, too close to it).
    answer = plain.ask(
        "According to Chatham House, what does the Trump administration lack in its approach to alliances?", k=4
    )
    assert plain.reader() is None and answer.sources == ("Chatham House",)
    assert {q.doc for q in answer.quotes} == {_doc_of(seed_engine, publisher="Chatham House")}


def test_an_author_who_signs_a_section_is_quoted_from_it(seed_engine: Engine):
    doc = _doc_of(seed_engine, publisher="Asia Society Policy Institute (ASPI)")
    _, text = seed_engine.document(doc)
    byline = re.search(r"^\W*By Rorry Daniels\s*$", text, re.M)
    assert byline is not None
    answer = seed_engine.ask("According to Rorry Daniels, what could damage the progress made so far?", k=6)
    assert answer.sources == ("Rorry Daniels",) and answer.quotes
    for quote in answer.quotes:
        assert quote.doc == doc and quote.start > byline.end()
    # The brief's other authors sign the sections before it, not after.
    for other in ("Emma Chanlett-Avery", "Jane Mellsop"):
        assert text.index(f"By {other}") < byline.start()


PAGE = """<!doctype html><html><head><title>Harbour accord signed | Coastline Review</title>
<meta property="og:site_name" content="Coastline Review – News from the northern harbours">
<meta name="author" content="Maren Ostby"></head><body><article><h1>Harbour accord signed</h1>
<p>The Orvane harbour accord was signed by four harbour cities in the spring.</p>
<p>Its critics argue that the accord leaves the smaller fishing ports without a vote on dredging.</p>
<p>The cities expect the first joint dredging works to start within two years.</p></article></body></html>
"""


def test_a_web_page_is_named_by_its_site_and_author(seed_engine: Engine, tmp_path: Path):
    from ..uiserver import private_engine

    engine = private_engine(seed_engine, tmp_path / "collection")
    page = tmp_path / "harbour.html"
    page.write_text(PAGE, encoding="utf-8")
    engine.add([(page, page.name)])
    for question in (
        "According to Coastline Review, what do critics say about the accord?",
        "What does Maren Ostby say critics argue?",
    ):
        answer = engine.ask(question)
        assert answer.sources and {q.doc for q in answer.quotes} == {"harbour.html"}, question
        assert "critics argue" in answer.quotes[0].text
    assert engine.ask("According to Coastline Review, what do critics say?").sources == ("Coastline Review",)


def test_a_name_the_question_is_about_scopes_nothing(seed_engine: Engine):
    answer = seed_engine.ask("Where does Terrence Matsuo work?")
    assert answer.sources == ()
    assert "Terrence Matsuo" in answer.quotes[0].text  # The name stays in what retrieval reads.


def test_a_name_other_articles_hold_scopes_only_as_spelled(seed_engine: Engine):
    # "The Peninsula" publishes one article, but "Korean Peninsula" and "on the Peninsula" stand in others.
    index = seed_engine._live()
    kei = _doc_of(seed_engine, publisher="Korea Economic Institute of America (The Peninsula)")
    assert any("on the Peninsula" in text for text in sentence_texts(seed_engine))
    for spelled in ("according to the peninsula", "According to the Peninsula", "According to Peninsula"):
        assert named_scope(index, f"{spelled}, what did Yoon tell Trump?") is None, spelled
    scope = named_scope(index, "According to The Peninsula, what did Yoon tell Trump?")
    assert scope is not None and scope.names == ("The Peninsula",)
    record = index.document_by_name(kei)
    assert record is not None and set(index.sentence_doc[scope.sentences]) == {record.id}


def test_a_follow_up_keeps_the_source_its_question_named(seed_engine: Engine):
    chatham = _doc_of(seed_engine, publisher="Chatham House")
    answer = seed_engine.ask(
        "What does it say about Europe?", previous="According to Chatham House, how does Trump see alliances?"
    )
    assert answer.sources == ("Chatham House",)
    assert {q.doc for q in answer.quotes} == {chatham}
    assert "Europe" in answer.quotes[0].text
    # A question of its own in the same conversation (the page passes the previous question
    # with every one) asks every source again.
    alone = seed_engine.ask(
        "Who is Camilla Cavarape?", previous="According to Chatham House, how does Trump see alliances?"
    )
    assert alone.sources == () and chatham not in {q.doc for q in alone.quotes}


def test_a_follow_up_that_asks_another_source_asks_it_the_previous_question(seed_engine: Engine):
    index = seed_engine._live()
    previous = "What is the main source of friction between Japan and South Korea?"
    for follow_up in ("What does Camilla Cavarape say about it?", "And what does 360info say?"):
        scope, asked, context = conversation_scope(index, follow_up, previous)
        assert scope is not None and (asked, context) == (previous, None), follow_up
    # A follow-up with words of its own keeps them, and the previous question as its context.
    scope, asked, context = conversation_scope(index, "What does Camilla Cavarape say about China?", previous)
    assert scope is not None and "China" in asked and context == previous
    cavarape = _doc_of(seed_engine, author="Camilla Cavarape")
    answer = seed_engine.ask("What does Camilla Cavarape say about it?", previous=previous)
    assert answer.sources == ("Camilla Cavarape",) and {q.doc for q in answer.quotes} == {cavarape}
    assert "friction" in answer.quotes[0].text


def test_a_question_naming_its_source_is_never_far_from_the_articles(seed_engine: Engine):
    """Initials count as a publisher's name: "KEI" for the Korea Economic Institute of America. The
    scoped question's words are far from that source's sentences (below ``off_topic_below``) and the
    reader is not sure (below ``far_abstain_below``), which refuses a question that names no source;
    naming the source, it is not refused, and it quotes the sentence that answers, from that source
    only. (Asked without its source, the same question sits near the far threshold, on one side or
    the other with the CPU's int8 kernel: nothing is asserted of it but what naming adds.)"""
    question = "What does the congressional report identify as a significant threat?"
    index, reader = seed_engine._live(), seed_engine.reader()
    assert reader is not None
    t = reader.params
    named_question = f"According to KEI, {question[0].lower()}{question[1:]}"
    named = seed_engine.ask(named_question)
    scope = named_scope(index, named_question)
    assert scope is not None and named.sources == scope.names == ("Korea Economic Institute of America",)
    kei = _doc_of(seed_engine, publisher="Korea Economic Institute of America (The Peninsula)")
    assert named.quotes and {q.doc for q in named.quotes} == {kei}
    assert "significant threat" in named.quotes[0].text
    _, features = candidate_features(
        index,
        scope.question,
        seed_engine.encode_question(scope.question),
        seed_engine.settings.retrieval,
        within=scope.sentences,
    )
    best_dense = float(features[:, FEATURES.index("dense")].max())
    # Far and unsure, by margins that hold under int8 and fp32 encoders (measured: 0.37-0.38
    # against 0.43; 0.10-0.13 against 0.2): had it named no source, it would be refused.
    assert best_dense < t["off_topic_below"]
    assert named.confidence is not None and t["abstain_below"] <= named.confidence < t["far_abstain_below"]
    assert reader.status(named.confidence, best_dense) == "abstained"
    # Named, it is not refused (its confidence, 0.10-0.13, is far above ``abstain_below``, 0.03).
    assert named.status != "abstained" and reader.status(named.confidence, best_dense, named=True) == named.status


def test_a_scoped_previous_answer_is_remembered_for_its_follow_up(seed_engine: Engine, embedder: OnnxEmbedder):
    """The name a follow-up's pronoun stands for comes from the answer the engine just gave to a
    question naming its source, not from ranking that question again."""
    previous = "According to 360info, which US Secretary of State met his Japanese and South Korean counterparts?"
    follow_up = "What did he reaffirm with them?"
    scope = named_scope(seed_engine._live(), previous)
    assert scope is not None and scope.names == ("360info",)
    cold_encoder, warm_encoder = RecordingEmbedder(embedder), RecordingEmbedder(embedder)
    cold = Engine(seed_engine.settings, cold_encoder).ask(follow_up, previous=previous)
    assert cold_encoder.texts.count(scope.question) == 1 and cold.sources == ("360info",)
    warm_engine = Engine(seed_engine.settings, warm_encoder)
    warm_engine.ask(previous)
    warm = warm_engine.ask(follow_up, previous=previous)
    assert warm_encoder.texts.count(scope.question) == 1  # When it was asked, not again for the follow-up.
    assert [(q.doc, q.start, q.end) for q in warm.quotes] == [(q.doc, q.start, q.end) for q in cold.quotes]


def test_a_named_source_that_does_not_answer_abstains(seed_engine: Engine):
    answer = seed_engine.ask("According to Chatham House, what is the capital of Australia?")
    assert answer.status == "abstained" and answer.quotes == ()
    assert answer.sources == ("Chatham House",)
    assert "Searched only Chatham House, as asked." in answer_text(answer)


def test_candidates_within_a_scope(seed_engine: Engine):
    index, settings = seed_engine._live(), seed_engine.settings.retrieval
    question = "What has the Trump administration's approach to its alliances done?"
    vector = seed_engine.encode_question(question)
    record = index.document_by_name(_doc_of(seed_engine, publisher="Chatham House"))
    assert record is not None
    within = np.flatnonzero(index.sentence_doc == record.id)
    ids, features = candidate_features(index, question, vector, settings, within=within)
    assert np.array_equal(ids, within) and len(features) == len(within)  # Fewer than `candidates`: all.
    wide = np.arange(len(index.sentence_doc))[: settings.candidates + 40]
    some, _ = candidate_features(index, question, vector, settings, within=wide)
    assert set(some) <= set(wide) and settings.candidates <= len(some) < len(wide)
    none, nothing = candidate_features(index, question, vector, settings, within=within[:0])
    assert len(none) == 0 and nothing.shape == (0, features.shape[1])
