"""Add-by-link against hostile servers (local, in a thread, never the internet): one deadline for
the whole fetch, headers included, and addresses judged by where the network delivers them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from rag.config import FetchSettings
from rag.errors import FetchError
from rag.ingest.fetch import fetch_urls

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 30\r\n\r\n<html><p>Dripped.</p></html>\r\n"


@contextmanager
def dripping_server(pause_s: float, *, body: bool = False) -> Iterator[str]:
    """A server on 127.0.0.1 that sends its response one byte every ``pause_s`` seconds (only the
    body's bytes slowly with ``body``); it stops by itself after 30 s at most."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    stop = threading.Event()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            head = HEADERS.index(b"\r\n\r\n") + 4 if body else 0
            conn.sendall(HEADERS[:head])
            deadline = time.monotonic() + 30
            for byte in HEADERS[head:]:
                if stop.wait(pause_s) or time.monotonic() > deadline:
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/slow.html"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


@pytest.mark.parametrize("body", [False, True], ids=["headers", "body"])
def test_a_server_dripping_its_response_is_cut_off_at_the_deadline(body: bool):
    """Each byte comes well within the read timeout, but the whole fetch gets 1.5 s, headers included."""
    settings = FetchSettings(timeout_s=1.5, allow_private=True)
    with dripping_server(0.3, body=body) as url:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 1\.5 s"):
            fetch_urls([url], settings)
        elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 1.0, elapsed


@pytest.mark.parametrize(
    "ip",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (a cloud's metadata service)
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "fec0::1",  # site-local
        "::ffff:127.0.0.1",  # IPv4-mapped
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused(ip: str, monkeypatch: pytest.MonkeyPatch):
    def resolve(host: str, port: object, *args: object, **kwargs: object) -> list[tuple]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(FetchError, match=r"refused: .* the non-public address"):
        fetch_urls(["http://sneaky.example/a.html"], FetchSettings(timeout_s=2))


def test_a_public_ipv6_address_is_not_refused_for_its_form(monkeypatch: pytest.MonkeyPatch):
    """2606:4700::1111 is public: the fetch gets past the address check (and fails to connect here)."""

    def resolve(host: str, port: object, *args: object, **kwargs: object) -> list[tuple]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:4700::1111", port, 0, 0))]

    def connect(address: tuple, *args: object, **kwargs: object) -> socket.socket:
        raise OSError("unreachable in this test")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    with pytest.raises(FetchError, match="cannot fetch it"):
        fetch_urls(["http://public.example/a.html"], FetchSettings(timeout_s=2))
