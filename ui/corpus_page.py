"""The page's corpus actions (the *Documents* tab): upload, add by link, remove (after asking),
restore, rebuild, and the table, choices and status bar drawn again after each.

Each action is also a named Gradio API endpoint, so a failure raises (``gr.Error``: API clients get
the error); for the page its reason is kept too, and :meth:`CorpusPage.last_error` (chained on
failure) puts it in the result box, where it stays until the next action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from rag import RagError

from .actions import Actions, received_files
from .guard import guard
from .render import document_choices, documents_html, remove_prompt, status_html
from .server import upload_folder

__all__ = ["CorpusPage"]

_ERRORS_KEPT = 256
"""At most this many browser sessions' failure reasons are kept unread (API clients never read theirs)."""


def _progress(progress: gr.Progress) -> Callable[[str, int, int], None]:
    def update(stage: str, done: int, total: int) -> None:
        progress((done, total), desc=stage, unit="texts" if stage == "embedding" else "steps")

    return update


class CorpusPage:
    """The Documents tab's handlers, over ``act``. A ``gr.Progress()`` default is how Gradio gives
    a handler a progress bar; a ``gr.Request`` parameter, the browser session."""

    def __init__(self, act: Actions) -> None:
        self.act = act
        self._errors: dict[str, str] = {}

    def _noted(self, request: gr.Request, call: Callable[[], str]) -> str:
        try:
            return call()
        except RagError as err:
            if len(self._errors) >= _ERRORS_KEPT:
                self._errors.clear()
            self._errors[request.session_hash or ""] = str(err)
            raise

    def last_error(self, request: gr.Request) -> str:
        """The reason the last action of this session failed, for the result box."""
        return f"Error: {self._errors.pop(request.session_hash or '', 'the action failed; see the notice')}"

    @guard
    def refresh(self) -> tuple[str, str, Any, Any]:
        """The status bar, the table, and the choices of documents to remove and to restore."""
        engine = self.act.engine
        documents = engine.documents()  # One scan of the folder for the table and the choices.
        trash = engine.trash()
        return (
            status_html(engine.status()),
            documents_html(documents),
            gr.update(choices=document_choices(documents), value=None),
            gr.update(choices=trash, value=trash[0] if trash else None),
        )

    @guard
    def upload(
        self,
        files: list[str] | None,
        overwrite: bool,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> str:
        return self._noted(
            request, lambda: self.act.upload(received_files(files, upload_folder()), overwrite, _progress(progress))
        )

    @guard
    def add_url(
        self,
        urls: str,
        overwrite: bool,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> str:
        """Fetch web pages or PDFs (one URL per line) into the corpus and index them."""
        return self._noted(request, lambda: self.act.add_urls(urls, overwrite, _progress(progress)))

    @guard
    def ask_remove(self, doc: str | None, request: gr.Request) -> tuple[Any, str, str]:
        """The Remove button: show the question (confirmed by :meth:`remove`); nothing moves yet."""
        if not doc:
            self._noted(request, lambda: self.act.remove(None))  # Raises: no document chosen.
        name = next((d.name for d in self.act.engine.documents() if d.doc == doc), str(doc))
        return gr.update(visible=True), remove_prompt(str(doc), name), ""

    @guard
    def remove(self, doc: str | None, request: gr.Request, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return self._noted(request, lambda: self.act.remove(doc, _progress(progress)))

    @guard
    def restore(self, doc: str | None, request: gr.Request, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return self._noted(request, lambda: self.act.restore(doc, _progress(progress)))

    @guard
    def rebuild(self, request: gr.Request, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return self._noted(request, lambda: self.act.rebuild(_progress(progress)))
