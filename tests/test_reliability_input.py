"""Bad input: documents a build must survive and questions the engine must answer or refuse clearly.

First cases live in test_load.py (empty, binary, Latin-1, UTF-16 with BOM, HTML), test_build.py
(skipped files, duplicates) and test_answers.py (empty, long, Korean, Japanese, emoji questions);
these add the rest.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from rag import Engine, Settings
from rag.errors import CorpusError, QuestionError
from rag.ingest.load import read_document

from .fakes import FakeEmbedder

ARTICLE = (
    "Leaders meet in Seoul\n\n"
    "The leaders of Japan and South Korea met in Seoul on Friday. "
    "They agreed to restart regular shuttle diplomacy between the two capitals.\n"
)
HOSTILE_HTML = """<!doctype html><html><head><title>Summit</title>
<script>var leak = "SCRIPT-IN-HEAD";</script></head>
<body><article><h1>Summit in Osaka</h1>
<p>Trade ministers met in Osaka.<script>document.write("SCRIPT-IN-BODY")</script></p>
<!-- COMMENT-TEXT -->
<p onclick="alert('HANDLER')">They signed a supply-chain accord.<img src=x onerror="alert('IMG')"></p>
<noscript>NOSCRIPT-TEXT</noscript><style>p { color: red } /* STYLE-TEXT */</style>
<template><p>TEMPLATE-TEXT</p></template>
<p>&lt;script&gt;alert("escaped")&lt;/script&gt; is shown as text, never run.</p>
</article></body></html>"""


def test_hostile_html_keeps_only_its_text(tmp_path: Path):
    (tmp_path / "s.html").write_text(HOSTILE_HTML, encoding="utf-8")
    doc = read_document(tmp_path / "s.html", tmp_path)
    hidden = ("SCRIPT-IN-HEAD", "SCRIPT-IN-BODY", "COMMENT-TEXT", "HANDLER", "IMG", "NOSCRIPT", "STYLE", "TEMPLATE")
    assert not [h for h in hidden if h in doc.text]
    assert "Trade ministers met in Osaka." in doc.text and "They signed a supply-chain accord." in doc.text
    # Escaped markup in the source is text: it is kept as the characters it stands for.
    assert '<script>alert("escaped")</script> is shown as text, never run.' in doc.text


@pytest.mark.parametrize(
    ("name", "data", "text"),
    [
        ("be.txt", b"\xfe\xff" + "Big-endian: 日本.".encode("utf-16-be"), "Big-endian: 日本."),
        ("bom8.txt", "\ufeffTitle with BOM\n\nBody.".encode(), "\ufeffTitle with BOM\n\nBody."),
        ("crlf.md", b"# Heading\r\n\r\nLine one.\r\n", "# Heading\r\n\r\nLine one.\r\n"),
    ],
)
def test_other_encodings_keep_offsets_into_the_decoded_text(tmp_path: Path, name: str, data: bytes, text: str):
    (tmp_path / name).write_bytes(data)
    doc = read_document(tmp_path / name, tmp_path)
    assert doc.text == text
    assert not doc.title.startswith("\ufeff")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("le-no-bom.txt", "No byte-order mark here.".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        ("late-nul.txt", b"Text. " * 3000 + b"\x00\x01\x02", "binary"),
        ("late-bad.txt", b"Text. " * 3000 + b"\xc3\x28 more", "not valid UTF-8 at byte 18000"),
        ("truncated16.txt", b"\xff\xfe" + "odd".encode("utf-16-le") + b"\x00", "broken UTF-16"),
    ],
)
def test_more_unreadable_files_are_named_with_a_fix(tmp_path: Path, name: str, data: bytes, message: str):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(CorpusError) as caught:
        read_document(tmp_path / name, tmp_path)
    assert str(caught.value).startswith(name) and message in str(caught.value)
    assert "re-save" in str(caught.value) or "convert" in str(caught.value)


def test_a_corpus_of_bad_files_builds_what_it_can(tmp_path: Path):
    """Every kind of bad document at once: each is reported by name, the good ones are indexed and
    quoted verbatim, and nothing stops the build."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(ARTICLE, encoding="utf-8")
    (corpus / "copy-of-good.txt").write_text(ARTICLE, encoding="utf-8")
    (corpus / "hostile.html").write_text(HOSTILE_HTML, encoding="utf-8")
    (corpus / "utf16.txt").write_bytes(("Tokyo and Seoul signed a fisheries pact in March.\n").encode("utf-16"))
    sentence = "The shipyard in Ulsan delivered another destroyer to the navy this spring. "
    (corpus / "one-line.txt").write_text(sentence * 20_000, encoding="utf-8")  # 1.5 MB, no line break.
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    (corpus / "latin1.txt").write_bytes("Café crème in Paris.".encode("latin-1"))
    (corpus / "deck.pptx").write_bytes(b"PK\x03\x04")
    settings = Settings().with_dirs(corpus, tmp_path / "index")
    # Fake vectors mean nothing, so the trained reader rightly gives them no confidence; this test
    # is about building and quoting bad files, so it ranks with the weighted sum alone.
    settings = replace(settings, retrieval=replace(settings.retrieval, reader_dir=None))
    engine = Engine(settings, FakeEmbedder())
    report = engine.build()
    assert set(report.added) == {"good.txt", "copy-of-good.txt", "hostile.html", "utf16.txt", "one-line.txt"}
    skipped = {s.doc: s.reason for s in report.skipped}
    assert set(skipped) == {"empty.txt", "binary.txt", "latin1.txt", "deck.pptx"}
    assert all(reason for reason in skipped.values())

    status = engine.status()
    assert status.sentences >= 20_000  # The enormous line is cut into sentences, each quotable.
    answer = engine.ask("Which shipyard delivered another destroyer to the navy?", k=5)
    assert not answer.abstained
    assert len({q.text for q in answer.quotes}) == len(answer.quotes), "a repeated sentence is quoted once"
    for quote in answer.quotes:
        _, text = engine.document(quote.doc)
        assert text[quote.start : quote.end] == quote.text
        assert len(quote.text) <= settings.chunk.max_sentence_chars
    for passage in answer.passages:
        if passage.doc == "one-line.txt":
            assert len(passage.text) <= settings.chunk.max_passage_chars
    seoul = engine.ask("Where did the leaders of Japan and South Korea meet?", k=3)
    assert [q.text for q in seoul.quotes].count("The leaders of Japan and South Korea met in Seoul on Friday.") == 1, (
        "duplicate documents are quoted once"
    )
    script = engine.ask("SCRIPT-IN-BODY document.write alert HANDLER", k=3)
    assert all("SCRIPT" not in q.text and "alert('" not in q.text for q in script.quotes)


def test_a_file_that_vanishes_mid_build(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (corpus / name).write_text(ARTICLE.replace("Seoul", name[0].upper() + "-town"), encoding="utf-8")
    engine = Engine(Settings().with_dirs(corpus, tmp_path / "index"), FakeEmbedder())

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "reading" and done == 1 and (corpus / "c.txt").exists():
            (corpus / "c.txt").unlink()  # Gone after the folder was listed, before it was read.

    report = engine.build(progress=progress)
    assert report.added == ("a.txt", "b.txt")
    vanished = [(s.doc, s.reason) for s in report.skipped]
    assert vanished == [("c.txt", "c.txt: vanished while reading; run the build again")]
    # A document that was indexed and then vanishes is removed by the next build.
    (corpus / "b.txt").unlink()
    report = engine.build()
    assert report.removed == ("b.txt",) and engine.status().docs == ("a.txt",)


# -- questions, on the real model ------------------------------------------------------------


def test_control_and_invisible_characters_do_not_change_the_answer(seed_engine: Engine):
    clean = seed_engine.ask("Who is expected to serve as secretary of state?")
    noisy = seed_engine.ask("Who is\x00 expected\x1b to\u200b serve\u202e as\t\tsecretary\r\nof state?\x7f")
    assert not clean.abstained
    assert [q.text for q in noisy.quotes] == [q.text for q in clean.quotes]
    assert not re.search(r"[\x00-\x1f\x7f\u200b\u202e]", noisy.question)


@pytest.mark.parametrize(
    "question",
    [
        "x" * 100_000,  # 100,000 characters without a space.
        ("Seoul " * 20_000)[:100_000],
        "\ud800 Who is Terrence Matsuo? \udfff",  # Lone surrogates (invalid in UTF-8).
        "¿Quién es Terrence Matsuo?",
        "Кто такой Терренс Мацуо?",
        "من هو تيرينس ماتسو؟",
        "テレンス・マツオとは誰ですか？" * 200,
        "Japan " + "👍" * 5000,
    ],
    ids=["100k-no-space", "100k-words", "surrogates", "spanish", "russian", "arabic", "japanese-long", "emoji-flood"],
)
def test_odd_questions_get_an_answer_never_a_traceback(seed_engine: Engine, question: str):
    answer = seed_engine.ask(question)
    limit = seed_engine.settings.retrieval.max_question_chars
    assert len(answer.question) <= limit
    answer.question.encode("utf-8")  # Always printable and JSON-safe.
    assert answer.abstained or all(q.text and q.doc for q in answer.quotes)


@pytest.mark.parametrize("question", ["\u200b\u200b", "\ufeff", "\x1b\x07", "...???", "\u202e\u202d", "👍🏽🎌"])
def test_questions_with_no_words_are_refused_in_one_line(seed_engine: Engine, question: str):
    with pytest.raises(QuestionError) as caught:
        seed_engine.ask(question)
    assert "\n" not in str(caught.value) and "type a question" in str(caught.value)
