"""RTSP and RTMP live sources: FFmpeg reads them, pinned to an address the URL guard passed.

FFmpeg speaks RTSP/RTMP itself, so the guard runs first: the host is resolved here and
every address it resolves to must pass the same checks as a fetched URL's (private,
loopback and link-local addresses refused unless allowed).  FFmpeg is then given the URL
with the host replaced by that checked address (no second lookup it could be tricked by),
RTSP over TCP only (no UDP ports opened to whoever asks), and its protocols limited to the
ones the stream needs (``rtsp,rtp,tcp`` / ``rtmp,tcp``: no ``file``, ``http`` or others).
One limit remains: an RTSP server may answer with a redirect, which FFmpeg follows to
another host (over the same protocols).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import numpy as np

from engine._fetch import FetchError, resolve_checked
from engine._videosafe import open_capture

__all__ = ["is_stream_url", "pinned_url", "stream_frames"]

_PORTS = {"rtsp": 554, "rtmp": 1935}
_PROTOCOLS = {"rtsp": "rtsp,rtp,tcp", "rtmp": "rtmp,tcp"}


def is_stream_url(source: str) -> bool:
    return source.split("://", 1)[0].lower() in _PORTS and "://" in source


def pinned_url(url: str, *, timeout_s: float, allow_private: bool | str) -> str:
    """``url`` with its host replaced by the one address it may be read from."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _PORTS[scheme]
    except ValueError:
        raise FetchError(f"refusing to open {url!r}: bad port") from None
    host = parts.hostname
    if not host:
        raise FetchError(f"refusing to open {url!r}: no host")
    ip = resolve_checked(url, host, port, timeout_s=timeout_s, allow_private=allow_private)
    shown = f"[{ip}]" if ":" in ip else ip
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""  # as written
    return parts._replace(netloc=f"{auth}{shown}:{port}").geturl()


def stream_frames(
    url: str, *, timeout_s: float, allow_private: bool | str, stop: threading.Event
) -> Iterator[np.ndarray]:
    """BGR frames of an RTSP/RTMP stream as FFmpeg decodes them, until ``stop``."""
    from engine.media import _check_pixels, _cv2, to_bgr

    cv2 = _cv2()
    pinned = pinned_url(url, timeout_s=timeout_s, allow_private=allow_private)
    ms = int(timeout_s * 1000)
    scheme = urlsplit(url).scheme.lower()
    cap = open_capture(
        pinned,
        protocols=_PROTOCOLS[scheme],
        options=("rtsp_transport;tcp",) if scheme == "rtsp" else (),
        params=(cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms),
    )
    try:
        if not cap.isOpened():
            raise FetchError(f"live stream {_hide(url)} did not open", retryable=True)
        while not stop.is_set():
            ok, frame = cap.read()
            if not ok or frame is None:
                raise FetchError(f"live stream {_hide(url)} stopped sending frames", retryable=True)
            _check_pixels(frame.shape[1], frame.shape[0], f"live stream {_hide(url)}")
            yield to_bgr(frame)
    finally:
        cap.release()


def _hide(url: str) -> str:
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()
    return url
