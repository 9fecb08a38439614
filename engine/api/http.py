"""The HTTP/1.1 protocol the REST server speaks: uvicorn's on httptools, with its head bounded.

uvicorn parses HTTP with h11 (pure Python) or httptools (llhttp, Node's parser, in C).  On a
small request h11 costs the server about as much CPU as the whole workflow, so the server
uses httptools.  h11 refuses a request line and headers past 16 KiB; uvicorn's httptools
protocol keeps whatever arrives until the head ends, so a client could make a worker hold
headers without end.  ``BoundedHttpTools`` counts a request's head as the parser reads
it (target and headers) and refuses the request once it passes ``MAX_HEAD_BYTES`` (HTTP
400, the connection closed, as h11 answers a head it cannot take).  A single header too
long to end is caught by counting the bytes read while the head is incomplete: the parser
holds at most one read (asyncio reads up to 256 KiB at a time) past the bound.
Bodies are bounded where they are read (``engine.api.requests``).
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

__all__ = ["MAX_HEAD_BYTES", "http_protocol", "rest_config"]

MAX_HEAD_BYTES = 64 * 1024  # request line + headers; Clarifai's clients send well under 1 KiB
_TOO_LARGE = f"The request line and headers are over {MAX_HEAD_BYTES} bytes."


def rest_config(app: Any, **options: Any) -> Any:
    """The ``uvicorn.Config`` the REST server runs ``app`` with: the bounded httptools
    protocol, no access log, and no ``X-Forwarded-*`` headers believed (nothing reads the
    client's address)."""
    import uvicorn

    return uvicorn.Config(
        app, http=http_protocol(), access_log=False, proxy_headers=False, **options
    )


@cache
def http_protocol() -> Any:
    """The protocol class for ``uvicorn.Config(http=...)``: httptools with a bounded head,
    or uvicorn's h11 where httptools is not installed."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover  (httptools ships with opgraph[serve])
        return "h11"

    class BoundedHttpTools(HttpToolsProtocol):
        _in_head = True
        _read = 0  # bytes read while the head was incomplete (bodies' too, in the same read)
        _head = 0  # the head's own bytes so far: request target and headers

        def data_received(self, data: bytes) -> None:
            if self._in_head:
                self._read += len(data)
            super().data_received(data)  # the parser's callbacks say where the head ended
            if self._in_head and self._read > MAX_HEAD_BYTES:  # one header without end
                self._in_head = False  # answered once; the connection closes
                if not self.transport.is_closing():
                    self.send_400_response(_TOO_LARGE)

        def _count(self, size: int) -> None:
            self._head += size
            if self._head > MAX_HEAD_BYTES:
                # the parser stops and uvicorn answers 400 with the connection closed
                raise ValueError(_TOO_LARGE)

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head, self._read, self._head = False, 0, 0
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._in_head = True

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._in_head, self._read, self._head = True, 0, 0

    return BoundedHttpTools
