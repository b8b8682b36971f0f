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

from rag import MAX_FILE_BYTES, RagError

from .actions import UPLOAD_TYPES, Actions, received_files
from .guard import guard
from .render import document_choices, documents_html, remove_prompt, status_html
from .server import upload_folder

__all__ = ["CorpusPage"]

_TYPES_TEXT = ", ".join(f"`{t}`" for t in UPLOAD_TYPES)

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

    def add_tab(self, status_bar: gr.HTML, script: str) -> list[Any]:
        """The *Documents* tab and its events (call inside the page's ``gr.Blocks``): ``status_bar``
        is the page's, ``script`` the table's (filter, sort). Returns what :meth:`refresh` fills:
        the status bar, the table and the two choices of documents."""
        removed = gr.State(None)  # The document the last removal on this page moved to the trash (for Undo).
        with gr.Tab("Documents", id="documents"):
            documents = gr.HTML(js_on_load=script, elem_id="rq-documents")
            with gr.Row(equal_height=False):
                with gr.Column():
                    gr.Markdown(
                        f"### Add articles\n{_TYPES_TEXT}, up to {MAX_FILE_BYTES // 2**20} MiB each. "
                        "They are copied into the corpus folder and indexed right away."
                    )
                    files = gr.File(
                        label="Files", file_count="multiple", file_types=UPLOAD_TYPES, type="filepath", height=140
                    )
                    overwrite = gr.Checkbox(label="Replace a document of the same name", value=False)
                    upload_btn = gr.Button("Upload and index", variant="primary")
                    gr.Markdown(
                        "### Add by link\nWeb pages or PDFs, one URL per line: each is downloaded into the corpus "
                        "folder (its quotes cite the URL) and indexed right away."
                    )
                    urls = gr.Textbox(
                        label="Links", placeholder="https://news.example/article.html", lines=2, elem_id="rq-urls"
                    )
                    url_btn = gr.Button("Fetch and index", variant="primary")
                with gr.Column():
                    gr.Markdown(
                        "### Remove an article\nMoves the file (and its metadata) out of the corpus folder into the "
                        "trash and updates the index; *Undo* or *Restore* brings it back."
                    )
                    doc_choice = gr.Dropdown(
                        label="Document", choices=[], value=None, allow_custom_value=True, elem_id="rq-doc-choice"
                    )
                    remove_btn = gr.Button("Remove…", variant="stop", elem_id="rq-remove")
                    with gr.Group(visible=False, elem_id="rq-confirm") as confirm_box:
                        confirm_text = gr.HTML(js_on_load=None)
                        with gr.Row():
                            confirm_btn = gr.Button("Move to the trash", variant="stop", elem_id="rq-confirm-remove")
                            cancel_btn = gr.Button("Cancel", variant="secondary", elem_id="rq-cancel-remove")
                    undo_btn = gr.Button("Undo the removal", visible=False, elem_id="rq-undo")
                    with gr.Accordion("Removed articles (the trash)", open=False):
                        trash_choice = gr.Dropdown(label="Removed document", choices=[], value=None)
                        restore_btn = gr.Button("Restore", elem_id="rq-restore")
                    gr.Markdown(
                        "### Rebuild the index\nPicks up files added to or changed in the corpus folder directly; "
                        "only new or changed documents are embedded."
                    )
                    rebuild_btn = gr.Button("Rebuild index")
            message = gr.Textbox(label="Result", interactive=False, lines=3, elem_id="rq-message")

        corpus_events: dict[str, Any] = {"concurrency_id": "corpus", "concurrency_limit": 1}
        outputs_refresh = [status_bar, documents, doc_choice, trash_choice]
        private: dict[str, Any] = {"api_visibility": "private"}

        def corpus_action(event: Any, after: tuple[Any, Any, Any] | None = None) -> None:
            """After a corpus action: on success ``after`` (fn, inputs, outputs), on failure its
            reason in the result box; then the table, the choices and the status bar again."""
            done = event.success(*after, **private) if after else event.success(lambda: None, None, None, **private)
            done.then(self.refresh, None, outputs_refresh, **private)
            event.failure(self.last_error, None, message, **private).then(
                self.refresh, None, outputs_refresh, **private
            )

        corpus_action(
            upload_btn.click(self.upload, [files, overwrite], message, api_name="upload", **corpus_events),
            (lambda: None, None, files),
        )
        corpus_action(
            url_btn.click(self.add_url, [urls, overwrite], message, api_name="add_url", **corpus_events),
            (lambda: "", None, urls),
        )
        remove_btn.click(self.ask_remove, doc_choice, [confirm_box, confirm_text, message], **private).failure(
            self.last_error, None, message, **private
        )
        cancel_btn.click(lambda: gr.update(visible=False), None, confirm_box, **private)
        doc_choice.change(lambda: gr.update(visible=False), None, confirm_box, **private)  # Asked about another.
        confirm_btn.click(lambda: gr.update(visible=False), None, confirm_box, **private)
        corpus_action(
            confirm_btn.click(self.remove, doc_choice, message, api_name="remove", **corpus_events),
            (lambda doc: (doc, gr.update(visible=True)), doc_choice, [removed, undo_btn]),
        )
        corpus_action(
            undo_btn.click(self.restore, removed, message, **corpus_events, **private),
            (lambda: (None, gr.update(visible=False)), None, [removed, undo_btn]),
        )
        corpus_action(
            restore_btn.click(self.restore, trash_choice, message, api_name="restore", **corpus_events),
            (lambda: (None, gr.update(visible=False)), None, [removed, undo_btn]),
        )
        corpus_action(rebuild_btn.click(self.rebuild, None, message, api_name="rebuild", **corpus_events))
        return outputs_refresh
