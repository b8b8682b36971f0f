"""Login throttling: a client that keeps failing to sign in is made to wait.

Every door that takes credentials counts: the page's sign-in form (Gradio's ``POST /login``, which
answers 400 to wrong credentials) and the REST API and MCP (HTTP Basic or a bearer token, 401 when
wrong; a request without credentials is no guess). A client (its IP address) gets
:data:`FREE_FAILURES` failed attempts; after that each further attempt must wait a pause that
doubles with every failure, up to :data:`MAX_PAUSE_S`, and an attempt made during the pause is
answered ``429 Too Many Requests`` with a ``Retry-After`` header and a one-line JSON ``error``
saying how long to wait, without checking the credentials. A successful sign-in clears the
client's count; so do :data:`FORGET_S` seconds without a failure.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["FORGET_S", "FREE_FAILURES", "MAX_PAUSE_S", "LoginThrottle"]

FREE_FAILURES = 5
"""Failed sign-ins a client may make without waiting (typos happen)."""
MAX_PAUSE_S = 60.0
"""The longest pause between two attempts (the pause after failure ``n`` is ``2 ** (n - 5)`` s)."""
FORGET_S = 15 * 60.0
"""A client's failures are forgotten this long after its last one."""
_MAX_CLIENTS = 10_000


class LoginThrottle:
    """ASGI middleware: attempts at ``login_paths`` (a 400 or 401 answer is a failure) and at paths
    under ``prefixes`` (a 401 is a failure) are throttled per client address."""

    def __init__(self, app: ASGIApp, prefixes: Iterable[str], login_paths: Iterable[str]) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.login_paths = frozenset(login_paths)
        self.failures: dict[str, tuple[int, float]] = {}  # client -> (failures, time of the last)
        self.lock = threading.Lock()

    def wait_s(self, client: str, now: float) -> float:
        """How long ``client`` must still wait before its next attempt (0: it may try now)."""
        with self.lock:
            count, last = self.failures.get(client, (0, 0.0))
        if count < FREE_FAILURES or now - last > FORGET_S:
            return 0.0
        pause = min(2.0 ** (count - FREE_FAILURES), MAX_PAUSE_S)
        return max(0.0, last + pause - now)

    def record(self, client: str, failed: bool, now: float) -> None:
        with self.lock:
            if not failed:
                self.failures.pop(client, None)
                return
            count, last = self.failures.get(client, (0, 0.0))
            self.failures[client] = (1 if now - last > FORGET_S else count + 1, now)
            if len(self.failures) > _MAX_CLIENTS:  # Forget the stale ones, else the oldest.
                stale = [c for c, (_, t) in self.failures.items() if now - t > FORGET_S]
                for c in stale or sorted(self.failures, key=lambda c: self.failures[c][1])[: _MAX_CLIENTS // 10]:
                    self.failures.pop(c, None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope["path"])
        login = path in self.login_paths and scope.get("method") == "POST"
        if not login and not path.startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        client = str((scope.get("client") or ("unknown",))[0])
        wait = self.wait_s(client, time.monotonic())
        if wait > 0:
            from starlette.responses import JSONResponse

            seconds = math.ceil(wait)
            message = f"too many failed sign-ins from {client}: wait {seconds} s and try again"
            response = JSONResponse(
                {"error": message, "detail": message}, status_code=429, headers={"Retry-After": str(seconds)}
            )
            await response(scope, receive, send)
            return
        failing = {400, 401} if login else {401}
        if not login and not any(key == b"authorization" for key, _ in scope["headers"]):
            await self.app(scope, receive, send)  # No credentials given: no guess to count.
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.record(client, int(message["status"]) in failing, time.monotonic())
            await send(message)

        await self.app(scope, receive, watch)
