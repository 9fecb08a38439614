"""Image size and layout from the first bytes of a file, without decoding pixels.

Used to refuse decompression bombs before OpenCV allocates the full image, to spot
truncated JPEGs (libjpeg pads them with grey and only warns) and PNGs with alpha.
Formats not parsed here are checked after decoding instead.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["Header", "read_header"]

# SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) do not
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


@dataclass(frozen=True)
class Header:
    format: str
    width: int
    height: int
    has_alpha: bool = False
    scan_start: int = 0  # JPEG: offset of the first SOS marker (entropy-coded data follows)
    bit_depth: int = 8  # bits per channel sample (PNG: 1 to 16)


def read_header(buf: bytes) -> Header | None:
    """The format and size of an image file, or None when the format is not recognised."""
    if buf[:8] == b"\x89PNG\r\n\x1a\n":
        return _png(buf)
    if buf[:2] == b"\xff\xd8":
        return _jpeg(buf)
    if buf[:6] in (b"GIF87a", b"GIF89a") and len(buf) >= 10:
        w, h = struct.unpack("<HH", buf[6:10])
        return Header("gif", w, h)
    if buf[:2] == b"BM" and len(buf) >= 26:
        w, h = struct.unpack("<ii", buf[18:26])
        return Header("bmp", abs(w), abs(h))
    if buf[:4] == b"RIFF" and buf[8:12] == b"WEBP":
        return _webp(buf)
    return None


def _png(buf: bytes) -> Header | None:
    if len(buf) < 26 or buf[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", buf[16:24])
    color_type = buf[25]
    return Header("png", w, h, has_alpha=color_type in (4, 6), bit_depth=buf[24])


def _jpeg(buf: bytes) -> Header | None:
    pos, size = 2, None
    while pos + 4 <= len(buf):
        if buf[pos] != 0xFF:
            return None
        marker = buf[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:
            return Header("jpeg", size[0], size[1], scan_start=pos) if size else None
        (seg_len,) = struct.unpack(">H", buf[pos + 2 : pos + 4])
        if marker in _SOF and pos + 9 <= len(buf):
            h, w = struct.unpack(">HH", buf[pos + 5 : pos + 9])
            size = (w, h)
        pos += 2 + seg_len
    return Header("jpeg", size[0], size[1]) if size else None


def _webp(buf: bytes) -> Header | None:
    chunk = buf[12:16]
    if chunk == b"VP8X" and len(buf) >= 30:
        w = int.from_bytes(buf[24:27], "little") + 1
        h = int.from_bytes(buf[27:30], "little") + 1
        return Header("webp", w, h, has_alpha=bool(buf[20] & 0x10))
    if chunk == b"VP8 " and len(buf) >= 30:
        w, h = struct.unpack("<HH", buf[26:30])
        return Header("webp", w & 0x3FFF, h & 0x3FFF)
    if chunk == b"VP8L" and len(buf) >= 25:
        bits = int.from_bytes(buf[21:25], "little")
        w, h = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        return Header("webp", w, h, has_alpha=bool((bits >> 28) & 1))
    return None
