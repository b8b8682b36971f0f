"""PDF: the text layer, page by page; pages are joined with :data:`~rag.ingest.formats.PAGE_BREAK`."""

from __future__ import annotations

import io

from ...errors import CorpusError
from ...records import DocumentMeta
from . import MAX_TEXT_CHARS, PAGE_BREAK, Extracted

__all__ = ["extract_pdf"]


def _clean_page(text: str) -> str:
    # A form feed inside a page would shift every later page number.
    return text.replace("\f", "\n").strip()


def extract_pdf(data: bytes, name: str) -> Extracted:
    """The text of a PDF file's bytes, its pages joined by form feeds, and its title and author."""
    from pypdf import PdfReader  # Imported here: only PDF documents need it.
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            pages.append(_clean_page(page.extract_text() or ""))
            total += len(pages[-1])
            if total > MAX_TEXT_CHARS:  # Compressed streams can unpack to far more than the file.
                raise CorpusError(
                    f"{name}: more than {MAX_TEXT_CHARS // 2**20} M characters of text by page {len(pages)}, "
                    "over the limit for one document; split it"
                )
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, OSError) as err:
        raise CorpusError(f"{name}: cannot read this PDF ({err}); re-export it or save its text as .txt") from err
    title = str(info.title).strip() if info and info.title else None
    author = str(info.author).strip() if info and info.author else None
    # Empty pages are kept as empty, so page numbers stay those of the file.
    text = PAGE_BREAK.join(pages) if any(pages) else ""
    return Extracted(text=text, meta=DocumentMeta(title=title or None, author=author or None))
