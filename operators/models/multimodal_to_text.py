"""``multimodal-to-text``: text and an image in, text out, from an OpenAI-compatible model."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine import Context, Data, InputError, Operator, register
from operators.models._vision_chat import VisionChat, VisionParams

__all__ = ["MultimodalToText"]


def _has_image(data: Data) -> bool:
    return data.image is not None and data.image.has_pixels


@register
class MultimodalToText(Operator):
    """Sends the input's text and image together to ``{base_url}/chat/completions``.

    The text is the input's ``text.raw`` (else ``prompt``); the image is the input's own,
    else the nearest upstream one, and may be missing: a text alone is sent as a text.  An
    input with neither fails.  The image travels as a PNG data URL (downscaled to
    ``max_image_side``).  Keys, the ``base_url`` guard, the deadline, retries and reply size
    are those of ``text-to-text``; token counts go to ``metadata.usage`` and the Output.

    Reads ``text`` and ``image``, either optional; writes ``text`` and ``metadata``.
    """

    type_id = "multimodal-to-text"
    io_bound = True
    counts_tokens = True

    class Params(VisionParams):
        prompt: str = Field(
            default="", max_length=100_000,
            description="the text sent when the input has none",
        )

    reads: ClassVar[tuple[str, ...]] = ("image",)  # text is optional: not a required edge
    writes: ClassVar[tuple[str, ...]] = ("text", "metadata", "*")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._chat = VisionChat(params)
        self._prompt = params.prompt

    def process(self, data: Data, ctx: Context) -> Data | None:
        text = data.text.raw if data.text is not None and data.text.raw else self._prompt
        found = data if _has_image(data) else ctx.look_back(_has_image)
        images = [found.image.array] if found is not None and found.image is not None else []
        if not text and not images:
            raise InputError(
                "multimodal-to-text needs text.raw or an image (or a prompt param); "
                "this input has neither"
            )
        return self._chat.ask(data, text, images)
