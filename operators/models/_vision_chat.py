"""Chat completions with image parts: what ``image-to-text`` and ``multimodal-to-text`` share.

The user message is a list of parts, OpenAI's vision shape: the text first, then each image
as ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from engine import Data, Text
from operators.models._endpoint import ChatParams, endpoint_client

__all__ = ["VisionChat", "VisionParams"]


class VisionParams(ChatParams):
    max_image_side: int = Field(
        default=2048, ge=32, le=8192,
        description="an image with a longer side is downscaled to this before it is sent",
    )


class VisionChat:
    """The client of one node and how it turns text and images into one request."""

    def __init__(self, params: VisionParams) -> None:
        self._client = endpoint_client(params)
        self._p = params

    def ask(self, data: Data, prompt: str, images: list[np.ndarray]) -> Data:
        """Send ``prompt`` and ``images``; ``data`` with the reply as its text."""
        from operators.models._genmedia import data_url

        parts: list[dict[str, Any]] = [{"type": "text", "text": prompt}] if prompt else []
        for img in images:
            url = data_url(img, self._p.max_image_side)
            parts.append({"type": "image_url", "image_url": {"url": url}})
        messages: list[dict[str, Any]] = [{"role": "user", "content": parts}]
        if self._p.system_prompt:
            messages.insert(0, {"role": "system", "content": self._p.system_prompt})
        body: dict[str, Any] = {"model": self._p.model, "messages": messages, "stream": False}
        if self._p.temperature is not None:
            body["temperature"] = self._p.temperature
        if self._p.max_tokens is not None:
            body["max_tokens"] = self._p.max_tokens
        reply = self._client.complete(body)
        update: dict[str, Any] = {"text": Text(raw=reply.text)}
        if reply.usage:
            update["metadata"] = {**(data.metadata or {}), "usage": reply.usage}
        return data.model_copy(update=update)
