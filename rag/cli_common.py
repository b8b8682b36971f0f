"""What every ``rag`` command shares: the ``--corpus``/``--index`` options, the engine they
open, and the one-line error on the project's errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .config import Settings
from .errors import RagError

__all__ = ["engine_for", "folders", "friendly"]

F = TypeVar("F", bound=Callable[..., Any])


def folders(func: F) -> F:
    func = click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Index folder [env RAG_INDEX_DIR; default: index/].",
    )(func)
    func = click.option(
        "--corpus",
        "corpus_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Corpus folder [env RAG_CORPUS_DIR; default: corpus/].",
    )(func)
    return func


def engine_for(
    corpus_dir: Path | None, index_dir: Path | None, *, ray: bool = False, ray_address: str | None = None
) -> Any:
    from .engine import Engine

    settings = Settings.from_env().with_dirs(corpus_dir, index_dir)
    if ray:
        from .embed.ray_actors import RayEmbedder

        return Engine(settings, RayEmbedder(settings, address=ray_address))
    return Engine(settings)


def friendly(func: F) -> F:
    """Turn the project's errors into one line on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RagError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
