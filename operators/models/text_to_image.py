"""``text-to-image``: an image made from the input text by an OpenAI-compatible images API."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from engine import Context, Data, InputError, Operator, register
from operators.models._endpoint import endpoint_client
from operators.models._images_api import ImagesParams

__all__ = ["TextToImage"]


@register
class TextToImage(Operator):
    """Sends ``text.raw`` as the prompt to ``{base_url}/images/generations``; outputs the image.

    The image lands in ``data.image`` (``base64`` of the file the server made, and its size
    in ``image_info``), so image nodes can follow.  It is decoded under the same limits as
    an input image; a ``url`` reply is fetched through the same address guard and deadline
    as the endpoint.  Keys, the ``base_url`` guard, retries and reply size as
    ``text-to-text``; token counts, when the server reports them, go to ``metadata.usage``
    and the node's Output.

    Reads ``text``; writes ``image`` and ``metadata`` (the rest passes through).
    """

    type_id = "text-to-image"
    io_bound = True
    counts_tokens = True

    class Params(ImagesParams):
        pass

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("image", "metadata", "*")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._client = endpoint_client(params)
        self._p = params

    def process(self, data: Data, ctx: Context) -> Data | None:
        from operators.models._genmedia import MAX_IMAGE_REPLY_BYTES, image_from_reply

        if data.text is None or not data.text.raw:
            raise InputError("text-to-image needs text.raw (the prompt); this input has none")
        body: dict[str, Any] = {"model": self._p.model, "prompt": data.text.raw, "n": 1}
        body["response_format"] = self._p.response_format
        if self._p.size is not None:
            body["size"] = self._p.size
        if self._p.quality is not None:
            body["quality"] = self._p.quality
        raw = self._client.post(
            "/images/generations", json.dumps(body).encode(), "application/json",
            max_bytes=MAX_IMAGE_REPLY_BYTES,
        )
        image, usage = image_from_reply(raw, self._client)
        update: dict[str, Any] = {"image": image}
        if usage:
            update["metadata"] = {**(data.metadata or {}), "usage": usage}
        return data.model_copy(update=update)
