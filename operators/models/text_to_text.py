"""``text-to-text``: an LLM behind any OpenAI-compatible chat-completions endpoint."""

from __future__ import annotations

import os
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from engine import BaseParams, Context, Data, InputError, Operator, Text, register

__all__ = ["KEY_ENVS", "KEY_PREFIX", "TextToText"]

KEY_PREFIX = "OPGRAPH_"  # a workflow may read variables with this prefix ...
KEY_ENVS = "OPGRAPH_API_KEY_ENVS"  # ... and those the user lists here, comma-separated


def _allowed_key_names() -> list[str]:
    return [n.strip() for n in os.environ.get(KEY_ENVS, "").split(",") if n.strip()]


def _api_key(name: str, explicit: bool) -> str | None:
    """The key in variable ``name``: a workflow file must not pick any secret to send."""
    value = os.environ.get(name) or None
    configured = _allowed_key_names()
    if not (name.startswith(KEY_PREFIX) or name in configured):
        if value is None and not explicit:
            return None  # the default variable is unset: nothing would be sent anyway
        shown = ", ".join(configured) or "none"
        raise ValueError(
            f"api_key_env {name} is not allowed: a workflow may read {KEY_PREFIX}* variables "
            f"and those listed in {KEY_ENVS} (now: {shown}); add {name} there to allow it"
        )
    if value is None and explicit:
        raise ValueError(f"environment variable {name} (api_key_env) is not set")
    return value


@register
class TextToText(Operator):
    """Sends ``text.raw`` as the user message to ``{base_url}/chat/completions``; outputs the reply.

    Works with hosted APIs and local servers (llama.cpp, vLLM, Ollama) alike.  The API key
    is read from the environment variable named by ``api_key_env`` when the node is set up
    (when that variable is unset, no key is sent: local servers need none; naming a
    variable explicitly makes its absence an error).  Only ``OPGRAPH_*`` variables and
    those listed in ``OPGRAPH_API_KEY_ENVS`` may be named, so a workflow file cannot send
    another secret to its ``base_url``; a ``base_url`` on a private or loopback address
    needs ``OPGRAPH_ALLOW_PRIVATE_URLS``, as media URLs do.  Each request takes at most
    ``timeout`` seconds and is retried up to ``max_retries`` times, ``backoff`` x 2^n
    seconds apart, on 429, 5xx, timeouts and connection failures; other HTTP errors fail
    at once.  A failure is that input's error, not the batch's.  Token counts, when the
    server sends them, go to ``metadata.usage``.

    Reads ``text``; writes ``text`` and ``metadata`` (the rest passes through).
    """

    type_id = "text-to-text"
    io_bound = True

    class Params(BaseParams):
        base_url: str = Field(
            default="http://127.0.0.1:8080/v1",
            description="API root; requests go to {base_url}/chat/completions",
        )
        model: str = Field(min_length=1, description="model name the server should run")
        api_key_env: str = Field(
            default="OPENAI_API_KEY",
            pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="environment variable holding the API key (never the key itself)",
        )
        system_prompt: str = Field(default="", description="system message sent first, if any")
        temperature: float | None = Field(
            default=None, ge=0.0, le=2.0, description="sampling temperature; None: server's"
        )
        max_tokens: int | None = Field(
            default=None, ge=1, description="longest reply in tokens; None: server's"
        )
        timeout: float = Field(
            default=60.0, gt=0, le=3600, description="seconds per request, all of it"
        )
        max_retries: int = Field(
            default=2, ge=0, le=10, description="retries on 429, 5xx and connection errors"
        )
        backoff: float = Field(
            default=0.5, ge=0, le=60, description="first retry delay in seconds; doubles"
        )

        @field_validator("base_url")
        @classmethod
        def _http_url(cls, value: str) -> str:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"base_url must be an http(s) URL, got {value!r}")
            return value

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("text", "metadata", "*")  # "*": the rest passes

    def __init__(self, params: Params) -> None:
        # urllib.request pulls in http.client, email and ssl (~30 ms): only load it for a
        # graph that runs this node, not whenever the operator registry is loaded.
        from engine import media
        from operators.models._chat_http import ChatClient

        super().__init__(params)
        key = _api_key(params.api_key_env, "api_key_env" in params.model_fields_set)
        self._client = ChatClient(
            params.base_url, key, params.timeout, params.max_retries, params.backoff,
            allow_private=media.settings.allow_private_urls,
        )
        self._p = params

    def _body(self, prompt: str) -> dict[str, Any]:
        messages = [{"role": "user", "content": prompt}]
        if self._p.system_prompt:
            messages.insert(0, {"role": "system", "content": self._p.system_prompt})
        body: dict[str, Any] = {"model": self._p.model, "messages": messages, "stream": False}
        if self._p.temperature is not None:
            body["temperature"] = self._p.temperature
        if self._p.max_tokens is not None:
            body["max_tokens"] = self._p.max_tokens
        return body

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("text-to-text needs text.raw; this input has no text")
        reply = self._client.complete(self._body(data.text.raw))
        update: dict[str, Any] = {"text": Text(raw=reply.text)}
        if reply.usage:
            update["metadata"] = {**(data.metadata or {}), "usage": reply.usage}
        return data.model_copy(update=update)
