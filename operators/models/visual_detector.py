"""``visual-detector``: find objects in an image with a model that runs on this machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from engine import Context, Data, Operator, geometry, register
from operators.models._builtin import HaarFaceDetector, HogPersonDetector
from operators.models._common import (
    Detections,
    OutputFilterParams,
    keep_detections,
    regions_from_detections,
)
from operators.models._onnx import OnnxModel, OnnxParams, decode_yolo

__all__ = ["VisualDetector"]

_HAAR_ONLY = ("scale_factor", "min_neighbors", "min_size")
_HOG_ONLY = ("win_stride", "scale", "hit_threshold")
_ONNX_ONLY = ("model_path", "input_size", "labels", "mean", "std", "channel_order", "letterbox",
              "nms_threshold")
_OWN = {"haar-face": _HAAR_ONLY, "hog-person": _HOG_ONLY, "onnx": _ONNX_ONLY}


@register
class VisualDetector(Operator):
    """Detects objects and outputs one region per object: a box, a concept and its score.

    ``model`` picks the backend.  ``haar-face`` (OpenCV's frontal-face cascade) and
    ``hog-person`` (OpenCV's HOG people detector) ship inside the OpenCV wheel and need no
    download; their scores rank detections but are not probabilities.  ``onnx`` runs a
    user's YOLO-style ONNX file (``[1, N, 5+C]`` or ``[1, 4+C, N]`` output) with per-class
    NMS.  Boxes are fractions of the image; ``region.value`` is the score.

    Reads ``image``; writes ``regions`` (with ``regions[].data.concepts``).
    """

    type_id = "visual-detector"

    class Params(OnnxParams, OutputFilterParams):
        model: Literal["haar-face", "hog-person", "onnx"] = Field(
            "haar-face", description="which detector runs"
        )
        min_value: float = Field(
            0.25, ge=0.0, le=1.0, description="detections scoring below this are dropped"
        )
        max_detections: int = Field(
            100, ge=1, le=10_000, description="keep at most this many, best first"
        )
        scale_factor: float = Field(
            1.1, gt=1.0, le=2.0, description="haar-face: image pyramid step"
        )
        min_neighbors: int = Field(
            5, ge=0, le=100,
            description="haar-face: raw hits needed to keep a face (fewer = more recall)",
        )
        min_size: int = Field(24, ge=8, description="haar-face: smallest face side, pixels")
        win_stride: int = Field(8, ge=1, le=64, description="hog-person: window step, pixels")
        scale: float = Field(1.05, gt=1.0, le=2.0, description="hog-person: image pyramid step")
        hit_threshold: float = Field(
            0.0, description="hog-person: SVM margin a window needs (higher = fewer, surer)"
        )
        letterbox: bool = Field(
            True, description="onnx: resize keeping aspect ratio and pad (as YOLO trains)"
        )
        nms_threshold: float = Field(
            0.45, ge=0.0, le=1.0, description="onnx: overlap (IoU) above which a weaker box of "
            "the same class is suppressed",
        )

        @model_validator(mode="after")
        def _backend_params(self) -> VisualDetector.Params:
            if self.model == "onnx" and self.model_path is None:
                raise ValueError("model 'onnx' needs 'model_path'")
            for backend, names in _OWN.items():
                stray = sorted(set(names) & self.model_fields_set)
                if backend != self.model and stray:
                    raise ValueError(f"{stray[0]!r} applies only to model '{backend}'")
            return self

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.concepts")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: VisualDetector.Params = params
        self._detect = _backend(params)

    def process(self, data: Data, ctx: Context) -> Data | None:
        dets = keep_detections(self._detect(ctx.image(data)), self.params,
                               self.params.max_detections)
        return Data(regions=regions_from_detections(dets))


def _backend(p: VisualDetector.Params) -> Callable[[np.ndarray], Detections]:
    if p.model == "haar-face":
        return _labelled(HaarFaceDetector(p.scale_factor, p.min_neighbors, p.min_size))
    if p.model == "hog-person":
        return _labelled(HogPersonDetector(p.win_stride, p.scale, p.hit_threshold))
    return _OnnxDetector(p)


def _labelled(
    detector: HaarFaceDetector | HogPersonDetector,
) -> Callable[[np.ndarray], Detections]:
    def detect(bgr: np.ndarray) -> Detections:
        boxes, scores = detector(bgr)
        return Detections(boxes, scores, [detector.label] * len(scores))

    return detect


class _OnnxDetector:
    def __init__(self, p: VisualDetector.Params) -> None:
        self._model = OnnxModel(p, default_size=640, letterbox=p.letterbox)
        self._labels = p.labels
        self._min, self._nms = p.min_value, p.nms_threshold

    def __call__(self, bgr: np.ndarray) -> Detections:
        outputs, scale, (px, py) = self._model.run(bgr)
        boxes, scores, classes = decode_yolo(outputs[0], len(self._labels), self._min, self._nms)
        h, w = bgr.shape[:2]
        if self._model.letterbox:
            boxes = (boxes - np.array([px, py, px, py])) / scale
        else:
            mw, mh = self._model.size
            boxes = boxes * np.array([w / mw, h / mh, w / mw, h / mh])
        labels = [self._label(int(c)) for c in classes]
        return Detections(geometry.to_fractions(boxes, w, h), scores, labels)

    def _label(self, cls: int) -> str:
        return self._labels[cls] if cls < len(self._labels) else str(cls)
