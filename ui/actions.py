"""What the page, the Gradio API, MCP and the REST API do, each a call on :class:`rag.Engine`
(shared here so the adapters hold no logic of their own). Free of Gradio: the REST API runs
without the page (the page and MCP turn errors into ``gr.Error`` with :func:`ui.guard.guard`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from rag import (
    SUPPORTED_SUFFIXES,
    Answer,
    BuildReport,
    CorpusError,
    DocumentNotFoundError,
    Engine,
    FindResult,
    QuestionError,
    RagError,
    parse_urls,
    report_text,
)

from .render import ARTICLE_EMPTY, STATE_LABELS, article_html

__all__ = ["MAX_K", "UPLOAD_TYPES", "Actions", "received_files", "whole_number"]

MAX_K = 100
"""The most quotes one question may ask for, at every door."""

UPLOAD_TYPES = sorted(SUPPORTED_SUFFIXES)
"""What the page offers to upload: every type the loader reads (``rag/ingest/corpus.py`` decides what is accepted)."""


def whole_number(value: Any, what: str, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``low..high`` (no upper bound without ``high``), or a
    :class:`QuestionError` saying what was wrong (a client may send anything: a string, a list)."""
    try:
        number = int(value) if not isinstance(value, bool) and float(value) == int(value) else None
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or number < low or (high is not None and number > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise QuestionError(f"{what} must be a whole number {bounds}, not {str(value)[:40]!r}")
    return number


def received_files(files: list[str] | None, folder: Path) -> list[str] | None:
    """``files`` (paths the page's upload handler was given), each checked to lie inside ``folder``,
    where the web server keeps the files it received. A client can name any path in a request; a
    file outside is refused (:class:`CorpusError`), never read."""
    root = folder.resolve()
    for name in files or []:
        path = Path(name).resolve()
        if root not in path.parents:
            raise CorpusError(f"{Path(name).name!r} was not uploaded to this server: send the file's contents")
    return files


def _report(report: BuildReport, what: str) -> str:
    return f"{what}. {report_text(report)}"


class Actions:
    """What the page and the APIs do, each a call on the engine. Every question, from any door,
    is answered on ``ask_pool`` (a few threads of its own): the encoder's BLAS then only ever runs
    on those threads, instead of on each of the web server's many worker threads in turn, each of
    which would keep buffers of its own (RELIABILITY.md, *Load*)."""

    def __init__(self, engine: Engine, ask_pool: Executor) -> None:
        self.engine = engine
        self.ask_pool = ask_pool

    # -- reading ---------------------------------------------------------------------------

    def answer(self, question: str, previous: str | None = None, k: int = 3, *, by_source: bool = False) -> Answer:
        """Blocks the calling thread until a thread of ``ask_pool`` has answered."""
        k = whole_number(k, "k (the number of quotes)", 1, MAX_K)
        call = functools.partial(
            self.engine.ask, str(question or ""), k, str(previous or "") or None, by_source=by_source
        )
        return self.ask_pool.submit(call).result()

    def find(self, query: str, by: str = "doc") -> FindResult:
        """Every mention of ``query`` (:meth:`rag.Engine.find`)."""
        return self.engine.find(str(query or ""), by=str(by or "doc"))

    def document_list(self) -> list[dict[str, Any]]:
        """Every document and its state as JSON objects: ``doc``, ``name`` (its display name), the
        metadata fields, ``state``."""
        return [
            {"doc": d.doc, "name": d.name, **d.meta.to_dict(), "state": STATE_LABELS[d.state]}
            for d in self.engine.documents()
        ]

    def document_record(self, doc: str) -> dict[str, Any]:
        """An indexed document as JSON: ``doc``, the metadata fields, and the ``text`` its offsets index."""
        meta, text = self.engine.document(doc)
        return {"doc": doc, **meta.to_dict(), "text": text}

    def article(self, doc: str, start: int, end: int, quotes: str = "") -> str:
        """``quotes``: the quoted sentences' offsets as ``"start-end,start-end"``, marked too."""
        start = whole_number(start, "start", 0)
        end = whole_number(end, "end", 0)
        meta, text = self.engine.document(str(doc))
        spans = [(int(s), int(e)) for s, e in re.findall(r"(\d+)-(\d+)", str(quotes or ""))]
        return article_html(str(doc), meta, text, start, end, spans)

    def cited_article(self, answer: Answer | None, n: int | None = None) -> str:
        """The article of the answer's passage numbered ``n`` (the first when ``None``), at that
        passage with its quotes marked; a note when the answer cites nothing."""
        passage = next((p for p in (answer.passages if answer else ()) if n is None or p.n == n), None)
        if passage is None:
            return ARTICLE_EMPTY
        try:
            meta, text = self.engine.document(passage.doc)
        except DocumentNotFoundError:  # Removed since it was cited: the passage itself still shows.
            return ARTICLE_EMPTY
        quotes = [(passage.start + s, passage.start + e) for s, e in passage.quote_spans]
        return article_html(passage.doc, meta, text, passage.start, passage.end, quotes)

    # -- writing ---------------------------------------------------------------------------

    def upload(
        self, files: list[str] | None, overwrite: bool, progress: Callable[[str, int, int], None] | None = None
    ) -> str:
        if not files:
            raise RagError(f"no file chosen: pick one or more {', '.join(UPLOAD_TYPES)} files first")
        pairs = [(Path(f), Path(f).name) for f in files]
        report = self.engine.add(pairs, overwrite=overwrite, progress=progress)
        return _report(report, f"Added {', '.join(name for _, name in pairs)}")

    def add_urls(
        self, text: str | None, overwrite: bool, progress: Callable[[str, int, int], None] | None = None
    ) -> str:
        urls = parse_urls(text if isinstance(text, str) else "")
        if not urls:
            raise RagError("no link given: paste one or more http(s) URLs, one per line")
        report = self.engine.add(urls=urls, overwrite=overwrite, progress=progress)
        return _report(report, f"Added {', '.join(urls)}")

    def remove(self, doc: str | None, progress: Callable[[str, int, int], None] | None = None) -> str:
        if not doc or not isinstance(doc, str):
            raise RagError("no document chosen: pick the document to remove first")
        return _report(self.engine.remove([doc], progress=progress), f"Removed {doc} (moved to the trash)")

    def restore(self, doc: str | None, progress: Callable[[str, int, int], None] | None = None) -> str:
        if not doc:
            raise RagError("no document chosen: pick the removed document to restore first")
        return _report(self.engine.restore([doc], progress=progress), f"Restored {doc}")

    def rebuild(self, progress: Callable[[str, int, int], None] | None = None) -> str:
        return _report(self.engine.build(progress=progress), "Rebuilt")
