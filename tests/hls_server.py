"""A live HLS camera on 127.0.0.1 for the tests and benchmarks: the square of
``tests.mjpeg_server`` moving on black, as MPEG-TS segments FFmpeg encodes (through PyAV).

``/live.m3u8`` is a sliding-window live playlist: segment ``n`` (``SEGMENT_S`` long) is listed
once its time has passed, the newest ``WINDOW`` at a time; ``/seg/n.ts`` is its MPEG-TS.
``drop(seconds)`` refuses every request (HTTP 503) for that long, as a camera that reboots;
``/vod.m3u8`` lists the first ``VOD_SEGMENTS`` segments and ends.
"""

from __future__ import annotations

import functools
import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.mjpeg_server import H, W, draw

FPS = 30
SEGMENT_S = 0.5
WINDOW = 3
VOD_SEGMENTS = 4


@functools.lru_cache(maxsize=64)
def segment(n: int, fps: int = FPS, seconds: float = SEGMENT_S) -> bytes:
    """Segment ``n``: frames ``n*fps*seconds ...`` as MPEG-2 video in MPEG-TS, timestamps
    continuing from the segments before it (each starts with a key frame)."""
    import av

    per = round(fps * seconds)
    buf = io.BytesIO()
    with av.open(buf, "w", format="mpegts") as out:
        st = out.add_stream("mpeg2video", rate=fps)
        st.width, st.height, st.pix_fmt = W, H, "yuv420p"
        st.codec_context.gop_size = per
        st.codec_context.options = {"qscale": "2"}
        for k in range(n * per, (n + 1) * per):
            frame = av.VideoFrame.from_ndarray(draw(k), format="bgr24")
            frame.pts = k
            for packet in st.encode(frame):
                out.mux(packet)
        for packet in st.encode():
            out.mux(packet)
    return buf.getvalue()


class HlsCamera:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.down_until = 0.0
        self.requests: list[str] = []
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                camera.requests.append(self.path)
                if time.monotonic() < camera.down_until:
                    self.send_error(503, "rebooting")
                    return
                body, ctype = camera.reply(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.url = f"{self.base}/live.m3u8"
        self.vod_url = f"{self.base}/vod.m3u8"
        # FFmpeg encodes the segments ahead of their time, so serving one never waits on it
        threading.Thread(target=_encode_ahead, daemon=True).start()

    def available(self) -> int:
        """Segments whose time has passed."""
        return int((time.monotonic() - self.started) / SEGMENT_S)

    def reply(self, path: str) -> tuple[bytes | None, str]:
        if path == "/live.m3u8":
            last = self.available()
            return _playlist(range(max(0, last - WINDOW), last), ended=False), _M3U8
        if path == "/vod.m3u8":
            return _playlist(range(VOD_SEGMENTS), ended=True), _M3U8
        if path.startswith("/seg/") and path.endswith(".ts") and path[5:-3].isdigit():
            n = int(path[5:-3])
            if n < self.available() or n < VOD_SEGMENTS:
                return segment(n), "video/mp2t"
        return None, ""

    def drop(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds


_M3U8 = "application/vnd.apple.mpegurl"
AHEAD = 48  # segments encoded in the background (24 s at 0.5 s each)


def _encode_ahead() -> None:
    for n in range(AHEAD):
        segment(n)


def _playlist(numbers: range, *, ended: bool) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{max(1, round(SEGMENT_S))}"]
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{numbers.start}")
    for n in numbers:
        lines += [f"#EXTINF:{SEGMENT_S:.3f},", f"seg/{n}.ts"]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def hls_camera() -> Iterator[HlsCamera]:
    camera = HlsCamera()
    thread = threading.Thread(target=camera.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield camera
    finally:
        camera.server.shutdown()
        camera.server.server_close()
