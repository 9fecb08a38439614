"""Live video sources: an MJPEG or HLS URL, an RTSP/RTMP URL, a camera device or index.

``engine.live_hls`` reads HLS playlists (``.m3u8``) and ``engine.live_rtsp`` RTSP/RTMP
streams, both behind the URL guard; this module reads MJPEG and cameras itself.

A reader thread pulls frames as they arrive and keeps only recent ones: a frame that has
waited longer than ``max_delay_s`` is dropped for a newer one, and at most
``buffered_frames`` are held, so a slow graph skips frames to stay current instead of
queueing them (memory is bounded however far behind the graph is), while frames that
arrive together in one burst (one socket read, a busy machine) are all kept for a graph
that keeps up.  When the source drops, the thread
reconnects with backoff; each frame carries how long the source was down before it, so
the caller can keep state across a short drop and reset it after a long one.  A source
that never opens, or stays down past ``give_up_after_s``, ends the stream with one
``InputError``.

MJPEG URLs are read through the same guarded fetch as every URL (http/https only, private
addresses refused unless allowed); JPEG frames are cut from the byte stream at their
start/end markers (whatever the multipart boundary) and decoded in the reader thread, as
OpenCV's capture does: OpenCV releases the GIL while it decodes, so decoding the next
frame overlaps the graph's work on this one.  A frame that does not decode is handed on
as its bytes, and fails alone when the consumer decodes it.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine._fetch import FetchError, iter_live_chunks
from engine.errors import InputError
from engine.live_hls import SourceEnded, hls_frames, is_hls_url
from engine.live_rtsp import is_stream_url, stream_frames

__all__ = ["LiveFrame", "LiveReader", "LiveSettings", "is_live_by_itself", "is_live_source"]

_SOI, _EOI = b"\xff\xd8", b"\xff\xd9"
_DEVICE = re.compile(r"/dev/video\d{1,3}")
_Opener = Callable[[threading.Event], Iterator[Any]]


@dataclass
class LiveSettings:
    """Timing and size limits of one live source."""

    open_timeout_s: float = 10.0  # the first connection, retries included
    idle_timeout_s: float = 5.0  # no bytes for this long: the source has dropped
    give_up_after_s: float = 30.0  # down this long while reconnecting: the stream ends
    reset_after_s: float = 5.0  # a drop longer than this resets trackers and counters
    max_frame_bytes: int = 16 << 20  # one encoded JPEG of an MJPEG stream
    backoff_s: float = 0.1  # first wait before reconnecting, doubled up to max_backoff_s
    max_backoff_s: float = 2.0
    # frames held for a graph that is behind, oldest handed out first (1 keeps only the
    # newest); a frame older than max_delay_s is dropped when a newer one is there, so a
    # burst of frames that arrived together is kept but a graph never falls behind
    buffered_frames: int = 8
    max_delay_s: float = 0.1
    allow_private_urls: bool | str = False  # as media.settings.allow_private_urls
    # decode JPEGs in the reader thread (overlapping the graph); False hands on the bytes,
    # so a frame that is dropped is never decoded (less CPU when the graph is far behind)
    decode_in_reader: bool = True


@dataclass(frozen=True)
class LiveFrame:
    """One arrived frame: JPEG bytes (MJPEG) or BGR pixels (a camera)."""

    payload: bytes | np.ndarray
    arrival: float  # time.monotonic() when it arrived
    gap_s: float  # how long the source was down just before this frame (0: it was not)


def is_live_source(source: object) -> bool:
    """A camera index ("0"), a camera device ("/dev/video0"), an http(s) URL (MJPEG or an
    HLS playlist) or an rtsp:// / rtmp:// URL."""
    if isinstance(source, int) and not isinstance(source, bool):
        return source >= 0
    if not isinstance(source, str):
        return False
    return (
        source.isdigit()
        or bool(_DEVICE.fullmatch(source))
        or _is_http(source)
        or is_stream_url(source)
    )


def is_live_by_itself(source: str) -> bool:
    """Sources no file could be: cameras, HLS playlists, RTSP/RTMP (an http URL needs
    ``--live`` on the command line, or it is an image or video to download)."""
    return is_live_source(source) and (
        source.isdigit() or bool(_DEVICE.fullmatch(source)) or is_hls_url(source)
        or is_stream_url(source)
    )


def _is_http(source: str) -> bool:
    return source.split("://", 1)[0].lower() in ("http", "https") and "://" in source


class LiveReader:
    """Reads ``source`` in a thread; iterate ``frames()`` and ``close()`` when done."""

    def __init__(self, source: str | int, settings: LiveSettings | None = None) -> None:
        if not is_live_source(source):
            raise InputError(
                f"{source!r} is not a live source (an http(s) MJPEG or .m3u8 URL, rtsp:// or "
                "rtmp://, /dev/videoN or a camera index)"
            )
        self.source = str(source)
        self.settings = settings or LiveSettings()
        self.received = 0  # frames that arrived
        self.dropped = 0  # frames replaced by a newer one before they were taken
        self._open = _opener(self.source, self.settings)
        self._cond = threading.Condition()
        self._slots: deque[LiveFrame] = deque()
        self._error: InputError | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="opgraph-live", daemon=True)

    def frames(self) -> Iterator[LiveFrame]:
        """Kept frames, oldest first, as the caller asks; ``InputError`` when the source ends."""
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()  # on first use: an unread stream holds no connection
        while True:
            with self._cond:
                while not self._slots and self._error is None and not self._stop.is_set():
                    self._cond.wait(0.1)
                self._drop_late(time.monotonic() - self.settings.max_delay_s)
                frame = self._slots.popleft() if self._slots else None
                if frame is None:
                    if self._error is not None:
                        raise self._error
                    return  # closed
            yield frame

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.ident is not None:
            self._thread.join(timeout=self.settings.idle_timeout_s + 1.0)

    # ---- the reader thread ---------------------------------------------------------------

    def _read(self) -> None:
        s = self.settings
        started = time.monotonic()
        last_frame: float | None = None  # None until the source has opened once
        backoff = s.backoff_s
        while not self._stop.is_set():
            try:
                first = True  # of this connection: it carries the time the source was down
                for payload in self._open(self._stop):
                    now = time.monotonic()  # arrival: before the decode, as latency counts it
                    if s.decode_in_reader and isinstance(payload, bytes):
                        payload = _decoded(payload)
                    gap = now - last_frame if first and last_frame is not None else 0.0
                    self._publish(LiveFrame(payload, now, gap))
                    last_frame, backoff, first = now, s.backoff_s, False
                reason = "the source ended the stream"
            except SourceEnded:
                return self._end()
            except InputError as exc:
                if isinstance(exc, FetchError) and not exc.retryable:
                    return self._fail(f"cannot read live source {self.source}: {exc}")
                reason = str(exc)
            down_since = started if last_frame is None else last_frame
            limit = s.open_timeout_s if last_frame is None else s.give_up_after_s
            if time.monotonic() - down_since > limit:
                if last_frame is None:
                    what = f"could not open live source {self.source} within {limit:g} s"
                else:
                    what = f"lost live source {self.source}: down for more than {limit:g} s"
                return self._fail(f"{what} (LiveSettings); last error: {reason}")
            self._stop.wait(backoff)
            backoff = min(backoff * 2, s.max_backoff_s)
        return None

    def _publish(self, frame: LiveFrame) -> None:
        with self._cond:
            self.received += 1
            self._slots.append(frame)
            while len(self._slots) > max(1, self.settings.buffered_frames):
                self._drop_oldest()
            self._cond.notify()

    def _drop_late(self, arrived_before: float) -> None:
        """Drop frames that arrived before ``arrived_before`` while a newer one is held."""
        while len(self._slots) > 1 and self._slots[0].arrival < arrived_before:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        old = self._slots.popleft()
        self.dropped += 1
        if old.gap_s:  # the gap belongs to the stream: the next frame out carries it
            head = self._slots[0]
            self._slots[0] = LiveFrame(head.payload, head.arrival, max(head.gap_s, old.gap_s))

    def _end(self) -> None:
        """The source has no more frames: the kept ones are handed out, then frames() ends."""
        with self._cond:
            self._stop.set()
            self._cond.notify_all()

    def _fail(self, message: str) -> None:
        with self._cond:
            self._error = InputError(message)
            self._cond.notify_all()


def _decoded(jpeg: bytes) -> bytes | np.ndarray:
    """The frame's pixels, or its bytes when they do not decode (the consumer reports it)."""
    from engine.media import decode_image_bytes

    try:
        return decode_image_bytes(jpeg)
    except InputError:
        return jpeg


def _opener(source: str, settings: LiveSettings) -> _Opener:
    s = settings
    if is_hls_url(source):
        return lambda stop: hls_frames(
            source, timeout_s=s.idle_timeout_s, allow_private=s.allow_private_urls, stop=stop
        )
    if is_stream_url(source):
        return lambda stop: stream_frames(
            source, timeout_s=s.idle_timeout_s, allow_private=s.allow_private_urls, stop=stop
        )
    if _is_http(source):
        return lambda stop: _mjpeg(source, settings, stop)
    return lambda stop: _camera(source, stop)


def _mjpeg(url: str, s: LiveSettings, stop: threading.Event) -> Iterator[bytes]:
    """JPEG images cut from an MJPEG stream (``multipart/x-mixed-replace``)."""
    chunks = iter_live_chunks(
        url,
        connect_timeout_s=s.idle_timeout_s,
        idle_timeout_s=s.idle_timeout_s,
        allow_private=s.allow_private_urls,
        content_type="multipart/",  # an MJPEG stream; a video file's URL goes to predict
    )
    buf = bytearray()
    try:
        for chunk in chunks:
            if stop.is_set():
                return
            buf += chunk
            while (start := buf.find(_SOI)) >= 0 and (end := buf.find(_EOI, start + 2)) >= 0:
                yield bytes(buf[start : end + 2])
                del buf[: end + 2]
            if len(buf) > s.max_frame_bytes:
                raise InputError(
                    f"live source {url}: a frame is larger than {s.max_frame_bytes} bytes, "
                    "or the stream is not MJPEG"
                )
    finally:
        chunks.close()  # type: ignore[attr-defined]


def _camera(source: str, stop: threading.Event) -> Iterator[np.ndarray]:
    """Frames of a camera by index or device path, read with OpenCV."""
    from engine.media import _cv2, to_bgr

    cv2 = _cv2()
    cap = cv2.VideoCapture(int(source) if source.isdigit() else source)
    try:
        if not cap.isOpened():
            raise InputError(f"camera {source} did not open (no such device, or it is busy)")
        while not stop.is_set():
            ok, frame = cap.read()
            if not ok or frame is None:
                raise InputError(f"camera {source} stopped sending frames")
            yield to_bgr(frame)
    finally:
        cap.release()
