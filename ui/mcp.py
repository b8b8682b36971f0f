"""The tools of the MCP server (Gradio's, at ``/gradio_api/mcp/``): each returns text an agent
can use, and its docstring tells the agent when and how to call it.

Gradio makes an MCP tool of every public API endpoint, named after its function. The tools are
endpoints of their own, ``/mcp_<tool>`` (:data:`TOOL_ENDPOINTS`), not queued, and
:func:`ui.server.start` lists only the read tools, and the write tools with ``rag serve
--mcp-write``. The write tools are not the page's buttons: those are queued (they report progress
to the page), and Gradio runs queued functions for MCP through a client of its own that a login
(``RAG_AUTH``) shuts out.
"""

from __future__ import annotations

import gradio as gr

from rag import to_json

from .actions import Actions
from .guard import guard

__all__ = ["READ_TOOLS", "TOOL_ENDPOINTS", "WRITE_TOOLS", "add_tools"]

READ_TOOLS = ("ask", "find", "list_documents", "status", "article")
WRITE_TOOLS = ("add_url", "remove", "rebuild")
TOOL_ENDPOINTS = {name: f"/mcp_{name}" for name in READ_TOOLS + WRITE_TOOLS}
"""Each tool's endpoint."""


def add_tools(actions: Actions) -> None:
    """Register every tool as an API endpoint of the Blocks being built (call inside it)."""
    engine = actions.engine

    @guard
    def ask(question: str, previous: str = "", k: int = 3, by_source: bool = False) -> str:
        """Answer a question about the articles with verbatim quotes only, each with its citation.

        Returns JSON: "status" ("answered"; "uncertain": the quotes are related but may not answer
        this directly, say so; "abstained": the articles do not answer, say so, do not guess),
        "abstained" (true exactly when "status" is "abstained"), "confidence" (0-1), "sources" (the
        publishers or authors the question asked to hear from, "according to X": only they are
        quoted; empty when it named none), "quotes"
        (best first: "text" is word for word from document "doc" at characters "start".."end",
        "n" its citation number) and "passages" (the cited passages with "title",
        "url" and the quotes' offsets inside them); when "uncertain", "missing" names what the
        question asks that the first quote does not hold ("George V Bridge (the text says George IV
        Bridge)"): say so. Quote the "text" exactly and cite "title" and "url"; use the `article`
        tool to read around a quote.

        Args:
            question: The question, in plain words (any language).
            previous: The question asked just before, when this one is a follow-up ("and Japan?"); else empty.
            k: At most this many quotes (1-100, default 3).
            by_source: Also return "by_source": one group per document ("doc", "title", "publisher",
                "author", "date", "status": "answered", "uncertain" or "nothing relevant", and its own
                "quotes", each with "date" and the "dates" it states), to compare what each source says.
        """
        return to_json(actions.answer(question, previous, int(k), by_source=bool(by_source)))

    @guard
    def find(query: str, by: str = "doc") -> str:
        """List every sentence of the articles that mentions a name or phrase (case and word endings
        do not matter; a person is also found by surname), to count or cite every mention.

        Returns JSON: "total" and "documents" (ordered by date), each with "doc", "title", "date",
        "count" and "mentions" ("text" word for word at "start".."end" of the document, "dates" it
        states, "also": other places the same sentence stands). With by "date", "timeline" lists
        every mention ordered by the date it states.

        Args:
            query: A name or short phrase, e.g. "Camp David" or "tariffs".
            by: "doc" (grouped by document, default) or "date" (also a timeline).
        """
        return to_json(actions.find(query, by))

    @guard
    def list_documents() -> str:
        """List the articles that can be quoted: a JSON array of objects with "doc" (the name the
        other tools take), "title", "publisher", "author", "date", "url" and "state" ("indexed",
        or waiting for a rebuild). Call it to learn what the collection covers."""
        return to_json(actions.document_list())

    @guard
    def status() -> str:
        """The state of the search index as JSON: whether it is "built", how many "documents",
        "passages" and "sentences" it holds, the embedding "model" and "built_at" time. Call it
        when `ask` reports that no index exists."""
        return to_json(engine.status())

    @guard
    def article(doc: str) -> str:
        """Read a whole article: JSON with its "title", "publisher", "author", "date", "url" and
        "text". A quote's "start".."end" from `ask` index this "text", so text[start:end] is the quote.

        Args:
            doc: The document name, as "doc" in `ask` or `list_documents` (e.g. "001_e9bcd94228df86bd.txt").
        """
        return to_json(actions.document_record(doc))

    @guard
    def add_url(urls: str, overwrite: bool = False) -> str:
        """Fetch web pages (news or policy articles) or PDFs into the collection and index them, so
        `ask` can quote them. Returns a one-paragraph report: what was added, skipped or refused.

        Args:
            urls: One or more http(s) links, one per line.
            overwrite: Replace a document of the same name already in the collection (default false).
        """
        return actions.add_urls(urls, bool(overwrite))  # No progress bar for an agent: it gets the report.

    @guard
    def remove(doc: str) -> str:
        """Remove one article from the collection and the index (its file is moved to the trash, from
        which a person can restore it). Returns a one-paragraph report.

        Args:
            doc: The document name, as "doc" in `list_documents`.
        """
        return actions.remove(doc)

    @guard
    def rebuild() -> str:
        """Index what changed in the collection's folder (files added, edited or deleted there
        directly); only new or changed documents are embedded. Returns a one-paragraph report."""
        return actions.rebuild()

    # Not queued: Gradio's MCP server calls such endpoints in-process; a queued one it calls over
    # HTTP through a client of its own, which carries no credentials. Builds wait for each other
    # in the engine, so writes still happen one at a time.
    for fn in (ask, find, list_documents, status, article, add_url, remove, rebuild):
        gr.api(fn, api_name=TOOL_ENDPOINTS[fn.__name__].lstrip("/"), queue=False)
