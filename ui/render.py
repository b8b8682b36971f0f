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
    UNKNOWN,
    Answer,
    CitedPassage,
    DocumentMeta,
    DocumentState,
    IndexStatus,
    answer_markdown,
    by_source_markdown,
    byline,
    missing_note,
    quoted,
    safe_url,
    scope_note,
    status_label,
)

from .plain import is_markdown, plain_markdown

__all__ = [
    "ARTICLE_EMPTY",
    "STATE_LABELS",
    "answer_html",
    "article_html",
    "by_source_html",
    "conversation_html",
    "document_choices",
    "documents_html",
    "esc",
    "passages_html",
    "remove_prompt",
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
ARTICLE_EMPTY = '<div class="rq-muted">The article of the passage you open appears here.</div>'


def esc(text: object) -> str:
    """``text`` as inert HTML: markup escaped, and the characters of template syntax too
    (``$ { }``), since Gradio's HTML component fills the value into a template."""
    return html.escape(str(text), quote=True).replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;")


def _byline(meta: DocumentMeta) -> str:
    return " · ".join(esc(x) for x in byline(meta))


def _shown(doc: str, text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """What the page shows of ``text`` (a Markdown document's without its markup characters) and
    ``spans`` (offsets in ``text``) as offsets in that."""
    if not is_markdown(doc):
        return text, list(spans)
    shown = plain_markdown(text)
    return shown.text, [shown.span(s, e) for s, e in spans]


def with_marks(text: str, spans: Sequence[tuple[int, int]], css: str = "rq-hl") -> str:
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


def answer_html(answer: Answer) -> str:
    """The answer: each quote as a quotation with its citation marker, or the abstention."""
    scope = scope_note(answer)
    scoped = f'<div class="rq-scope" role="note">{esc(scope)}</div>' if scope else ""
    label = f'<div class="rq-verdict rq-verdict-{answer.status}" role="status">{esc(status_label(answer))}</div>'
    if answer.abstained:
        return (
            f'{label}{scoped}<div class="rq-abstain">{esc(answer.answer)} '
            "Nothing is quoted rather than something loosely related.</div>"
        )
    quotes = "".join(
        f'<blockquote class="rq-quote"><span class="rq-qtext">{esc(quoted(q.text))}</span> '
        f'<button class="rq-cite" data-n="{q.n}" title="{esc(q.title)}">[{q.n}]</button></blockquote>'
        for q in answer.quotes
    )
    missing = missing_note(answer)
    if missing:
        quotes += f'<div class="rq-missing" role="note">{esc(missing)}</div>'
    copy = (
        f'<button class="rq-copy" data-md="{esc(answer_markdown(answer))}" '
        'title="Copy the quotes with numbered footnotes (title, publisher, date, URL, document, offsets)">'
        "Copy as Markdown</button>"
    )
    if answer.status == "uncertain":
        note = f'<div class="rq-uncertain">{esc(UNCERTAIN_NOTE)}</div>'
        return f'<div class="rq-answer rq-answer-uncertain">{label}{scoped}{note}{quotes}{copy}</div>'
    return f'<div class="rq-answer">{label}{scoped}{quotes}{copy}</div>'


def by_source_html(answer: Answer) -> str:
    """The answer by source under the answer: one block per document that answers (its title,
    byline, status and own quotes with the dates they state), then those with nothing relevant."""
    if answer.by_source is None:
        return ""
    parts = []
    silent = []
    for group in answer.by_source:
        if group.status == "nothing relevant":
            silent.append(esc(group.title))
            continue
        byline = " · ".join(esc(x) for x in (group.publisher, group.author, group.date) if x)
        quotes = "".join(
            f'<blockquote class="rq-quote">{esc(quoted(q.text))}'
            + (f' <span class="rq-dates">states {esc(", ".join(q.dates))}</span>' if q.dates else "")
            + "</blockquote>"
            for q in group.quotes
        )
        parts.append(
            f'<div class="rq-group" data-doc="{esc(group.doc)}"><div class="rq-title">{esc(group.title)}</div>'
            + (f'<div class="rq-byline">{byline}</div>' if byline else "")
            + f'<div class="rq-gstatus rq-{group.status}">{esc(group.status)}</div>{quotes}</div>'
        )
    nothing = f'<div class="rq-nothing">Nothing relevant in: {"; ".join(silent)}.</div>' if silent else ""
    copy = f'<button class="rq-copy" data-md="{esc(by_source_markdown(answer))}">Copy as Markdown</button>'
    return f'<section class="rq-bysource"><h4>By source</h4>{"".join(parts)}{nothing}{copy}</section>'


def conversation_html(turns: Sequence[Answer]) -> str:
    """The conversation so far: each question, then its answer."""
    if not turns:
        return (
            '<div class="rq-empty">Ask a question about the articles. Answers are made only of '
            "sentences that stand in them, word for word, each with a numbered citation.</div>"
        )
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
    text, spans = _shown(p.doc, p.text, p.quote_spans)
    return (
        f'<article class="rq-passage{" rq-focus" if focus else ""}" id="rq-passage-{p.n}" data-n="{p.n}">'
        f'<header><span class="rq-num">[{p.n}]</span> <span class="rq-title">{esc(p.title)}</span></header>'
        f'<div class="rq-byline">{_byline(p.meta)}</div>'
        f'<div class="rq-where">{link} <span class="rq-muted">{esc(p.doc)}'
        + (f", p. {p.page}" if p.page is not None else "")
        + f", characters {p.start}–{p.end}</span></div>"
        f'<p class="rq-ptext">{with_marks(text, spans)}</p>'
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
    head = (
        f'<header class="rq-article-head"><div class="rq-title">{esc(meta.display_name(doc))}</div>'
        f'<div class="rq-byline">{_byline(meta)}</div>'
        + (
            f'<a class="rq-source" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'
            if url
            else ""
        )
        + f'<div class="rq-muted">{esc(doc)} · highlighted: characters {start}–{end}</div></header>'
    )
    if is_markdown(doc):  # Offsets stay the file's; what is shown has no markup characters.
        shown = plain_markdown(text)
        text, (start, end) = shown.text, shown.span(start, end)
        quotes = [shown.span(s, e) for s, e in quotes]
    if end > start:
        inner = [(max(s, start) - start, min(e, end) - start) for s, e in quotes if s < end and e > start]
        body = (
            f'{esc(text[:start])}<mark class="rq-hit" id="rq-hit">{with_marks(text[start:end], inner)}</mark>'
            f"{esc(text[end:])}"
        )
    else:
        body = esc(text)
    return f'<div class="rq-article">{head}<div class="rq-article-text">{body}</div></div>'


_DOC_COLUMNS = ("Title", "Publisher", "Author", "Date", "URL", "Index")
_UNKNOWN_CELL = f'<span class="rq-unknown">{UNKNOWN}</span>'


def _document_row(r: DocumentState) -> str:
    m = r.meta
    url = safe_url(m.url)
    link = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>' if url else None
    state = f'<span class="{"" if r.state == "indexed" else "rq-warn"}">{esc(STATE_LABELS[r.state])}</span>'
    untitled = "" if m.title else f' <span class="rq-unknown">(title {UNKNOWN})</span>'
    cells = [
        (f'<span class="rq-docname">{esc(r.name)}</span>{untitled}<code class="rq-file">{esc(r.doc)}</code>', r.name),
        *((esc(v) if v else None, v or "") for v in (m.publisher, m.author, m.date)),
        (link, url or ""),
        (state, r.state),
    ]
    return (
        "<tr>"
        + "".join(
            f'<td data-label="{label}" data-sort="{esc(key)}">{shown or _UNKNOWN_CELL}</td>'
            for label, (shown, key) in zip(_DOC_COLUMNS, cells)
        )
        + "</tr>"
    )


def documents_html(rows: Sequence[DocumentState]) -> str:
    """The documents table: title (else the display name, the title said to be unknown) and file,
    publisher, author, date, URL (unknown ones said to be unknown), and whether the index holds it;
    a filter box and sortable columns (the page's script does both, in the browser)."""
    if not rows:
        return '<div class="rq-muted">The corpus folder holds no documents.</div>'
    head = "".join(
        f'<th aria-sort="none"><button class="rq-sort" data-col="{i}" title="Sort">{name}</button></th>'
        for i, name in enumerate(_DOC_COLUMNS)
    )
    return (
        '<div class="rq-docs-tools"><input type="search" class="rq-filter" aria-label="Filter the documents" '
        'placeholder="Filter by any column"> '
        f'<span class="rq-count rq-muted">{len(rows)} documents</span></div>'
        f'<table class="rq-docs"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(_document_row(r) for r in rows)}</tbody></table>"
    )


def document_choices(rows: Sequence[DocumentState]) -> list[tuple[str, str]]:
    """(display name, document) for each document in the folder, to pick one by its name; a name
    two documents share is told apart by the file."""
    present = [r for r in rows if r.state != "deleted"]
    names = [r.name for r in present]
    return sorted(((n if names.count(n) == 1 else f"{n} ({r.doc})", r.doc) for n, r in zip(names, present)))


def remove_prompt(doc: str, name: str) -> str:
    """The question the page asks before it removes a document."""
    return (
        f'<div class="rq-confirm" role="alertdialog">Move <b>{esc(name)}</b> (<code>{esc(doc)}</code>) out of '
        "the corpus into the trash? The index forgets it; <em>Undo</em> or <code>rag restore</code> brings it "
        "back.</div>"
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
