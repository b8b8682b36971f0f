"""``rag find``: every sentence that mentions a name or a phrase, by document or as a timeline."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import engine_for, folders, friendly

__all__ = ["ORDER_OPTION", "find"]

ORDER_OPTION = click.option(
    "--by",
    default="doc",
    show_default=True,
    metavar="[doc|date]",
    help="doc: grouped by document, ordered by its date; date: a timeline by the date each sentence states.",
)
"""``--by`` of ``rag find`` and of ``rag ask --by-source``, checked by :func:`rag.views.find.check_order`
(an unknown value is a one-line error)."""


@click.command()
@click.argument("query")
@folders
@ORDER_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json (one object), csv (one row per sentence), or markdown (with footnotes).",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@friendly
def find(query: str, corpus_dir: Path | None, index_dir: Path | None, by: str, fmt: str, as_json: bool) -> None:
    """List every sentence that mentions QUERY (a name or phrase; case and word endings do not
    matter, a person is also found by surname), grouped by document with a count each, the same
    sentence in several places listed once."""
    from .present.text import to_json
    from .present.views import find_csv, find_markdown, find_text

    fmt = "json" if as_json else fmt
    render = {"json": to_json, "csv": find_csv, "markdown": find_markdown, "text": find_text}[fmt]
    result = engine_for(corpus_dir, index_dir).find(query, by=by)
    click.echo(render(result), nl=fmt == "json")
