"""The ``rag`` command line: a thin adapter over :class:`rag.Engine`.

Every command takes ``--corpus DIR`` and ``--index DIR`` (defaults: ``RAG_CORPUS_DIR`` /
``RAG_INDEX_DIR``, else ``corpus/`` and ``index/`` in the current directory). Errors print one line and exit 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .cli_common import engine_for as _engine
from .cli_common import folders as _folders
from .cli_common import friendly as _friendly
from .cli_find import ORDER_OPTION
from .cli_find import find as find_command
from .config import Settings
from .errors import CorpusError, QuestionError, RagError
from .present.progress import ProgressBars
from .views.find import check_order

__all__ = ["main"]


def _run_build(action: Callable[[Callable[[str, int, int], None]], Any], as_json: bool, quiet: bool) -> None:
    from .present.text import report_text, to_json

    bars = ProgressBars(enabled=not quiet and not as_json)
    try:
        report = action(bars)
    finally:
        bars.close()
    click.echo(to_json(report) if as_json else report_text(report))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rag-quotes", prog_name="rag")
def main() -> None:
    """Answer questions about a folder of articles with verbatim, cited quotes."""
    # The edge where the environment is set: the model is local, so the Hugging Face libraries
    # must never try the network (the embedder also passes local_files_only).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@main.command()
@_folders
@click.option("--rebuild", is_flag=True, help="Re-chunk and re-index everything (reusing no document).")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option(
    "--engine",
    "engine_name",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where texts are embedded: this process, or Ray Data (needs `pip install 'rag-quotes[ray]'`).",
)
@click.option(
    "--ray-address",
    envvar="RAY_ADDRESS",
    help="Ray cluster to embed on with --engine ray [env RAY_ADDRESS; default: a local Ray].",
)
@_friendly
def build(
    corpus_dir: Path | None,
    index_dir: Path | None,
    rebuild: bool,
    as_json: bool,
    quiet: bool,
    engine_name: str,
    ray_address: str | None,
) -> None:
    """Build or update the index (only new and changed documents are embedded)."""
    engine = _engine(corpus_dir, index_dir, ray=engine_name == "ray", ray_address=ray_address)
    _run_build(lambda bars: engine.build(rebuild=rebuild, progress=bars), as_json, quiet)


def _stdin_request(line: str) -> tuple[str, str | None]:
    """A stdin line as (question, previous): a JSON object {"question", "previous"}, or plain text."""
    if not line.lstrip().startswith("{"):
        return line, None
    try:
        data = json.loads(line)
    except ValueError as err:
        raise QuestionError(f"the line is not valid JSON ({err}); send plain text or a JSON object") from err
    question, previous = (data.get("question"), data.get("previous")) if isinstance(data, dict) else (None, None)
    if isinstance(question, str) and (previous is None or isinstance(previous, str)):
        return question, previous
    raise QuestionError('a JSON line needs "question" (text) and may have "previous" (text or null)')


@main.command()
@click.argument("question", required=False)
@_folders
@click.option(
    "--k", "k", type=click.IntRange(1, 100), default=3, show_default=True, help="Maximum number of quotes, best first."
)
@click.option(
    "--previous",
    metavar="QUESTION",
    help='The question asked before, when QUESTION follows up on it ("Which official did he meet?").',
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json (one object), or markdown (blockquotes with numbered footnotes).",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--by-source", is_flag=True, help="Also group the answer per document, each with its own quotes.")
@ORDER_OPTION
@_friendly
def ask(
    question: str | None,
    corpus_dir: Path | None,
    index_dir: Path | None,
    k: int,
    previous: str | None,
    fmt: str,
    as_json: bool,
    by_source: bool,
    by: str,
) -> None:
    """Answer QUESTION with quotes. Without QUESTION, read questions from stdin, one per line, and
    print one JSON object per line (or, with --format markdown, one Markdown answer each); a line
    may also be a JSON object {"question": ..., "previous": ...} to ask a follow-up."""
    from .present.markdown import answer_markdown
    from .present.text import answer_text, to_json
    from .present.views import answer_views

    fmt, by = "json" if as_json else fmt, check_order(by)
    render = {"json": to_json, "markdown": answer_markdown, "text": answer_text}[fmt]
    engine = _engine(corpus_dir, index_dir)
    if question is not None:
        answer = engine.ask(question, k=k, previous=previous, by_source=by_source)
        click.echo(answer_views(answer, fmt, by) or render(answer), nl=fmt == "json")
        return
    if previous is not None:
        raise click.UsageError('--previous goes with a QUESTION; on stdin, send {"question": ..., "previous": ...}')
    if sys.stdin.isatty():
        raise click.UsageError("give a QUESTION, or pipe questions in, one per line")
    engine.open()  # Fail once, clearly, if there is no index.
    render = answer_markdown if fmt == "markdown" else to_json
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        try:
            text, before = _stdin_request(line)
            click.echo(render(engine.ask(text, k=k, previous=before, by_source=by_source)), nl=fmt != "markdown")
        except QuestionError as err:
            click.echo(json.dumps({"question": line, "error": str(err)}, ensure_ascii=False))
        sys.stdout.flush()


@main.command()
@click.argument("sources", nargs=-1, required=True)
@_folders
@click.option("--overwrite", is_flag=True, help="Replace documents of the same name.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@_friendly
def add(
    sources: tuple[str, ...],
    corpus_dir: Path | None,
    index_dir: Path | None,
    overwrite: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Copy files into the corpus, or fetch web pages and PDFs by URL, and update the index.

    SOURCES are file paths or http(s) URLs. A page is stored under a name from its title with a
    NAME.meta.json sidecar recording its URL and the fetch time; its quotes cite that URL. Any
    file or URL that fails adds nothing."""
    urls = [s for s in sources if s.lower().startswith(("http://", "https://"))]
    files: list[tuple[Path, str]] = []
    for source in sources:
        if source in urls:
            continue
        path = Path(source)
        if not path.is_file():
            raise CorpusError(f"{source}: no such file; give a file path or an http(s) URL")
        files.append((path, path.name))
    engine = _engine(corpus_dir, index_dir)
    _run_build(
        lambda bars: engine.add(files, urls=urls, allow_private=True, overwrite=overwrite, progress=bars),
        as_json,
        quiet,
    )


@main.command()
@click.argument("docs", nargs=-1, required=True)
@_folders
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@_friendly
def remove(docs: tuple[str, ...], corpus_dir: Path | None, index_dir: Path | None, as_json: bool, quiet: bool) -> None:
    """Move DOCS (paths in the corpus) and sidecars to the trash (INDEX/.trash/); `rag restore` undoes it."""
    engine = _engine(corpus_dir, index_dir)
    _run_build(lambda bars: engine.remove(docs, progress=bars), as_json, quiet)


@main.command()
@click.argument("docs", nargs=-1)
@_folders
@click.option("--json", "as_json", is_flag=True, help="Print the build report (or the trash) as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@_friendly
def restore(docs: tuple[str, ...], corpus_dir: Path | None, index_dir: Path | None, as_json: bool, quiet: bool) -> None:
    """Bring removed DOCS back from the trash and update the index; without DOCS, list the trash."""
    engine = _engine(corpus_dir, index_dir)
    if docs:
        _run_build(lambda bars: engine.restore(docs, progress=bars), as_json, quiet)
    else:
        click.echo(json.dumps(engine.trash()) if as_json else "\n".join(engine.trash()) or "the trash is empty")


@main.command()
@_folders
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--verify", is_flag=True, help="Also check every index file against its checksum.")
@_friendly
def status(corpus_dir: Path | None, index_dir: Path | None, as_json: bool, verify: bool) -> None:
    """Show the documents, passages, sentences, model and build time of the index."""
    from .present.text import status_text, to_json

    engine = _engine(corpus_dir, index_dir)
    engine.open()  # No index: the one-line error and exit status of `rag ask`.
    result = engine.status()
    checked = engine.verify() if verify and result.built else None
    if as_json:
        click.echo(to_json({**result.to_dict(), "verified_bytes": checked} if verify else result))
        return
    click.echo(status_text(result))
    if checked is not None:
        click.echo(f"checksums: every index file matches its manifest ({checked / 2**20:.1f} MiB checked)")


@main.command("eval")
@click.argument("dataset", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Quotes asked for per question."
)
@click.option(
    "--part",
    type=click.Choice(["check", "tuning", "all"]),
    default="check",
    show_default=True,
    help="Articles to index and ask about: odd positions (check), even positions (tuning), or all.",
)
@click.option(
    "--unanswerable",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="SQuAD file whose questions (articles not in the corpus) must be refused "
    "[default: the other part's questions].",
)
@click.option(
    "--together",
    is_flag=True,
    help="Index every article of DATASET but ask only the part's questions (harder: no out-of-corpus questions).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@_friendly
def eval_command(
    dataset: Path, k: int, part: str, unanswerable: Path | None, together: bool, as_json: bool, quiet: bool
) -> None:
    """Measure answer quality on DATASET (SQuAD v1.1 format) in a temporary corpus and index."""
    from .evaluate.squad import evaluate
    from .present.text import report_text, to_json

    bars = ProgressBars(enabled=not quiet and not as_json)
    try:
        report = evaluate(
            dataset,
            Settings.from_env(),
            k=k,
            part=part,  # type: ignore[arg-type]
            unanswerable=unanswerable,
            together=together,
            progress=lambda done, total: bars("asking", done, total),
        )
    finally:
        bars.close()
    click.echo(to_json(report) if as_json else report_text(report))


@main.command()
@_folders
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (other machines: 0.0.0.0).")
@click.option("--port", default=7860, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--mcp-write",
    is_flag=True,
    help="Also offer the add_url, remove and rebuild tools over MCP (read tools only without).",
)
@click.option("--watch", is_flag=True, help="Update the index whenever files in the corpus folder change.")
@_friendly
def serve(corpus_dir: Path | None, index_dir: Path | None, host: str, port: int, mcp_write: bool, watch: bool) -> None:
    """Start the web app, its REST API (/api/docs) and MCP server (/gradio_api/mcp/), building the
    index first if it is missing or out of date.

    Set RAG_AUTH=user:password to require a login everywhere (page, APIs, MCP), and RAG_API_TOKEN
    for a bearer token programs may send instead; without RAG_AUTH, serving on an address other
    machines can reach prints a warning. Set RAG_ALLOW_PRIVATE_URLS=1 to let the page's
    "Add by link" fetch loopback or private addresses."""
    from .engine import Engine

    settings = Settings.from_env().with_dirs(corpus_dir, index_dir)
    auth, token = settings.serve.credentials()
    from ui.app import launch

    engine = Engine(settings)
    _run_build(lambda bars: engine.build(progress=bars), as_json=False, quiet=False)
    if watch:
        engine.start_watching(_echo_watch_event)
        click.echo(f"watching {engine.settings.corpus_dir} for changes", err=True)
    launch(engine, host, port, auth, api_token=token, mcp_write=mcp_write, block=True)


def _echo_watch_event(event: Any) -> None:
    from .present.text import report_text

    line = f"error: {event}" if isinstance(event, RagError) else report_text(event)
    click.echo(line, err=isinstance(event, RagError))


@main.command()
@_folders
@_friendly
def watch(corpus_dir: Path | None, index_dir: Path | None) -> None:
    """Keep the index up to date with the corpus folder until interrupted (headless `serve --watch`).

    Builds once, then again whenever files are added, changed or removed (debounced, one build at
    a time); each build prints its report."""
    import threading

    engine = _engine(corpus_dir, index_dir)
    _run_build(lambda bars: engine.build(progress=bars), as_json=False, quiet=True)
    stop = engine.start_watching(_echo_watch_event)
    click.echo(f"watching {engine.settings.corpus_dir} for changes (Ctrl-C stops)", err=True)
    try:
        threading.Event().wait()
    finally:
        stop.set()


main.add_command(find_command)

if __name__ == "__main__":
    main()
