"""What the page, the Gradio API, MCP and the REST API do, each a call on :class:`rag.Engine`
(shared here so the adapters hold no logic of their own)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from rag import Answer, Engine, IndexMissingError, RagError
from rag.load import scan_corpus
from rag.present import report_text
from rag.records import BuildReport, DocumentMeta

from .render import DocumentRow, article_html

__all__ = ["Actions", "guard"]


def guard(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's errors into ``gr.Error`` (a message on the page, an error for clients)."""

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
    """What the page and the API do, each a call on the engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- reading ---------------------------------------------------------------------------

    def answer(self, question: str, previous: str | None = None) -> Answer:
        return self.engine.ask(question or "", previous=previous or None)

    def files(self) -> list[str]:
        """The indexable files in the corpus folder, as paths relative to it."""
        corpus_dir = self.engine.settings.corpus_dir
        return [p.relative_to(corpus_dir).as_posix() for p in scan_corpus(corpus_dir)[0]]

    def documents(self) -> list[DocumentRow]:
        """Corpus files and indexed documents: indexed, waiting for a rebuild, or deleted."""
        files = set(self.files())
        try:
            records = self.engine.index().documents  # Metadata only: no document text is read.
        except IndexMissingError:
            records = []
        rows: list[DocumentRow] = [
            (r.doc, r.meta, "indexed" if r.doc in files else "deleted from the folder: rebuild") for r in records
        ]
        indexed = {r.doc for r in records}
        rows += [(doc, DocumentMeta(), "not indexed yet: rebuild") for doc in sorted(files - indexed)]
        return rows

    def document_list(self) -> list[dict[str, Any]]:
        """:meth:`documents` as JSON objects: ``doc``, the metadata fields, ``state``."""
        return [{"doc": doc, **vars(meta), "state": state} for doc, meta, state in self.documents()]

    def document_record(self, doc: str) -> dict[str, Any]:
        """An indexed document as JSON: ``doc``, the metadata fields, and the ``text`` its offsets index."""
        meta, text = self.engine.document(doc)
        return {"doc": doc, **vars(meta), "text": text}

    def article(self, doc: str, start: int, end: int, quotes: str = "") -> str:
        """``quotes``: the quoted sentences' offsets as ``"start-end,start-end"``, marked too."""
        meta, text = self.engine.document(doc)
        spans = [(int(s), int(e)) for s, e in re.findall(r"(\d+)-(\d+)", quotes)]
        return article_html(doc, meta, text, int(start), int(end), spans)

    # -- writing ---------------------------------------------------------------------------

    def upload(self, files: list[str] | None, overwrite: bool, progress: Callable[[str, int, int], None]) -> str:
        if not files:
            raise RagError("no file chosen: pick one or more .txt, .md or .html files first")
        pairs = [(Path(f), Path(f).name) for f in files]
        report = self.engine.add(pairs, overwrite=overwrite, progress=progress)
        return _report(report, f"Added {', '.join(name for _, name in pairs)}")

    def remove(self, doc: str | None, progress: Callable[[str, int, int], None]) -> str:
        if not doc:
            raise RagError("no document chosen: pick the document to remove first")
        return _report(self.engine.remove([doc], progress=progress), f"Removed {doc}")

    def rebuild(self, progress: Callable[[str, int, int], None]) -> str:
        return _report(self.engine.build(progress=progress), "Rebuilt")
