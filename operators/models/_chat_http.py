"""A small OpenAI-compatible client (chat completions, and any other POST), with retries.

One POST per call through ``engine.fetch`` (the same address guard and total deadline as
media URLs: a ``base_url`` on a private address is refused unless the user allows it,
and ``Authorization`` never follows a redirect to another host), JSON in and out,
retries with exponential backoff on 429, 5xx, timeouts and connection failures
(honouring a short ``Retry-After``), and one plain error message when it gives up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine import FetchError, fetch

__all__ = ["MAX_REPLY_BYTES", "ChatClient", "ChatReply", "usage_counts"]

MAX_REPLY_BYTES = _MAX_REPLY_BYTES = 16 * 1024 * 1024
_MAX_DELAY_S = 30.0


@dataclass(frozen=True)
class ChatReply:
    text: str
    usage: dict[str, int]


class _Retryable(Exception):
    """A failure worth another attempt; ``delay`` overrides the backoff when the server asks."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


@dataclass(frozen=True)
class ChatClient:
    base_url: str
    api_key: str | None
    timeout: float
    max_retries: int
    backoff: float
    allow_private: bool | str = False

    @property
    def url(self) -> str:
        return self.url_of("/chat/completions")

    def url_of(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def complete(self, body: dict[str, Any]) -> ChatReply:
        """POST ``body`` to chat/completions; the reply, or ValueError saying what went wrong."""
        payload = json.dumps(body).encode()
        return _parse(self.post("/chat/completions", payload, "application/json"), self.url)

    def post(
        self,
        path: str,
        payload: bytes,
        content_type: str,
        *,
        max_bytes: int = _MAX_REPLY_BYTES,
        accept: str = "application/json",
    ) -> bytes:
        """POST ``payload`` to ``{base_url}{path}`` with retries; the 2xx reply's body."""
        url = self.url_of(path)
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                return self._post(url, payload, content_type, accept, max_bytes)
            except _Retryable as exc:
                last = str(exc)
                if attempt == self.max_retries:
                    break
                delay = exc.delay if exc.delay is not None else self.backoff * 2**attempt
                time.sleep(min(delay, _MAX_DELAY_S))
        tries = self.max_retries + 1
        raise ValueError(f"{url} failed after {tries} attempt{'s' * (tries > 1)}: {last}")

    def _post(
        self, url: str, payload: bytes, content_type: str, accept: str, max_bytes: int
    ) -> bytes:
        headers = {"Content-Type": content_type, "Accept": accept}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            reply = fetch(
                url, method="POST", body=payload, headers=headers,
                max_bytes=max_bytes, timeout_s=self.timeout,
                allow_private=self.allow_private,
            )
        except FetchError as exc:
            if exc.retryable:
                raise _Retryable(str(exc)) from None
            raise ValueError(str(exc)) from None
        if 200 <= reply.status < 300:
            return reply.body
        message = f"HTTP {reply.status}: {_error_text(reply.body, reply.reason)}"
        if reply.status == 429 or reply.status >= 500:
            raise _Retryable(message, _retry_after(reply.headers))
        raise ValueError(f"{url} answered {message}")


def _error_text(body: bytes, reason: str) -> str:
    raw = body[:4096].decode(errors="replace")
    try:
        err = json.loads(raw).get("error")
        message = err.get("message") if isinstance(err, dict) else err
        return str(message or raw).strip()[:500]
    except (ValueError, AttributeError):
        return raw.strip()[:500] or reason or "error"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _parse(raw: bytes, url: str) -> ChatReply:
    try:
        reply = json.loads(raw)
        content = reply["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ValueError(f"{url} sent an unexpected reply: {raw[:200]!r}") from None
    return ChatReply(text=str(content or ""), usage=usage_counts(reply))


def usage_counts(reply: Any) -> dict[str, int]:
    """The token counts of an OpenAI-style reply's ``usage`` (chat or images/audio names),
    with ``cached_tokens`` from its details when the server reports prompt caching."""
    usage = reply.get("usage") if isinstance(reply, dict) else None
    if not isinstance(usage, dict):
        return {}
    names = {"input_tokens": "prompt_tokens", "output_tokens": "completion_tokens"}
    counts: dict[str, int] = {}
    for k, v in usage.items():
        name = names.get(k, k)
        if name in ("prompt_tokens", "completion_tokens", "total_tokens") and type(v) is int:
            counts.setdefault(name, v)
    for key in ("prompt_tokens_details", "input_tokens_details"):
        details = usage.get(key)
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        if type(cached) is int:
            counts.setdefault("cached_tokens", cached)
    return counts
