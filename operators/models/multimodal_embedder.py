"""``multimodal-embedder``: images and texts into one vector space (CLIP-style towers)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from engine import BaseParams, Context, Data, Embedding, InputError, LocalPath, Operator, register
from operators.models._onnx import OnnxModel, OnnxParams
from operators.models._text_tower import TextTower

__all__ = ["MultimodalEmbedder"]

# CLIP's pixel normalisation (its preprocessing's mean and std, RGB)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@register
class MultimodalEmbedder(Operator):
    """Embeds images and texts into one space, so a text finds the images it describes.

    Two ONNX files, as CLIP-style models export them: an image tower (``[1, 3, H, W]`` in,
    ``[1, D]`` out) and a text tower (token ids, and an attention mask when it takes one, in;
    ``[1, D]`` out, or ``[1, L, D]`` token states that are mean-pooled), with the text
    tower's Hugging Face ``tokenizer.json``.  An image input goes through the image tower, a
    text input through the text tower; both vectors are L2-normalised unless ``normalize`` is
    off.  As an App's base workflow, ``search(text=...)`` then ranks stored images by the
    text.  Either tower may be left out; an input of the missing kind is that input's error.

    Reads ``image`` or ``text``; writes ``embeddings``.
    """

    type_id = "multimodal-embedder"

    class Params(BaseParams):
        image_model_path: LocalPath | None = Field(None, description="the image tower (.onnx)")
        text_model_path: LocalPath | None = Field(None, description="the text tower (.onnx)")
        tokenizer_path: LocalPath | None = Field(
            None, description="the text tower's Hugging Face tokenizer.json"
        )
        max_length: int = Field(
            77, ge=1, le=4096, description="tokens per text (cut or padded to it; a text "
            "tower with a fixed input length uses its own)",
        )
        input_size: int | tuple[int, int] | None = Field(
            None, description="image tower input width and height; read from the model "
            "when fixed",
        )
        mean: tuple[float, float, float] = Field(
            CLIP_MEAN, description="subtracted per channel after scaling pixels to 0..1"
        )
        std: tuple[float, float, float] = Field(
            CLIP_STD, description="divides each channel after the mean is subtracted"
        )
        channel_order: Literal["rgb", "bgr"] = Field(
            "rgb", description="channel order the image tower expects"
        )
        normalize: bool = Field(True, description="scale each vector to unit length")

        @field_validator("image_model_path", "text_model_path", "tokenizer_path")
        @classmethod
        def _exists(cls, v: str | None) -> str | None:
            if v is not None and not Path(v).expanduser().is_file():
                raise ValueError(f"no file at {v!r}")
            return v

        @model_validator(mode="after")
        def _towers(self) -> MultimodalEmbedder.Params:
            if self.image_model_path is None and self.text_model_path is None:
                raise ValueError("multimodal-embedder needs 'image_model_path', "
                                 "'text_model_path' or both")
            if (self.text_model_path is None) != (self.tokenizer_path is None):
                raise ValueError("'text_model_path' and 'tokenizer_path' go together")
            return self

    reads: ClassVar[tuple[str, ...]] = ("image",)  # or text: the image is found by look-back
    writes: ClassVar[tuple[str, ...]] = ("embeddings",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: MultimodalEmbedder.Params = params
        self._image = _image_tower(params)
        self._text = (
            TextTower(params.text_model_path, params.tokenizer_path, params.max_length)
            if params.text_model_path is not None and params.tokenizer_path is not None
            else None
        )
        _same_space(self._image, self._text)

    def process(self, data: Data, ctx: Context) -> Data | None:
        vec = self._embed(data, ctx)
        if self.params.normalize:
            norm = float(np.linalg.norm(vec))
            vec = vec / norm if norm > 0 else vec
        values = [float(v) for v in vec]
        return Data(embeddings=[Embedding(vector=values, num_dimensions=len(values))])

    def _embed(self, data: Data, ctx: Context) -> np.ndarray:
        own_pixels = data.image is not None and data.image.has_pixels
        if not own_pixels and data.text is not None and data.text.raw is not None:
            if self._text is None:
                raise InputError(f"node '{ctx.node_id}' got a text but has no text tower "
                                 "('text_model_path')")
            return self._text(data.text.raw)
        if self._image is None:
            raise InputError(f"node '{ctx.node_id}' got no text, and it has no image tower "
                             "('image_model_path')")
        outputs, _, _ = self._image.run(ctx.image(data))
        return np.asarray(outputs[0], dtype=np.float64).reshape(-1)


def _image_tower(p: MultimodalEmbedder.Params) -> OnnxModel | None:
    if p.image_model_path is None:
        return None
    own = OnnxParams(model_path=p.image_model_path, input_size=p.input_size, mean=p.mean,
                     std=p.std, channel_order=p.channel_order)
    return OnnxModel(own, default_size=224)


def _same_space(image: OnnxModel | None, text: TextTower | None) -> None:
    """Both towers must give vectors of one size, or search would compare apples to pears."""
    if image is None or text is None or text.dims is None:
        return
    out = image.output_shapes[0] if image.output_shapes else []
    dims = out[-1] if out else None
    if dims is not None and dims != text.dims:
        raise ValueError(f"the image tower gives {dims}-dim vectors but the text tower "
                         f"{text.dims}-dim ones: they are not one space")
