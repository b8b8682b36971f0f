"""The connections :mod:`rag.fetch` makes: to the address that was checked, within one deadline.

httpx's timeouts bound each network operation, not a request: a server that sends its headers one
byte at a time, each within the read timeout, holds a request as long as it likes. And httpx looks
a host up again when it connects, so a name that resolved to a public address when it was checked
can resolve to a private one for the connection (DNS rebinding). The transport made here fixes
both below httpx, in httpcore's network backend: a connection is opened only to an address the
caller's ``addresses(host, port, timeout)`` returned (it looks the host up once and refuses what
may not be reached), and every connect, read and write gets at most the time left before the
deadline. TLS still checks the certificate against the host name, not the address.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = ["guarded_transport"]

Addresses = Callable[[str, int, float], list[str]]


def guarded_transport(addresses: Addresses, deadline: float) -> httpx.HTTPTransport:
    """An httpx transport whose connections go only to ``addresses(host, port, timeout)`` and end by
    ``deadline`` (a :func:`time.monotonic` time)."""
    import httpcore
    import httpx

    class DeadlineStream(httpcore.NetworkStream):
        def __init__(self, inner: httpcore.NetworkStream) -> None:
            self.inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self.inner.read(max_bytes, _left(deadline, timeout, httpcore.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self.inner.write(buffer, _left(deadline, timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self.inner.close()

        def start_tls(
            self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
        ) -> httpcore.NetworkStream:
            left = _left(deadline, timeout, httpcore.ConnectTimeout)
            return DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, left))

        def get_extra_info(self, info: str) -> Any:
            return self.inner.get_extra_info(info)

    class PinnedBackend(httpcore.NetworkBackend):
        def __init__(self) -> None:
            self.inner = httpcore.SyncBackend()

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.NetworkStream:
            error: Exception | None = None
            for ip in addresses(host, port, _left(deadline, timeout, httpcore.ConnectTimeout)):
                left = _left(deadline, timeout, httpcore.ConnectTimeout)
                try:
                    stream = self.inner.connect_tcp(ip, port, left, local_address, socket_options)
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                    error = err
                    continue
                return DeadlineStream(stream)
            raise error or httpcore.ConnectError(f"no address for {host}")

        def sleep(self, seconds: float) -> None:
            self.inner.sleep(seconds)

    transport = httpx.HTTPTransport(trust_env=False)
    # httpx has no parameter for httpcore's network backend: its pool is made again with ours.
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=PinnedBackend())
    return transport


def _left(deadline: float, timeout: float | None, expired: type[Exception]) -> float:
    """The time an operation may take: its own ``timeout``, cut to what is left before ``deadline``."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the deadline for this download has passed")
    return left if timeout is None else min(timeout, left)
