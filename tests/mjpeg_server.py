"""An MJPEG camera on 127.0.0.1 for the tests and benchmarks: a white square moving on black.

``multipart/x-mixed-replace`` of JPEG frames it draws at ``fps``; ``drop(seconds)`` cuts
every connection and refuses new ones for that long, as a camera that reboots.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

W, H, SIDE = 160, 120, 20
BOUNDARY = b"frame"


STEPS = 3 * (W - SIDE - 10)  # frames the square takes to cross: 13 s at 30 fps


def draw(k: int, width: int = W, height: int = H) -> np.ndarray:
    """Frame ``k``: the square moves a pixel every 3 frames, left to right, and wraps."""
    img = np.zeros((height, width, 3), np.uint8)
    x = 5 + (k % STEPS) // 3
    cv2.rectangle(img, (x, 50), (x + SIDE, 50 + SIDE), (255, 255, 255), -1)
    return img


class MjpegCamera:
    def __init__(self, fps: float = 30.0, width: int = W, height: int = H) -> None:
        self.fps = fps
        self.sent = 0
        self.down_until = 0.0
        self.jpegs = [
            cv2.imencode(".jpg", draw(k, width, height))[1].tobytes() for k in range(STEPS)
        ]
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if time.monotonic() < camera.down_until:
                    self.connection.shutdown(socket.SHUT_RDWR)  # rebooting: hang up at once
                    return
                self.send_response(200)
                ctype = f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}"
                self.send_header("Content-Type", ctype)
                self.end_headers()
                camera.serve(self.wfile)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/video.mjpg"

    def serve(self, out: object) -> None:
        start, here = time.monotonic(), 0  # frames sent on this connection, for the pace
        try:
            while time.monotonic() >= self.down_until:
                jpeg = self.jpegs[self.sent % len(self.jpegs)]
                part = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % (
                    BOUNDARY,
                    len(jpeg),
                )
                out.write(part + jpeg + b"\r\n")  # type: ignore[attr-defined]
                self.sent += 1
                here += 1
                time.sleep(max(0.0, start + here / self.fps - time.monotonic()))
        except OSError:  # the client went away
            return

    def drop(self, seconds: float) -> None:
        """Hang up on every client now and refuse new ones for ``seconds``."""
        self.down_until = time.monotonic() + seconds


@contextmanager
def mjpeg_camera(fps: float = 30.0, width: int = W, height: int = H) -> Iterator[MjpegCamera]:
    camera = MjpegCamera(fps, width, height)
    thread = threading.Thread(target=camera.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield camera
    finally:
        camera.down_until = float("inf")
        camera.server.shutdown()
        camera.server.server_close()
