"""``text-to-text``: an LLM behind any OpenAI-compatible chat-completions endpoint."""

from __future__ import annotations

from typing import Any, ClassVar

from engine import Context, Data, InputError, Operator, Text, register
from operators.models._endpoint import KEY_ENVS, KEY_PREFIX, ChatParams, endpoint_client

__all__ = ["KEY_ENVS", "KEY_PREFIX", "TextToText"]


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
    server sends them, go to ``metadata.usage`` and the node's Output (``prompt_tokens``,
    ``completion_tokens``).

    Reads ``text``; writes ``text`` and ``metadata`` (the rest passes through).
    """

    type_id = "text-to-text"
    io_bound = True
    counts_tokens = True

    class Params(ChatParams):
        pass

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("text", "metadata", "*")  # "*": the rest passes

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._client = endpoint_client(params)
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
