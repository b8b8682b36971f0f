"""A small local web site for the tests that add pages by URL (``http.server`` in a thread): an
article, a redirect to it, a two-page PDF, and the failures (404, 410, an image, an oversize page,
a slow page, a redirect loop)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from .pdfgen import write_pdf

PAGES = Path(__file__).resolve().parent.parent / "benchmarks" / "extraction_pages"
FERRY_PATH = "/news/ferry.html"


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes]]] = {}
    """Path → (status, content type or, for a redirect, its target, body)."""

    def do_GET(self) -> None:
        if self.path == "/slow.html":
            time.sleep(3)
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", f"/loop{len(self.path)}")
            self.end_headers()
            return
        status, ctype, body = self.routes.get(self.path, (404, "text/html", b"<h1>Not found</h1>"))
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", ctype)
            ctype = "text/html"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve the site on a free loopback port; yields its base URL. ``folder``: for the PDF."""
    write_pdf(
        folder / "site-report.pdf",
        [],
        title="Dredging report",
        pages=[["Dredging report for the northern harbours."], ["Dredging of the Carrow channel starts in April."]],
    )
    _Handler.routes = {
        FERRY_PATH: (200, "text/html; charset=utf-8", (PAGES / "01-harbour-news.html").read_bytes()),
        "/old-link": (302, FERRY_PATH, b""),
        "/report.pdf": (200, "application/pdf", (folder / "site-report.pdf").read_bytes()),
        "/image.png": (200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        "/big.html": (200, "text/html", b"<p>" + b"word " * 60_000 + b"</p>"),
        "/slow.html": (200, "text/html", b"<p>late</p>"),
        "/gone.html": (410, "text/html", b"gone"),
        "/latin1.html": (  # The charset only in the HTTP header, as many older sites do.
            200,
            "text/html; charset=iso-8859-1",
            "<html><head><title>Café Müller</title></head><body><p>The café on the square reopened in May "
            "after a year of repairs.</p></body></html>".encode("latin-1"),
        ),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
