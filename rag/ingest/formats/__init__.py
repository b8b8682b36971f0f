"""Formats: one module per file type that needs more than decoding, each turning a file into text.

- :mod:`~rag.ingest.formats.html`: web pages through trafilatura (article body and metadata), falling back
  to the page's visible text.
- :mod:`~rag.ingest.formats.pdf`: the text layer, pages separated by a form feed (``"\\n\\f\\n"``), so a
  character's page is the number of form feeds before it plus one (:func:`page_at`).
- :mod:`~rag.ingest.formats.docx`: Word documents, paragraphs and headings, core properties as metadata.

Plain text and Markdown are read by :mod:`rag.ingest.load` itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...records import DocumentMeta

__all__ = ["MAX_TEXT_CHARS", "PAGE_BREAK", "Extracted", "page_at"]

MAX_TEXT_CHARS = 50 * 2**20
"""A document's text is refused when longer: no document holds more text than the largest plain
text file may (``rag.load.MAX_FILE_BYTES``), though a compressed Word or PDF file can unpack to far more."""

PAGE_BREAK = "\n\f\n"
"""Between two pages of a PDF's text: a paragraph break to the chunker, a page break to :func:`page_at`."""


@dataclass(frozen=True, kw_only=True)
class Extracted:
    """A file's text (what offsets index) and what it says about itself."""

    text: str
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    note: str | None = None
    """Something the build report should say about how the text was found (e.g. a fallback)."""


def page_at(text: str, offset: int) -> int:
    """The 1-based page of ``text[offset]`` in a PDF's extracted text."""
    return text.count("\f", 0, offset) + 1
