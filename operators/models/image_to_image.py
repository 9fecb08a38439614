"""``image-to-image``: an image edited by an OpenAI-compatible images edits API."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from engine import Context, Data, Operator, register
from operators.models._endpoint import endpoint_client
from operators.models._images_api import ImagesParams

__all__ = ["ImageToImage"]


@register
class ImageToImage(Operator):
    """Posts the node's image and a prompt to ``{base_url}/images/edits``; outputs the result.

    The request is OpenAI's multipart form: ``image`` (the pixels as PNG, downscaled to
    ``max_image_side``), ``prompt`` (the input's ``text.raw``, else the ``prompt`` param),
    ``model`` and the size and format params.  The image that comes back replaces
    ``data.image`` (``base64`` and ``image_info``), decoded under the same limits as an
    input image.  After a cropper it runs on each crop.  Keys, the ``base_url`` guard,
    retries and reply size as ``text-to-text``.

    Reads ``image``; writes ``image`` and ``metadata`` (the rest passes through).
    """

    type_id = "image-to-image"
    io_bound = True
    counts_tokens = True

    class Params(ImagesParams):
        prompt: str = Field(
            default="", max_length=32_000,
            description="what to do to the image, when the input has no text",
        )
        max_image_side: int = Field(
            default=4096, ge=32, le=8192,
            description="an image with a longer side is downscaled to this before it is sent",
        )

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("image", "metadata", "*")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._client = endpoint_client(params)
        self._p = params

    def _form(self, prompt: str) -> dict[str, str]:
        fields = {"model": self._p.model, "n": "1", "response_format": self._p.response_format}
        if prompt:
            fields["prompt"] = prompt
        if self._p.size is not None:
            fields["size"] = self._p.size
        if self._p.quality is not None:
            fields["quality"] = self._p.quality
        return fields

    def process(self, data: Data, ctx: Context) -> Data | None:
        from operators.models._genmedia import MAX_IMAGE_REPLY_BYTES, image_from_reply, png_bytes
        from operators.models._multipart import FilePart, encode_form

        prompt = data.text.raw if data.text is not None and data.text.raw else self._p.prompt
        png = png_bytes(ctx.image(data), self._p.max_image_side)
        part = FilePart("image", "image.png", "image/png", png)
        body, ctype = encode_form(self._form(prompt), [part])
        raw = self._client.post("/images/edits", body, ctype, max_bytes=MAX_IMAGE_REPLY_BYTES)
        image, usage = image_from_reply(raw, self._client)
        update: dict[str, Any] = {"image": image}
        if usage:
            update["metadata"] = {**(data.metadata or {}), "usage": usage}
        return data.model_copy(update=update)
