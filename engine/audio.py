"""Audio inputs: reading an ``Audio``'s bytes from a file, bytes, base64 or a URL, bounded.

opgraph does not decode audio itself: generative nodes send the encoded file to an
endpoint (``audio-to-text``) or receive one (``text-to-audio``).  What is checked here is
what every input gets: a size cap, URLs through the guarded fetch with a deadline, valid
base64, and a format recognised from the first bytes (WAV, MP3, FLAC, Ogg, MP4/M4A, WebM).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.proto import Audio

__all__ = ["AUDIO_SUFFIXES", "AudioSettings", "audio_format", "read_audio", "settings"]

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac"})
_MB = 1 << 20


@dataclass
class AudioSettings:
    """Bounds on one audio input; change ``engine.audio.settings`` fields to adjust."""

    max_audio_bytes: int = 100 * _MB
    url_timeout_s: float = 60.0  # whole download of one audio URL


settings = AudioSettings()


def audio_format(raw: bytes) -> str | None:
    """The container of an encoded audio file from its first bytes, or None."""
    head = raw[:16]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def read_audio(audio: Audio, what: str = "the audio") -> bytes:
    """The encoded file of ``audio``; ``InputError`` when it is missing, too big, or not
    audio opgraph recognises."""
    raw = _raw(audio, what)
    if not raw:
        raise InputError(f"{what} is empty (0 bytes)")
    if len(raw) > settings.max_audio_bytes:
        limit = settings.max_audio_bytes
        raise InputError(f"{what} is {len(raw)} bytes, more than the {limit}-byte limit")
    if audio_format(raw) is None:
        raise InputError(
            f"{what} is not audio opgraph recognises (WAV, MP3, FLAC, Ogg, M4A or WebM)"
        )
    return raw


def _raw(audio: Audio, what: str) -> bytes:
    source = audio._source
    limit = settings.max_audio_bytes
    if isinstance(source, bytes):
        return source
    if isinstance(source, str):
        return _read_file(Path(source), limit)
    if audio.base64:
        return _b64decode(audio.base64, f"{what} (audio.base64)", limit)
    if audio.url:
        from engine import media  # the address policy media URLs use
        from engine._fetch import iter_url_chunks

        chunks = iter_url_chunks(
            audio.url,
            max_bytes=limit,
            timeout_s=settings.url_timeout_s,
            allow_private=media.settings.allow_private_urls,
        )
        return b"".join(chunks)
    raise InputError(f"{what} has no source: no file, bytes, base64 or url")


def _read_file(path: Path, limit: int) -> bytes:
    try:
        if not path.is_file():
            raise InputError(f"no such audio file: {path}")
        with path.open("rb") as f:
            raw = f.read(limit + 1)  # bounded even if the file grows while it is read
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise InputError(f"{path} is more than the {limit}-byte audio limit")
    return raw


def _b64decode(text: str, what: str, limit: int) -> bytes:
    if len(text) > limit * 4 // 3 + 4:
        raise InputError(f"{what} is more than the {limit}-byte limit")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{what} is not valid base64") from None
