"""Word (.docx): paragraphs and headings in order (tables row by row), core properties as metadata.

A .docx file is a zip package, and a small one can unpack to gigabytes of XML (a zip bomb). Before
python-docx opens it, :func:`check_package` reads every member with a limit (the sizes in the zip's
headers are only claims) and refuses the file past :data:`MAX_PARTS`, :data:`MAX_PART_BYTES` or
:data:`MAX_UNPACKED_BYTES`; the text is then refused past :data:`rag.formats.MAX_TEXT_CHARS`.
"""

from __future__ import annotations

import io
import zipfile

from ...errors import CorpusError
from ...records import DocumentMeta
from . import Extracted

__all__ = ["MAX_PARTS", "MAX_PART_BYTES", "MAX_UNPACKED_BYTES", "check_package", "extract_docx"]

MAX_PARTS = 10_000
"""Members of the zip package; Word writes a few dozen, plus one per picture."""
MAX_PART_BYTES = 64 * 2**20
"""Unpacked bytes of one member: the document's XML for several thousand pages, or a large picture."""
MAX_UNPACKED_BYTES = 128 * 2**20
"""Unpacked bytes of all members together; python-docx holds them all in memory, and more for the XML it parses."""
_CHUNK = 2**20


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


def check_package(data: bytes, name: str) -> None:
    """Refuse a zip package that unpacks past the limits, reading (and discarding) every member
    with a budget: the declared sizes are checked first, then the bytes actually unpacked."""
    fix = "it unpacks to more than a Word document holds (a zip bomb?); save its text as .txt or split it"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        members = package.infolist()
        if len(members) > MAX_PARTS:
            raise CorpusError(f"{name}: {len(members)} parts in the package, over the {MAX_PARTS} limit; {fix}")
        declared = sum(m.file_size for m in members)
        big = max((m.file_size for m in members), default=0)
        if big > MAX_PART_BYTES or declared > MAX_UNPACKED_BYTES:
            raise CorpusError(f"{name}: {declared / 2**20:.0f} MiB unpacked, over the limit; {fix}")
        total = 0
        for member in members:
            size = 0
            with package.open(member) as part:
                while chunk := part.read(_CHUNK):
                    size += len(chunk)
                    total += len(chunk)
                    if size > MAX_PART_BYTES or total > MAX_UNPACKED_BYTES:
                        raise CorpusError(f"{name}: {member.filename} unpacks past the limit; {fix}")


def extract_docx(data: bytes, name: str) -> Extracted:
    """The paragraphs and table rows of a Word file's bytes, and its title, author and date."""
    import docx  # Imported here: only Word documents need it.
    from docx.opc.exceptions import PackageNotFoundError

    try:
        check_package(data, name)
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
