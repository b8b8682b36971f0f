"""Property-based tests (hypothesis): for random documents and questions, every quote is the exact
slice of its document that its offsets name, and every cited passage holds its quotes' spans.

The real chunker, build and index run every time; the bookkeeping property runs many examples with
the deterministic FakeEmbedder, and a smaller run uses the real model.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag import Engine, Settings
from rag.config import RetrievalSettings
from rag.embed.onnx import OnnxEmbedder
from rag.errors import QuestionError
from rag.question.record import prepare_question
from rag.records import Answer

from .fakes import FakeEmbedder

TEXT_CHARS = st.characters(exclude_categories=["Cs"])  # Anything UTF-8 can hold.
WORD_CHARS = st.characters(exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"])
WORDS = [
    "Seoul", "Tokyo", "Washington", "alliance", "trade", "minister", "summit", "the", "of", "met", "signed",
    "U.S.", "Mr.", "e.g.", "J.", "2024", "3.5%", "日本", "한국", "café", "—", "“quoted”", "(aside)", "...", "tariffs",
]  # fmt: skip

word = st.one_of(st.sampled_from(WORDS), st.text(WORD_CHARS, min_size=1, max_size=8))
sentence = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(word, min_size=1, max_size=12),
    st.sampled_from([".", "!", "?", "。", "", "...", ".”", "?)"]),
)
paragraph = st.builds(" ".join, st.lists(sentence, min_size=1, max_size=6))
prose = st.builds(
    lambda paragraphs, sep, lead: lead + sep.join(paragraphs),
    st.lists(paragraph, min_size=1, max_size=6),
    st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n \n", "\n\n\n", "\u2029"]),
    st.sampled_from(["", "\ufeff", "Headline without a stop\n\n", "---\ntitle: T\n---\n"]),
)
document = st.one_of(prose, prose, st.text(TEXT_CHARS, max_size=400))
corpus = st.lists(st.tuples(document, st.sampled_from([".txt", ".md"])), min_size=1, max_size=3)


def check_answer(answer: Answer, file_texts: dict[str, str], engine: Engine) -> None:
    """Every quote is its file's text at its offsets; every passage is too, and holds its spans."""
    if answer.abstained:
        assert answer.quotes == () and answer.passages == ()
        return
    by_n = {p.n: p for p in answer.passages}
    assert sorted(by_n) == list(range(1, len(by_n) + 1))
    for quote in answer.quotes:
        assert quote.text and file_texts[quote.doc][quote.start : quote.end] == quote.text
        assert engine.document(quote.doc)[1][quote.start : quote.end] == quote.text
        passage = by_n[quote.n]
        assert passage.doc == quote.doc and passage.start <= quote.start < quote.end <= passage.end
        assert (quote.start - passage.start, quote.end - passage.start) in passage.quote_spans
        assert f"{quote.text} [{quote.n}]" in answer.answer
    quoted = {(q.doc, q.start, q.end) for q in answer.quotes}
    for passage in answer.passages:
        assert file_texts[passage.doc][passage.start : passage.end] == passage.text
        for s, e in passage.quote_spans:
            assert 0 <= s < e <= len(passage.text)
            assert (passage.doc, passage.start + s, passage.start + e) in quoted


def run_property(embedder: Any, docs: list[tuple[str, str]], questions: list[str]) -> int:
    """Build an index of ``docs`` and ask ``questions``; returns how many were answered with quotes."""
    answered = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "corpus").mkdir()
        for i, (text, suffix) in enumerate(docs):
            (root / "corpus" / f"doc{i}{suffix}").write_bytes(text.encode("utf-8"))
        engine = Engine(Settings().with_dirs(root / "corpus", root / "index"), embedder)
        report = engine.build()
        file_texts = {
            doc: (root / "corpus" / doc).read_bytes().decode("utf-8") for doc in (*report.added, *report.unchanged)
        }
        assert len(file_texts) + len(report.skipped) == len(docs)
        for question in questions:
            for k in (1, 4):
                try:
                    answer = engine.ask(question, k=k)
                except QuestionError as err:
                    assert "\n" not in str(err)
                    continue
                check_answer(answer, file_texts, engine)
                assert len(answer.quotes) <= k
                answered += not answer.abstained
    return answered


@st.composite
def corpus_and_questions(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[str]]:
    docs = draw(corpus)
    texts = [text for text, _ in docs]
    from_docs = st.sampled_from(texts).flatmap(
        lambda t: st.tuples(st.integers(0, max(0, len(t) - 1)), st.integers(1, 200)).map(
            lambda p: t[p[0] : p[0] + p[1]]
        )
    )
    questions = draw(st.lists(st.one_of(from_docs, from_docs, sentence, st.text(TEXT_CHARS, max_size=60)), max_size=3))
    return docs, questions


def test_quotes_are_exact_slices_with_many_random_corpora():
    answered: list[int] = []

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(corpus_and_questions())
    def check(case: tuple[list[tuple[str, str]], list[str]]) -> None:
        answered.append(run_property(FakeEmbedder(), *case))

    check()
    assert sum(answered) > 0, "the random cases must include questions that get quotes"


def test_quotes_are_exact_slices_on_the_real_model(embedder: OnnxEmbedder):
    answered: list[int] = []

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(corpus_and_questions())
    def check(case: tuple[list[tuple[str, str]], list[str]]) -> None:
        answered.append(run_property(embedder, *case))

    check()


@settings(max_examples=500, deadline=None)
@given(st.text(TEXT_CHARS, max_size=3000) | st.text(st.characters(), max_size=50))
def test_any_question_is_cleaned_or_refused_in_one_line(question: str):
    limit = RetrievalSettings().max_question_chars
    try:
        cleaned = prepare_question(question, limit)
    except QuestionError as err:
        assert "\n" not in str(err) and "question" in str(err)
        return
    assert 0 < len(cleaned) <= limit and cleaned == cleaned.strip()
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in cleaned)
    cleaned.encode("utf-8")
