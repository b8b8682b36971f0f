"""The page's analyst views: the "Find" tab (every mention of a name or phrase, as a table of
counts and each sentence highlighted, linked to the full article, with Copy and Download) and the
HTML of an answer by source (shown under the answer when the "By source" switch is on).

Every piece of source text goes through :func:`ui.render.esc`, as everywhere on the page."""

from __future__ import annotations

from typing import Any

import gradio as gr

from rag import FindResult, Mention, find_csv, find_markdown

from .actions import Actions
from .guard import guard
from .render import esc, with_marks
from .scripts import script

__all__ = ["add_find_tab", "find_html"]

_ARTICLE_JS = """
watch('value', () => {
  const hit = element.querySelector('#rq-hit');
  if (hit) hit.scrollIntoView({block: 'center', behavior: 'smooth'});
});
"""
_EMPTY = (
    '<div class="rq-muted">Every sentence of the articles that mentions a name or a phrase, by document, '
    "with counts (case and word endings do not matter; a person is also found by surname).</div>"
)


def _mention(item: Mention, lead: str = "") -> str:
    stated = f'<span class="rq-dates">states {esc(", ".join(item.dates))}</span>' if item.dates else ""
    also = "".join(
        f'<div class="rq-also">also in {esc(p.title)} <span class="rq-muted">({esc(p.doc)}, {p.start}–{p.end})'
        "</span></div>"
        for p in item.also
    )
    return (
        f'<li class="rq-mention">{lead}<span class="rq-mtext">{with_marks(item.text, item.spans)}</span> {stated}'
        f' <button class="rq-find-open" data-doc="{esc(item.doc)}" data-start="{item.start}" '
        f'data-end="{item.end}">Open in the article</button>{also}</li>'
    )


def find_html(result: FindResult | None) -> str:
    """The mentions: a summary with Copy/Download, a table of counts per document (by date),
    then each document's sentences (or, by date, the timeline)."""
    if result is None:
        return _EMPTY
    forms = " or ".join(f"“{esc(f)}”" for f in result.forms)
    name = "mentions-" + "".join(ch if ch.isalnum() else "-" for ch in result.query)[:40] + ".csv"
    head = (
        f'<div class="rq-find-head"><strong>{result.total}</strong> mentions of {forms} in '
        f"<strong>{len(result.documents)}</strong> documents "
        f'<button class="rq-find-copy" data-md="{esc(find_markdown(result))}">Copy as Markdown</button> '
        f'<button class="rq-find-download" data-name="{esc(name)}" data-csv="{esc(find_csv(result))}">'
        "Download CSV</button></div>"
    )
    if not result.documents:
        return head + '<div class="rq-muted">No sentence of the articles mentions it.</div>'
    rows = "".join(
        f'<tr><td>{esc(g.title)}<div class="rq-muted">{esc(g.doc)}</div></td><td>{esc(g.date or "undated")}</td>'
        f'<td class="rq-count">{g.count}</td></tr>'
        for g in result.documents
    )
    table = (
        '<table class="rq-docs rq-find-table"><thead><tr><th>Document</th><th>Date</th><th>Mentions</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )
    if result.by == "date":
        body = "".join(
            _mention(
                m,
                f'<span class="rq-when">{esc(m.dates[0] if m.dates else m.date or "undated")}</span> '
                f'<span class="rq-muted">{esc(m.title)}:</span> ',
            )
            for m in result.timeline
        )
        return f'{head}{table}<h4>Timeline</h4><ol class="rq-timeline">{body}</ol>'
    groups = "".join(
        f'<section class="rq-find-doc"><h4>{esc(g.title)} <span class="rq-muted">({g.count})</span></h4>'
        f"<ul>{''.join(_mention(m) for m in g.mentions)}</ul></section>"
        for g in result.documents
    )
    return f"{head}{table}{groups}"


def add_find_tab(act: Actions) -> None:
    """The "Find" tab and its events (call inside the page's ``gr.Blocks``)."""

    @guard
    def find(query: str, by: str) -> str:
        return find_html(act.find(query, by))

    @guard
    def open_article(evt: gr.EventData) -> str:
        return act.article(str(evt.doc), int(evt.start), int(evt.end))

    with gr.Tab("Find", id="find"):
        with gr.Row(equal_height=True):
            query = gr.Textbox(
                label="Find every mention of",
                placeholder="A name or phrase: Camp David, tariffs, Ishiba",
                scale=5,
                lines=1,
                elem_id="rq-find-query",
            )
            by = gr.Dropdown(
                [("By document", "doc"), ("Timeline (by stated date)", "date")],
                value="doc",
                label="Order",
                scale=2,
                elem_id="rq-find-by",
            )
            go = gr.Button("Find", variant="primary", scale=1, min_width=80, elem_id="rq-find-go")
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=360):
                results = gr.HTML(_EMPTY, js_on_load=script("find"), elem_id="rq-find-results")
            with gr.Column(scale=4, min_width=340):
                article = gr.HTML(
                    '<div class="rq-muted">Open a mention to read the whole article around it.</div>',
                    js_on_load=_ARTICLE_JS,
                    elem_id="rq-find-article",
                )
    events: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": 4}
    go.click(find, [query, by], results, **events)
    query.submit(find, [query, by], results, **events)
    results.click(open_article, None, article, api_visibility="private")
