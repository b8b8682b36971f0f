"""One server on one port: the REST API (``/api``), the page and its Gradio API (``/``), and
Gradio's MCP server (``/gradio_api/mcp/``), run by uvicorn.

With credentials (``RAG_AUTH``) every door asks for them: the page and the Gradio API through
Gradio's login, the REST API and MCP through :class:`RequireCredentials` (HTTP Basic with the same
user and password, or ``Authorization: Bearer`` with ``RAG_API_TOKEN``).
"""

from __future__ import annotations

import base64
import ctypes
import secrets
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from .actions import Actions
from .mcp import READ_TOOLS, TOOL_ENDPOINTS, WRITE_TOOLS
from .rest import API_PREFIX, create_api
from .throttle import LoginThrottle

__all__ = [
    "MCP_PREFIX",
    "Credentials",
    "RequireCredentials",
    "Running",
    "limit_malloc_arenas",
    "start",
    "upload_folder",
]

MCP_PREFIX = "/gradio_api/mcp"


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """Who may use the server: ``user``/``password`` (HTTP Basic, and Gradio's login) and, if
    set, a bearer ``token`` for programs."""

    user: str
    password: str
    token: str | None = None

    def accepts(self, authorization: str) -> bool:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and self.token:
            return secrets.compare_digest(value.strip().encode(), self.token.encode())
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except ValueError:
                return False
            return secrets.compare_digest(user.encode(), self.user.encode()) & secrets.compare_digest(
                password.encode(), self.password.encode()
            )
        return False


class RequireCredentials:
    """ASGI middleware: requests under ``prefixes`` need an ``Authorization`` header that
    ``credentials`` accept, else 401 with a JSON error (other paths pass through)."""

    def __init__(self, app: ASGIApp, credentials: Credentials, prefixes: Iterable[str]) -> None:
        self.app = app
        self.credentials = credentials
        self.prefixes = tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(self.prefixes):
            headers = dict(scope["headers"])
            if not self.credentials.accepts(headers.get(b"authorization", b"").decode("latin-1")):
                from starlette.responses import JSONResponse

                response = JSONResponse(
                    {
                        "error": "authentication required: HTTP Basic with RAG_AUTH's user and password, "
                        "or Authorization: Bearer with RAG_API_TOKEN"
                    },
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="rag-quotes"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def upload_folder() -> Path:
    """Where Gradio keeps the files it received (``GRADIO_TEMP_DIR``, else ``gradio`` in the
    system's temporary folder): the only files the page's upload may add."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` (``M_ARENA_MAX``; 0: no cap), as
    ``MALLOC_ARENA_MAX`` would at start-up: threads taking turns on requests otherwise each grow an
    arena of their own (``ServeSettings.malloc_arenas``). Returns whether it applied (not on other
    C libraries)."""
    if arenas <= 0:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_arena_max = -8
    return bool(libc.mallopt(m_arena_max, arenas))


@dataclass(frozen=True, kw_only=True)
class Running:
    """A started server: ``url``, the Gradio ``blocks``, and :meth:`close` to stop it."""

    url: str
    blocks: gr.Blocks
    server: uvicorn.Server
    thread: threading.Thread | None
    pool: Executor

    def close(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=30)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.blocks.close()


def ask_pool(threads: int) -> ThreadPoolExecutor:
    """The threads that answer every question (``ServeSettings.ask_threads`` of them)."""
    return ThreadPoolExecutor(threads, thread_name_prefix="rag-ask")


def start(
    actions: Actions,
    blocks: gr.Blocks,
    *,
    host: str,
    port: int,
    credentials: Credentials | None,
    mcp_write: bool,
    block: bool,
    launch_kwargs: dict[str, Any],
) -> Running:
    """Serve ``blocks`` (the page) and the REST API over ``actions`` on ``host:port``.

    With ``block`` it serves until interrupted; otherwise in a background thread, once it answers."""
    limit_malloc_arenas(actions.engine.settings.serve.malloc_arenas)
    pool = actions.ask_pool
    app: FastAPI = create_api(actions)
    blocks.queue(default_concurrency_limit=1)
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        server_name=host,
        server_port=port,
        auth=(credentials.user, credentials.password) if credentials else None,
        mcp_server=True,
        **launch_kwargs,
    )
    # Gradio checks that a file named in a request is one it received only once the app "has
    # launched", which a mounted app never does: without this, a request naming any server path
    # had that file copied in as an upload.
    blocks.has_launched = True
    _limit_mcp_tools(blocks, READ_TOOLS + (WRITE_TOOLS if mcp_write else ()))
    if credentials is not None:
        app.add_middleware(RequireCredentials, credentials=credentials, prefixes=(API_PREFIX + "/", MCP_PREFIX))
        # Outside the check above, so it sees its refusals: failed sign-ins slow the client down.
        app.add_middleware(LoginThrottle, prefixes=(API_PREFIX + "/", MCP_PREFIX), login_paths=("/login", "/login/"))
    # Open streams (a page, a client's event stream) get 5 s to finish on Ctrl-C or SIGTERM, not forever.
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    url = f"http://{'127.0.0.1' if host in {'0.0.0.0', '::'} else host}:{port}/"
    if block:
        running = Running(url=url, blocks=blocks, server=server, thread=None, pool=pool)
        print(f"serving on {url} (REST API {url}api/docs, MCP {url}gradio_api/mcp/)", flush=True)
        try:
            server.run()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return running
    thread = threading.Thread(target=server.run, name="rag-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start on {host}:{port}")
        time.sleep(0.05)
    return Running(url=url, blocks=blocks, server=server, thread=thread, pool=pool)


def _limit_mcp_tools(blocks: gr.Blocks, allowed: tuple[str, ...]) -> None:
    """Only ``allowed`` tools (of :data:`ui.mcp.TOOL_ENDPOINTS`) are listed and callable over
    MCP. Gradio makes a tool of every public endpoint and has no per-endpoint switch; its server
    keeps them in ``tool_to_endpoint``, which both listing and calling read."""
    server = getattr(blocks, "mcp_server_obj", None)
    if server is None:
        raise RuntimeError(f"Gradio's MCP server did not start: {getattr(blocks, 'mcp_error', 'unknown error')}")
    endpoints = set(server.tool_to_endpoint.values())
    missing = [name for name in allowed if TOOL_ENDPOINTS[name] not in endpoints]
    if missing:
        raise RuntimeError(f"Gradio's MCP server lacks the tools {missing}")
    server.tool_to_endpoint = {name: TOOL_ENDPOINTS[name] for name in allowed}
