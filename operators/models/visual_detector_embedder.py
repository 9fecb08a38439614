"""``visual-detector-embedder``: detected objects, each with its own embedding."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field, field_validator, model_validator

from engine import (
    Concept,
    Context,
    Data,
    Embedding,
    LocalPath,
    Operator,
    Region,
    RegionInfo,
    geometry,
    register,
)
from operators.models._common import OutputFilterParams
from operators.models._masks import ModelFrame
from operators.models._onnx import IMAGENET_MEAN, IMAGENET_STD, OnnxModel, OnnxParams
from operators.models._yolo_heads import HeadRows, check_head, decode_head, keep_best

__all__ = ["VisualDetectorEmbedder"]

_MAX_DIMS = 65_536  # embedding dimensions


@register
class VisualDetectorEmbedder(Operator):
    """Detects objects and embeds each one: regions with a box, a concept and an embedding.

    The detector is a user's YOLO-style ONNX file (``[1, N, 5+C]`` or ``[1, 4+C, N]``, per-class
    NMS).  Each object's embedding comes either from a second ONNX model run on the object's
    crop (``embedder_model_path``, its output flattened), or from the detector itself when
    its rows carry ``embedding_dims`` more columns after the class scores (re-identification
    heads do).  Vectors are L2-normalised unless ``normalize`` is off.  Feeds
    ``kalman-reid-tracker`` or an App's region search in one node.

    Reads ``image``; writes ``regions`` (with ``regions[].data.concepts`` and
    ``regions[].data.embeddings``).
    """

    type_id = "visual-detector-embedder"

    class Params(OnnxParams, OutputFilterParams):
        min_value: float = Field(
            0.25, ge=0.0, le=1.0, description="detections scoring below this are dropped"
        )
        max_detections: int = Field(
            100, ge=1, le=1000, description="keep (and embed) at most this many, best first"
        )
        letterbox: bool = Field(
            True, description="resize keeping aspect ratio and pad (as YOLO trains)"
        )
        nms_threshold: float = Field(
            0.45, ge=0.0, le=1.0, description="overlap (IoU) above which a weaker box of the "
            "same class is suppressed",
        )
        embedding_dims: int = Field(
            0, ge=0, le=_MAX_DIMS, description="embedding columns at the end of each detector "
            "row (0: embed each crop with embedder_model_path)",
        )
        embedder_model_path: LocalPath | None = Field(
            None, description="ONNX embedder run on each object's crop"
        )
        embedder_input_size: int | tuple[int, int] | None = Field(
            None, description="embedder input width and height; read from the model when fixed"
        )
        embedder_mean: tuple[float, float, float] = Field(
            IMAGENET_MEAN, description="embedder: subtracted per channel after scaling to 0..1"
        )
        embedder_std: tuple[float, float, float] = Field(
            IMAGENET_STD, description="embedder: divides each channel after the mean"
        )
        margin: float = Field(
            1.0, gt=0.0, le=10.0, description="each box is grown by this factor about its "
            "centre before it is cropped for the embedder",
        )
        normalize: bool = Field(True, description="scale each vector to unit length")

        @field_validator("embedder_model_path")
        @classmethod
        def _embedder_exists(cls, v: str | None) -> str | None:
            if v is not None and not Path(v).expanduser().is_file():
                raise ValueError(f"no ONNX model file at {v!r}")
            return v

        @model_validator(mode="after")
        def _one_embedding_source(self) -> VisualDetectorEmbedder.Params:
            if self.model_path is None:
                raise ValueError("visual-detector-embedder needs 'model_path' (an ONNX detector)")
            if (self.embedder_model_path is None) == (self.embedding_dims == 0):
                raise ValueError("give either 'embedder_model_path' (an ONNX embedder for "
                                 "each crop) or 'embedding_dims' (the detector's own "
                                 "embedding columns), not both or neither")
            own = {"embedder_input_size", "embedder_mean", "embedder_std", "margin"}
            stray = sorted(own & self.model_fields_set)
            if self.embedder_model_path is None and stray:
                raise ValueError(f"{stray[0]!r} applies only with 'embedder_model_path'")
            return self

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = (
        "regions", "regions[].data.concepts", "regions[].data.embeddings"
    )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: VisualDetectorEmbedder.Params = params
        self._detector = OnnxModel(params, default_size=640, letterbox=params.letterbox)
        check_head(self._detector.output_shapes[0], len(params.labels), params.embedding_dims)
        self._embedder = _embedder(params)

    def process(self, data: Data, ctx: Context) -> Data | None:
        bgr = ctx.image(data)
        outputs, scale, pad = self._detector.run(bgr)
        h, w = bgr.shape[:2]
        frame = ModelFrame.of((w, h), self._detector.size, self._detector.letterbox, scale, pad)
        p = self.params
        heads = decode_head(outputs[0], len(p.labels), p.embedding_dims, p.min_value,
                            p.nms_threshold)
        heads = keep_best(heads, [self._label(int(c)) for c in heads.classes],
                          p.select_concepts, p.max_detections)
        boxes = geometry.clip(geometry.to_fractions(frame.to_image(heads.boxes), w, h))
        vectors = self._vectors(bgr, boxes, heads)
        return Data(regions=[self._region(b, s, int(c), v) for b, s, c, v
                             in zip(boxes, heads.scores, heads.classes, vectors, strict=True)])

    def _vectors(self, bgr: np.ndarray, boxes: np.ndarray, heads: HeadRows) -> list[np.ndarray]:
        if self._embedder is None:
            return list(heads.extra)
        h, w = bgr.shape[:2]
        slices = geometry.crop_box(boxes, w, h, self.params.margin).tolist()
        out = []
        for x1, y1, x2, y2 in slices:
            crop = bgr[y1:max(y2, y1 + 1), x1:max(x2, x1 + 1)]
            outputs, _, _ = self._embedder.run(crop)
            out.append(np.asarray(outputs[0], dtype=np.float64).reshape(-1)[:_MAX_DIMS])
        return out

    def _region(self, box: np.ndarray, score: float, cls: int, vec: np.ndarray) -> Region:
        label = self._label(cls)
        if self.params.normalize:
            norm = float(np.linalg.norm(vec))
            vec = vec / norm if norm > 0 else vec
        values = [float(v) for v in vec]
        return Region(
            id=geometry.region_id(box, label),
            region_info=RegionInfo(bounding_box=geometry.box_to_proto(box)),
            data=Data(concepts=[Concept(id=label, name=label, value=float(score))],
                      embeddings=[Embedding(vector=values, num_dimensions=len(values))]),
            value=float(score),
        )

    def _label(self, k: int) -> str:
        return self.params.labels[k] if k < len(self.params.labels) else str(k)


def _embedder(p: VisualDetectorEmbedder.Params) -> OnnxModel | None:
    if p.embedder_model_path is None:
        return None
    own = OnnxParams(model_path=p.embedder_model_path, input_size=p.embedder_input_size,
                     mean=p.embedder_mean, std=p.embedder_std, channel_order=p.channel_order)
    model = OnnxModel(own, default_size=224)
    dims = model.output_shapes[0] if model.output_shapes else []
    if all(d is not None for d in dims) and int(np.prod([d or 1 for d in dims])) > _MAX_DIMS:
        raise ValueError(f"embedder output {dims} is larger than {_MAX_DIMS} dimensions")
    return model

