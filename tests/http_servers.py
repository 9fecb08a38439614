"""Small HTTP servers on 127.0.0.1 for network tests: scripted replies, and a trickler."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Recorded", "Route", "serve", "trickle_server"]

# a reply: status, headers, body
Route = Callable[["Recorded"], tuple[int, dict[str, str], bytes]]


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    url: str
    port: int
    requests: list[Recorded] = field(default_factory=list)


@contextmanager
def serve(route: Route) -> Iterator[Server]:
    """A threaded HTTP server on 127.0.0.1 answering every request with ``route``."""
    box: list[Server] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            rec = Recorded(self.command, self.path, dict(self.headers), self.rfile.read(length))
            box[0].requests.append(rec)
            status, headers, body = route(rec)
            try:
                self.send_response(status)
                for k, v in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up

        do_GET = do_POST = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    port = int(httpd.server_address[1])
    box.append(Server(f"http://127.0.0.1:{port}", port))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def trickle_server(prefix: bytes = b"HTTP/1.1 200 OK\r\n", every_s: float = 0.02) -> Iterator[str]:
    """A server that sends ``prefix`` and then a header one byte at a time, never ending it.

    Each byte comes well within any per-read timeout, so only a total deadline stops a
    client.  Yields the base URL; counts nothing, keeps no state."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(prefix)
                while not stop.is_set():
                    conn.sendall(b"X")
                    time.sleep(every_s)
            except OSError:
                pass  # the client hung up: what a deadline does

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
