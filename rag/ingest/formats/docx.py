"""Word (.docx): paragraphs and headings in order (tables row by row), core properties as metadata."""

from __future__ import annotations

import io
import zipfile

from ...errors import CorpusError
from ...records import DocumentMeta
from . import Extracted

__all__ = ["extract_docx"]


def _blocks(document: object) -> list[str]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[str] = []
    for item in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Paragraph):
            blocks.append(item.text)
        elif isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and text not in cells:  # Merged cells repeat their text.
                        cells.append(text)
                blocks.append(" | ".join(cells))
    return [" ".join(b.split()) for b in blocks if b.strip()]


def extract_docx(data: bytes, name: str) -> Extracted:
    """The paragraphs and table rows of a Word file's bytes, and its title, author and date."""
    import docx  # Imported here: only Word documents need it.
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = _blocks(document)
        props = document.core_properties
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise CorpusError(f"{name}: cannot read this Word file ({err}); re-save it as .docx from Word") from err
    date = props.created or props.modified
    meta = DocumentMeta(
        title=(props.title or "").strip() or (blocks[0] if blocks and len(blocks[0]) <= 150 else None),
        author=(props.author or "").strip() or None,
        date=date.date().isoformat() if date else None,
    )
    return Extracted(text="\n\n".join(blocks), meta=meta)
