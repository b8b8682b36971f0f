"""What the page, the Gradio API, MCP and the REST API do, each a call on :class:`rag.Engine`
(shared here so the adapters hold no logic of their own)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import gradio as gr

from rag import SUPPORTED_SUFFIXES, Answer, BuildReport, Engine, FindResult, RagError, parse_urls, report_text

from .render import STATE_LABELS, article_html

__all__ = ["UPLOAD_TYPES", "Actions", "guard"]

UPLOAD_TYPES = sorted(SUPPORTED_SUFFIXES)
"""What the page offers to upload: every type the loader reads (``rag/corpus.py`` decides what is accepted)."""


def guard(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's errors into ``gr.Error`` (a message on the page, an error for clients,
    no traceback in the server's log)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RagError as err:
            raise gr.Error(str(err), print_exception=False) from err

    return wrapper


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
        call = functools.partial(self.engine.ask, question or "", k, previous or None, by_source=by_source)
        return self.ask_pool.submit(call).result()

    def find(self, query: str, by: str = "doc") -> FindResult:
        """Every mention of ``query`` (:meth:`rag.Engine.find`)."""
        return self.engine.find(query or "", by=by or "doc")

    def document_list(self) -> list[dict[str, Any]]:
        """Every document and its state as JSON objects: ``doc``, the metadata fields, ``state``."""
        return [{"doc": d.doc, **d.meta.to_dict(), "state": STATE_LABELS[d.state]} for d in self.engine.documents()]

    def document_record(self, doc: str) -> dict[str, Any]:
        """An indexed document as JSON: ``doc``, the metadata fields, and the ``text`` its offsets index."""
        meta, text = self.engine.document(doc)
        return {"doc": doc, **meta.to_dict(), "text": text}

    def article(self, doc: str, start: int, end: int, quotes: str = "") -> str:
        """``quotes``: the quoted sentences' offsets as ``"start-end,start-end"``, marked too."""
        meta, text = self.engine.document(doc)
        spans = [(int(s), int(e)) for s, e in re.findall(r"(\d+)-(\d+)", quotes)]
        return article_html(doc, meta, text, int(start), int(end), spans)

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
        urls = parse_urls(text or "")
        if not urls:
            raise RagError("no link given: paste one or more http(s) URLs, one per line")
        report = self.engine.add(urls=urls, overwrite=overwrite, progress=progress)
        return _report(report, f"Added {', '.join(urls)}")

    def remove(self, doc: str | None, progress: Callable[[str, int, int], None] | None = None) -> str:
        if not doc:
            raise RagError("no document chosen: pick the document to remove first")
        return _report(self.engine.remove([doc], progress=progress), f"Removed {doc}")

    def rebuild(self, progress: Callable[[str, int, int], None] | None = None) -> str:
        return _report(self.engine.build(progress=progress), "Rebuilt")
