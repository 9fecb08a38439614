"""Fetching by URL: http/https only, public addresses only, a size cap, one total deadline.

Every network read in opgraph goes through here (image and video URLs, model endpoints).
The host is resolved once and every address it resolves to is checked before anything
connects; the connection is then made to a checked address, so DNS rebinding cannot swap
it, and a refused address gets the same error whether its port is open or closed.  Each
redirect is a new URL and goes through the same checks; ``Authorization`` and cookies are
not sent on to another origin.  The deadline covers everything (DNS, connect, TLS,
headers, body): a watchdog shuts the socket down when it passes, so a server that sends
one byte a second cannot hold a request open.  Proxies are never used: the peer must be
the host the URL names.  Resolving, checking and dialling are ``engine._dial``'s.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit

from engine._dial import (
    Allow,
    Deadline,
    FetchError,
    address_policy,
    check_addresses,
    dial,
    resolve,
    resolve_allowed,
    resolve_checked,
)
from engine._netguard import AddressPolicy

__all__ = [
    "FetchError",
    "FetchReply",
    "check_url",
    "fetch",
    "iter_live_chunks",
    "iter_url_chunks",
    "resolve_allowed",
    "resolve_checked",
]

_SCHEMES = ("http", "https")
_CHUNK = 1 << 16
_MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass(frozen=True)
class FetchReply:
    """A whole HTTP reply (any status): ``url`` is the last one after redirects."""

    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes


def check_url(url: str) -> SplitResult:
    """Refuse a URL whose scheme is not http/https (``file://``, ``ftp://``, ``data:`` ...)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        shown = parts.scheme or "none"
        raise FetchError(f"refusing to fetch {url!r}: scheme {shown!r} (only http and https)")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise FetchError(f"refusing to fetch {url!r}: bad port") from None
    if not parts.hostname:
        raise FetchError(f"refusing to fetch {url!r}: no host")
    return parts


def fetch(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    max_bytes: int,
    timeout_s: float,
    allow_private: Allow = False,
) -> FetchReply:
    """Send one request and read the whole reply, whatever its status.

    ``FetchError`` when the URL is refused, the body passes ``max_bytes``, the whole
    exchange passes ``timeout_s`` or the connection fails (those last two are
    ``retryable``).  ``allow_private`` (True, or networks such as "10.0.0.0/8") adds to
    what the ``OPGRAPH_ALLOW_PRIVATE_URLS`` environment variable allows.
    """
    with _Exchange(url, method, body, headers, timeout_s, allow_private) as ex:
        data = b"".join(ex.chunks(max_bytes))
        resp = ex.response
        return FetchReply(ex.url, resp.status, resp.reason, dict(resp.headers.items()), data)


def iter_url_chunks(
    url: str, *, max_bytes: int, timeout_s: float, allow_private: Allow = False
) -> Iterator[bytes]:
    """The body of a GET of ``url`` in chunks; ``FetchError`` on a non-2xx status too."""
    with _Exchange(url, "GET", None, None, timeout_s, allow_private) as ex:
        resp = ex.response
        if not 200 <= resp.status < 300:
            raise FetchError(f"could not fetch {url!r}: HTTP {resp.status} {resp.reason}")
        yield from ex.chunks(max_bytes)


def iter_live_chunks(
    url: str,
    *,
    connect_timeout_s: float,
    idle_timeout_s: float,
    allow_private: Allow = False,
    content_type: str = "",
) -> Iterator[bytes]:
    """The body of a GET of a live stream (no end, no size): connecting and the headers
    must take less than ``connect_timeout_s``, then each read less than ``idle_timeout_s``
    (a retryable ``FetchError`` when the stream goes quiet).  The same URL and address
    checks as every fetch; the caller bounds what it keeps of the bytes.  A reply whose
    Content-Type does not start with ``content_type`` is refused."""
    with _Exchange(url, "GET", None, None, connect_timeout_s, allow_private) as ex:
        resp = ex.response
        if not 200 <= resp.status < 300:
            raise FetchError(
                f"could not fetch {url!r}: HTTP {resp.status} {resp.reason}",
                retryable=resp.status >= 500,
            )
        got = (resp.getheader("Content-Type") or "").strip().lower()
        if not got.startswith(content_type):
            raise FetchError(
                f"{url!r} is not a live stream: Content-Type {got or 'none'!r}, "
                f"not {content_type}..."
            )
        ex.deadline.close()  # connected: from now on only a quiet read ends the stream
        sock = ex.conn.sock if ex.conn is not None else None
        if sock is not None:
            sock.settimeout(idle_timeout_s)
        try:
            while chunk := resp.read1(_CHUNK):
                yield chunk
        except (OSError, http.client.HTTPException) as exc:
            quiet = isinstance(exc, TimeoutError)
            reason = f"no data for {idle_timeout_s:g} s" if quiet else str(exc) or type(exc)
            raise FetchError(f"live stream {url!r} dropped: {reason}", retryable=True) from None


class _Exchange:
    """One request with its redirects, as a context manager that owns the connection."""

    def __init__(
        self,
        url: str,
        method: str,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        timeout_s: float,
        allow: Allow,
    ) -> None:
        self.url, self.first = url, url
        self.method, self.body = method, body
        self.headers = {"User-Agent": "opgraph", **(headers or {})}
        self.deadline = Deadline(timeout_s)
        self.policy = address_policy(allow)
        self.conn: http.client.HTTPConnection | None = None
        self.response: http.client.HTTPResponse = None  # type: ignore[assignment]

    def __enter__(self) -> _Exchange:
        try:
            with _errors(self):
                self._follow()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def chunks(self, max_bytes: int) -> Iterator[bytes]:
        with _errors(self):
            yield from _read_capped(self.first, self.response, max_bytes, self.deadline)

    def _follow(self) -> None:
        for _ in range(_MAX_REDIRECTS + 1):
            parts = check_url(self.url)
            self.conn = _connect(parts, self.deadline, self.policy, self.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            self.conn.request(self.method, target, body=self.body, headers=self.headers)
            self.response = self.conn.getresponse()
            location = self.response.getheader("Location")
            if self.response.status not in _REDIRECTS or not location:
                return
            self._close_conn()
            self._redirect(self.response.status, urljoin(self.url, location.strip()))
        raise FetchError(f"could not fetch {self.first!r}: more than {_MAX_REDIRECTS} redirects")

    def _redirect(self, status: int, new: str) -> None:
        check_url(new)
        if _origin(new) != _origin(self.url):
            self.headers = {k: v for k, v in self.headers.items() if k.lower() not in _CREDENTIALS}
        if status == 303 or (status in (301, 302) and self.method == "POST"):
            self.method, self.body = "GET", None
            self.headers = {k: v for k, v in self.headers.items() if k.lower() != "content-type"}
        self.url = new

    def _close_conn(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            if conn.sock is not None:
                self.deadline.release(conn.sock.fileno())
            conn.close()

    def _close(self) -> None:
        self.deadline.close()
        self._close_conn()


@contextmanager
def _errors(ex: _Exchange) -> Iterator[None]:
    """Turns socket, TLS and HTTP failures (and the deadline) into one ``FetchError``."""
    try:
        yield
    except FetchError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if ex.deadline.expired or isinstance(exc, TimeoutError):
            limit = ex.deadline.seconds
            raise FetchError(
                f"fetching {ex.first!r} took longer than the time limit ({limit:g} s)",
                retryable=True,
            ) from None
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise FetchError(f"could not fetch {ex.first!r}: {reason}", retryable=True) from None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = 443 if parts.scheme.lower() == "https" else 80
    return parts.scheme.lower(), (parts.hostname or ""), parts.port or default


def _connect(
    parts: SplitResult, deadline: Deadline, policy: AddressPolicy, url: str
) -> http.client.HTTPConnection:
    host = parts.hostname or ""
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    addrs = resolve(host, port, deadline)
    check_addresses(addrs, policy, host, f"fetch {url!r}")
    conn: http.client.HTTPConnection
    if https:
        conn = http.client.HTTPSConnection(
            host, port, timeout=deadline.seconds, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=deadline.seconds)
    # http.client dials through this attribute: dial the checked address, keep the host name
    # for the Host header and TLS (SNI and certificate checks)
    conn._create_connection = lambda *_a, **_k: dial(addrs, deadline)  # type: ignore[attr-defined]
    return conn


def _read_capped(
    url: str, resp: http.client.HTTPResponse, max_bytes: int, deadline: Deadline
) -> Iterator[bytes]:
    length = resp.getheader("Content-Length")
    if length is not None and length.strip().isdigit() and int(length) > max_bytes:
        raise FetchError(f"{url!r} is {int(length)} bytes, more than the {max_bytes}-byte limit")
    total = 0
    while chunk := resp.read1(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(f"{url!r} is more than the {max_bytes}-byte limit")
        deadline.remaining()  # raises TimeoutError past the deadline
        yield chunk
    if deadline.expired:  # the watchdog's shutdown looks like a clean end of the body
        raise TimeoutError
    if resp.length:  # bytes the Content-Length promised that never came
        raise FetchError(f"{url!r} ended early: {resp.length} bytes missing", retryable=True)
