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
from typing import Any

import gradio as gr

from rag import MAX_FILE_BYTES, Answer, Engine

from .actions import Actions
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
from .scripts import ASSETS, script
from .server import Credentials, Running, ask_pool, start

__all__ = ["create_app", "exposure_warning", "launch"]


_SCRIPTS = ("conversation", "passages", "article", "documents")
"""Scripts of the page's HTML components (``ui/assets/NAME.js``): clicks on citation markers and
"open" buttons become events carrying data; the newest turn and a highlighted passage scroll into
view; the documents table filters and sorts."""


def _scripts() -> dict[str, str]:
    return {name: script(name) for name in _SCRIPTS}


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
        outputs_refresh = page.add_tab(status_bar, scripts["documents"])

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

        app.load(page.refresh, None, outputs_refresh, api_visibility="private")
        if engine.watching:  # The watcher rebuilds behind the page's back: follow it.
            gr.Timer(3.0).tick(follow, None, outputs_refresh[:2], api_visibility="private")
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
