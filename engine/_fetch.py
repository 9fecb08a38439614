"""Fetching media by URL: http/https only, a size cap, a deadline, no private addresses.

The address check runs on the socket's actual peer after it connects (and again on every
redirect, which opens a new connection), so a hostname that resolves to a public address
for a pre-check and to ``127.0.0.1`` for the request (DNS rebinding) is still refused.
Proxies from the environment are not used: the peer must be the host the URL names.
"""

from __future__ import annotations

import http.client
import ipaddress
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import urlsplit

from engine.errors import InputError

__all__ = ["check_url", "iter_url_chunks"]

_SCHEMES = ("http", "https")
_CHUNK = 1 << 16


def check_url(url: str) -> None:
    """Refuse a URL whose scheme is not http/https (``file://``, ``ftp://``, ``data:`` ...)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        shown = parts.scheme or "none"
        raise InputError(f"refusing to fetch {url!r}: scheme {shown!r} (only http and https)")
    if not parts.hostname:
        raise InputError(f"refusing to fetch {url!r}: no host")


def _check_peer(sock: Any, allow_private: bool) -> None:
    if allow_private:
        return
    host = sock.getpeername()[0]
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        sock.close()
        raise InputError(
            f"refusing to fetch from {ip}: a private, loopback or link-local address "
            "(allow it with OPGRAPH_ALLOW_PRIVATE_URLS=1 or media.settings.allow_private_urls)"
        )


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    class _HTTPConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            _check_peer(self.sock, allow_private)

    class _HTTPSConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            _check_peer(self.sock, allow_private)

    class _HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(_HTTPConnection, req)

    class _HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(_HTTPSConnection, req)

    class _Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = 5

        def redirect_request(self, req: Any, fp: Any, code: Any, msg: Any, headers: Any,
                             newurl: str) -> urllib.request.Request | None:
            check_url(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    # built by hand, not build_opener(): no file:, ftp: or data: handlers at all
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        _HTTPHandler(),
        _HTTPSHandler(),
        _Redirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def iter_url_chunks(
    url: str, *, max_bytes: int, timeout_s: float, allow_private: bool
) -> Iterator[bytes]:
    """The body of ``url`` in chunks; InputError past ``max_bytes`` or ``timeout_s`` in all."""
    check_url(url)
    deadline = time.monotonic() + timeout_s
    request = urllib.request.Request(url, headers={"User-Agent": "opgraph"})
    try:
        with _opener(allow_private).open(request, timeout=timeout_s) as resp:
            yield from _read_capped(url, resp, max_bytes, deadline)
    except InputError:
        raise
    except urllib.error.HTTPError as e:
        raise InputError(f"could not fetch {url!r}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, InputError):
            raise reason from e
        raise InputError(f"could not fetch {url!r}: {reason}") from e


def _read_capped(url: str, resp: IO[bytes], max_bytes: int, deadline: float) -> Iterator[bytes]:
    length = getattr(resp, "headers", {}).get("Content-Length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise InputError(f"{url!r} is {int(length)} bytes, more than the {max_bytes}-byte limit")
    total = 0
    # read1 returns after one socket read, so a server that trickles bytes still meets the
    # deadline check; read(n) would wait for all n bytes
    read = getattr(resp, "read1", resp.read)
    while chunk := read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise InputError(f"{url!r} is more than the {max_bytes}-byte limit")
        if time.monotonic() > deadline:
            raise InputError(f"fetching {url!r} took longer than the time limit")
        yield chunk
