"""A minimal RTSP camera on 127.0.0.1 for the tests: the square of ``tests.mjpeg_server``
as MPEG-4 video over RTP (RFC 3016), sent interleaved on the RTSP connection (TCP).

FFmpeg (through PyAV) encodes and packetises the frames; this module only answers
OPTIONS, DESCRIBE, SETUP, PLAY (and anything else with 200) and paces the packets.
``drop(seconds)`` hangs up on every client and refuses new ones for that long.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.mjpeg_server import H, W, draw

SDP = (
    "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=opgraph test camera\r\nc=IN IP4 0.0.0.0\r\n"
    "t=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 MP4V-ES/90000\r\n"
    "a=fmtp:96 profile-level-id=1\r\na=control:track0\r\n"
)


class _Packets(io.RawIOBase):
    """Collects what the RTP muxer writes: one RTP or RTCP packet per write."""

    def __init__(self) -> None:
        self.packets: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.packets.append(bytes(b))
        return len(b)


class RtspCamera:
    def __init__(self, fps: float = 30.0) -> None:
        self.fps = fps
        self.down_until = 0.0
        self.requests: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self._stop = threading.Event()
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self.drop(0)
        self._thread.join(2)
        self._sock.close()

    def drop(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds
        for c in list(self._clients):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            if time.monotonic() < self.down_until:
                conn.close()
                continue
            self._clients.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        lock = threading.Lock()
        playing = threading.Event()
        try:
            threading.Thread(target=self._answer, args=(conn, lock, playing), daemon=True).start()
            if playing.wait(10):
                self._send_video(conn, lock)
        except OSError:
            pass
        finally:
            if conn in self._clients:
                self._clients.remove(conn)
            conn.close()

    def _answer(self, conn: socket.socket, lock: threading.Lock, playing: threading.Event) -> None:
        buf = b""
        try:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                self.requests.append(lines[0])
                cseq = next((ln.split(":", 1)[1].strip() for ln in lines
                             if ln.lower().startswith("cseq")), "0")
                method = lines[0].split(" ", 1)[0]
                reply = self._reply(method, lines[0].split(" ")[1], cseq)
                with lock:
                    conn.sendall(reply)
                if method == "PLAY":
                    playing.set()
        except OSError:
            return

    def _reply(self, method: str, url: str, cseq: str) -> bytes:
        head = f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n"
        if method == "OPTIONS":
            head += "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n"
        elif method == "DESCRIBE":
            base = url if url.endswith("/") else url + "/"
            head += f"Content-Base: {base}\r\nContent-Type: application/sdp\r\n"
            head += f"Content-Length: {len(SDP)}\r\n\r\n{SDP}"
            return head.encode()
        elif method == "SETUP":
            head += "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: 12345678\r\n"
        elif method == "PLAY":
            head += "Session: 12345678\r\nRange: npt=0.000-\r\n"
        return (head + "\r\n").encode()

    def _send_video(self, conn: socket.socket, lock: threading.Lock) -> None:
        import av

        sink = _Packets()
        out = av.open(sink, "w", format="rtp")
        st = out.add_stream("mpeg4", rate=round(self.fps))
        st.width, st.height, st.pix_fmt = W, H, "yuv420p"
        st.codec_context.gop_size = round(self.fps)
        start, k = time.monotonic(), 0
        try:
            while not self._stop.is_set() and time.monotonic() >= self.down_until:
                frame = av.VideoFrame.from_ndarray(draw(k), format="bgr24")
                frame = frame.reformat(format="yuv420p")
                frame.pts = k
                for packet in st.encode(frame):
                    out.mux(packet)
                with lock:
                    for p in sink.packets:
                        channel = 1 if p[1] in (200, 201, 202, 203, 204) else 0
                        conn.sendall(b"$" + bytes([channel]) + len(p).to_bytes(2, "big") + p)
                sink.packets.clear()
                k += 1
                time.sleep(max(0.0, start + k / self.fps - time.monotonic()))
        finally:
            out.close()


@contextmanager
def rtsp_camera(fps: float = 30.0) -> Iterator[RtspCamera]:
    camera = RtspCamera(fps)
    camera.start()
    try:
        yield camera
    finally:
        camera.close()
