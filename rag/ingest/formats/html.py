"""HTML: the article body and metadata through trafilatura, else the page's visible text.

trafilatura (``favor_precision=True, include_comments=False``) finds the main text and drops page
furniture (navigation, cookie banners, related links, comments, share buttons). Its block
structure is kept: each paragraph, heading, list item, quote and table row becomes one paragraph of
the extracted text, separated by blank lines, so the chunker sees the paragraphs. Title, author,
date, site name (as publisher) and canonical URL come from the page's metadata.

When trafilatura finds no article (nothing, or a few words where the page shows more), the page's
visible text is taken instead (scripts, styles and navigation dropped, one paragraph per block
element) and :attr:`Extracted.note` says so, so the build report can; a page with text is never
refused. :func:`visible_text` is also the loader this project used before trafilatura, which
``benchmarks/extraction.py`` compares against.
"""

from __future__ import annotations

import logging
from typing import Any

from ...records import DocumentMeta
from . import Extracted

__all__ = ["FALLBACK_NOTE", "extract_html", "html_title", "visible_text"]

FALLBACK_NOTE = "no article found in the page; indexed its visible text instead"

# trafilatura's XML tree: these elements are paragraphs of their own.
_TRAFILATURA_BLOCKS = frozenset({"p", "head", "item", "quote", "row", "code", "list", "table", "div", "main", "doc"})
_MIN_ARTICLE_WORDS = 25
"""Fewer words than this (a section front's lone heading) and less than the visible text: no article."""
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_formatting": False,
    "with_metadata": True,
    "deduplicate": False,
}


def _blocks_of(body: Any) -> list[str]:
    """The paragraphs of a trafilatura body tree, white space collapsed within each."""
    marker = "\u2029"  # Paragraph separator: never kept in the text.
    parts: list[str] = []

    def walk(element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        block = tag in _TRAFILATURA_BLOCKS
        if block:
            parts.append(marker)
        elif tag in ("lb", "cell"):
            parts.append(" ")
        if element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
        if block:
            parts.append(marker)
        elif tag == "cell":
            parts.append(" ")
        if element.tail:
            parts.append(element.tail)

    walk(body)
    return [" ".join(chunk.split()) for chunk in "".join(parts).split(marker) if chunk.strip()]


def _meta(result: Any) -> DocumentMeta:
    def value(name: str) -> str | None:
        found = getattr(result, name, None) if result is not None else None
        return str(found).strip() or None if found else None

    return DocumentMeta(
        title=value("title"),
        publisher=value("sitename"),
        author=value("author"),
        date=value("date"),
        url=value("url"),
    )


def _metadata_only(raw: str) -> DocumentMeta:
    from trafilatura.metadata import extract_metadata

    try:
        return _meta(extract_metadata(raw))
    except (ValueError, TypeError, AttributeError):
        return DocumentMeta()


def html_title(raw: str) -> str | None:
    """The page's title from its metadata alone (no article extraction)."""
    return _metadata_only(raw).title


def extract_html(raw: str) -> Extracted:
    """The article in ``raw`` (an HTML page), or its visible text with a note when there is none."""
    import trafilatura  # Imported here: only HTML documents need it.
    from trafilatura.utils import load_html

    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # Its "discarding" chatter is no news.
    try:
        tree = load_html(raw)
        if tree is not None:
            for element in tree.xpath("//template"):  # Never shown by a browser; trafilatura keeps it.
                element.drop_tree()
        result = trafilatura.bare_extraction(tree, **_TRAFILATURA_OPTIONS) if tree is not None else None
    except (ValueError, TypeError, AttributeError):
        result = None
    body = getattr(result, "body", None) if result is not None else None
    blocks = _blocks_of(body) if body is not None else []
    article_words = sum(len(b.split()) for b in blocks)
    if article_words >= _MIN_ARTICLE_WORDS:
        return Extracted(text="\n\n".join(blocks), meta=_meta(result))
    text, old_meta = visible_text(raw)
    if blocks and article_words >= len(text.split()):
        return Extracted(text="\n\n".join(blocks), meta=_meta(result))
    meta = _meta(result) if result is not None else _metadata_only(raw)
    merged = {f: getattr(meta, f) or getattr(old_meta, f) for f in ("title", "publisher", "author", "date", "url")}
    return Extracted(text=text, meta=DocumentMeta(**merged), note=FALLBACK_NOTE if text.strip() else None)


_BLOCK_TAGS = (
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "td",
    "th",
    "dt",
    "dd",
    "figcaption",
    "caption",
    "div",
    "section",
    "article",
)
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "svg",
    "iframe",
    "button",
    "select",
    "head",
)


def visible_text(raw: str) -> tuple[str, DocumentMeta]:
    """The page's visible text (``<article>`` or ``<main>`` if present, scripts, styles and
    navigation dropped), one paragraph per innermost block element, and its ``<meta>`` metadata."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")

    def meta_content(*keys: str) -> str | None:
        for key in keys:
            tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
            if tag and tag.get("content"):
                return str(tag["content"]).strip()
        return None

    canonical = soup.find("link", rel="canonical")
    time_tag = soup.find("time", datetime=True)
    h1 = soup.find("h1")
    meta = DocumentMeta(
        title=meta_content("og:title", "twitter:title")
        or (soup.title.get_text(" ", strip=True) if soup.title else None)
        or (h1.get_text(" ", strip=True) if h1 else None),
        publisher=meta_content("og:site_name", "publisher"),
        author=meta_content("author", "article:author", "dc.creator"),
        date=meta_content("article:published_time", "date", "dc.date", "pubdate")
        or (str(time_tag["datetime"]) if time_tag else None),
        url=meta_content("og:url") or (str(canonical["href"]) if canonical and canonical.get("href") else None),
    )
    for tag in soup(("script", "style", "noscript", "template", "svg", "head")):
        tag.decompose()
    whole = " ".join((soup.body or soup).get_text(" ", strip=True).split())  # The last resort.
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks: list[str] = []
    for element in root.find_all(_BLOCK_TAGS):
        if element.find(_BLOCK_TAGS):
            continue  # Only the innermost blocks: their text is taken once.
        text = " ".join(element.get_text(" ", strip=True).split())
        if text:
            blocks.append(text)
    if not blocks:
        text = " ".join(root.get_text(" ", strip=True).split()) or whole
        blocks = [text] if text else []
    return "\n\n".join(blocks), meta
