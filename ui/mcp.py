"""The read tools of the MCP server (Gradio's, at ``/gradio_api/mcp/``): each returns JSON text
an agent can parse, and its docstring tells the agent when and how to call it.

Gradio makes an MCP tool of every public API endpoint, named after its function; these are
registered as endpoints ``/mcp_ask``, ``/mcp_documents``, ``/mcp_status``, ``/mcp_article``, and
:func:`ui.server.start` lists only them (and, with ``rag serve --mcp-write``, the page's
``upload``, ``remove`` and ``rebuild``) as tools.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr

from .actions import Actions, guard

__all__ = ["READ_TOOLS", "add_read_tools"]

READ_TOOLS = ("ask", "list_documents", "status", "article")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def add_read_tools(actions: Actions) -> None:
    """Register the read tools as API endpoints of the Blocks being built (call inside it)."""
    engine = actions.engine

    @guard
    def ask(question: str, previous: str = "", k: int = 3) -> str:
        """Answer a question about the articles with verbatim quotes only, each with its citation.

        Returns JSON: "abstained" (true when the articles do not answer: then say so, do not guess),
        "quotes" (best first: "text" is word for word from document "doc" at characters
        "start".."end", "n" its citation number) and "passages" (the cited passages with "title",
        "url" and the quotes' offsets inside them). Quote the "text" exactly and cite "title" and
        "url"; use the `article` tool to read around a quote.

        Args:
            question: The question, in plain words (any language).
            previous: The question asked just before, when this one is a follow-up ("and Japan?"); else empty.
            k: At most this many quotes (1-100, default 3).
        """
        return _json(actions.answer(question, previous, int(k)).to_dict())

    @guard
    def list_documents() -> str:
        """List the articles that can be quoted: a JSON array of objects with "doc" (the name the
        other tools take), "title", "publisher", "author", "date", "url" and "state" ("indexed",
        or waiting for a rebuild). Call it to learn what the collection covers."""
        return _json(actions.document_list())

    @guard
    def status() -> str:
        """The state of the search index as JSON: whether it is "built", how many "documents",
        "passages" and "sentences" it holds, the embedding "model" and "built_at" time. Call it
        when `ask` reports that no index exists."""
        return _json(engine.status().to_dict())

    @guard
    def article(doc: str) -> str:
        """Read a whole article: JSON with its "title", "publisher", "author", "date", "url" and
        "text". A quote's "start".."end" from `ask` index this "text", so text[start:end] is the quote.

        Args:
            doc: The document name, as "doc" in `ask` or `list_documents` (e.g. "001_e9bcd94228df86bd.txt").
        """
        return _json(actions.document_record(doc))

    for fn, name in (
        (ask, "mcp_ask"),
        (list_documents, "mcp_documents"),
        (status, "mcp_status"),
        (article, "mcp_article"),
    ):
        gr.api(fn, api_name=name, queue=False)
