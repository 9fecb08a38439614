"""Image and video decoding with size and time limits (OpenCV, imported on first use).

Images come from a file path, raw file bytes, Clarifai ``image.base64`` or ``image.url``;
they decode once to 8-bit BGR (EXIF orientation applied; gray, alpha and 16-bit inputs
normalised).  Videos decode as a stream of sampled frames, so memory does not grow with
the video's length.  Limits live in the module-level ``settings``; every refusal is an
``InputError`` whose message says what was wrong.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import tempfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from engine._fetch import iter_url_chunks
from engine._imgheader import Header, read_header
from engine._pixels import to_bgr
from engine._prefetch import prefetched
from engine._videosafe import CONTAINERS, HEAD_BYTES, check_fps, open_capture, sniff_container
from engine.errors import InputError
from engine.proto import Image, Video, VideoInfo

__all__ = [
    "MAX_SAMPLE_MS",
    "MIN_SAMPLE_MS",
    "MediaSettings",
    "VideoStream",
    "decode_image",
    "decode_image_bytes",
    "estimated_samples",
    "iter_frames",
    "open_video",
    "settings",
    "to_bgr",
    "video_info",
]

MIN_SAMPLE_MS = 100  # Clarifai's range for output_config.sample_ms
MAX_SAMPLE_MS = 60_000
_MB = 1 << 20
_CV_LOG_LEVELS = {"SILENT": 0, "FATAL": 1, "ERROR": 2, "WARNING": 3, "INFO": 4, "DEBUG": 5,
                  "VERBOSE": 6}
_LOG_LEVEL_SET = False
_MAX_VIDEO_MS = 1e9  # 11 days: a timestamp past this is damage, not a long video


@dataclass
class MediaSettings:
    """Limits for media; change ``engine.media.settings`` fields to adjust them."""

    max_pixels: int = 100_000_000  # decompression-bomb guard, checked from the header
    max_image_bytes: int = 100 * _MB
    # memory for one decoded image: 100 MP of 8-bit RGB fit, 99 MP of RGBA (396 MB) or
    # of 16-bit RGBA (792 MB) do not
    max_decode_bytes: int = 320 * _MB
    max_video_bytes: int = 4096 * _MB
    url_timeout_s: float = 30.0  # whole download of an image
    video_url_timeout_s: float = 600.0
    max_video_frames: int = 1_000_000  # frames read from one video (9 h at 30 fps)
    # URLs on private, loopback and link-local addresses: True for all, or networks as
    # "10.0.0.0/8,::1" (joined with what OPGRAPH_ALLOW_PRIVATE_URLS allows)
    allow_private_urls: bool | str = False


settings = MediaSettings()


def _cv2() -> Any:
    # OpenCV's own pixel cap, read at its first decode: formats whose header we do not parse
    # (TIFF, ...) are then refused before their pixels are allocated too
    os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(settings.max_pixels))
    import cv2  # heavy: load only when pixels are needed

    global _LOG_LEVEL_SET
    if not _LOG_LEVEL_SET:
        # OpenCV reads OPENCV_LOG_LEVEL when it is first imported: a program that imported
        # cv2 before engine would still print OpenCV's warnings on damaged media
        level = os.environ.get("OPENCV_LOG_LEVEL", "ERROR").upper()
        cv2.utils.logging.setLogLevel(_CV_LOG_LEVELS.get(level, _CV_LOG_LEVELS["ERROR"]))
        _LOG_LEVEL_SET = True
    return cv2


# ---------------------------------------------------------------- images


def decode_image(image: Image) -> np.ndarray:
    """The pixels of ``image`` as 8-bit BGR, from its file, bytes, base64 or URL."""
    source = image._source
    if isinstance(source, bytes):
        return decode_image_bytes(source, "image bytes")
    if isinstance(source, str):
        if _is_url(source):
            return decode_image_bytes(_fetch(source, settings.max_image_bytes), source)
        return decode_image_bytes(_read_file(source, settings.max_image_bytes), source)
    if image.base64:
        return decode_image_bytes(_b64decode(image.base64, "image.base64"), "image.base64")
    if image.url:
        return decode_image_bytes(_fetch(image.url, settings.max_image_bytes), image.url)
    raise InputError("the image has no pixels: no file, bytes, base64 or url")


def decode_image_bytes(buf: bytes, what: str = "image") -> np.ndarray:
    """Decode an encoded image file's bytes; ``what`` names it in error messages."""
    if not buf:
        raise InputError(f"{what} is empty (0 bytes)")
    header = read_header(buf)
    if header is not None:
        _check_pixels(header.width, header.height, what)
        _check_decode_bytes(header, what)
        # libjpeg fills a cut-off scan with grey and only warns, so look for the EOI marker
        if header.scan_start and buf.find(b"\xff\xd9", header.scan_start) < 0:
            raise InputError(f"{what} is a truncated JPEG (no end-of-image marker)")
    cv2 = _cv2()
    raw = np.frombuffer(buf, dtype=np.uint8)
    # IMREAD_COLOR applies EXIF orientation and converts gray/16-bit; alpha needs UNCHANGED
    flags = cv2.IMREAD_UNCHANGED if header is not None and header.has_alpha else cv2.IMREAD_COLOR
    try:
        img = cv2.imdecode(raw, flags)
    except cv2.error as exc:  # OpenCV's pixel cap (see _cv2) stops it before decoding
        if "MAX_IMAGE_PIXELS" not in str(exc):
            raise
        raise InputError(
            f"{what} has more than the {settings.max_pixels / 1e6:.0f} MP limit "
            "(media.settings.max_pixels)"
        ) from None
    if img is None:
        raise InputError(_undecodable(what, header))
    _check_pixels(img.shape[1], img.shape[0], what)
    return to_bgr(img)


def _undecodable(what: str, header: Header | None) -> str:
    if header is None:
        return f"{what} is not an image (not a format OpenCV can decode)"
    return f"{what} could not be decoded: truncated or corrupt {header.format.upper()}"


def _check_decode_bytes(header: Header, what: str) -> None:
    channels = 4 if header.has_alpha else 3  # what the flags below decode to
    depth = 2 if header.has_alpha and header.bit_depth > 8 else 1
    need = header.width * header.height * channels * depth
    if need > settings.max_decode_bytes:
        raise InputError(
            f"{what} would take {need / _MB:.0f} MB to decode ({header.width}x{header.height}, "
            f"{channels} channels of {8 * depth} bits), more than the "
            f"{settings.max_decode_bytes / _MB:.0f} MB limit (media.settings.max_decode_bytes)"
        )


def _check_pixels(width: int, height: int, what: str) -> None:
    if width * height > settings.max_pixels:
        raise InputError(
            f"{what} is {width}x{height} = {width * height / 1e6:.0f} MP, more than the "
            f"{settings.max_pixels / 1e6:.0f} MP limit (media.settings.max_pixels)"
        )


# ---------------------------------------------------------------- sources


def _is_url(source: str) -> bool:
    return source.split(":", 1)[0].lower() in ("http", "https") and "://" in source


def _read_file(path: str, max_bytes: int) -> bytes:
    p = Path(path).expanduser()
    if not p.is_file():
        raise InputError(f"no such file: {path}")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(f"{path} is {size} bytes, more than the {max_bytes}-byte limit")
    try:
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)  # bounded even if the file grows after stat()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{path} is more than the {max_bytes}-byte limit")
    return data


def _b64decode(text: str, what: str) -> bytes:
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]  # a data URI
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as e:
        raise InputError(f"{what} is not valid base64: {e}") from e


def _fetch(url: str, max_bytes: int) -> bytes:
    chunks = iter_url_chunks(
        url,
        max_bytes=max_bytes,
        timeout_s=settings.url_timeout_s,
        allow_private=settings.allow_private_urls,
    )
    return b"".join(chunks)


# ---------------------------------------------------------------- video


def estimated_samples(info: VideoInfo, sample_ms: int) -> int | None:
    """How many frames ``iter_frames`` should yield (for a progress bar); None if unknown."""
    if not info.frame_count or not info.fps:
        return None
    last_ms = (info.frame_count - 1) * 1000.0 / info.fps
    return int(last_ms // sample_ms) + 1


class VideoStream:
    """An opened video: its ``info`` and its sampled ``frames``; close it (or use ``with``)."""

    def __init__(self, path: str, what: str, cleanup: Callable[[], None] | None = None) -> None:
        self._cleanup = cleanup
        self.what = what
        self.path = path
        try:
            _check_container(path, what)
            cv2 = _cv2()
            # FFMPEG explicitly: never read "img%03d.png" as an image sequence; an absolute
            # path, so a name like "concat:..." is never taken for a protocol
            self._cap = open_capture(os.path.abspath(path))
            if not self._cap.isOpened():
                raise InputError(f"{what} is not a video OpenCV can read (corrupt or bad codec)")
            self.info = self._read_info(cv2)
            if (self.info.width or 0) * (self.info.height or 0) > settings.max_pixels:
                raise InputError(f"{what} has frames larger than the pixel limit")
        except BaseException:
            self.close()
            raise

    def _read_info(self, cv2: Any) -> VideoInfo:
        fps = check_fps(float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0), self.what)
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if count > settings.max_video_frames:
            raise InputError(_too_many_frames(self.what, count))
        return VideoInfo(
            width=int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=fps,
            frame_count=count or None,
            duration_seconds=count / fps if fps and count else None,
        )

    def frames(self, sample_ms: int = 1000) -> Iterator[tuple[int, int, int, np.ndarray]]:
        """``(index, time_ms, number, bgr)``: the first frame at or after each sample tick."""
        _check_sample_ms(sample_ms)
        index, number, next_ms = 0, -1, 0.0
        while True:
            # grab() skips the colour conversion of frames not sampled.  With a frame rate
            # the next frame's time is known before it is decoded, and a sampled frame is
            # read() in one call: one GIL round trip fewer for a decoding thread, which waits
            # for the GIL after every call while the graph's Python work holds it
            known = bool(self.info.fps) and self._time_ms(number + 1) + 1e-6 >= next_ms
            ok, frame = self._cap.read() if known else (self._cap.grab(), None)
            if not ok:
                break
            number += 1
            if number >= settings.max_video_frames:
                raise InputError(_too_many_frames(self.what, number + 1))
            t_ms = self._time_ms(number)
            if t_ms + 1e-6 < next_ms:
                continue
            if frame is None:
                ok, frame = self._cap.retrieve()
                if not ok or frame is None:
                    break
            yield index, round(t_ms), number, to_bgr(frame)
            index += 1
            # the next tick after this frame, in one step: a jump in time cannot loop
            next_ms = (math.floor((t_ms + 1e-6) / sample_ms) + 1) * sample_ms
        if number < 0:
            raise InputError(f"{self.what} has no readable frames")

    def _time_ms(self, number: int) -> float:
        if self.info.fps:
            return number * 1000.0 / self.info.fps
        t_ms = float(self._cap.get(_cv2().CAP_PROP_POS_MSEC))
        if not math.isfinite(t_ms) or not 0.0 <= t_ms <= _MAX_VIDEO_MS:
            raise InputError(f"{self.what} has no usable frame rate or timestamps")
        return t_ms

    def close(self) -> None:
        cap = getattr(self, "_cap", None)
        if cap is not None:
            cap.release()
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None

    def __enter__(self) -> VideoStream:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _too_many_frames(what: str, count: int) -> str:
    limit = settings.max_video_frames
    return (
        f"{what} has {count} frames or more, past the {limit}-frame limit "
        "(media.settings.max_video_frames)"
    )


def _check_container(path: str, what: str) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
    if sniff_container(head) is None:
        raise InputError(
            f"{what} is not a video in a supported container ({', '.join(CONTAINERS)})"
        )


def _check_sample_ms(sample_ms: int) -> None:
    if not MIN_SAMPLE_MS <= sample_ms <= MAX_SAMPLE_MS:
        raise InputError(
            f"sample_ms must be between {MIN_SAMPLE_MS} and {MAX_SAMPLE_MS}, got {sample_ms}"
        )


def open_video(video: Video) -> VideoStream:
    """Open ``video`` from its path, bytes, base64 or URL (downloaded to a temporary file)."""
    source = video._source
    if isinstance(source, str) and not _is_url(source):
        if not Path(source).expanduser().is_file():
            raise InputError(f"no such file: {source}")
        return VideoStream(str(Path(source).expanduser()), source)
    if isinstance(source, bytes):
        return _temp_stream(iter([source]), "video bytes", len(source))
    if isinstance(source, str) or video.url:
        url = source if isinstance(source, str) else str(video.url)
        chunks = iter_url_chunks(
            url,
            max_bytes=settings.max_video_bytes,
            timeout_s=settings.video_url_timeout_s,
            allow_private=settings.allow_private_urls,
        )
        return _temp_stream(chunks, url, None)
    if video.base64:
        raw = _b64decode(video.base64, "video.base64")
        return _temp_stream(iter([raw]), "video.base64", len(raw))
    raise InputError("the video has no source: no file, bytes, base64 or url")


def _temp_stream(chunks: Iterator[bytes], what: str, size: int | None) -> VideoStream:
    if size == 0:
        raise InputError(f"{what} is empty (0 bytes)")
    if size is not None and size > settings.max_video_bytes:
        limit = settings.max_video_bytes
        raise InputError(f"{what} is {size} bytes, more than the {limit}-byte limit")
    fd, path = tempfile.mkstemp(prefix="opgraph-", suffix=".video")

    def cleanup() -> None:
        Path(path).unlink(missing_ok=True)

    try:
        with os.fdopen(fd, "wb") as f:
            written = sum(f.write(chunk) for chunk in chunks)
        if written == 0:
            raise InputError(f"{what} is empty (0 bytes)")
        return VideoStream(path, what, cleanup)
    except BaseException:
        cleanup()
        raise


def iter_frames(
    video: Video, sample_ms: int = 1000, *, prefetch: int = 2
) -> Generator[tuple[int, int, int, np.ndarray], None, None]:
    """``(index, time_ms, number, bgr)`` per sampled frame, decoded as a stream.

    ``index`` counts sampled frames from 0, ``time_ms`` is the frame's timestamp and
    ``number`` its absolute frame number in the video.  With ``prefetch`` > 0 a thread
    decodes up to that many sampled frames ahead: OpenCV releases the GIL while decoding,
    so decoding the next frame overlaps the caller's work on this one.  Memory stays
    bounded by ``prefetch`` frames; errors surface in the caller, in order.
    """
    _check_sample_ms(sample_ms)
    if prefetch > 0:
        yield from prefetched(lambda: iter_frames(video, sample_ms, prefetch=0), prefetch)
        return
    with open_video(video) as stream:
        yield from stream.frames(sample_ms)


def video_info(video: Video) -> VideoInfo:
    """Width, height, fps, frame count and duration, read from the container."""
    with open_video(video) as stream:
        return stream.info
