"""``text-to-audio``: speech from the input text by an OpenAI-compatible audio speech API."""

from __future__ import annotations

import base64
import io
import json
import wave
from typing import Any, ClassVar, Literal

from pydantic import Field

from engine import Context, Data, InputError, Operator, register
from engine.audio import audio_format
from engine.proto import Audio, AudioInfo
from operators.models._endpoint import EndpointParams, endpoint_client

__all__ = ["TextToAudio"]

_MAX_AUDIO_REPLY_BYTES = 100 << 20
_MAX_INPUT_CHARS = 100_000


@register
class TextToAudio(Operator):
    """Sends ``text.raw`` to ``{base_url}/audio/speech``; the audio lands in ``data.audio``.

    The reply is the encoded file itself (``response_format``): it goes to ``audio.base64``
    with ``audio_info.audio_format`` (and, for WAV, the sample rate and duration).  A reply
    that is not audio of a known container fails that input.  Keys, the ``base_url`` guard,
    the deadline, retries and the reply size cap (100 MiB) as ``text-to-text``.

    Reads ``text``; writes ``audio`` (the rest passes through).
    """

    type_id = "text-to-audio"
    io_bound = True

    class Params(EndpointParams):
        voice: str = Field(
            default="alloy", min_length=1, max_length=64, description="the server's voice name"
        )
        response_format: Literal["wav", "mp3", "flac", "opus", "aac"] = Field(
            default="wav", description="the audio file format to ask for"
        )
        speed: float = Field(default=1.0, ge=0.25, le=4.0, description="speaking speed")
        instructions: str = Field(
            default="", max_length=4096, description="how to speak, for servers that take it"
        )

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("audio", "*")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._client = endpoint_client(params)
        self._p = params

    def process(self, data: Data, ctx: Context) -> Data | None:
        text = data.text.raw if data.text is not None else None
        if not text:
            raise InputError("text-to-audio needs text.raw; this input has none")
        if len(text) > _MAX_INPUT_CHARS:
            raise InputError(f"text-to-audio takes at most {_MAX_INPUT_CHARS} characters")
        p = self._p
        body: dict[str, Any] = {
            "model": p.model, "input": text, "voice": p.voice,
            "response_format": p.response_format, "speed": p.speed,
        }
        if p.instructions:
            body["instructions"] = p.instructions
        raw = self._client.post(
            "/audio/speech", json.dumps(body).encode(), "application/json",
            max_bytes=_MAX_AUDIO_REPLY_BYTES, accept="audio/*",
        )
        audio = Audio(base64=base64.b64encode(raw).decode(), audio_info=_info(raw, p.base_url))
        return data.model_copy(update={"audio": audio})


def _info(raw: bytes, where: str) -> AudioInfo:
    fmt = audio_format(raw)
    if fmt is None:
        raise ValueError(f"{where} sent {len(raw)} bytes that are not audio: {raw[:40]!r}")
    if fmt != "wav":
        return AudioInfo(audio_format=fmt)
    try:
        with wave.open(io.BytesIO(raw), "rb") as w:
            rate, frames = w.getframerate(), w.getnframes()
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{where} sent a broken WAV file: {exc}") from None
    duration = frames / rate if rate else None
    return AudioInfo(audio_format="wav", sample_rate=rate, duration_seconds=duration)
