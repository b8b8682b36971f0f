"""The Gradio app: a thin adapter over :class:`rag.Engine`.

The page asks questions in a conversation (a short follow-up is read with the question before it),
shows each answer (its status and confidence, then quotations with citation markers) beside the
cited passages and the article of the first, keeps the newest answer in view, and manages the corpus
(upload, remove to the trash after asking, undo, restore, rebuild with progress; ``corpus_page.py``).

Every action is also a named API endpoint, usable from ``gradio_client``:

- ``/ask`` (question, previous question = "") → the JSON object of ``rag ask --json``
- ``/list`` → the documents, ``/status`` → the index status (as ``rag status --json``)
- ``/article`` (doc, start, end) → the article as escaped HTML with that span highlighted
- ``/upload`` (files, overwrite), ``/add_url`` (URLs one per line, overwrite), ``/remove`` (doc: moved
  to the trash), ``/restore`` (doc: back from the trash), ``/rebuild`` → a one-line report each

:func:`launch` runs it; the CLI's ``rag serve`` builds the index first and reads ``RAG_AUTH``.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from pathlib import Path
from typing import Any

import gradio as gr

from rag import MAX_FILE_BYTES, Answer, Engine

from .actions import UPLOAD_TYPES, Actions
from .corpus_page import CorpusPage
from .find_tab import add_find_tab
from .guard import guard
from .mcp import add_tools
from .render import (
    ARTICLE_EMPTY,
    conversation_html,
    documents_html,
    passages_html,
    status_html,
)
from .server import Credentials, Running, ask_pool, start

__all__ = ["create_app", "exposure_warning", "launch"]

ASSETS = Path(__file__).resolve().parent / "assets"
_TYPES_TEXT = ", ".join(f"`{t}`" for t in UPLOAD_TYPES)

_SCRIPTS = ("conversation", "passages", "article", "documents")
"""Scripts of the page's HTML components (``ui/assets/NAME.js``): clicks on citation markers and
"open" buttons become events carrying data; the newest turn and a highlighted passage scroll into
view; the documents table filters and sorts."""


def _scripts() -> dict[str, str]:
    return {name: (ASSETS / f"{name}.js").read_text(encoding="utf-8") for name in _SCRIPTS}


def _examples() -> list[dict[str, str]]:
    """Example questions for the bundled articles, each with the document that answers it."""
    data: list[dict[str, str]] = json.loads((ASSETS / "examples.json").read_text(encoding="utf-8"))
    return data


def _theme() -> gr.themes.Base:
    # System fonts only: the page must not fetch anything from the internet.
    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=["Inter", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def create_app(act: Actions) -> gr.Blocks:
    """The page and its API endpoints, over ``act.engine`` (whose index should be built)."""
    engine = act.engine
    page = CorpusPage(act)

    # -- API endpoints that return data (the page renders the same calls as HTML) ----------

    @guard
    def api_ask(question: str, previous: str = "") -> dict[str, Any]:
        """Answer a question with verbatim quotes: the JSON object of `rag ask --json`.
        `previous` is the question asked before it in the same conversation, if any."""
        return act.answer(question, previous).to_dict()

    @guard
    def api_list_documents() -> list[dict[str, Any]]:
        """The documents in the corpus and whether the index holds them."""
        return act.document_list()

    @guard
    def api_status() -> dict[str, Any]:
        """The index status, as `rag status --json`."""
        return engine.status().to_dict()

    @guard
    def api_article(doc: str, start: int = 0, end: int = 0) -> str:
        """A whole article as escaped HTML, with characters start..end highlighted."""
        return act.article(doc, start, end)

    # -- page handlers ---------------------------------------------------------------------

    @guard
    def chat(
        question: str, turns: list[Answer], by_source: bool = False
    ) -> tuple[str, str, str, list[Answer], str, dict[str, Any]]:
        previous = turns[-1].question if turns else None
        answer = act.answer(question, previous, by_source=bool(by_source))
        turns = [*turns, answer]
        shown = conversation_html(turns), passages_html(answer), act.cited_article(answer)
        return *shown, turns, "", answer.to_dict()

    def new_conversation() -> tuple[str, str, str, list[Answer], str, None]:
        return conversation_html([]), passages_html(None), ARTICLE_EMPTY, [], "", None

    @guard
    def show_turn(turns: list[Answer], evt: gr.EventData) -> tuple[str, str]:
        """A citation marker of any turn: that turn's passages, the cited one focused, and its article."""
        turn = int(getattr(evt, "turn", -1))
        answer = turns[turn] if 0 <= turn < len(turns) else (turns[-1] if turns else None)
        n = int(getattr(evt, "n", 0)) or None
        return passages_html(answer, focus=n), act.cited_article(answer, n)

    @guard
    def open_article(evt: gr.EventData) -> str:
        return act.article(str(evt.doc), int(evt.start), int(evt.end), str(getattr(evt, "quotes", "") or ""))

    @guard
    def follow() -> tuple[str, str]:
        return status_html(engine.status()), documents_html(engine.documents())

    scripts = _scripts()
    indexed = set(engine.status().docs)
    examples = [e["question"] for e in _examples() if e["doc"] in indexed]

    with gr.Blocks(title="Quoted answers", analytics_enabled=False) as app:
        with gr.Row(elem_classes="rq-header"):
            gr.HTML(
                '<div class="rq-brand"><h1>Quoted answers</h1><p>Answers made only of sentences that stand in '
                "the articles, word for word, each with a citation you can check.</p></div>",
                js_on_load=None,
            )
        status_bar = gr.HTML(js_on_load=None, elem_id="rq-status")
        turns = gr.State([])
        removed = gr.State(None)  # The document the last removal on this page moved to the trash (for Undo).
        with gr.Tab("Ask", id="ask"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=5, min_width=360):
                    conversation = gr.HTML(
                        conversation_html([]), js_on_load=scripts["conversation"], elem_id="rq-conversation"
                    )
                    with gr.Row(equal_height=True, elem_id="rq-ask-row"):
                        question = gr.Textbox(
                            label="Question",
                            placeholder="Ask about the articles; follow up with “and what did Japan say?”",
                            scale=5,
                            min_width=260,
                            lines=1,
                            max_lines=4,
                            autofocus=True,
                            elem_id="rq-question",
                        )
                        ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rq-ask")
                    with gr.Row():
                        new_btn = gr.Button("New conversation", size="sm", variant="secondary")
                        by_source = gr.Checkbox(label="By source", value=False, elem_id="rq-by-source")
                    if examples:
                        gr.Examples(examples, inputs=question, label="Example questions about the bundled articles")
                    with gr.Accordion("This answer as JSON (as the /ask API returns it)", open=False):
                        answer_json = gr.JSON(label="Answer", show_label=False)
                with gr.Column(scale=4, min_width=300):
                    gr.Markdown("### Cited passages")
                    passages = gr.HTML(passages_html(None), js_on_load=scripts["passages"], elem_id="rq-passages")
                    gr.Markdown("### Full article")
                    article_panel = gr.HTML(ARTICLE_EMPTY, js_on_load=scripts["article"], elem_id="rq-article")
        add_find_tab(act)
        with gr.Tab("Documents", id="documents"):
            documents = gr.HTML(js_on_load=scripts["documents"], elem_id="rq-documents")
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

        # Data endpoints for API clients.
        # Not queued: they answer at once (MCP then calls them in-process, not over HTTP).
        gr.api(api_ask, api_name="ask", queue=False)
        gr.api(api_list_documents, api_name="list", queue=False)
        gr.api(api_status, api_name="status", queue=False)
        gr.api(api_article, api_name="article", queue=False)
        add_tools(act)

        # The page.
        chat_args: dict[str, Any] = {
            "fn": chat,
            "inputs": [question, turns, by_source],
            "outputs": [conversation, passages, article_panel, turns, question, answer_json],
            "api_visibility": "private",
            "concurrency_limit": 2,
        }
        question.submit(**chat_args)
        ask_btn.click(**chat_args)
        new_btn.click(
            new_conversation,
            None,
            [conversation, passages, article_panel, turns, question, answer_json],
            api_visibility="private",
        )
        conversation.click(show_turn, turns, [passages, article_panel], api_visibility="private")
        passages.click(open_article, None, article_panel, api_visibility="private")

        corpus_events: dict[str, Any] = {"concurrency_id": "corpus", "concurrency_limit": 1}
        outputs_refresh = [status_bar, documents, doc_choice, trash_choice]
        private: dict[str, Any] = {"api_visibility": "private"}

        def corpus_action(event: Any, after: tuple[Any, Any, Any] | None = None) -> None:
            """After a corpus action: on success ``after`` (fn, inputs, outputs), on failure its
            reason in the result box; then the table, the choices and the status bar again."""
            done = event.success(*after, **private) if after else event.success(lambda: None, None, None, **private)
            done.then(page.refresh, None, outputs_refresh, **private)
            event.failure(page.last_error, None, message, **private).then(
                page.refresh, None, outputs_refresh, **private
            )

        corpus_action(
            upload_btn.click(page.upload, [files, overwrite], message, api_name="upload", **corpus_events),
            (lambda: None, None, files),
        )
        corpus_action(
            url_btn.click(page.add_url, [urls, overwrite], message, api_name="add_url", **corpus_events),
            (lambda: "", None, urls),
        )
        remove_btn.click(page.ask_remove, doc_choice, [confirm_box, confirm_text, message], **private).failure(
            page.last_error, None, message, **private
        )
        cancel_btn.click(lambda: gr.update(visible=False), None, confirm_box, **private)
        doc_choice.change(lambda: gr.update(visible=False), None, confirm_box, **private)  # Asked about another.
        confirm_btn.click(lambda: gr.update(visible=False), None, confirm_box, **private)
        corpus_action(
            confirm_btn.click(page.remove, doc_choice, message, api_name="remove", **corpus_events),
            (lambda doc: (doc, gr.update(visible=True)), doc_choice, [removed, undo_btn]),
        )
        corpus_action(
            undo_btn.click(page.restore, removed, message, **corpus_events, **private),
            (lambda: (None, gr.update(visible=False)), None, [removed, undo_btn]),
        )
        corpus_action(
            restore_btn.click(page.restore, trash_choice, message, api_name="restore", **corpus_events),
            (lambda: (None, gr.update(visible=False)), None, [removed, undo_btn]),
        )
        corpus_action(rebuild_btn.click(page.rebuild, None, message, api_name="rebuild", **corpus_events))
        app.load(page.refresh, None, outputs_refresh, api_visibility="private")
        if engine.watching:  # The watcher rebuilds behind the page's back: follow it.
            gr.Timer(3.0).tick(follow, None, [status_bar, documents], api_visibility="private")
    return app


def exposure_warning(host: str, auth: tuple[str, str] | None) -> str | None:
    """A warning when ``host`` lets other machines reach the app and no login is required."""
    if auth is not None:
        return None
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        return None
    return (
        f"warning: serving on {host} without a login: anyone who can reach this machine can read, add and "
        "remove documents; set RAG_AUTH=user:password or bind 127.0.0.1"
    )


def launch(
    engine: Engine,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    *,
    api_token: str | None = None,
    mcp_write: bool = False,
    block: bool = True,
) -> Running:
    """Start the app (page, Gradio API, REST API, MCP) on ``host:port``, with a login if ``auth``
    is given (``api_token``: a bearer token the REST API and MCP accept too). ``mcp_write`` adds
    the add_url/remove/rebuild tools to MCP. With ``block`` (as ``rag serve``) it warns when the
    address is exposed without a login, then serves until interrupted; otherwise it runs in the
    background and the returned server's ``close()`` stops it. The index should be built."""
    warning = exposure_warning(host, auth)
    if warning and block:
        print(warning, file=sys.stderr)
    credentials = Credentials(user=auth[0], password=auth[1], token=api_token) if auth else None
    actions = Actions(engine, ask_pool(engine.settings.serve.ask_threads))
    return start(
        actions,
        create_app(actions),
        host=host,
        port=port,
        credentials=credentials,
        mcp_write=mcp_write,
        block=block,
        launch_kwargs={
            "auth_message": "Sign in to ask questions about the articles. After 5 wrong passwords each try must "
            "wait a little longer (up to a minute): the button does nothing until then.",
            "max_file_size": MAX_FILE_BYTES,
            "footer_links": ["api"],
            "ssr_mode": False,
            "theme": _theme(),
            "css_paths": [ASSETS / "app.css"],
            "show_error": True,
        },
    )
