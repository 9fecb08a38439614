"""``visual-embedder``: one embedding vector per image."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from engine import Context, Data, Embedding, Operator, register
from operators.models._histogram import histogram_embedding
from operators.models._onnx import IMAGENET_MEAN, IMAGENET_STD, OnnxModel, OnnxParams

__all__ = ["VisualEmbedder"]

_ONNX_ONLY = ("model_path", "input_size", "mean", "std", "channel_order")


@register
class VisualEmbedder(Operator):
    """Embeds the image as a vector for search, clustering or re-identification.

    ``model: histogram`` (the default, no weights) gives a 256-dim colour + texture
    histogram: similar looks give close vectors, meaning is not captured.  ``model: onnx``
    runs a user's ONNX embedding model (output flattened).  Vectors are L2-normalised
    unless ``normalize`` is off.  Placed after a cropper it embeds each crop into its
    region (what the ReID tracker reads).

    Reads ``image``; writes ``embeddings``.
    """

    type_id = "visual-embedder"

    class Params(OnnxParams):
        model: Literal["histogram", "onnx"] = Field(
            "histogram", description="colour + texture histogram, or a user's ONNX model"
        )
        mean: tuple[float, float, float] = Field(
            IMAGENET_MEAN, description="onnx: subtracted per channel after scaling pixels to 0..1"
        )
        std: tuple[float, float, float] = Field(
            IMAGENET_STD, description="onnx: divides each channel after the mean is subtracted"
        )
        normalize: bool = Field(True, description="scale each vector to unit length")

        @model_validator(mode="after")
        def _backend_params(self) -> VisualEmbedder.Params:
            if self.model == "onnx" and self.model_path is None:
                raise ValueError("model 'onnx' needs 'model_path'")
            stray = sorted(set(_ONNX_ONLY) & self.model_fields_set)
            if self.model != "onnx" and stray:
                raise ValueError(f"{stray[0]!r} applies only to model 'onnx'")
            if "labels" in self.model_fields_set:
                raise ValueError("an embedder has no labels")
            return self

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("embeddings",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: VisualEmbedder.Params = params
        self._model = OnnxModel(params, default_size=224) if params.model == "onnx" else None

    def process(self, data: Data, ctx: Context) -> Data | None:
        vec = self._embed(ctx.image(data))
        if self.params.normalize:
            norm = float(np.linalg.norm(vec))
            vec = vec / norm if norm > 0 else vec
        values = [float(v) for v in vec]
        return Data(embeddings=[Embedding(vector=values, num_dimensions=len(values))])

    def _embed(self, bgr: np.ndarray) -> np.ndarray:
        if self._model is None:
            return histogram_embedding(bgr)
        outputs, _, _ = self._model.run(bgr)
        return np.asarray(outputs[0], dtype=np.float64).reshape(-1)
