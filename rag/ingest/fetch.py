"""Fetch: download web pages and PDFs by URL, safely, for ``rag add URL`` and the page's "Add by link".

Each URL is fetched within one deadline (headers and redirects included), with a size limit, a
redirect limit (every hop checked) and a content-type check (HTML or PDF only). Unless private
addresses are allowed, a host that resolves to a loopback, private, link-local, multicast or
otherwise reserved address is refused, at every hop, and the connection goes to the address that
was checked (:mod:`rag.ingest.fetch_net`): the web app must not become a way into the machine's
own network. Any failure is one
:class:`~rag.errors.FetchError` naming the URL and the reason; nothing is written.

:func:`save_pages` writes the fetched bytes under a readable name (from the page's title, else the
URL) with a ``.meta.json`` sidecar holding the page's URL and the fetch time, ready for
:func:`rag.ingest.corpus.add_files`.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit

from .._version import __version__
from ..config import FetchSettings
from ..errors import CorpusError, FetchError
from .load import SIDECAR_SUFFIX

if TYPE_CHECKING:
    import httpx  # Imported when a URL is fetched: it costs a cold `rag ask` 0.15 s (with its CLI's rich).

__all__ = ["FetchedPage", "fetch_urls", "page_name", "page_title", "parse_urls", "save_pages"]

_TYPES = {"text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf"}
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True, kw_only=True)
class FetchedPage:
    """One downloaded page: its bytes as served, and where and when they came from."""

    url: str
    """The URL asked for."""
    final_url: str
    """The URL the bytes came from, after redirects: what citations link to."""
    kind: str
    """``"html"`` or ``"pdf"``."""
    data: bytes
    fetched_at: str
    """UTC time of the fetch, ISO 8601."""
    charset: str | None = None
    """The charset the server declared in its ``Content-Type``, if any."""


def parse_urls(text: str) -> list[str]:
    """The URLs in ``text``, one per line (blank lines ignored, order kept, duplicates dropped)."""
    urls: list[str] = []
    for line in text.splitlines():
        url = line.strip()
        if url and url not in urls:
            urls.append(url)
    return urls


def _resolve(url: str, host: str, port: int, timeout: float) -> list[str]:
    """The addresses of ``host``, looked up once. The lookup runs on a thread of its own, so a
    resolver that does not answer costs ``timeout`` seconds, not forever."""
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import TimeoutError as LookupTimeout

    pool = ThreadPoolExecutor(1, thread_name_prefix="rag-resolve")
    try:
        infos = pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM).result(timeout=max(timeout, 0.001))
    except LookupTimeout as err:
        raise FetchError(f"{url}: looking up the host {host!r} timed out after {timeout:g} s; try again later") from err
    except (socket.gaierror, UnicodeError) as err:
        raise FetchError(f"{url}: cannot resolve the host {host!r} ({err}); check the link") from err
    finally:
        pool.shutdown(wait=False)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _judged(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address that decides: the IPv4 address inside an IPv4-mapped, NAT64 (``64:ff9b::/96``),
    6to4 (``2002::/16``) or Teredo IPv6 address, which the network delivers to."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour:
            return address.sixtofour
        if address.teredo:
            return address.teredo[1]
    return address


def _check_address(url: str, host: str, ip: str, how: str) -> None:
    """Refuse ``ip`` (an address of ``host``) unless it is a public one."""
    address = _judged(ipaddress.ip_address(ip.split("%")[0]))
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    if not address.is_global or address.is_multicast or site_local:
        raise FetchError(
            f"{url}: refused: {host} {how} the non-public address {address}; the app fetches only "
            "public web addresses (set RAG_ALLOW_PRIVATE_URLS=1 to allow private ones, or use `rag add URL`)"
        )


def _check_peer(url: str, response: httpx.Response, settings: FetchSettings) -> None:
    """Refuse a response that came from a non-public address (a second check: connections are only
    ever made to the address that was looked up and checked, see :func:`_client`). Nothing of such
    a response is read."""
    if settings.allow_private:
        return
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if not peer:
        raise FetchError(f"{url}: refused: the address the page came from is unknown, so it may not be public")
    _check_address(url, urlsplit(url).hostname or "", str(peer[0]), "connected to")


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError as err:
        raise FetchError(f"{url}: not a valid URL ({err}); check the link") from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: not a web link; give an http:// or https:// URL")


def _client(url: str, settings: FetchSettings, deadline: float) -> httpx.Client:
    """An HTTP client for one fetch of ``url``, redirects included. Its connections (see
    :func:`rag.ingest.fetch_net.guarded_transport`) look each host up once, refuse a non-public address
    (unless allowed) and connect to exactly the address that was checked, so a name that resolves
    anew to a private address (DNS rebinding) never reaches it; every read and write gets only the
    time left before ``deadline``, so a server dripping its headers cannot hold the fetch longer."""
    import httpx

    from .fetch_net import guarded_transport

    def addresses(host: str, port: int, timeout: float) -> list[str]:
        found = _resolve(url, host, port, timeout)
        if not settings.allow_private:
            for ip in found:
                _check_address(url, host, ip, "resolves to")
        return found

    return httpx.Client(
        transport=guarded_transport(addresses, deadline),
        timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=False,
        headers={"User-Agent": f"rag-quotes/{__version__} (+article ingestion)"},
    )


def _kind(url: str, response: httpx.Response) -> str:
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    kind = _TYPES.get(ctype)
    if kind is None:
        raise FetchError(f"{url}: the server sent {ctype or 'no content type'}, not a web page or a PDF")
    return kind


def _size(n: float) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"


def _read_body(url: str, response: httpx.Response, settings: FetchSettings, deadline: float) -> bytes:
    limit = settings.max_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"{url}: {_size(int(declared))} is over the {_size(limit)} limit")
    body = bytearray()
    for block in response.iter_bytes():
        body += block
        if len(body) > limit:
            raise FetchError(f"{url}: larger than the {_size(limit)} limit")
        if time.monotonic() > deadline:
            raise FetchError(f"{url}: timed out after {settings.timeout_s:g} s")
    return bytes(body)


def _fetch(url: str, settings: FetchSettings) -> FetchedPage:
    """Download ``url`` (an HTML page or a PDF) within ``settings.timeout_s`` overall, headers and
    redirects included; raises :class:`FetchError` naming it and why not."""
    import httpx

    deadline = time.monotonic() + settings.timeout_s
    current = url
    try:
        with _client(url, settings, deadline) as http:
            for _ in range(settings.max_redirects + 1):
                _check_url(current)
                with http.stream("GET", current) as response:
                    _check_peer(current, response, settings)
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"{url}: the server answered {response.status_code} {response.reason_phrase}")
                    kind = _kind(url, response)
                    data = _read_body(url, response, settings, deadline)
                    charset = response.charset_encoding
                return FetchedPage(
                    url=url,
                    final_url=current,
                    kind=kind,
                    data=data,
                    fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    charset=charset,
                )
        raise FetchError(f"{url}: more than {settings.max_redirects} redirects; give the final address")
    except httpx.TimeoutException as err:
        raise FetchError(f"{url}: timed out after {settings.timeout_s:g} s") from err
    except httpx.HTTPError as err:
        raise FetchError(f"{url}: cannot fetch it ({err}); check the link") from err


def fetch_urls(urls: Iterable[str], settings: FetchSettings) -> list[FetchedPage]:
    """Fetch every URL (redirects followed by hand, so each hop is checked), or raise
    :class:`FetchError` for the first that fails, so that nothing is added."""
    urls = list(urls)
    if not urls:
        raise FetchError("no URL given: give one or more http(s) links, one per line")
    return [_fetch(url, settings) for url in urls]


def page_title(page: FetchedPage) -> str | None:
    """The title a web page declares (for its file name); ``None`` for a PDF or an untitled page."""
    if page.kind != "html":
        return None
    from .formats.html import html_title
    from .load import decode_html

    try:
        return html_title(decode_html(page.data, page.url, page.charset))
    except CorpusError:
        return None  # Refused later, with the reason, when the page is read as a document.


def _slug(text: str, limit: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return slug[:limit].rstrip("-")


def page_name(page: FetchedPage, title: str | None) -> str:
    """A readable file name: the title's words, else the URL's last path segment, else its host."""
    parts = urlsplit(page.final_url)
    stem = _slug(title or "")
    if not stem:
        segment = PurePosixPath(unquote(parts.path)).name
        stem = _slug(PurePosixPath(segment).stem if segment else "") or _slug(parts.hostname or "") or "page"
    return f"{stem}.{page.kind}"


def save_pages(pages: Iterable[tuple[FetchedPage, str | None]], folder: Path) -> list[tuple[Path, str]]:
    """Write each ``(page, title)`` into ``folder`` with its sidecar; the ``(path, name)`` pairs for
    :func:`rag.ingest.corpus.add_files`. Two pages that would get one name are numbered."""
    written: list[tuple[Path, str]] = []
    used: set[str] = set()
    for page, title in pages:
        name = page_name(page, title)
        stem, dot, suffix = name.rpartition(".")
        n = 2
        while name in used:
            name = f"{stem}-{n}{dot}{suffix}"
            n += 1
        used.add(name)
        path = folder / name
        path.write_bytes(page.data)
        sidecar = {"url": page.final_url, "fetched_from": page.url, "fetched_at": page.fetched_at}
        if page.charset:
            sidecar["charset"] = page.charset  # For a page whose bytes do not say how to read them.
        path.with_name(name + SIDECAR_SUFFIX).write_text(json.dumps(sidecar, indent=1), encoding="utf-8")
        written.append((path, name))
    return written
