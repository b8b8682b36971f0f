"""Start the real web app for the UI tests: a private copy of the seed corpus and of its index
(built once per run by the ``seed_engine`` fixture), the real model, a free local port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag import Engine
from ui.app import launch
from ui.server import Running as Server

from .conftest import copy_collection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Running:
    engine: Engine
    app: Server
    url: str

    @property
    def corpus_dir(self) -> Path:
        return self.engine.settings.corpus_dir


def private_engine(seed: Engine, root: Path) -> Engine:
    """An engine over a writable copy of ``seed``'s corpus and index (no re-embedding)."""
    engine = Engine(copy_collection(seed.settings, root), seed.embedder)
    assert not engine.build().written  # The copied index is up to date.
    return engine


@contextmanager
def running_app(
    engine: Engine, auth: tuple[str, str] | None = None, *, api_token: str | None = None, mcp_write: bool = False
) -> Iterator[Running]:
    port = free_port()
    app = launch(engine, "127.0.0.1", port, auth, api_token=api_token, mcp_write=mcp_write, block=False)
    try:
        yield Running(engine, app, f"http://127.0.0.1:{port}/")
    finally:
        app.close()


@contextmanager
def private_app(seed: Engine, root: Path, auth: tuple[str, str] | None = None, **options: Any) -> Iterator[Running]:
    """The app over a private copy of ``seed``'s collection under ``root`` (see :func:`running_app`)."""
    with running_app(private_engine(seed, root), auth, **options) as running:
        yield running
