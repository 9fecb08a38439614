"""A small OpenAI-compatible server on 127.0.0.1 whose answers depend on what it is sent.

It speaks the real request and reply shapes of chat completions (text and image parts as
data: URLs), images generations and edits, audio speech and audio transcriptions (the last
two multipart where OpenAI's are), so the generative nodes are tested against the
protocol, not against stubs:

- chat: the reply names each image's size and dominant colour, and echoes the text;
- images/generations: a PNG of the requested size, filled with the first colour word of
  the prompt, the prompt drawn on it; ``response_format: url`` serves it from ``/files/``;
- images/edits: the uploaded image inverted, flipped or made gray, as the prompt says;
- audio/speech: a WAV in which each character is a 40 ms tone (``speak``);
- audio/transcriptions: that WAV decoded back to text by its tones' frequencies (``hear``).

``script`` holds answers to give first (failures, slow replies); every request is kept.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import cv2
import numpy as np

from tests.http_servers import Recorded, serve

__all__ = ["ALPHABET", "FakeOpenAI", "Part", "colour_name", "hear", "openai_server", "speak"]

ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789.,?!'"
RATE = 16000
TONE_S = 0.04
_BASE_HZ, _STEP_HZ = 400.0, 75.0  # bins of 25 Hz at 40 ms: 3 bins apart
COLOURS = {  # BGR
    "red": (0, 0, 255),
    "green": (0, 255, 0),
    "blue": (255, 0, 0),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "yellow": (0, 255, 255),
}

# an answer given before the real one: status, JSON body, headers, seconds to wait first
Answer = tuple[int, dict[str, Any], dict[str, str], float]


@dataclass
class Part:
    """One multipart form field as the server received it."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class FakeOpenAI:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        if rec.method == "GET" and rec.path.startswith("/files/"):
            png = self.files.get(rec.path.rsplit("/", 1)[1])
            return (200, {"Content-Type": "image/png"}, png) if png else (404, {}, b"")
        body = _body(rec)
        with self.lock:
            self.requests.append({"path": rec.path, "headers": rec.headers, "body": body})
            scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            status, reply, headers, wait = scripted
            time.sleep(wait)
            return status, {"Content-Type": "application/json", **headers}, _json(reply)
        handler = _ROUTES.get(rec.path.split("?", 1)[0].removeprefix("/v1"))
        if handler is None:
            return 404, {"Content-Type": "application/json"}, _json(_error("no such route"))
        try:
            return handler(self, body)
        except (KeyError, ValueError, TypeError) as exc:
            return 400, {"Content-Type": "application/json"}, _json(_error(f"bad request: {exc}"))


@contextmanager
def openai_server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    with serve(fake.route) as server:
        fake.url = server.url + "/v1"
        yield fake


# ---- what the server does ------------------------------------------------------------------


def _chat(fake: FakeOpenAI, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    content = body["messages"][-1]["content"]
    parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
    texts = [p["text"] for p in parts if p["type"] == "text"]
    images = [_data_url_image(p["image_url"]["url"]) for p in parts if p["type"] == "image_url"]
    seen = [f"{img.shape[1]}x{img.shape[0]} {colour_name(img)}" for img in images]
    reply = " ".join(texts).upper() + (" | " + "; ".join(seen) if seen else "")
    usage = {
        "prompt_tokens": sum(len(t.split()) for t in texts) + 85 * len(images),
        "completion_tokens": len(reply.split()),
    }
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    answer = {
        "id": "chatcmpl-local",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}}],
        "usage": usage,
    }
    return 200, {"Content-Type": "application/json"}, _json(answer)


def _generate(fake: FakeOpenAI, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    width, height = (int(v) for v in str(body.get("size", "256x256")).split("x"))
    prompt = str(body["prompt"])
    word = next((w for w in prompt.lower().split() if w in COLOURS), None)
    img = np.full((height, width, 3), COLOURS[word] if word else (128, 128, 128), np.uint8)
    ink = (0, 0, 0) if word in ("white", "yellow", "green") else (255, 255, 255)
    cv2.putText(img, prompt[:40], (4, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.4, ink, 1)
    return _image_reply(fake, img, body.get("response_format", "b64_json"), len(prompt.split()))


def _edit(fake: FakeOpenAI, form: dict[str, Part]) -> tuple[int, dict[str, str], bytes]:
    raw = np.frombuffer(form["image"].data, np.uint8)
    img = cv2.imdecode(raw, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("image is not an image")
    prompt = form["prompt"].data.decode().lower() if "prompt" in form else ""
    if "invert" in prompt:
        img = 255 - img
    if "flip" in prompt:
        img = img[:, ::-1]
    if "gray" in prompt:
        img = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    fmt = form["response_format"].data.decode() if "response_format" in form else "b64_json"
    return _image_reply(fake, img, fmt, len(prompt.split()))


def _image_reply(
    fake: FakeOpenAI, img: np.ndarray, fmt: str, words: int
) -> tuple[int, dict[str, str], bytes]:
    png = cv2.imencode(".png", img)[1].tobytes()
    if fmt == "url":
        name = f"{len(fake.files)}.png"
        fake.files[name] = png
        item = {"url": fake.url.removesuffix("/v1") + "/files/" + name}
    else:
        item = {"b64_json": base64.b64encode(png).decode()}
    usage = {"input_tokens": words, "output_tokens": 1056, "total_tokens": words + 1056}
    reply = {"created": 0, "data": [item], "usage": usage}
    return 200, {"Content-Type": "application/json"}, _json(reply)


def _speech(fake: FakeOpenAI, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    if body.get("response_format", "mp3") != "wav":
        return 400, {}, _json(_error("this server speaks wav only"))
    wav = speak(str(body["input"]), float(body.get("speed", 1)))
    return 200, {"Content-Type": "audio/wav"}, wav


def _transcribe(fake: FakeOpenAI, form: dict[str, Part]) -> tuple[int, dict[str, str], bytes]:
    text = hear(form["file"].data)
    reply: dict[str, Any] = {"text": text}
    reply["usage"] = {"type": "tokens", "input_tokens": 7, "output_tokens": len(text.split())}
    return 200, {"Content-Type": "application/json"}, _json(reply)


_ROUTES: dict[str, Any] = {
    "/chat/completions": _chat,
    "/images/generations": _generate,
    "/images/edits": _edit,
    "/audio/speech": _speech,
    "/audio/transcriptions": _transcribe,
}


# ---- the tone "voice" ----------------------------------------------------------------------


def speak(text: str, speed: float = 1.0) -> bytes:
    """A 16 kHz mono WAV: one tone per character of ``text`` that ``ALPHABET`` has."""
    n = int(RATE * TONE_S / speed)
    t = np.arange(n) / RATE
    tones = [
        np.sin(2 * np.pi * (_BASE_HZ + _STEP_HZ * ALPHABET.index(c)) * t)
        for c in text.lower()
        if c in ALPHABET
    ]
    samples = (np.concatenate(tones or [np.zeros(0)]) * 20000).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def hear(wav: bytes) -> str:
    """The text ``speak`` made ``wav`` from, read off each 40 ms tone's frequency."""
    with wave.open(io.BytesIO(wav), "rb") as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    samples = np.frombuffer(frames, "<i2").astype(np.float64)
    n = int(rate * TONE_S)
    chars = []
    for start in range(0, len(samples) - n + 1, n):
        spectrum = np.abs(np.fft.rfft(samples[start : start + n]))
        hz = np.argmax(spectrum) * rate / n
        index = round((hz - _BASE_HZ) / _STEP_HZ)
        chars.append(ALPHABET[index] if 0 <= index < len(ALPHABET) else "?")
    return "".join(chars)


# ---- helpers -------------------------------------------------------------------------------


def colour_name(img: np.ndarray) -> str:
    mean = img.reshape(-1, 3).mean(axis=0)
    return min(COLOURS, key=lambda name: float(np.abs(mean - COLOURS[name]).sum()))


def _data_url_image(url: str) -> np.ndarray:
    head, _, payload = url.partition(",")
    if not head.startswith("data:image/") or not head.endswith(";base64"):
        raise ValueError(f"not a base64 image data URL: {head[:40]!r}")
    img = cv2.imdecode(np.frombuffer(base64.b64decode(payload), np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError("the data URL is not an image")
    return img


def _body(rec: Recorded) -> Any:
    ctype = rec.headers.get("Content-Type", "")
    if ctype.startswith("multipart/form-data"):
        return _form(ctype, rec.body)
    return json.loads(rec.body or b"{}")


def _form(ctype: str, body: bytes) -> dict[str, Part]:
    msg = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + body
    )
    parts: dict[str, Part] = {}
    for part in msg.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts[str(name)] = Part(
            str(name), part.get_filename(), part.get_content_type(), bytes(payload or b"")
        )
    if not parts:
        raise ValueError("an empty multipart form")
    return parts


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error"}}


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()
