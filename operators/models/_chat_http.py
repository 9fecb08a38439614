"""A small OpenAI-compatible chat-completions client over urllib, with retries.

Only the standard library: one POST per call, JSON in and out, retries with exponential
backoff on 429, 5xx, timeouts and connection failures (honouring a short ``Retry-After``),
and one plain error message when it gives up.  Loopback endpoints bypass proxies so a
local llama.cpp / vLLM / Ollama server is reached directly.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ChatClient", "ChatReply"]

_MAX_REPLY_BYTES = 16 * 1024 * 1024
_MAX_DELAY_S = 30.0
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


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

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    def complete(self, body: dict[str, Any]) -> ChatReply:
        """POST ``body``; the reply, or ValueError saying what went wrong."""
        payload = json.dumps(body).encode()
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                return _parse(self._post(payload), self.url)
            except _Retryable as exc:
                last = str(exc)
                if attempt == self.max_retries:
                    break
                delay = exc.delay if exc.delay is not None else self.backoff * 2**attempt
                time.sleep(min(delay, _MAX_DELAY_S))
        tries = self.max_retries + 1
        raise ValueError(f"{self.url} failed after {tries} attempt{'s' * (tries > 1)}: {last}")

    def _post(self, payload: bytes) -> bytes:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        try:
            with _opener(self.url).open(request, timeout=self.timeout) as response:
                return bytes(response.read(_MAX_REPLY_BYTES))
        except urllib.error.HTTPError as exc:
            message = f"HTTP {exc.code}: {_error_text(exc)}"
            if exc.code == 429 or exc.code >= 500:
                raise _Retryable(message, _retry_after(exc)) from None
            raise ValueError(f"{self.url} answered {message}") from None
        except TimeoutError:
            raise _Retryable(f"no answer within {self.timeout:g} s (timeout)") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retryable(f"no answer within {self.timeout:g} s (timeout)") from None
            raise _Retryable(f"cannot connect: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise _Retryable(f"connection failed: {exc!r}") from None


def _opener(url: str) -> urllib.request.OpenerDirector:
    if urlsplit(url).hostname in _LOOPBACK:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read(4096).decode(errors="replace")
    except OSError:
        return exc.reason or "error"
    try:
        err = json.loads(raw).get("error")
        message = err.get("message") if isinstance(err, dict) else err
        return str(message or raw).strip()[:500]
    except (ValueError, AttributeError):
        return raw.strip()[:500] or str(exc.reason)


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers else None
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
    usage = reply.get("usage") if isinstance(reply, dict) else None
    counts = {
        k: int(v)
        for k, v in (usage or {}).items()
        if k in ("prompt_tokens", "completion_tokens", "total_tokens") and isinstance(v, int)
    }
    return ChatReply(text=str(content or ""), usage=counts)
