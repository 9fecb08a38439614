"""``audio-to-text``: speech recognition by an OpenAI-compatible audio transcriptions API."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from engine import Context, Data, InputError, Operator, Text, register
from engine.audio import audio_format, read_audio
from operators.models._endpoint import EndpointParams, endpoint_client

__all__ = ["AudioToText"]

_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg",
          "m4a": "audio/mp4", "webm": "audio/webm"}


def _has_audio(data: Data) -> bool:
    return data.audio is not None


@register
class AudioToText(Operator):
    """Posts the input's audio to ``{base_url}/audio/transcriptions``; outputs the transcript.

    The request is OpenAI's multipart form: ``file`` (the encoded audio as it came: a
    ``--input`` file such as ``speech.wav``, ``audio.base64`` or ``audio.url``, fetched
    through the guarded fetch), ``model``, and ``language``, ``prompt`` and
    ``temperature`` when set.  The audio is the input's, else the nearest upstream node's
    (after ``text-to-audio``).  Audio is capped at ``engine.audio.settings.max_audio_bytes``
    and must be a container opgraph recognises.  Keys, the ``base_url`` guard, the
    deadline, retries and reply size as ``text-to-text``; token counts, when the server
    reports them, go to ``metadata.usage`` and the node's Output.

    Reads ``audio``; writes ``text`` and ``metadata`` (the rest passes through).
    """

    type_id = "audio-to-text"
    io_bound = True
    counts_tokens = True

    class Params(EndpointParams):
        language: str | None = Field(
            default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$",
            description="the spoken language (ISO-639-1, e.g. en); None: detected",
        )
        prompt: str = Field(
            default="", max_length=10_000, description="text to guide the style or spelling"
        )
        temperature: float | None = Field(
            default=None, ge=0.0, le=1.0, description="sampling temperature; None: server's"
        )

    reads: ClassVar[tuple[str, ...]] = ("audio",)
    writes: ClassVar[tuple[str, ...]] = ("text", "metadata", "*")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._client = endpoint_client(params)
        self._p = params

    def _form(self) -> dict[str, str]:
        p = self._p
        fields = {"model": p.model, "response_format": "json"}
        if p.language:
            fields["language"] = p.language
        if p.prompt:
            fields["prompt"] = p.prompt
        if p.temperature is not None:
            fields["temperature"] = repr(p.temperature)
        return fields

    def process(self, data: Data, ctx: Context) -> Data | None:
        from operators.models._chat_http import usage_counts
        from operators.models._multipart import FilePart, encode_form

        found = data if _has_audio(data) else ctx.look_back(_has_audio)
        if found is None or found.audio is None:
            raise InputError("audio-to-text needs audio; this input has none")
        raw = read_audio(found.audio, f"input {ctx.input_index}'s audio")
        fmt = audio_format(raw) or "wav"
        part = FilePart("file", f"audio.{fmt}", _TYPES.get(fmt, "application/octet-stream"), raw)
        body, ctype = encode_form(self._form(), [part])
        reply = self._client.post("/audio/transcriptions", body, ctype)
        try:
            parsed = json.loads(reply)
            text = parsed["text"]
        except (ValueError, KeyError, TypeError):
            where = self._p.base_url
            raise ValueError(f"{where} sent an unexpected reply: {reply[:200]!r}") from None
        update: dict[str, Any] = {"text": Text(raw=str(text))}
        usage = usage_counts(parsed)
        if usage:
            update["metadata"] = {**(data.metadata or {}), "usage": usage}
        return data.model_copy(update=update)
