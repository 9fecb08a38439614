"""Reaching a host: its name resolved once within a deadline, every address it resolves to
checked by the address guard (``engine._netguard``), and a checked address dialled, so a
second lookup can never swap it (DNS rebinding).  ``engine._fetch`` speaks HTTP over it;
RTSP, RTMP and SMTP clients connect to the address ``resolve_checked`` or
``resolve_allowed`` gives.

``Deadline`` is one exchange's time: past it a watchdog shuts down the sockets it
watches, so a peer that sends one byte a second cannot hold a connection open.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

from engine._netguard import ALLOW_ENV, AddressPolicy, parse_ip
from engine.errors import InputError

__all__ = [
    "Allow",
    "Deadline",
    "FetchError",
    "address_policy",
    "check_addresses",
    "dial",
    "resolve",
    "resolve_allowed",
    "resolve_checked",
]

# what a caller allows beyond the environment's setting: True, or networks ("10.0.0.0/8")
Allow = bool | str | Iterable[str]


class FetchError(InputError):
    """A URL could not be fetched; ``retryable`` when the same request may work later."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class Deadline:
    """The time left for one exchange; past it a timer shuts down the sockets it watches."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._fds: set[int] = set()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError
        return left

    def watch(self, fd: int) -> None:
        with self._lock:
            self._fds.add(fd)
            if self._timer is None:
                self._timer = threading.Timer(max(0.0, self.end - time.monotonic()), self._fire)
                self._timer.daemon = True
                self._timer.start()

    def release(self, fd: int) -> None:
        """Stop watching ``fd``: call before closing it, so a reused number is never hit."""
        with self._lock:
            self._fds.discard(fd)

    def close(self) -> None:
        with self._lock:
            self._fds.clear()
            if self._timer is not None:
                self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for fd in self._fds:
                _shutdown(fd)


def _shutdown(fd: int) -> None:
    # shutdown() acts on the connection, not the descriptor: a dup wakes every blocked read
    try:
        dup = socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()


def resolve_checked(
    url: str, host: str, port: int, *, timeout_s: float, allow_private: Allow = False
) -> str:
    """The one address of ``host`` a client for ``url`` may dial (every address the name
    resolves to must pass the same checks as a fetch's, as ``fetch`` requires): for a
    protocol another library speaks (RTSP, RTMP), pinned to this address."""
    addrs = _resolve_checked(host, port, timeout_s, allow_private, f"open {url!r}")
    return str(addrs[0][4][0])


def address_policy(allow: Allow) -> AddressPolicy:
    try:
        return AddressPolicy.from_env(allow)
    except ValueError as exc:
        raise FetchError(str(exc)) from None


def check_addresses(
    addrs: list[tuple[Any, ...]], policy: AddressPolicy, host: str, doing: str
) -> None:
    for *_, sockaddr in addrs:
        ip = parse_ip(str(sockaddr[0]))
        if not policy.permits(ip):
            raise FetchError(
                f"refusing to {doing}: {host} is {ip}, a private, loopback or link-local "
                f"address (allow it with {ALLOW_ENV}=1, or =NETWORK/BITS for some addresses, "
                "or media.settings.allow_private_urls)"
            )


def resolve_allowed(
    host: str, port: int, *, timeout_s: float, allow_private: Allow = False
) -> list[tuple[Any, ...]]:
    """The addresses of ``host`` (``getaddrinfo`` tuples) for a connection that is not
    HTTP (SMTP), each checked as a URL's host is; ``FetchError`` when one is refused, or
    when the name does not resolve within ``timeout_s``.  Connect to these addresses, not
    to the name, so a second lookup cannot return another one."""
    return _resolve_checked(host, port, timeout_s, allow_private, f"connect to {host}:{port}")


def _resolve_checked(
    host: str, port: int, timeout_s: float, allow: Allow, doing: str
) -> list[tuple[Any, ...]]:
    policy = address_policy(allow)
    try:
        addrs = resolve(host, port, Deadline(timeout_s))
    except TimeoutError:
        why = f"cannot resolve {host!r} within {timeout_s:g} s"
        raise FetchError(why, retryable=True) from None
    check_addresses(addrs, policy, host, doing)
    return addrs


def resolve(host: str, port: int, deadline: Deadline) -> list[tuple[Any, ...]]:
    try:
        ip = parse_ip(host[:-1] if host.endswith(".") else host)  # "127.0.0.1." too
    except ValueError:
        pass
    else:  # a literal address: no lookup
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 0, "", (str(ip), port))]
    found: list[tuple[Any, ...]] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)
        except UnicodeError as exc:  # a label longer than 63 characters
            failed.append(OSError(f"bad host name ({exc})"))

    thread = threading.Thread(target=lookup, name="opgraph-dns", daemon=True)
    thread.start()
    thread.join(deadline.remaining())
    if thread.is_alive():
        deadline.expired = True
        raise TimeoutError
    if failed:
        raise FetchError(f"cannot resolve {host!r}: {failed[0]}", retryable=True)
    if not found:
        raise FetchError(f"cannot resolve {host!r}: no address", retryable=True)
    return found


def dial(addrs: list[tuple[Any, ...]], deadline: Deadline) -> socket.socket:
    last: OSError = OSError("no address to connect to")
    for family, kind, proto, _, sockaddr in addrs:
        sock = socket.socket(family, kind, proto)
        deadline.watch(sock.fileno())
        try:
            sock.settimeout(deadline.remaining())
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            deadline.release(sock.fileno())
            sock.close()
            last = exc
            if isinstance(exc, TimeoutError) or deadline.expired:
                break
    raise last
