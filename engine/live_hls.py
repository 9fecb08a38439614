"""HLS live sources (``http(s)://.../*.m3u8``): every URL through the URL guard, FFmpeg on bytes.

FFmpeg's own HLS demuxer would fetch the playlist and its segments itself, from any host a
playlist names.  Here the playlist (a master playlist's first variant, then its media
playlist) and every segment are fetched through ``engine._fetch`` (http/https only, private
addresses refused unless allowed, sizes and times capped), a segment must be one of the
plain containers ``engine._videosafe`` allows (MPEG-TS, or MP4 fragments after their
``EXT-X-MAP``), and FFmpeg decodes it from memory with its protocols limited to ``file``.

A live playlist is read from its newest segment, then polled for new ones; frames are
handed out at their own pace (by their timestamps), so arrival times and ``sample_ms``
mean what they mean for a camera.  A playlist that ends (``EXT-X-ENDLIST``) is played
once.  Encrypted playlists (``EXT-X-KEY``) are refused.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import numpy as np

from engine._fetch import FetchError, fetch
from engine._videosafe import open_capture, sniff_container
from engine.errors import InputError

__all__ = ["MAX_PLAYLIST_BYTES", "MAX_SEGMENT_BYTES", "Playlist", "hls_frames", "is_hls_url"]

MAX_PLAYLIST_BYTES = 1 << 20
MAX_SEGMENT_BYTES = 64 << 20
MAX_SEGMENT_FRAMES = 10_000  # one segment: minutes of video at any sane rate
_SEGMENT_CONTAINERS = ("mpeg-ts", "mp4/mov")


class SourceEnded(Exception):
    """The source has no more frames and will have none (a playlist that ended)."""


def is_hls_url(source: str) -> bool:
    parts = urlsplit(source)
    return parts.scheme.lower() in ("http", "https") and parts.path.lower().endswith(".m3u8")


@dataclass
class Segment:
    sequence: int
    url: str
    duration: float


@dataclass
class Playlist:
    """What a playlist says, with every URL made absolute."""

    variants: list[str] = field(default_factory=list)  # a master playlist's media playlists
    segments: list[Segment] = field(default_factory=list)
    target_duration: float = 2.0
    ended: bool = False
    encrypted: bool = False
    init_url: str | None = None  # EXT-X-MAP: the fMP4 header every segment needs

    @classmethod
    def parse(cls, text: str, base: str) -> Playlist:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if not lines or lines[0] != "#EXTM3U":
            raise FetchError(f"{base} is not an HLS playlist (no #EXTM3U first line)")
        pl, sequence, duration, variant = cls(), 0, 0.0, False
        for line in lines[1:]:
            tag, _, value = line.partition(":")
            if tag == "#EXT-X-MEDIA-SEQUENCE":
                sequence = _int(value, line, base)
            elif tag == "#EXT-X-TARGETDURATION":
                pl.target_duration = max(0.1, min(float(_int(value, line, base)), 60.0))
            elif tag == "#EXTINF":
                duration = _float(value.split(",", 1)[0], line, base)
            elif tag == "#EXT-X-STREAM-INF":
                variant = True
            elif tag == "#EXT-X-ENDLIST":
                pl.ended = True
            elif tag == "#EXT-X-KEY" and "METHOD=NONE" not in value.upper():
                pl.encrypted = True
            elif tag == "#EXT-X-MAP":
                pl.init_url = urljoin(base, _attribute(value, "URI", line, base))
            elif not line.startswith("#"):
                if variant:
                    pl.variants.append(urljoin(base, line))
                else:
                    pl.segments.append(Segment(sequence, urljoin(base, line), duration))
                    sequence += 1
                variant, duration = False, 0.0
        return pl


def _int(value: str, line: str, base: str) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        raise FetchError(f"bad HLS playlist {base}: {line[:80]!r}") from None
    if not 0 <= n < 1 << 62:
        raise FetchError(f"bad HLS playlist {base}: {line[:80]!r}")
    return n


def _float(value: str, line: str, base: str) -> float:
    try:
        x = float(value.strip())
    except ValueError:
        raise FetchError(f"bad HLS playlist {base}: {line[:80]!r}") from None
    if not 0.0 <= x <= 3600.0:
        raise FetchError(f"bad HLS playlist {base}: {line[:80]!r}")
    return x


def _attribute(value: str, name: str, line: str, base: str) -> str:
    for part in value.split(","):
        key, _, v = part.partition("=")
        if key.strip().upper() == name:
            return v.strip().strip('"')
    raise FetchError(f"bad HLS playlist {base}: {line[:80]!r}")


@dataclass
class _Fetcher:
    timeout_s: float
    allow_private: bool | str

    def get(self, url: str, max_bytes: int) -> bytes:
        reply = fetch(
            url, max_bytes=max_bytes, timeout_s=self.timeout_s, allow_private=self.allow_private
        )
        if not 200 <= reply.status < 300:
            raise FetchError(
                f"could not fetch {url!r}: HTTP {reply.status} {reply.reason}",
                retryable=reply.status >= 500 or reply.status in (404, 408, 429),
            )
        return reply.body

    def playlist(self, url: str) -> Playlist:
        text = self.get(url, MAX_PLAYLIST_BYTES).decode("utf-8", "replace")
        return Playlist.parse(text, url)


def hls_frames(
    url: str, *, timeout_s: float, allow_private: bool | str, stop: threading.Event
) -> Iterator[np.ndarray]:
    """BGR frames of the HLS stream at ``url``, paced by their timestamps, until ``stop``;
    ``SourceEnded`` after the last frame of a playlist that ended."""
    get = _Fetcher(timeout_s, allow_private)
    playlist_url = url
    pl = get.playlist(url)
    if pl.variants:  # a master playlist: its first variant (the one players start with)
        playlist_url = pl.variants[0]
        pl = get.playlist(playlist_url)
        if pl.variants:
            raise FetchError(f"{url}: a master playlist names another master playlist")
    pacer, next_seq = _Pacer(), None
    while not stop.is_set():
        if pl.encrypted:
            raise FetchError(f"{url}: encrypted HLS (EXT-X-KEY) is not supported")
        segs = pl.segments
        if next_seq is None or (segs and next_seq < segs[0].sequence):
            # start at the live edge (a live playlist) or the start (one that ended); after
            # falling behind the window, go on from its oldest segment
            next_seq = segs[0].sequence if pl.ended or next_seq is not None else _edge(segs)
        new = [s for s in segs if s.sequence >= next_seq]
        if not new:
            if pl.ended:
                raise SourceEnded(f"the HLS playlist {url} ended")
            stop.wait(pl.target_duration / 4)  # nothing new yet: poll again soon
        init = get.get(pl.init_url, MAX_SEGMENT_BYTES) if pl.init_url and new else b""
        for seg in new:
            data = init + get.get(seg.url, MAX_SEGMENT_BYTES)
            for pixels, pts_ms in decode_segment(data, seg.url):
                if not pacer.wait(pts_ms, stop):
                    return
                yield pixels
            pacer.segment_done(seg.duration)
            next_seq = seg.sequence + 1
        if not stop.is_set():
            pl = get.playlist(playlist_url)


def _edge(segs: list[Segment]) -> int:
    return segs[-1].sequence if segs else 0


class _Pacer:
    """Hands frames out at their own pace: a segment starts when the previous one's time is
    up (or now, when the fetch made us late), its frames by their timestamps within it."""

    def __init__(self) -> None:
        self.start = time.monotonic()  # wall time of the current segment's first frame
        self.first_pts: float | None = None

    def wait(self, pts_ms: float, stop: threading.Event) -> bool:
        if self.first_pts is None:
            self.first_pts = pts_ms
            self.start = max(self.start, time.monotonic())
        due = self.start + max(0.0, pts_ms - self.first_pts) / 1000.0
        return not stop.wait(max(0.0, due - time.monotonic()))

    def segment_done(self, duration: float) -> None:
        self.start = self.start + duration if self.first_pts is not None else time.monotonic()
        self.first_pts = None


def decode_segment(data: bytes, what: str) -> Iterator[tuple[np.ndarray, float]]:
    """Frames and their times (ms) of one segment, decoded by FFmpeg from a private temporary
    file (FFmpeg reads it with the ``file`` protocol only, as every video file)."""
    from engine.media import _check_pixels, _cv2, to_bgr

    if sniff_container(data[:1024]) not in _SEGMENT_CONTAINERS:
        raise FetchError(f"HLS segment {what} is not MPEG-TS or MP4")
    cv2 = _cv2()
    fd, path = tempfile.mkstemp(prefix="opgraph-hls-", suffix=".ts")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        cap = open_capture(os.path.abspath(path))  # no protocol but file inside a segment
        try:
            if not cap.isOpened():
                raise FetchError(f"HLS segment {what} could not be opened", retryable=True)
            for _ in range(MAX_SEGMENT_FRAMES):
                ok, frame = cap.read()
                if not ok or frame is None:
                    return
                _check_pixels(frame.shape[1], frame.shape[0], f"HLS segment {what}")
                yield to_bgr(frame), float(cap.get(cv2.CAP_PROP_POS_MSEC))
            raise InputError(f"HLS segment {what} has more than {MAX_SEGMENT_FRAMES} frames")
        finally:
            cap.release()
    finally:
        os.unlink(path)
