"""Load: find the corpus files and read each into a :class:`~rag.records.Document`.

- ``.txt`` / ``.md``: the file's own text, decoded from UTF-8 (or UTF-16 with a BOM) without newline
  translation, so offsets index ``open(path, encoding="utf-8", newline="").read()``.
- ``.html`` / ``.htm``: the article body and metadata through trafilatura, else the visible text
  (:mod:`rag.ingest.formats.html`).
- ``.pdf``: the text layer, pages separated by a form feed (:mod:`rag.ingest.formats.pdf`).
- ``.docx``: paragraphs, headings and table rows (:mod:`rag.ingest.formats.docx`).

Metadata comes from the document (HTML metadata, Markdown front matter or first heading, PDF info,
Word core properties) and from an optional sidecar ``NAME.meta.json`` beside the file, which wins.
Files that cannot be read raise :class:`~rag.errors.CorpusError`; the build (:mod:`rag.index.build`)
records those as :class:`~rag.records.Skipped` entries, so it never stops on one bad file.
:func:`scan_corpus` itself only lists files, skipping with a reason unsupported types and any path
(a symbolic link, or one inside a linked folder) that resolves outside the corpus folder.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ..errors import CorpusError
from ..records import Document, DocumentMeta, Skipped
from .formats import MAX_TEXT_CHARS, Extracted

__all__ = [
    "LOADER_VERSION",
    "MAX_FILE_BYTES",
    "MAX_TEXT_CHARS",
    "SIDECAR_SUFFIX",
    "SUPPORTED_SUFFIXES",
    "decode_html",
    "file_hash",
    "read_bytes",
    "read_document",
    "scan_corpus",
    "sidecar_path",
]

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"})
LOADER_VERSION = 3
"""Bumped when extraction or chunking changes, so a build re-reads and re-chunks every document (2:
trafilatura, PDF pages, Word; 3: lines of site chrome are not sentences)."""
SIDECAR_SUFFIX = ".meta.json"
MAX_FILE_BYTES = 50 * 1024 * 1024
_META_FIELDS = ("title", "publisher", "author", "date", "url")


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _sidecar_file(path: Path) -> Path | None:
    """``path``'s sidecar if there is one; a sidecar that is a symbolic link is refused, never
    read (it could show any file of the machine as a document's metadata)."""
    side = sidecar_path(path)
    if side.is_symlink():
        raise CorpusError(f"{side.name}: a symbolic link; copy the metadata file into the corpus folder instead")
    return side if side.is_file() else None


def scan_corpus(corpus_dir: Path) -> tuple[list[Path], list[Skipped]]:
    """The indexable files below ``corpus_dir`` (sorted), and the files passed over with why."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist: create it or pass --corpus DIR")
    root = corpus_dir.resolve()
    files: list[Path] = []
    skipped: list[Skipped] = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.name.endswith(SIDECAR_SUFFIX) or path.name.lower() in {"readme", "license"}:
            continue
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # A link loop.
            skipped.append(Skipped(doc=rel.as_posix(), reason="a symbolic link that leads nowhere; remove it"))
            continue
        if root not in target.parents:
            if path.is_symlink() or path.is_file():
                skipped.append(
                    Skipped(
                        doc=rel.as_posix(),
                        reason="resolves outside the corpus folder (a symbolic link?); copy the file into the folder "
                        "instead",
                    )
                )
            continue
        if not path.is_file():
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(
                Skipped(
                    doc=rel.as_posix(),
                    reason=f"unsupported type {path.suffix or '(none)'!r}; "
                    f"use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}",
                )
            )
            continue
        files.append(path)
    return files, skipped


def file_hash(path: Path, data: bytes) -> str:
    """SHA-256 of the file's bytes ``data`` (:func:`read_bytes`) and of its sidecar, if any (a
    metadata edit is a change)."""
    digest = hashlib.sha256(data)
    side = sidecar_path(path)
    try:
        if _sidecar_file(path) is not None:
            digest.update(b"\0sidecar\0" + side.read_bytes())
    except OSError as err:
        raise CorpusError(
            f"cannot read {side.name} ({err.strerror or err}); check its permissions and build again"
        ) from err
    return digest.hexdigest()


def read_bytes(path: Path, name: str) -> bytes:
    """The bytes of the corpus file ``path`` (``name``: its name in the corpus, for messages),
    refused before reading when over :data:`MAX_FILE_BYTES`. Raises :class:`CorpusError` naming
    the file and what to do."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(
                f"{name}: {size / 2**20:.0f} MiB is over the {MAX_FILE_BYTES // 2**20} MiB limit; split it"
            )
        return path.read_bytes()
    except FileNotFoundError as err:
        raise CorpusError(f"{name}: vanished while reading; run the build again") from err
    except OSError as err:
        raise CorpusError(f"{name}: cannot read ({err.strerror or err}); check its permissions") from err


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise CorpusError(f"{name}: broken UTF-16 text ({err.reason}); re-save it as UTF-8") from err
    if b"\0" in data:
        head = data[:4096]
        if len(head) >= 4 and (head[1::2].count(0) > len(head) * 0.4 or head[0::2].count(0) > len(head) * 0.4):
            raise CorpusError(f"{name}: looks like UTF-16 without a byte-order mark; re-save it as UTF-8")
        raise CorpusError(f"{name}: looks binary (NUL bytes), not text; convert it to .txt, .md, .html, .pdf or .docx")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorpusError(f"{name}: not valid UTF-8 at byte {err.start}; re-save it as UTF-8") from err


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


def decode_html(data: bytes, name: str, charset: str | None = None) -> str:
    """A web page's text: UTF-8 (or UTF-16 with a BOM), else the charset its ``<meta>`` declares,
    else ``charset`` (what the server declared when the page was fetched, kept in its sidecar)."""
    try:
        return _decode(data, name)
    except CorpusError:
        found = _CHARSET.search(data[:4096])
        declared = found.group(1).decode("ascii") if found else charset
        if declared is None or b"\0" in data:
            raise
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError) as err:
            raise CorpusError(f"{name}: not readable as its declared {declared!r}; re-save it as UTF-8") from err


def _first_line_title(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("\ufeff#").strip()
        if line:
            return line if len(line) <= 150 else None
    return None


_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def _markdown(text: str) -> tuple[DocumentMeta, int]:
    meta: dict[str, str] = {}
    body_start = 0
    match = _FRONT_MATTER.match(text)
    if match:
        body_start = match.end()
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in _META_FIELDS:
                meta[key.strip().lower()] = value.strip().strip("\"'")
    if "title" not in meta:
        heading = re.search(r"^#\s+(.+)$", text[body_start:], re.M)
        if heading:
            meta["title"] = heading.group(1).strip()
    return DocumentMeta(**meta), body_start


def _sidecar(path: Path, name: str) -> dict[str, Any]:
    """The sidecar's object (metadata fields, and for a fetched page ``url``, ``fetched_at``, ``charset``)."""
    side = _sidecar_file(path)
    if side is None:
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CorpusError(f"{side.name}: not a readable JSON object ({err}); fix or delete it") from err
    if not isinstance(data, dict):
        raise CorpusError(f"{side.name}: must hold a JSON object with title/publisher/author/date/url")
    return data


def _extract(kind: str, data: bytes, name: str, sidecar: dict[str, Any]) -> Extracted:
    """A PDF, Word or HTML file's text. Whatever its parser raises on a malformed file (broken or
    too deeply nested XML, a stream past pypdf's limits, ...) becomes a :class:`CorpusError`
    naming the file, so one bad file is skipped, never stops a build or a server."""
    try:
        if kind == "pdf":
            if not data.startswith(b"%PDF"):
                raise CorpusError(f"{name}: not a PDF file (no %PDF header)")
            from .formats.pdf import extract_pdf

            return extract_pdf(data, name)
        if kind == "docx":
            if not data.startswith(b"PK"):
                raise CorpusError(f"{name}: not a Word .docx file (not a zip package); re-save it as .docx")
            from .formats.docx import extract_docx

            return extract_docx(data, name)
        from .formats.html import extract_html

        charset = sidecar.get("charset")
        return extract_html(decode_html(data, name, str(charset) if charset else None))
    except CorpusError:
        raise
    except Exception as err:
        reason = " ".join(f"{type(err).__name__}: {err}".split())[:200]
        fix = "re-save it from the program that made it" if kind != "html" else "save the page again"
        raise CorpusError(f"{name}: cannot read this {kind.upper()} file ({reason}); {fix}") from err


def read_document(path: Path, corpus_dir: Path, sha256: str | None = None, data: bytes | None = None) -> Document:
    """Read one corpus file (``data``: its bytes, when :func:`read_bytes` read them already, and
    ``sha256`` their :func:`file_hash`). Raises :class:`CorpusError` naming the file and what to do."""
    name = path.relative_to(corpus_dir).as_posix()
    if data is None:
        data = read_bytes(path, name)
    kind = path.suffix.lower().lstrip(".")
    kind = {"htm": "html", "markdown": "md"}.get(kind, kind)
    sidecar = _sidecar(path, name)
    body_start = 0
    note: str | None = None
    if kind in ("pdf", "docx", "html"):
        extracted = _extract(kind, data, name, sidecar)
        text, meta, note = extracted.text, extracted.meta, extracted.note
    else:
        text = _decode(data, name)
        if kind == "md":
            meta, body_start = _markdown(text)
        else:
            meta = DocumentMeta(title=_first_line_title(text))
    if len(text) > MAX_TEXT_CHARS:
        raise CorpusError(
            f"{name}: holds {len(text) / 2**20:.0f} M characters of text, over the "
            f"{MAX_TEXT_CHARS // 2**20} M limit for one document; split it"
        )
    if not text[body_start:].strip():
        raise CorpusError(
            f"{name}: has no text to index" + (" (a scanned PDF needs OCR first)" if kind == "pdf" else "")
        )
    side = {k: (str(v) if v is not None else None) for k, v in sidecar.items() if k in _META_FIELDS}
    merged = {f: getattr(meta, f) for f in _META_FIELDS}
    merged.update(side)
    return Document(
        doc=name,
        text=text,
        sha256=sha256 or file_hash(path, data),
        kind=kind,
        meta=DocumentMeta(**merged),
        body_start=body_start,
        note=note,
    )
