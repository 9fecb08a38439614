"""A user's ONNX model through onnxruntime: params, preprocessing, output decoding.

onnxruntime is imported when a model is loaded, never when the operator registry loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from engine import BaseParams, LocalPath, geometry

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "OnnxModel",
    "OnnxParams",
    "decode_yolo",
    "softmax",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_LETTERBOX_FILL = 114  # the grey YOLO pads with


class OnnxParams(BaseParams):
    """How to feed a user's ONNX model: where it is, its input size and normalisation."""

    model_path: LocalPath | None = Field(
        None, description="path of the .onnx file (relative: to the workflow file's folder)"
    )
    input_size: int | tuple[int, int] | None = Field(
        None,
        description="model input width and height (one int for square); "
        "read from the model when its input has a fixed size",
    )
    labels: list[str] = Field(
        default_factory=list, description="concept id of each output class, in order"
    )
    mean: tuple[float, float, float] = Field(
        (0.0, 0.0, 0.0), description="subtracted per channel after scaling pixels to 0..1"
    )
    std: tuple[float, float, float] = Field(
        (1.0, 1.0, 1.0), description="divides each channel after the mean is subtracted"
    )
    channel_order: Literal["rgb", "bgr"] = Field(
        "rgb", description="channel order the model expects"
    )

    @field_validator("model_path")
    @classmethod
    def _exists(cls, v: str | None) -> str | None:
        if v is not None and not Path(v).expanduser().is_file():
            raise ValueError(f"no ONNX model file at {v!r}")
        return v


def _size(value: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if value is None:
        return None
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


class OnnxModel:
    """One loaded ONNX graph with a single image input (NCHW float32)."""

    def __init__(self, params: OnnxParams, default_size: int, letterbox: bool = False) -> None:
        import onnxruntime as ort

        if params.model_path is None:
            raise ValueError("an ONNX model needs 'model_path'")
        path = str(Path(params.model_path).expanduser())
        try:
            self._session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for bad files
            raise ValueError(f"cannot load ONNX model {path!r}: {exc}") from exc
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        self.size = _size(params.input_size) or _fixed_size(inp.shape) or (default_size,) * 2
        self._mean = np.asarray(params.mean, dtype=np.float32).reshape(1, 1, 3)
        self._std = np.asarray(params.std, dtype=np.float32).reshape(1, 1, 3)
        self._rgb = params.channel_order == "rgb"
        self.letterbox = letterbox

    @property
    def output_shapes(self) -> list[list[int | None]]:
        """Each output's declared shape; ``None`` where an axis is dynamic."""
        return [
            [d if isinstance(d, int) and d > 0 else None for d in o.shape]
            for o in self._session.get_outputs()
        ]

    @property
    def output_types(self) -> list[str]:
        """Each output's element type, as onnxruntime names it (``tensor(float)``)."""
        return [str(o.type) for o in self._session.get_outputs()]

    def run(self, bgr: np.ndarray) -> tuple[list[np.ndarray], float, tuple[float, float]]:
        """The model's outputs, plus the scale and (x, y) padding that map input pixels back."""
        tensor, scale, pad = self._prepare(bgr)
        outputs = self._session.run(None, {self._input_name: tensor})
        return [np.asarray(o) for o in outputs], scale, pad

    def _prepare(self, bgr: np.ndarray) -> tuple[np.ndarray, float, tuple[float, float]]:
        import cv2

        w, h = self.size
        ih, iw = bgr.shape[:2]
        img: np.ndarray
        if self.letterbox:  # keep the aspect ratio and pad, as YOLO models are trained
            scale = min(w / iw, h / ih)
            nw, nh = max(1, round(iw * scale)), max(1, round(ih * scale))
            px, py = (w - nw) // 2, (h - nh) // 2
            canvas = np.full((h, w, 3), _LETTERBOX_FILL, dtype=np.uint8)
            resized = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
            canvas[py : py + nh, px : px + nw] = resized
            img, sx, pad = canvas, scale, (float(px), float(py))
        else:
            img = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_AREA)
            sx, pad = 1.0, (0.0, 0.0)
        if self._rgb:
            img = img[:, :, ::-1]
        x = (img.astype(np.float32) / 255.0 - self._mean) / self._std
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None]), sx, pad


def _fixed_size(shape: list[Any]) -> tuple[int, int] | None:
    if len(shape) == 4 and all(isinstance(d, int) and d > 0 for d in shape[2:]):
        return int(shape[3]), int(shape[2])
    return None


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max()
    e = np.exp(z)
    return np.asarray(e / e.sum())


def _yolo_rows(out: np.ndarray, n_labels: int) -> tuple[np.ndarray, bool]:
    """``(N, 4[+1]+C)`` rows from a YOLO head, and whether they carry an objectness column.

    YOLOv5-style heads give ``[1, N, 5 + C]`` (box, objectness, classes); YOLOv8-style heads
    give ``[1, 4 + C, N]`` (box, classes).  With labels the width decides; without, the
    longer axis is the box axis (there are far more anchors than classes).
    """
    arr = out.reshape(out.shape[-2], out.shape[-1]) if out.ndim == 3 else out
    if n_labels:
        for rows in (arr, arr.T):
            if rows.shape[1] in (5 + n_labels, 4 + n_labels):
                return rows, rows.shape[1] == 5 + n_labels
        raise ValueError(
            f"model output {out.shape} fits neither [N, 5+{n_labels}] nor [4+{n_labels}, N]"
        )
    if arr.shape[0] < arr.shape[1]:
        return arr.T, False
    return arr, True


def decode_yolo(
    out: np.ndarray, n_labels: int, score_min: float, nms_threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes (xyxy, model-input pixels), scores and class indices after per-class NMS."""
    rows, has_objectness = _yolo_rows(np.asarray(out, dtype=np.float64), n_labels)
    first = 5 if has_objectness else 4
    cls_scores = rows[:, first:] if rows.shape[1] > first else np.ones((len(rows), 1))
    classes = cls_scores.argmax(axis=1)
    scores = cls_scores[np.arange(len(rows)), classes]
    if has_objectness:
        scores = scores * rows[:, 4]
    keep = scores >= score_min
    cxcywh, scores, classes = rows[keep, :4], scores[keep], classes[keep]
    centre, half = cxcywh[:, :2], cxcywh[:, 2:] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    kept = geometry.nms(boxes, scores, nms_threshold, classes=classes)
    return boxes[kept], scores[kept], classes[kept]
