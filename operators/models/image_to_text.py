"""``image-to-text``: a caption or answer about an image from an OpenAI-compatible vision model."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine import Context, Data, Operator, register
from operators.models._vision_chat import VisionChat, VisionParams

__all__ = ["ImageToText"]


@register
class ImageToText(Operator):
    """Sends the node's image with ``prompt`` to ``{base_url}/chat/completions``; outputs the reply.

    The image is the input's own, else the nearest upstream one; after a cropper the node
    runs on each crop and the text lands in that region.  It travels as a PNG data URL
    (downscaled to ``max_image_side``), as OpenAI's vision API and local servers (llama.cpp,
    vLLM, Ollama) take it.  Keys, the ``base_url`` guard, the deadline, retries and reply
    size are those of ``text-to-text``; token counts go to ``metadata.usage`` and the node's
    Output.

    Reads ``image``; writes ``text`` and ``metadata`` (the rest passes through).
    """

    type_id = "image-to-text"
    io_bound = True
    counts_tokens = True

    class Params(VisionParams):
        prompt: str = Field(
            default="Describe this image.", max_length=100_000,
            description="the text sent with the image",
        )

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("text", "metadata", "*")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._chat = VisionChat(params)
        self._prompt = params.prompt

    def process(self, data: Data, ctx: Context) -> Data | None:
        return self._chat.ask(data, self._prompt, [ctx.image(data)])
