"""The Markdown export (`rag ask --format markdown`, the page's "Copy as Markdown"), rendered by a
real CommonMark renderer with footnotes: quotes come out as blockquotes holding exactly their text,
each with a footnote naming title, source, URL, document and offsets; source text never becomes
markup."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from rag import Engine, Quote, answer_markdown

from ..ui.test_ui_render import HOSTILE, hostile_answer

QUESTIONS = ["Who is expected to serve as secretary of state?", "What did Trump's advisers tell Seoul and Tokyo?"]


def render(markdown: str) -> str:
    return MarkdownIt("commonmark").use(footnote_plugin).render(markdown)


def plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def blockquotes(rendered: str) -> list[str]:
    """The text of each blockquote, without its footnote marker."""
    bodies = re.findall(r"<blockquote>\s*<p>(.*?)</p>\s*</blockquote>", rendered, re.S)
    return [plain(re.sub(r'<sup class="footnote-ref">.*?</sup>', "", body)) for body in bodies]


def footnotes(rendered: str) -> list[str]:
    return [plain(item) for item in re.findall(r'<li id="fn\d+" class="footnote-item">(.*?)</li>', rendered, re.S)]


@pytest.mark.parametrize("question", QUESTIONS)
def test_quotes_are_blockquotes_with_numbered_footnotes(seed_engine: Engine, question: str):
    answer = seed_engine.ask(question, k=4)
    rendered = render(answer_markdown(answer))
    assert blockquotes(rendered) == [" ".join(q.text.split()) for q in answer.quotes]
    notes = footnotes(rendered)
    assert len(notes) == len(answer.passages)
    for note, passage in zip(notes, answer.passages):
        assert note.startswith(passage.title)
        assert passage.doc in note
        for quote in (q for q in answer.quotes if q.n == passage.n):
            assert f"{quote.start}–{quote.end}" in note
        for known in (passage.meta.publisher, passage.meta.date, passage.url):
            if known:
                assert known in note
    assert rendered.count('class="footnote-ref"') == len(answer.quotes)


def test_source_text_never_becomes_markup():
    answer = hostile_answer()
    markdown = answer_markdown(answer)
    rendered = render(markdown)
    assert "<script" not in rendered and "<img" not in rendered and "<em>" not in rendered.split("<hr")[0]
    assert blockquotes(rendered) == [" ".join(HOSTILE.split())]
    assert "javascript:" not in rendered.split("footnotes-list")[1].split("href")[0]  # Only web links are links.
    assert plain(rendered.split("</p>")[0]) == f"Question: {' '.join(HOSTILE.split())}"


@pytest.mark.parametrize(
    "text", ["# not a heading", "- not a list", "1. not a list", "+ plus", "= equals", "a *b* _c_ `d` [e](f) <g> &amp;"]
)
def test_markdown_syntax_in_a_quote_stays_text(text: str):
    answer = hostile_answer()
    quote = Quote(n=1, text=text, doc="a.txt", title="T", start=0, end=len(text), score=1.0)
    rendered = render(answer_markdown(replace(answer, quotes=(quote,))))
    assert blockquotes(rendered) == [text]


def test_an_abstention_says_so(seed_engine: Engine):
    answer = seed_engine.ask("What is the recipe for banana bread?")
    assert answer.abstained
    rendered = render(answer_markdown(answer))
    assert "<blockquote>" not in rendered and plain(answer.answer) in plain(rendered)
