"""Present an answer as Markdown: blockquotes with numbered footnotes (``rag ask --format markdown``)."""

from __future__ import annotations

import re

from ..records import Answer
from .text import missing_note, safe_url, scope_note, status_label

__all__ = ["answer_markdown", "md_text"]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!#{}])")
_MD_BLOCK_START = re.compile(r"^([-+=])|^(\d+)([.)])")


def md_text(text: str) -> str:
    """``text`` on one line with its Markdown syntax backslash-escaped, so it renders as exactly
    these characters: no emphasis, link, HTML, entity, list or heading can come from a source."""
    line = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _MD_BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)


def answer_markdown(answer: Answer) -> str:
    """The answer as Markdown: the question, each quote as a blockquote ending in a footnote
    reference ``[^n]`` (``n``: the citation number of its passage), and one footnote per cited
    passage with title, publisher, author, date, URL, document and the quotes' character offsets.
    An abstention gives the question and the abstention message."""
    lines = [f"**Question:** {md_text(answer.question)}", "", f"**Status:** {md_text(status_label(answer))}", ""]
    scope = scope_note(answer)
    if scope:
        lines += [f"*{md_text(scope)}*", ""]
    if answer.abstained:
        return "\n".join([*lines, f"*{md_text(answer.answer)}*", ""])
    for quote in answer.quotes:
        lines += [f"> {md_text(quote.text)}[^{quote.n}]", ""]
    missing = missing_note(answer)
    if missing:
        lines += [f"*{md_text(missing)}*", ""]
    for passage in answer.passages:
        meta = passage.meta
        source = [md_text(x) for x in (meta.publisher, meta.author, meta.date) if x]
        url = safe_url(passage.url)
        if url:
            source.append(f"<{url}>" if not re.search(r"[\s<>]", url) else md_text(url))
        offsets = ", ".join(f"{q.start}–{q.end}" for q in answer.quotes if q.n == passage.n)
        doc = f"`{passage.doc}`" if "`" not in passage.doc else md_text(passage.doc)  # A code span is literal.
        where = f"{doc}, characters {offsets}"
        lines.append(f"[^{passage.n}]: " + "; ".join([", ".join([f"*{md_text(passage.title)}*", *source]), where]))
    return "\n".join(lines) + "\n"
