"""The Gradio app: a thin adapter over :class:`rag.Engine`.

The page asks questions in a conversation (a short follow-up is read with the question before it),
shows each answer as quotations with citation markers beside the cited passages, opens the full
article at a passage, and manages the corpus (upload, remove, rebuild with progress).

Every action is also a named API endpoint, usable from ``gradio_client``:

- ``/ask`` (question, previous question = "") → the JSON object of ``rag ask --json``
- ``/list`` → the documents, ``/status`` → the index status (as ``rag status --json``)
- ``/article`` (doc, start, end) → the article as escaped HTML with that span highlighted
- ``/upload`` (files, overwrite), ``/add_url`` (URLs one per line, overwrite), ``/remove`` (doc),
  ``/rebuild`` → a one-line report each

:func:`launch` runs it; the CLI's ``rag serve`` builds the index first and reads ``RAG_AUTH``.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from rag import MAX_FILE_BYTES, Answer, Engine

from .actions import UPLOAD_TYPES, Actions, guard
from .find_tab import add_find_tab
from .mcp import add_tools
from .render import (
    conversation_html,
    documents_html,
    passages_html,
    status_html,
)
from .server import Credentials, Running, ask_pool, start

__all__ = ["create_app", "exposure_warning", "launch"]

ASSETS = Path(__file__).resolve().parent / "assets"
_TYPES_TEXT = ", ".join(f"`{t}`" for t in UPLOAD_TYPES)

# Scripts of the page's HTML components: clicks on citation markers and "open" buttons become
# events carrying data; the article panel scrolls its highlighted passage into view.
_CONVERSATION_JS = """
element.addEventListener('click', (e) => {
  const copy = e.target.closest('.rq-copy');
  if (copy) {
    const text = copy.dataset.md;
    const done = () => {
      copy.textContent = 'Copied';
      setTimeout(() => { copy.textContent = 'Copy as Markdown'; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {  // Plain http on another host: the clipboard API is not offered there.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
      done();
    }
    return;
  }
  const cite = e.target.closest('.rq-cite');
  if (!cite) return;
  const turn = cite.closest('.rq-turn');
  trigger('click', {turn: Number(turn.dataset.turn), n: Number(cite.dataset.n)});
});
"""
_PASSAGES_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('.rq-open');
  if (b) trigger('click', {doc: b.dataset.doc, start: Number(b.dataset.start), end: Number(b.dataset.end),
                          quotes: b.dataset.quotes});
});
watch('value', () => {
  const card = element.querySelector('.rq-focus');
  if (card) card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
});
"""
_ARTICLE_JS = """
watch('value', () => {
  const hit = element.querySelector('#rq-hit');
  if (hit) hit.scrollIntoView({block: 'center', behavior: 'smooth'});
});
"""


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


def _progress(progress: gr.Progress) -> Callable[[str, int, int], None]:
    def update(stage: str, done: int, total: int) -> None:
        progress((done, total), desc=stage, unit="texts" if stage == "embedding" else "steps")

    return update


def create_app(act: Actions) -> gr.Blocks:
    """The page and its API endpoints, over ``act.engine`` (whose index should be built)."""
    engine = act.engine

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
    ) -> tuple[str, str, list[Answer], str, dict[str, Any]]:
        previous = turns[-1].question if turns else None
        answer = act.answer(question, previous, by_source=bool(by_source))
        turns = [*turns, answer]
        return conversation_html(turns), passages_html(answer), turns, "", answer.to_dict()

    def new_conversation() -> tuple[str, str, list[Answer], str, None]:
        return conversation_html([]), passages_html(None), [], "", None

    @guard
    def show_turn(turns: list[Answer], evt: gr.EventData) -> str:
        turn = int(getattr(evt, "turn", -1))
        if not 0 <= turn < len(turns):
            return passages_html(turns[-1] if turns else None)
        return passages_html(turns[turn], focus=int(getattr(evt, "n", 0)) or None)

    @guard
    def open_article(evt: gr.EventData) -> str:
        return act.article(str(evt.doc), int(evt.start), int(evt.end), str(getattr(evt, "quotes", "") or ""))

    @guard
    def follow() -> tuple[str, str]:
        return status_html(engine.status()), documents_html(engine.documents())

    @guard
    def refresh() -> tuple[str, str, Any]:
        documents = engine.documents()  # One scan of the folder for the list and the choices.
        files = sorted(d.doc for d in documents if d.state != "deleted")
        return status_html(engine.status()), documents_html(documents), gr.update(choices=files, value=None)

    # A gr.Progress() default is how Gradio gives a handler a progress bar.
    @guard
    def upload(
        files: list[str] | None,
        overwrite: bool,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> str:
        return act.upload(files, overwrite, _progress(progress))

    @guard
    def add_url(
        urls: str,
        overwrite: bool,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> str:
        """Fetch web pages or PDFs (one URL per line) into the corpus and index them."""
        return act.add_urls(urls, overwrite, _progress(progress))

    @guard
    def remove(doc: str | None, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return act.remove(doc, _progress(progress))

    @guard
    def rebuild(progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return act.rebuild(_progress(progress))

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
        with gr.Tab("Ask", id="ask"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=5, min_width=360):
                    conversation = gr.HTML(
                        conversation_html([]), js_on_load=_CONVERSATION_JS, elem_id="rq-conversation"
                    )
                    with gr.Row(equal_height=True):
                        question = gr.Textbox(
                            label="Question",
                            placeholder="Ask about the articles; follow up with “and what did Japan say?”",
                            scale=5,
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
                with gr.Column(scale=4, min_width=340):
                    gr.Markdown("### Cited passages")
                    passages = gr.HTML(passages_html(None), js_on_load=_PASSAGES_JS, elem_id="rq-passages")
                    gr.Markdown("### Full article")
                    article_panel = gr.HTML(
                        '<div class="rq-muted">Open a cited passage to read the whole article around it.</div>',
                        js_on_load=_ARTICLE_JS,
                        elem_id="rq-article",
                    )
        add_find_tab(act)
        with gr.Tab("Documents", id="documents"):
            documents = gr.HTML(js_on_load=None, elem_id="rq-documents")
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
                    gr.Markdown("### Remove an article\nDeletes the file from the corpus folder and updates the index.")
                    doc_choice = gr.Dropdown(label="Document", choices=[], value=None, allow_custom_value=True)
                    remove_btn = gr.Button("Remove", variant="stop")
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
            "outputs": [conversation, passages, turns, question, answer_json],
            "api_visibility": "private",
            "concurrency_limit": 2,
        }
        question.submit(**chat_args)
        ask_btn.click(**chat_args)
        new_btn.click(
            new_conversation, None, [conversation, passages, turns, question, answer_json], api_visibility="private"
        )
        conversation.click(show_turn, turns, passages, api_visibility="private")
        passages.click(open_article, None, article_panel, api_visibility="private")

        corpus_events: dict[str, Any] = {"concurrency_id": "corpus", "concurrency_limit": 1}
        outputs_refresh = [status_bar, documents, doc_choice]
        upload_btn.click(upload, [files, overwrite], message, api_name="upload", **corpus_events).success(
            lambda: None, None, files, api_visibility="private"
        ).then(refresh, None, outputs_refresh, api_visibility="private")
        url_btn.click(add_url, [urls, overwrite], message, api_name="add_url", **corpus_events).success(
            lambda: "", None, urls, api_visibility="private"
        ).then(refresh, None, outputs_refresh, api_visibility="private")
        remove_btn.click(remove, doc_choice, message, api_name="remove", **corpus_events).then(
            refresh, None, outputs_refresh, api_visibility="private"
        )
        rebuild_btn.click(rebuild, None, message, api_name="rebuild", **corpus_events).then(
            refresh, None, outputs_refresh, api_visibility="private"
        )
        app.load(refresh, None, outputs_refresh, api_visibility="private")
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
            "auth_message": "Sign in to ask questions about the articles.",
            "max_file_size": MAX_FILE_BYTES,
            "footer_links": ["api"],
            "ssr_mode": False,
            "theme": _theme(),
            "css_paths": [ASSETS / "app.css"],
            "show_error": True,
        },
    )
