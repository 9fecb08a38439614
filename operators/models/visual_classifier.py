"""``visual-classifier``: whole-image concepts from a user's ONNX classifier."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from engine import Context, Data, Operator, register
from operators.models._common import OutputFilterParams, keep_concepts
from operators.models._onnx import IMAGENET_MEAN, IMAGENET_STD, OnnxModel, OnnxParams, softmax

__all__ = ["VisualClassifier"]


@register
class VisualClassifier(Operator):
    """Classifies the whole image with an ONNX model and outputs its top concepts.

    The model takes one ``[1, 3, H, W]`` image and returns ``[1, C]`` scores; ``softmax``
    turns logits into probabilities (leave it off for models that end in a softmax).
    Concepts come out best first, filtered by ``min_value``, ``select_concepts`` and
    ``max_concepts`` as Clarifai's ``output_config`` does.  Placed after a cropper it runs
    once per crop, and each crop's concepts land in its region.

    Reads ``image``; writes ``concepts``.
    """

    type_id = "visual-classifier"

    class Params(OnnxParams, OutputFilterParams):
        mean: tuple[float, float, float] = Field(
            IMAGENET_MEAN, description="subtracted per channel after scaling pixels to 0..1"
        )
        std: tuple[float, float, float] = Field(
            IMAGENET_STD, description="divides each channel after the mean is subtracted"
        )
        max_concepts: int = Field(20, ge=1, le=1000, description="keep at most this many concepts")
        softmax: bool = Field(True, description="apply softmax to the model's output")

        @model_validator(mode="after")
        def _needs_model(self) -> VisualClassifier.Params:
            if self.model_path is None:
                raise ValueError("visual-classifier needs 'model_path' (an ONNX file)")
            return self

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("concepts",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: VisualClassifier.Params = params
        self._model = OnnxModel(params, default_size=224)

    def process(self, data: Data, ctx: Context) -> Data | None:
        outputs, _, _ = self._model.run(ctx.image(data))
        scores = np.asarray(outputs[0], dtype=np.float64).reshape(-1)
        if self.params.softmax:
            scores = softmax(scores)
        labels = [self._label(i) for i in range(len(scores))]
        return Data(concepts=keep_concepts(scores, labels, self.params, self.params.max_concepts))

    def _label(self, i: int) -> str:
        return self.params.labels[i] if i < len(self.params.labels) else str(i)
