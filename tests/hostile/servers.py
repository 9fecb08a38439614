"""The corpus's local HTTP server, on 127.0.0.1 only, run as its own process.

``python -m tests.hostile.servers WORK`` prints its port and serves until stdin closes.
Every request to ``/c/<case>/<action>?...`` is logged (method, path, headers) to
``WORK/hits/<case>.jsonl`` so the case can check what reached the server.  Actions:

  png                 a small PNG image
  file?name=N         the file WORK/files/N
  redirect?to=U&code=C  a redirect (302 unless ``code``) to U
  slow-headers        the status line and headers one byte every 0.3 s (never ends)
  slow-body           headers, then one body byte every 0.3 s (never ends)
  huge                Content-Length 10**12 and a body that never ends
  chat                an OpenAI-compatible chat-completions reply
"""

from __future__ import annotations

import json
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from struct import pack
from urllib.parse import parse_qs, urlsplit

__all__ = ["small_png"]

_CHAT = json.dumps({"choices": [{"message": {"content": "ok"}}], "usage": {}}).encode()


def small_png(width: int = 8, height: int = 8) -> bytes:
    """An 8-bit RGB PNG of one colour, made without any imaging library."""
    raw = b"".join(b"\x00" + b"\x40\x80\xc0" * width for _ in range(height))
    return _png(width, height, 8, 2, zlib.compress(raw))


def _png(width: int, height: int, depth: int, colour: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return pack(">I", len(body)) + kind + body + pack(">I", zlib.crc32(kind + body))

    ihdr = pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class _Handler(BaseHTTPRequestHandler):
    work: Path
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 1 << 20))
        self._serve()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        pieces = parts.path.split("/")
        if len(pieces) < 4 or pieces[1] != "c":
            self._send(404, b"no such route")
            return
        case, action = pieces[2], pieces[3]
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self._log(case)
        try:
            self._act(action, query)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _log(self, case: str) -> None:
        entry = {"method": self.command, "path": self.path, "headers": dict(self.headers)}
        hits = self.work / "hits"
        with (hits / f"{case}.jsonl").open("a") as f:
            f.write(json.dumps(entry) + "\n")

    def _act(self, action: str, query: dict[str, str]) -> None:
        if action == "png":
            self._send(200, small_png(), "image/png")
        elif action == "file":
            self._send(200, (self.work / "files" / query["name"]).read_bytes())
        elif action == "redirect":
            self.send_response(int(query.get("code", "302")))
            self.send_header("Location", query["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif action in ("slow-headers", "slow-body", "huge"):
            self._trickle(action)
        elif action == "chat":
            self._send(200, _CHAT, "application/json")
        else:
            self._send(404, b"unknown action")

    def _trickle(self, action: str) -> None:
        self.close_connection = True
        head = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n"
        if action == "huge":
            self.wfile.write(head + b"Content-Length: 1000000000000\r\n\r\n")
            block = b"\0" * 65536
            for _ in range(200_000):
                self.wfile.write(block)
            return
        if action == "slow-body":
            self.wfile.write(head + b"Content-Length: 100000\r\n\r\n")
            head = b"\x89PNG" + b"\0" * 1000
        else:
            head += b"X-Slow: " + b"a" * 1000
        end = time.monotonic() + 60
        for byte in head:
            if time.monotonic() > end:
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.3)

    def _send(self, code: int, body: bytes, kind: str = "application/octet-stream") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    work = Path(sys.argv[1])
    (work / "hits").mkdir(parents=True, exist_ok=True)
    handler = type("Handler", (_Handler,), {"work": work})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # the runner closes our stdin when it is done
    server.shutdown()


if __name__ == "__main__":
    main()
