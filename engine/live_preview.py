"""``opgraph run --preview PORT``: the drawn frames of live streams as MJPEG on 127.0.0.1.

``GET /`` (or ``/0``) streams the first source's drawn frames as
``multipart/x-mixed-replace`` JPEGs, ``/1`` the second's, and so on; a browser, VLC or
``cv2.VideoCapture`` shows them.  The server listens on 127.0.0.1 only.  A frame is encoded
once, only while someone watches, and a slow viewer skips frames (it always gets the
newest) instead of holding the stream back; at most ``MAX_VIEWERS`` watch at once.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

__all__ = ["MAX_VIEWERS", "PreviewServer"]

MAX_VIEWERS = 8
BOUNDARY = "opgraph-frame"
JPEG_QUALITY = 80
_WAIT_S = 1.0  # a viewer re-checks for the server closing this often


class _Channel:
    """The newest JPEG of one stream, and a condition its viewers wait on."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.jpeg: bytes | None = None
        self.number = 0  # frames published, so a viewer knows when one is new


class PreviewServer:
    """MJPEG previews of ``streams`` streams on ``127.0.0.1:port`` (0: any free port)."""

    def __init__(self, port: int, streams: int = 1) -> None:
        self.channels = [_Channel() for _ in range(max(1, streams))]
        self.viewers = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="opgraph-preview", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def watched(self) -> bool:
        """Whether anyone is watching (drawing and encoding are skipped otherwise)."""
        return self.viewers > 0

    def publish(self, stream: int, image: np.ndarray) -> None:
        """Hand viewers of ``stream`` a new BGR frame (encoded only while watched)."""
        if not self.watched():
            return
        import cv2

        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            return
        channel = self.channels[stream]
        with channel.cond:
            channel.jpeg = buf.tobytes()
            channel.number += 1
            channel.cond.notify_all()

    def close(self) -> None:
        self._closed.set()
        for channel in self.channels:
            with channel.cond:
                channel.cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2.0)

    # ---- one viewer -------------------------------------------------------------------------

    def _join(self) -> bool:
        with self._lock:
            if self.viewers >= MAX_VIEWERS:
                return False
            self.viewers += 1
            return True

    def _leave(self) -> None:
        with self._lock:
            self.viewers -= 1

    def serve_viewer(self, out: Any, stream: int) -> None:
        """Write each new frame of ``stream`` to ``out`` until the viewer or server goes."""
        channel, seen = self.channels[stream], 0
        while not self._closed.is_set():
            with channel.cond:
                if channel.number == seen:
                    channel.cond.wait(_WAIT_S)
                if channel.number == seen or channel.jpeg is None:
                    continue
                jpeg, seen = channel.jpeg, channel.number
            head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
            try:
                out.write(head.encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                out.flush()
            except OSError:  # the viewer went away
                return


def _handler(preview: PreviewServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].strip("/")
            stream = int(path) if path.isdigit() and len(path) < 4 else (0 if not path else -1)
            if not 0 <= stream < len(preview.channels):
                self.send_error(404, "no such stream (/, /0, /1, ... one per --input)")
                return
            if not preview._join():
                self.send_error(503, f"at most {MAX_VIEWERS} viewers at once")
                return
            try:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                preview.serve_viewer(self.wfile, stream)
            finally:
                preview._leave()

        def log_message(self, format: str, *args: object) -> None:
            pass  # no access log on the results' terminal

    return Handler
