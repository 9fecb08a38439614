"""engine/live_preview.py: drawn frames served as MJPEG on 127.0.0.1."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest

from engine.live_preview import MAX_VIEWERS, PreviewServer


def _frames(url: str, n: int) -> list[np.ndarray]:
    """``n`` JPEGs cut from the preview's MJPEG reply, decoded."""
    out = []
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        buf = b""
        while len(out) < n:
            buf += resp.read1(65536)
            while (start := buf.find(b"\xff\xd8")) >= 0 and (end := buf.find(b"\xff\xd9")) > 0:
                out.append(cv2.imdecode(np.frombuffer(buf[start : end + 2], np.uint8), 1))
                buf = buf[end + 2 :]
    return out


def _publish_until(server: PreviewServer, done: threading.Event, stream: int = 0) -> None:
    k = 0
    while not done.is_set():
        img = np.zeros((48, 64, 3), np.uint8)
        img[:, : 1 + k % 60] = 255
        server.publish(stream, img)
        k += 1
        time.sleep(0.01)


def test_a_viewer_gets_the_newest_frames_of_its_stream() -> None:
    server = PreviewServer(0, streams=2)
    done = threading.Event()
    threading.Thread(target=_publish_until, args=(server, done, 1), daemon=True).start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        frames = _frames(server.url + "1", 3)
        assert all(f.shape == (48, 64, 3) for f in frames)
        assert not server.watched() or server.viewers <= 1
    finally:
        done.set()
        server.close()


def test_nothing_is_encoded_while_nobody_watches() -> None:
    server = PreviewServer(0)
    try:
        server.publish(0, np.zeros((8, 8, 3), np.uint8))
        assert server.channels[0].jpeg is None and server.channels[0].number == 0
    finally:
        server.close()


def test_unknown_paths_and_too_many_viewers_are_refused() -> None:
    server = PreviewServer(0)
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url + "7", timeout=5)
        assert err.value.code == 404
        err.value.close()
        server.viewers = MAX_VIEWERS  # as if that many were watching
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url, timeout=5)
        assert err.value.code == 503
        err.value.close()
    finally:
        server.viewers = 0
        server.close()


def test_a_busy_port_is_an_error() -> None:
    server = PreviewServer(0)
    try:
        with pytest.raises(OSError):
            PreviewServer(server.port)
    finally:
        server.close()
