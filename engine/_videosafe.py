"""What a video must be before FFmpeg opens it: a known container, and sane timing.

FFmpeg picks its demuxer by probing the bytes, and some demuxers open other files: a
``concat``/``ffconcat`` list or an HLS playlist would read any file the process can.  So
a video is opened only when its first bytes are one of a few plain containers, always by
its absolute path, and with FFmpeg's protocols limited to ``file`` (no ``concat:``,
``subfile,``, ``http:`` ... inside a container either).
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any

from engine.errors import InputError

__all__ = [
    "CONTAINERS",
    "HEAD_BYTES",
    "MAX_FPS",
    "MIN_FPS",
    "check_fps",
    "open_capture",
    "restrict_ffmpeg",
    "set_decode_threads",
    "sniff_container",
]

CONTAINERS = ("mp4/mov", "webm/mkv", "avi", "mpeg-ts", "mpeg-ps", "flv")
MIN_FPS = 0.001  # one frame per 1000 s: slower than any time-lapse
MAX_FPS = 1000.0  # faster than any camera a workflow samples at 100 ms or more
HEAD_BYTES = 1024

_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_WHITELIST = "protocol_whitelist;file"
# ISO base media boxes that may come first (ftyp usually; moov/mdat in old QuickTime)
_MP4_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})


def sniff_container(head: bytes) -> str | None:
    """The container named by a file's first bytes, or None when it is not an allowed one."""
    if len(head) >= 8 and head[4:8] in _MP4_BOXES:
        return "mp4/mov"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm/mkv"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if _mpeg_ts(head):
        return "mpeg-ts"
    if head[:4] == b"\x00\x00\x01\xba":
        return "mpeg-ps"
    if head[:3] == b"FLV" and head[3:4] == b"\x01":
        return "flv"
    return None


def _mpeg_ts(head: bytes) -> bool:
    # sync byte 0x47 every 188 bytes (192 in M2TS, behind a 4-byte timecode)
    for size, first in ((188, 0), (192, 4)):
        spots = range(first, min(len(head), first + 3 * size), size)
        if len(spots) >= 2 and all(head[i] == 0x47 for i in spots):
            return True
    return False


def restrict_ffmpeg() -> None:
    """Limit FFmpeg to the ``file`` protocol, keeping any other capture option the user set.

    OpenCV reads the variable at every open, so setting it before each open is enough."""
    current = os.environ.get(_OPTIONS_ENV, "")
    kept = [o for o in current.split("|") if o and not o.startswith("protocol_whitelist;")]
    os.environ[_OPTIONS_ENV] = "|".join([*kept, _WHITELIST])


_options_lock = threading.Lock()  # the options travel in one process-wide variable
_decode_threads: list[int] = []  # FFmpeg's decoding threads per capture; empty: its default


def set_decode_threads(n: int | None) -> None:
    """FFmpeg's decoding threads for every capture this process opens from now on (``None``:
    FFmpeg's default, one per core).  A worker process sharing the cores with others sets
    its share, so n workers do not run n x cores decoding threads on the cores."""
    if n is not None and n < 1:
        raise ValueError(f"decoding threads must be at least 1, got {n}")
    _decode_threads[:] = [] if n is None else [n]


def open_capture(
    target: str, *, protocols: str = "file", options: tuple[str, ...] = (),
    params: tuple[int, ...] = (),
) -> Any:
    """``cv2.VideoCapture(target, CAP_FFMPEG)`` with FFmpeg's protocols limited to
    ``protocols`` and the capture ``options`` given ("key;value").  OpenCV reads them from a
    process-wide variable at each open, so opens are serialised here, and the variable is
    left limiting FFmpeg to ``file`` again whatever this open allowed.  ``params`` are
    OpenCV's open parameters; the decoding threads set by ``set_decode_threads`` join them."""
    import cv2

    if _decode_threads and cv2.CAP_PROP_N_THREADS not in params[::2]:
        params = (*params, cv2.CAP_PROP_N_THREADS, _decode_threads[0])

    with _options_lock:
        current = os.environ.get(_OPTIONS_ENV, "")
        keys = {o.split(";", 1)[0] for o in options} | {"protocol_whitelist"}
        kept = [o for o in current.split("|") if o and o.split(";", 1)[0] not in keys]
        os.environ[_OPTIONS_ENV] = "|".join([*kept, *options, f"protocol_whitelist;{protocols}"])
        try:
            return cv2.VideoCapture(target, cv2.CAP_FFMPEG, list(params))
        finally:
            os.environ[_OPTIONS_ENV] = "|".join([*kept, _WHITELIST])


def check_fps(fps: float, what: str) -> float | None:
    """The declared frame rate when it is usable; None when there is none (0 or NaN: the
    frames' own timestamps are used); ``InputError`` when it is absurd."""
    if not math.isfinite(fps) or fps == 0.0:
        return None
    if not MIN_FPS <= fps <= MAX_FPS:
        raise InputError(
            f"{what} declares {fps:g} frames per second: not a usable frame rate "
            f"(between {MIN_FPS:g} and {MAX_FPS:g})"
        )
    return fps
