"""The page's HTML: source text is escaped everywhere, quotes and passages are marked, links are
only web links; and the server warns before exposing an open app. No model needed."""

from __future__ import annotations

import pytest

from rag import Answer, CitedPassage, DocumentMeta, DocumentState, IndexStatus, Quote
from ui.app import exposure_warning
from ui.render import (
    answer_html,
    article_html,
    conversation_html,
    documents_html,
    esc,
    passages_html,
    safe_url,
    status_html,
)

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)> ${7*7} {{value}} \"q\" 'a' & done"


def hostile_answer() -> Answer:
    passage_text = f"Before. {HOSTILE} After."
    start = passage_text.index(HOSTILE)
    quote = Quote(
        n=1, text=HOSTILE, doc="a<b>.txt", title=HOSTILE, start=100 + start, end=100 + start + len(HOSTILE), score=0.9
    )
    meta = DocumentMeta(title=HOSTILE, publisher=HOSTILE, author=None, date="2025", url="javascript:alert(3)")
    passage = CitedPassage(
        n=1,
        doc="a<b>.txt",
        title=HOSTILE,
        text=passage_text,
        start=100,
        end=100 + len(passage_text),
        quote_spans=((start, start + len(HOSTILE)),),
        meta=meta,
    )
    return Answer(question=HOSTILE, abstained=False, answer=f"{HOSTILE} [1]", quotes=(quote,), passages=(passage,))


def assert_inert(page: str) -> None:
    for raw in ("<script", "<img", "${", "{{", "javascript:", "<b>"):
        assert raw not in page


def test_esc_neutralises_markup_and_template_syntax():
    assert esc(HOSTILE) == (
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &#36;&#123;7*7&#125; "
        "&#123;&#123;value&#125;&#125; &quot;q&quot; &#x27;a&#x27; &amp; done"
    )


def test_every_view_of_hostile_source_text_is_inert():
    answer = hostile_answer()
    meta = answer.passages[0].meta
    for page in (
        answer_html(answer),
        conversation_html([answer]),
        passages_html(answer),
        article_html("a<b>.txt", meta, f"x {HOSTILE} y", 2, 2 + len(HOSTILE)),
        documents_html([DocumentState(doc="a<b>.txt", meta=meta, state="indexed")]),
    ):
        assert_inert(page)
        assert esc(HOSTILE) in page


def test_quotes_are_quotations_with_citation_markers():
    page = answer_html(hostile_answer())
    assert page.count('<blockquote class="rq-quote">') == 1
    assert f"“{esc(HOSTILE)}”</span>" in page
    assert '<button class="rq-cite" data-n="1"' in page and ">[1]</button>" in page


def test_passage_marks_exactly_the_quoted_span():
    page = passages_html(hostile_answer(), focus=1)
    assert f'Before. <mark class="rq-hl">{esc(HOSTILE)}</mark> After.' in page
    assert "rq-focus" in page and 'data-start="100"' in page


def test_article_anchors_the_passage():
    text = "First paragraph.\n\nThe cited passage.\n\nLast one."
    start = text.index("The cited")
    page = article_html("doc.txt", DocumentMeta(url="https://example.org/a?b=1&c=2"), text, start, start + 18)
    assert '<mark class="rq-hit" id="rq-hit">The cited passage.</mark>' in page
    assert 'href="https://example.org/a?b=1&amp;c=2"' in page


def test_abstention_is_shown_as_such():
    page = answer_html(
        Answer(
            question="Who won the 1950 World Cup?", abstained=True, answer="The articles do not answer this question."
        )
    )
    assert "No answer in the articles" in page and "rq-quote" not in page
    assert "do not answer" in passages_html(Answer(question="q", abstained=True, answer="x"))


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("http://example.org", "http://example.org"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("//evil.example", None),
        ("", None),
        (None, None),
    ],
)
def test_only_web_links_become_links(url, safe):
    assert safe_url(url) == safe


def test_status_line_and_missing_index():
    built = IndexStatus(
        corpus_dir="c",
        index_dir="i",
        built=True,
        documents=5,
        passages=86,
        sentences=210,
        model="all-MiniLM-L6-v2",
        built_at="2025-01-01T00:00:00+00:00",
        generation="gen-1",
    )
    line = status_html(built)
    assert "<b>5</b> documents" in line and "<b>86</b> passages" in line and "all-MiniLM-L6-v2" in line
    assert "No index yet" in status_html(IndexStatus(corpus_dir="c", index_dir="i", built=False))


@pytest.mark.parametrize(
    ("host", "auth", "warns"),
    [
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("0.0.0.0", None, True),
        ("192.168.1.20", None, True),
        ("::", None, True),
        ("my-host.example", None, True),
        ("0.0.0.0", ("user", "pw"), False),
    ],
)
def test_exposure_warning(host, auth, warns):
    warning = exposure_warning(host, auth)
    assert (warning is not None) == warns
    if warning:
        assert host in warning and "RAG_AUTH" in warning


def test_article_marks_the_quotes_inside_the_passage():
    text = "Intro. First quoted. Not quoted. Second quoted. Outro."
    start, end = text.index("First"), text.index(" Outro")
    quotes = [(text.index("First"), text.index(" Not")), (text.index("Second"), end)]
    page = article_html("d.txt", DocumentMeta(), text, start, end, quotes)
    assert page.endswith(
        'Intro. <mark class="rq-hit" id="rq-hit"><mark class="rq-hl">First quoted.</mark> Not quoted. '
        '<mark class="rq-hl">Second quoted.</mark></mark> Outro.</div></div>'
    )


def test_each_answer_has_a_copy_as_markdown_button_with_the_packages_markdown():
    import html as html_module
    import re

    from rag import answer_markdown

    answer = hostile_answer()
    page = conversation_html([answer, answer])
    copies = re.findall(r'<button class="rq-copy" data-md="([^"]*)"', page)
    assert len(copies) == 2 and all(html_module.unescape(c) == answer_markdown(answer) for c in copies)
    assert "<script" not in page


def test_a_pdf_passage_shows_its_page():
    from dataclasses import replace

    answer = hostile_answer()
    assert ", p. " not in passages_html(answer)  # Not a PDF: no page.
    on_page = replace(answer, passages=(replace(answer.passages[0], page=3),))
    assert "a&lt;b&gt;.txt, p. 3, characters 100–" in passages_html(on_page)
