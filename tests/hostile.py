"""Hostile files for the tests, made on the spot: valid Word and PDF files, and Word and PDF files
that break their parsers or unpack to far more than they weigh."""

from __future__ import annotations

import io
import zipfile
import zlib

PARAGRAPHS = (
    "The harbour authority of Vestrand approved a new ferry terminal on Monday.",
    "Construction is expected to take three years and cost 140 million euros.",
)


def docx_bytes(paragraphs: tuple[str, ...] = PARAGRAPHS) -> bytes:
    """A real Word file holding ``paragraphs``."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Ferry terminal"
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_part(data: bytes, part: str, content: bytes) -> bytes:
    """The zip package ``data`` with member ``part`` replaced by ``content`` (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, content if info.filename == part else src.read(info.filename))
    return out.getvalue()


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def broken_xml_docx() -> bytes:
    return with_part(docx_bytes(), "word/document.xml", f"<w:document {_W}><w:body><w:p><w:r>".encode())


def deeply_nested_docx(depth: int = 100_000) -> bytes:
    body = "<w:sdt>" * depth + "</w:sdt>" * depth
    return with_part(
        docx_bytes(), "word/document.xml", f"<w:document {_W}><w:body>{body}</w:body></w:document>".encode()
    )


def entity_docx() -> bytes:
    """A "billion laughs": entities defined in terms of each other, 10**9 words once expanded."""
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'
    xml += f"<w:document {_W}><w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>"
    return with_part(docx_bytes(), "word/document.xml", xml.encode())


def zip_bomb_docx(unpacked: int = 400 * 2**20) -> bytes:
    """A Word file whose document part unpacks to ``unpacked`` bytes of XML (white space between
    two real paragraphs: a few hundred KiB packed)."""
    valid = docx_bytes()
    with zipfile.ZipFile(io.BytesIO(valid)) as src:
        xml = src.read("word/document.xml")
    cut = xml.index(b"<w:body>") + len(b"<w:body>")
    padding = unpacked - len(xml)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(valid)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info.filename, src.read(info.filename))
                continue
            with dst.open("word/document.xml", "w", force_zip64=True) as part:
                part.write(xml[:cut])
                block = b" " * 2**20
                for _ in range(padding // len(block)):
                    part.write(block)
                part.write(xml[cut:])
    return out.getvalue()


def lying_zip_docx() -> bytes:
    """A zip bomb whose headers claim its big member unpacks to 1,000 bytes."""
    data = bytearray(zip_bomb_docx(8 * 2**20))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as package:
        info = package.getinfo("word/document.xml")
    real = info.file_size.to_bytes(4, "little")
    for at in _find_all(data, real):
        data[at : at + 4] = (1000).to_bytes(4, "little")
    return bytes(data)


def _find_all(data: bytearray, needle: bytes) -> list[int]:
    found, at = [], data.find(needle)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def pdf_bytes(lines: tuple[str, ...] = PARAGRAPHS, *, stream: bytes | None = None, flate: bool = False) -> bytes:
    """A one-page PDF showing ``lines`` (or whose content stream is ``stream``, deflated with ``flate``)."""
    if stream is None:
        stream = ("BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET").encode()
    if flate:
        stream = zlib.compress(stream, 9)
    filters = b" /Filter /FlateDecode" if flate else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), filters) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_bomb() -> bytes:
    """A PDF whose content stream inflates past pypdf's limit (75 MB): pypdf raises LimitReachedError."""
    return pdf_bytes(stream=b" " * (100 * 10**6), flate=True)
