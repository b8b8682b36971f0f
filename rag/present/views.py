"""Present the analyst's views: ``rag find``'s mentions (text, CSV, Markdown; JSON is
:func:`rag.present.text.to_json`) and an answer by source (text, Markdown), in the footnote style of
:func:`rag.present.markdown.answer_markdown`."""

from __future__ import annotations

import csv
import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import replace

from ..records import Answer, SourceGroup
from ..views.records import FindResult, Mention, MentionGroup
from .markdown import md_text
from .text import safe_url, to_json

__all__ = [
    "answer_views",
    "by_source_markdown",
    "by_source_text",
    "by_stated_date",
    "find_csv",
    "find_markdown",
    "find_text",
    "timeline_text",
]

MAX_NOTHING_NAMED = 12
"""The documents that say nothing relevant are named up to this many in text and Markdown (all in JSON)."""


def _when(item: Mention) -> str:
    stated = ", ".join(item.dates)
    return f" [states {stated}]" if stated else ""


def _source(publisher: str | None, author: str | None, date: str | None) -> str:
    return ", ".join(x for x in (publisher, author, date) if x)


def find_text(result: FindResult, width: int = 100) -> str:
    """Mentions for the terminal: one block per document with its count, then each sentence."""
    forms = " or ".join(f"“{f}”" for f in result.forms)
    head = f"{result.total} mentions of {forms} in {len(result.documents)} documents"
    lines = [head + (f" ({result.places} places with repeats)" if result.places != result.total else ""), ""]
    if result.by == "date":
        lines += ["Timeline (by the date each sentence states, else its document's):", ""]
        for item in result.timeline:
            when = item.dates[0] if item.dates else f"{item.date} (published)" if item.date else "undated"
            body = f"{when}  “{' '.join(item.text.split())}” ({item.title}, {item.start}-{item.end})"
            lines.append(textwrap.fill(body, width, subsequent_indent="    "))
        return "\n".join(lines) + "\n"
    for group in result.documents:
        source = _source(group.publisher, group.author, group.date)
        lines.append(f"{group.title} ({group.doc}{', ' + source if source else ''}): {group.count}")
        for item in group.mentions:
            where = f"{item.start}-{item.end}" + (f", p. {item.page}" if item.page is not None else "")
            body = f"“{' '.join(item.text.split())}” [{where}]{_when(item)}"
            lines.append(textwrap.fill(body, width, initial_indent="  ", subsequent_indent="    "))
            for place in item.also:
                lines.append(f"    also in {place.title} ({place.doc}, {place.start}-{place.end})")
        lines.append("")
    return "\n".join(lines)


def find_csv(result: FindResult) -> str:
    """One row per mention (and per other place of a collapsed one), in the order listed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["doc", "title", "date", "start", "end", "page", "stated_dates", "text", "same_as"])
    items = result.timeline if result.by == "date" else tuple(m for g in result.documents for m in g.mentions)
    for item in items:
        row = [item.doc, item.title, item.date or "", item.start, item.end, item.page or ""]
        writer.writerow([*row, " ".join(item.dates), item.text, ""])
        for place in item.also:
            writer.writerow([place.doc, place.title, "", place.start, place.end, place.page or "", "", item.text, 1])
    return out.getvalue()


def _doc_code(doc: str) -> str:
    return f"`{doc}`" if "`" not in doc else md_text(doc)


def _footnote(n: int, group: MentionGroup | SourceGroup, url: str | None, items: Sequence[Mention] | None) -> str:
    source = [md_text(x) for x in (group.publisher, group.author, group.date) if x]
    link = safe_url(url)
    if link:
        source.append(f"<{link}>" if not re.search(r"[\s<>]", link) else md_text(link))
    spans = items if items is not None else getattr(group, "quotes", ())
    offsets = ", ".join(f"{q.start}–{q.end}" for q in spans)
    where = f"{_doc_code(group.doc)}, characters {offsets}"
    return f"[^{n}]: " + "; ".join([", ".join([f"*{md_text(group.title)}*", *source]), where])


def find_markdown(result: FindResult) -> str:
    """The mentions as Markdown: a table of counts, then each document's sentences as blockquotes
    ending in a footnote per document (title, publisher, author, date, URL, offsets)."""
    forms = " or ".join(md_text(f) for f in result.forms)
    lines = [f"**Mentions of {forms}:** {result.total} in {len(result.documents)} documents", ""]
    if result.documents:
        lines += ["| Document | Date | Mentions |", "|---|---|---|"]
        lines += [f"| {md_text(g.title)} | {md_text(g.date or '')} | {g.count} |" for g in result.documents]
        lines.append("")
    notes = []
    for n, group in enumerate(result.documents, start=1):
        lines += [f"### {md_text(group.title)}", ""]
        for item in group.mentions:
            when = f" *({md_text(', '.join(item.dates))})*" if item.dates else ""
            lines += [f"> {md_text(item.text)}[^{n}]{when}", ""]
        notes.append(_footnote(n, group, group.url, group.mentions))
    return "\n".join(lines + notes) + "\n"


def _nothing(groups: Sequence[SourceGroup]) -> list[str]:
    silent = [g for g in groups if g.status == "nothing relevant"]
    if not silent:
        return []
    named = "; ".join(g.title for g in silent[:MAX_NOTHING_NAMED])
    more = f" and {len(silent) - MAX_NOTHING_NAMED} more" if len(silent) > MAX_NOTHING_NAMED else ""
    return [f"Nothing relevant in: {named}{more}."]


def by_source_text(answer: Answer, width: int = 100) -> str:
    """The answer by source for the terminal: one block per answering document, then the others."""
    lines = [f"Q: {answer.question}", ""]
    if answer.sources:
        lines += [textwrap.fill(f"Sources asked: {'; '.join(answer.sources)}.", width), ""]
    for group in answer.by_source or ():
        if group.status == "nothing relevant":
            continue
        source = _source(group.publisher, group.author, group.date)
        flag = " (may not answer directly)" if group.status == "uncertain" else ""
        lines.append(
            f"[{group.quotes[0].n if group.quotes else '-'}] {group.title}" + (f" ({source})" if source else "")
        )
        lines.append(f"    {group.doc}{flag}")
        for quote in group.quotes:
            stated = f" [states {', '.join(quote.dates)}]" if quote.dates else ""
            body = f"“{' '.join(quote.text.split())}” ({quote.start}-{quote.end}){stated}"
            lines.append(textwrap.fill(body, width, initial_indent="  ", subsequent_indent="    "))
        lines.append("")
    lines += [textwrap.fill(line, width) for line in _nothing(answer.by_source or ())]
    return "\n".join(lines) + "\n"


def by_source_markdown(answer: Answer) -> str:
    """The answer by source as Markdown: a heading per answering document, its quotes as
    blockquotes ending in that document's footnote, then the documents with nothing relevant."""
    lines = [f"**Question:** {md_text(answer.question)}", ""]
    if answer.sources:
        lines += [f"*Sources asked: {md_text('; '.join(answer.sources))}.*", ""]
    notes = []
    for group in answer.by_source or ():
        if group.status == "nothing relevant" or not group.quotes:
            continue
        n = group.quotes[0].n
        flag = " *(may not answer directly)*" if group.status == "uncertain" else ""
        lines += [f"### {md_text(group.title)}{flag}", ""]
        for quote in group.quotes:
            when = f" *({md_text(', '.join(quote.dates))})*" if quote.dates else ""
            lines += [f"> {md_text(quote.text)}[^{n}]{when}", ""]
        notes.append(_footnote(n, group, group.url, None))
    lines += [f"*{md_text(line)}*" for line in _nothing(answer.by_source or ())]
    return "\n".join([*lines, "", *notes]) + "\n"


def _stated_order(dates: Sequence[str], fallback: str | None) -> tuple[int, str]:
    first = dates[0] if dates else fallback
    return (0, first) if first else (1, "")


def by_stated_date(answer: Answer) -> Answer:
    """The answer by source ordered as a timeline: each group's quotes by the date they state
    (else the document's), the groups by their earliest such date (undated last)."""
    groups = []
    for group in answer.by_source or ():
        quotes = tuple(sorted(group.quotes, key=lambda q: _stated_order(q.dates, group.date)))
        groups.append(replace(group, quotes=quotes))
    groups.sort(
        key=lambda g: (
            g.status == "nothing relevant",
            _stated_order(g.quotes[0].dates, g.date) if g.quotes else (1, ""),
        )
    )
    return replace(answer, by_source=tuple(groups))


def timeline_text(answer: Answer, width: int = 100) -> str:
    """Every quote of the answer by source on one timeline: the date it states, the quote, its source."""
    items = [(q, g) for g in answer.by_source or () for q in g.quotes]
    items.sort(key=lambda qg: _stated_order(qg[0].dates, qg[1].date))
    lines = [f"Q: {answer.question}", "", "Timeline (by the date each quote states, else its document's):", ""]
    for quote, group in items:
        when = quote.dates[0] if quote.dates else f"{group.date} (published)" if group.date else "undated"
        body = f"{when}  “{' '.join(quote.text.split())}” [{quote.n}] ({group.title}, {quote.start}-{quote.end})"
        lines.append(textwrap.fill(body, width, subsequent_indent="    "))
    return "\n".join([*lines, "", *_nothing(answer.by_source or ())]) + "\n"


def answer_views(answer: Answer, fmt: str, by: str = "doc") -> str | None:
    """An answer by source rendered in ``fmt`` (``text``, ``markdown``, ``json``) ordered ``by``
    document date or stated ``date``; ``None`` for an answer not grouped by source."""
    if answer.by_source is None:
        return None
    if by == "date":
        answer = by_stated_date(answer)
    if fmt == "json":
        return to_json(answer)
    if fmt == "markdown":
        return by_source_markdown(answer)
    return timeline_text(answer) if by == "date" else by_source_text(answer)
