"""Load: find the corpus files and read each into a :class:`~rag.records.Document`.

- ``.txt`` / ``.md``: the file's own text, decoded from UTF-8 (or UTF-16 with a BOM) without newline
  translation, so offsets index ``open(path, encoding="utf-8", newline="").read()``.
- ``.html`` / ``.htm``: the main text (``<article>`` or ``<main>`` if present; scripts, styles and
  navigation dropped), one paragraph per block element.
- ``.pdf``: the text layer, page by page.

Metadata comes from the document (HTML ``<title>`` and ``<meta>``, Markdown front matter or first
heading, PDF info) and from an optional sidecar ``NAME.meta.json`` beside the file, which wins.
Files that cannot be read raise :class:`~rag.errors.CorpusError`; the build (:mod:`rag.build`)
records those as :class:`~rag.records.Skipped` entries, so it never stops on one bad file.
:func:`scan_corpus` itself only lists files, skipping unsupported types with a reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from .errors import CorpusError
from .records import Document, DocumentMeta, Skipped

__all__ = ["MAX_FILE_BYTES", "SIDECAR_SUFFIX", "SUPPORTED_SUFFIXES", "read_document", "scan_corpus", "sidecar_path"]

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf"})
SIDECAR_SUFFIX = ".meta.json"
MAX_FILE_BYTES = 50 * 1024 * 1024
_META_FIELDS = ("title", "publisher", "author", "date", "url")


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def scan_corpus(corpus_dir: Path) -> tuple[list[Path], list[Skipped]]:
    """The indexable files below ``corpus_dir`` (sorted), and the files passed over with why."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist: create it or pass --corpus DIR")
    files: list[Path] = []
    skipped: list[Skipped] = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.name.endswith(SIDECAR_SUFFIX) or path.name.lower() in {"readme", "license"}:
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


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes and of its sidecar, if any (a metadata edit is a change)."""
    digest = hashlib.sha256()
    try:
        digest.update(path.read_bytes())
        side = sidecar_path(path)
        if side.is_file():
            digest.update(b"\0sidecar\0" + side.read_bytes())
    except FileNotFoundError as err:
        raise CorpusError(f"{path.name}: vanished while reading; run the build again") from err
    except OSError as err:
        raise CorpusError(f"cannot read {path}: {err.strerror or err}") from err
    return digest.hexdigest()


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
        raise CorpusError(f"{name}: looks binary (NUL bytes), not text; convert it to .txt, .md, .html or .pdf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorpusError(f"{name}: not valid UTF-8 at byte {err.start}; re-save it as UTF-8") from err


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


def _html(raw: str, name: str) -> tuple[str, DocumentMeta]:
    from bs4 import BeautifulSoup  # Imported here: only HTML documents need it.

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
        text = " ".join(root.get_text(" ", strip=True).split())
        blocks = [text] if text else []
    return "\n\n".join(blocks), meta


def _pdf(path: Path, name: str) -> tuple[str, DocumentMeta]:
    from pypdf import PdfReader  # Imported here: only PDF documents need it.
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, OSError) as err:
        raise CorpusError(f"{name}: cannot read this PDF ({err}); re-export it or save its text as .txt") from err
    title = str(info.title).strip() if info and info.title else None
    author = str(info.author).strip() if info and info.author else None
    return "\n\n".join(p.strip() for p in pages if p.strip()), DocumentMeta(title=title, author=author)


def _sidecar(path: Path, name: str) -> dict[str, Any]:
    side = sidecar_path(path)
    if not side.is_file():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CorpusError(f"{side.name}: not a readable JSON object ({err}); fix or delete it") from err
    if not isinstance(data, dict):
        raise CorpusError(f"{side.name}: must hold a JSON object with title/publisher/author/date/url")
    return {k: (str(v) if v is not None else None) for k, v in data.items() if k in _META_FIELDS}


def read_document(path: Path, corpus_dir: Path, sha256: str | None = None) -> Document:
    """Read one corpus file. Raises :class:`CorpusError` naming the file and what to do."""
    name = path.relative_to(corpus_dir).as_posix()
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(
                f"{name}: {size / 2**20:.0f} MiB is over the {MAX_FILE_BYTES // 2**20} MiB limit; split it"
            )
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise CorpusError(f"{name}: vanished while reading; run the build again") from err
    except OSError as err:
        raise CorpusError(f"{name}: cannot read ({err.strerror or err}); check its permissions") from err
    kind = path.suffix.lower().lstrip(".")
    body_start = 0
    if kind == "pdf":
        if not data.startswith(b"%PDF"):
            raise CorpusError(f"{name}: not a PDF file (no %PDF header)")
        text, meta = _pdf(path, name)
    else:
        raw = _decode(data, name)
        if kind in ("html", "htm"):
            kind = "html"
            text, meta = _html(raw, name)
        else:
            text = raw
            if kind in ("md", "markdown"):
                kind = "md"
                meta, body_start = _markdown(text)
            else:
                meta = DocumentMeta(title=_first_line_title(text))
    if not text[body_start:].strip():
        raise CorpusError(
            f"{name}: has no text to index" + (" (a scanned PDF needs OCR first)" if kind == "pdf" else "")
        )
    side = _sidecar(path, name)
    merged = {f: getattr(meta, f) for f in _META_FIELDS}
    merged.update(side)
    return Document(
        doc=name,
        text=text,
        sha256=sha256 or file_hash(path),
        kind=kind,
        meta=DocumentMeta(**merged),
        body_start=body_start,
    )
