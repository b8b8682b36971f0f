"""Render answers, cited passages, articles, documents and status as HTML for the web app.

Every piece of source text (quotes, passages, titles, metadata, document names, URLs) goes through
:func:`esc` before it reaches the page, so an article holding ``<script>`` or markup shows as text.
Links are made only from ``http(s)`` URLs.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from rag import (
    UNCERTAIN_NOTE,
    Answer,
    CitedPassage,
    DocumentMeta,
    DocumentState,
    IndexStatus,
    answer_markdown,
    safe_url,
    scope_note,
)

__all__ = [
    "STATE_LABELS",
    "answer_html",
    "article_html",
    "conversation_html",
    "documents_html",
    "esc",
    "passages_html",
    "safe_url",
    "status_html",
    "with_marks",
]

STATE_LABELS = {
    "indexed": "indexed",
    "not indexed yet": "not indexed yet: rebuild",
    "deleted": "deleted from the folder: rebuild",
}
"""How the page (and the ``/list`` endpoint) names each document state."""
"""A document as listed on the page: its name, its metadata, and its state (indexed or not yet)."""


def esc(text: object) -> str:
    """``text`` as inert HTML: markup escaped, and the characters of template syntax too
    (``$ { }``), since Gradio's HTML component fills the value into a template."""
    return html.escape(str(text), quote=True).replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")


def _byline(meta: DocumentMeta) -> str:
    return " · ".join(esc(x) for x in (meta.publisher, meta.author, meta.date) if x)


def _with_marks(text: str, spans: Sequence[tuple[int, int]], css: str = "rq-hl") -> str:
    """``text`` escaped, with each ``(start, end)`` span wrapped in ``<mark>``."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        out.append(esc(text[pos:start]))
        out.append(f'<mark class="{css}">{esc(text[start:end])}</mark>')
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


with_marks = _with_marks
"""``text`` escaped with its spans marked (the Find tab's mentions too)."""


def answer_html(answer: Answer) -> str:
    """The answer: each quote as a quotation with its citation marker, or the abstention."""
    scope = scope_note(answer)
    scoped = f'<div class="rq-scope" role="note">{esc(scope)}</div>' if scope else ""
    if answer.abstained:
        return (
            f'{scoped}<div class="rq-abstain" role="status"><strong>No answer in the articles.</strong> '
            f"{esc(answer.answer)} Nothing is quoted rather than something loosely related.</div>"
        )
    quotes = "".join(
        f'<blockquote class="rq-quote"><span class="rq-qtext">“{esc(q.text)}”</span> '
        f'<button class="rq-cite" data-n="{q.n}" title="{esc(q.title)}">[{q.n}]</button></blockquote>'
        for q in answer.quotes
    )
    copy = (
        f'<button class="rq-copy" data-md="{esc(answer_markdown(answer))}" '
        'title="Copy the quotes with numbered footnotes (title, publisher, date, URL, document, offsets)">'
        "Copy as Markdown</button>"
    )
    if answer.status == "uncertain":
        note = f'<div class="rq-uncertain" role="status"><strong>Uncertain.</strong> {esc(UNCERTAIN_NOTE)}</div>'
        return f'<div class="rq-answer rq-answer-uncertain">{scoped}{note}{quotes}{copy}</div>'
    return f'<div class="rq-answer">{scoped}{quotes}{copy}</div>'


def conversation_html(turns: Sequence[Answer]) -> str:
    """The conversation so far: each question, then its answer."""
    if not turns:
        return (
            '<div class="rq-empty">Ask a question about the articles. Answers are made only of '
            "sentences that stand in them, word for word, each with a numbered citation.</div>"
        )
    from .find_tab import by_source_html  # Here: find_tab builds on this module.

    parts = []
    for i, answer in enumerate(turns):
        latest = " rq-latest" if i == len(turns) - 1 else ""
        parts.append(
            f'<div class="rq-turn{latest}" data-turn="{i}">'
            f'<div class="rq-question"><span class="rq-label">Question</span> {esc(answer.question)}</div>'
            f"{answer_html(answer)}{by_source_html(answer)}</div>"
        )
    return f'<div class="rq-conversation">{"".join(parts)}</div>'


def _passage_card(p: CitedPassage, focus: bool) -> str:
    url = safe_url(p.url)
    link = (
        f'<a class="rq-source" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'
        if url
        else '<span class="rq-muted">no URL known</span>'
    )
    byline = _byline(p.meta)
    return (
        f'<article class="rq-passage{" rq-focus" if focus else ""}" id="rq-passage-{p.n}" data-n="{p.n}">'
        f'<header><span class="rq-num">[{p.n}]</span> <span class="rq-title">{esc(p.title)}</span></header>'
        + (f'<div class="rq-byline">{byline}</div>' if byline else "")
        + f'<div class="rq-where">{link} <span class="rq-muted">{esc(p.doc)}'
        + (f", p. {p.page}" if p.page is not None else "")
        + f", characters {p.start}–{p.end}</span></div>"
        f'<p class="rq-ptext">{_with_marks(p.text, p.quote_spans)}</p>'
        f'<button class="rq-open" data-doc="{esc(p.doc)}" data-start="{p.start}" data-end="{p.end}" '
        f'data-quotes="{",".join(f"{p.start + s}-{p.start + e}" for s, e in p.quote_spans)}">'
        "Open the full article at this passage</button></article>"
    )


def passages_html(answer: Answer | None, focus: int | None = None) -> str:
    """The passages an answer cites, numbered, with the quoted sentences highlighted (and the
    passage numbered ``focus`` marked, so the page scrolls to it)."""
    if answer is None:
        return '<div class="rq-muted">The passages cited by an answer appear here.</div>'
    if answer.abstained:
        return '<div class="rq-muted">Nothing cited: the articles do not answer this question.</div>'
    return f'<div class="rq-passages">{"".join(_passage_card(p, p.n == focus) for p in answer.passages)}</div>'


def article_html(
    doc: str, meta: DocumentMeta, text: str, start: int, end: int, quotes: Sequence[tuple[int, int]] = ()
) -> str:
    """A whole article, escaped, with the passage ``text[start:end]`` highlighted and anchored, and
    the quoted sentences in it (``quotes``, offsets in ``text``) marked more strongly."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    url = safe_url(meta.url)
    byline = _byline(meta)
    head = (
        f'<header class="rq-article-head"><div class="rq-title">{esc(meta.title or doc)}</div>'
        + (f'<div class="rq-byline">{byline}</div>' if byline else "")
        + (
            f'<a class="rq-source" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'
            if url
            else ""
        )
        + f'<div class="rq-muted">{esc(doc)} · highlighted: characters {start}–{end}</div></header>'
    )
    if end > start:
        inner = [(max(s, start) - start, min(e, end) - start) for s, e in quotes if s < end and e > start]
        body = (
            f'{esc(text[:start])}<mark class="rq-hit" id="rq-hit">{_with_marks(text[start:end], inner)}</mark>'
            f"{esc(text[end:])}"
        )
    else:
        body = esc(text)
    return f'<div class="rq-article">{head}<div class="rq-article-text">{body}</div></div>'


def documents_html(rows: Sequence[DocumentState]) -> str:
    """The documents table: name, title, publisher, date, and whether the index holds it."""
    if not rows:
        return '<div class="rq-muted">The corpus folder holds no documents.</div>'
    body = "".join(
        f"<tr><td><code>{esc(r.doc)}</code></td><td>{esc(r.meta.title or '')}</td>"
        f"<td>{esc(r.meta.publisher or '')}</td><td>{esc(r.meta.date or '')}</td>"
        f'<td class="{"" if r.state == "indexed" else "rq-warn"}">{esc(STATE_LABELS[r.state])}</td></tr>'
        for r in rows
    )
    return (
        '<table class="rq-docs"><thead><tr><th>Document</th><th>Title</th><th>Publisher</th><th>Date</th>'
        f"<th>Index</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _when(iso: str | None) -> str:
    """``2025-01-09T12:56:51+00:00`` as ``2025-01-09 12:56 UTC``."""
    if iso and len(iso) >= 16 and iso[10] == "T" and iso.endswith("+00:00"):
        return f"{iso[:10]} {iso[11:16]} UTC"
    return iso or "?"


def status_html(status: IndexStatus) -> str:
    """One line: documents, passages, sentences, model and build time of the live index."""
    if not status.built:
        return (
            '<div class="rq-status rq-warn">No index yet: add documents and press <em>Rebuild index</em> '
            "in the Documents tab.</div>"
        )
    return (
        f'<div class="rq-status"><span><b>{status.documents}</b> documents</span>'
        f"<span><b>{status.passages}</b> passages</span><span><b>{status.sentences}</b> sentences</span>"
        f"<span>model <b>{esc(status.model)}</b></span><span>built {esc(_when(status.built_at))}</span></div>"
    )
