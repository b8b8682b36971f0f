"""The analyst's views on the real index of the bundled articles: every mention of a name
(checked against a plain scan of the sentences), answers by source (named sources and not),
the dates sentences state (a hand-checked sample), and bad input at every door."""

from __future__ import annotations

import csv
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from benchmarks.run import RecordingEmbedder
from rag import Engine, QuestionError, by_source_markdown, find_csv, find_markdown, to_json
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.probes import sentence_texts
from rag.question.scope import attributed
from rag.views.dates import stated_dates
from ui.actions import Actions
from ui.rest import create_api

from ..test_cli import RAG, folders, run

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "stated_dates.json"
QUERIES = ["Camp David", "tariff", "Ishiba", "Matsuo"]


def _places(result) -> set[tuple[str, int, int]]:
    """Every place a find result lists: its mentions and the places collapsed into them."""
    out = set()
    for group in result.documents:
        for mention in group.mentions:
            out.add((mention.doc, mention.start, mention.end))
            out |= {(p.doc, p.start, p.end) for p in mention.also}
    return out


@pytest.mark.parametrize("query", QUERIES)
def test_find_lists_every_sentence_holding_the_query(seed_engine: Engine, query: str):
    index = seed_engine._live()
    scan = {
        (
            index.documents[int(index.sentence_doc[sid])].doc,
            int(index.sentence_start[sid]),
            int(index.sentence_end[sid]),
        )
        for sid, text in enumerate(sentence_texts(seed_engine))
        if re.search(rf"\b{re.escape(query)}", text, re.I)
    }
    result = seed_engine.find(query)
    assert scan, query
    assert _places(result) == scan
    assert result.places == len(scan) and result.total == sum(g.count for g in result.documents)
    for group in result.documents:
        assert group.count == len(group.mentions)
        text = (seed_engine.settings.corpus_dir / group.doc).read_text(encoding="utf-8")
        for mention in group.mentions:
            assert text[mention.start : mention.end] == mention.text
            assert all(query.lower() in mention.text[s:e].lower() for s, e in mention.spans)


def test_find_matches_inflections_and_orders_documents_by_date(seed_engine: Engine):
    plural = seed_engine.find("tariffs")
    assert _places(plural) == _places(seed_engine.find("TARIFF"))
    result = seed_engine.find("South Korea")
    dates = [g.date for g in result.documents]
    dated = [d for d in dates if d]
    assert dated == sorted(dated) and dates[: len(dated)] == dated  # Undated last.
    data = json.loads(to_json(result))
    assert {"query", "total", "documents"} <= set(data)
    assert {"doc", "title", "date", "count", "mentions"} <= set(data["documents"][0])
    assert {"text", "start", "end", "page", "dates"} <= set(data["documents"][0]["mentions"][0])


def test_a_person_is_also_found_by_surname_and_a_place_is_not(seed_engine: Engine):
    person = seed_engine.find("Terrence Matsuo")  # The author of one article.
    assert person.forms == ("Terrence Matsuo", "Matsuo")
    assert _places(person) == _places(seed_engine.find("Matsuo"))
    assert seed_engine.find("Camp David").forms == ("Camp David",)
    assert seed_engine.find("South Korea").forms == ("South Korea",)


def test_the_same_sentence_in_two_articles_is_listed_once_with_its_other_place(seed_engine: Engine, tmp_path: Path):
    from ..uiserver import private_engine

    engine = private_engine(seed_engine, tmp_path)
    quoted = next(m for g in engine.find("Camp David").documents for m in g.mentions)
    article = tmp_path / "digest.txt"
    article.write_text(f"Digest\n\nA newsletter quoted the analysis.\n\n{quoted.text}\n", encoding="utf-8")
    engine.add([(article, article.name)])
    result = engine.find("Camp David")
    twin = next(m for g in result.documents for m in g.mentions if m.text == quoted.text)
    assert [p.doc for p in twin.also] == ["digest.txt"]
    assert "digest.txt" not in [g.doc for g in result.documents]
    rows = list(csv.reader(io.StringIO(find_csv(result))))
    assert len(rows) == 1 + result.places
    markdown = find_markdown(result)
    assert markdown.count("[^") == result.total + len(result.documents)


def test_find_by_date_is_a_timeline_of_stated_dates(seed_engine: Engine):
    result = seed_engine.find("Camp David", by="date")
    assert len(result.timeline) == result.total
    keys = [m.dates[0] if m.dates else m.date for m in result.timeline]
    dated = [k for k in keys if k]
    assert dated == sorted(dated) and "2023-08" in dated


@pytest.mark.parametrize("query", ["", "   ", "?!", "a" * 10_000])
def test_bad_queries_are_refused(seed_engine: Engine, query: str):
    with pytest.raises(QuestionError):
        seed_engine.find(query)
    with pytest.raises(QuestionError):
        seed_engine.find("Camp David", by="size")


def test_two_named_sources_are_answered_by_source_from_them_only(seed_engine: Engine):
    docs = {d.doc: d.meta for d in seed_engine.documents()}
    for question, publishers in [
        ("How do Chatham House and 360info differ on Trump's view of alliances?", {"Chatham House", "360info"}),
        ("What do KEI and the Asia Society say about the Camp David summit?", None),
    ]:
        answer = seed_engine.ask(question)
        assert len(answer.sources) == 2 and answer.by_source is not None
        named = {g.doc for g in answer.by_source}
        assert len(named) == 2 and {q.doc for q in answer.quotes} <= named
        if publishers:
            assert {docs[d].publisher for d in named} == publishers
            assert all(g.status != "nothing relevant" and g.quotes for g in answer.by_source)
        for group in answer.by_source:
            assert all(q.doc == group.doc for q in group.quotes)
    single = seed_engine.ask("According to 360info, how does Trump see alliances?")
    assert single.by_source is None and "by_source" not in single.to_dict()


def test_by_source_groups_every_document_and_orders_them_by_date(seed_engine: Engine):
    question = "How do the articles describe the Camp David summit and what it meant for three-way cooperation?"
    answer = seed_engine.ask(question, by_source=True)
    plain = seed_engine.ask(question)
    assert [q.text for q in answer.quotes] == [q.text for q in plain.quotes]  # Today's fields unchanged.
    groups = answer.by_source or ()
    assert sorted(g.doc for g in groups) == sorted(seed_engine.status().docs)
    answering = [g for g in groups if g.status != "nothing relevant"]
    assert len(answering) >= 2 and groups[: len(answering)] == tuple(answering)
    dated = [g.date for g in answering if g.date]
    assert dated == sorted(dated)
    mentioning = {g.doc for g in seed_engine.find("Camp David").documents}
    assert len(mentioning & {g.doc for g in answering}) >= 2
    text = (seed_engine.settings.corpus_dir / answering[0].doc).read_text(encoding="utf-8")
    assert all(text[q.start : q.end] == q.text for q in answering[0].quotes)
    assert by_source_markdown(answer).count("\n### ") == len(answering)


def test_a_list_of_names_attributes_only_with_a_verb_of_saying_or_comparing():
    def spans(question: str, *names: str) -> list[tuple[int, int]]:
        return [(question.index(n), question.index(n) + len(n)) for n in names]

    for question in (
        "How do Chatham House and 360info differ on alliances?",
        "What do KEI, ASPI and Chatham House say about tariffs?",
        "Compare Chatham House and 360info on Japan.",
    ):
        names = re.findall(r"Chatham House|360info|KEI|ASPI", question)
        found = spans(question, *names)
        assert all(attributed(question, s, e, found) for s, e in found), question
    question = "What do supporters of Chatham House and 360info believe?"
    found = spans(question, "Chatham House", "360info")
    assert not any(attributed(question, s, e, found) for s, e in found)


def test_stated_dates_of_a_hand_checked_sample_are_mostly_right(seed_engine: Engine):
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))["sentences"]
    assert len(sample) >= 40 and sum(1 for s in sample if s["dates"]) >= 25
    right = 0
    for item in sample:
        text = (seed_engine.settings.corpus_dir / item["doc"]).read_text(encoding="utf-8")[item["start"] : item["end"]]
        assert " ".join(text.split()) == item["text"]
        right += list(stated_dates(text, item["doc_date"])) == item["dates"]
    assert right / len(sample) >= 0.9
    dated = [s for s in sample if s["dates"]]
    assert sum(list(stated_dates(s["text"], s["doc_date"])) == s["dates"] for s in dated) / len(dated) >= 0.9


def test_relative_dates_resolve_against_the_document_date():
    assert stated_dates("The summit was held last August.", "2024-07") == ("2023-08",)
    assert stated_dates("The summit was held last August.", None) == ()
    assert stated_dates("On January 9, 2025, two years ago and in May.", "2025-03-01") == (
        "2025-01-09",
        "2023",
        "2025-05",
    )
    assert stated_dates("May I add that tariffs may rise?", "2025-03") == ()


def test_quotes_carry_their_document_date_and_stated_dates(seed_engine: Engine):
    answer = seed_engine.ask("When did the leaders meet at Camp David?", k=5)
    meta = {d.doc: d.meta for d in seed_engine.documents()}
    for quote in answer.quotes:
        assert quote.date == meta[quote.doc].date
        assert quote.dates == stated_dates(quote.text, quote.date)
    assert any("2023" in d for q in answer.quotes for d in q.dates)


@pytest.fixture(scope="module")
def rest(seed_engine: Engine):
    with ThreadPoolExecutor(2) as pool:
        yield TestClient(create_api(Actions(seed_engine, pool)))


def test_rest_find_and_ask_by_source(rest: TestClient, seed_engine: Engine):
    found = rest.get("/api/find", params={"q": "Camp David"})
    assert found.status_code == 200 and found.json() == seed_engine.find("Camp David").to_dict()
    for params in ({"q": ""}, {"q": "x" * 10_000}, {"q": "Camp David", "by": "size"}, {}):
        bad = rest.get("/api/find", params=params)
        assert bad.status_code == 400 and set(bad.json()) == {"error"}, params
    asked = rest.post("/api/ask", json={"question": "What changed at Camp David?", "by_source": True})
    assert asked.status_code == 200 and asked.json()["by_source"]
    plain = rest.post("/api/ask", json={"question": "What changed at Camp David?"})
    assert "by_source" not in plain.json()
    spec = rest.get("/api/openapi.json").json()
    assert "/api/find" in spec["paths"] and "by_source" in json.dumps(spec["paths"]["/api/ask"])


def test_cli_find_formats_and_bad_input(seed_engine: Engine):
    settings = seed_engine.settings
    done = run(["find", "Camp David", "--json", *folders(settings)], settings)
    assert done.returncode == 0 and json.loads(done.stdout) == seed_engine.find("Camp David").to_dict()
    done = run(["find", "tariff", "--format", "csv", *folders(settings)], settings)
    assert done.returncode == 0 and done.stdout.startswith("doc,title,date")
    for args in (["find", ""], ["find", "a" * 10_000], ["find", "Ishiba", "--by", "size"], ["ask", "x", "--by", "z"]):
        done = run([*args, *folders(settings)], settings)
        assert done.returncode == 1 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), args
    done = run(
        ["ask", "How do Chatham House and 360info differ?", "--by-source", "--json", *folders(settings)], settings
    )
    assert done.returncode == 0 and len(json.loads(done.stdout)["by_source"]) == 2
    assert RAG


def test_an_answer_by_source_encodes_its_question_once(seed_engine: Engine, embedder: OnnxEmbedder):
    """The question is read once for the whole collection and once per source, from one vector."""
    question = "How do the articles describe the Camp David summit?"
    recording = RecordingEmbedder(embedder)
    answer = Engine(seed_engine.settings, recording).ask(question, by_source=True)
    assert answer.by_source is not None and len([g for g in answer.by_source if g.quotes]) >= 2
    assert recording.texts.count(question) == 1
