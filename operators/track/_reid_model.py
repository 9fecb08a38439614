"""``reid_model_path``: appearance embeddings of region crops from a user's ONNX model.

The model takes one NCHW float32 batch of crops (RGB, scaled to 0..1 and normalised with
ImageNet's mean and std, as person re-identification models such as OSNet are trained) and
returns one vector per crop.  onnxruntime is imported when such a model is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ReidModel"]

# Crop size (width, height) when the model's input does not fix it: the usual ReID shape.
DEFAULT_SIZE = (64, 128)
_MEAN = np.asarray((0.485, 0.456, 0.406), dtype=np.float32)
_STD = np.asarray((0.229, 0.224, 0.225), dtype=np.float32)
# Crops per model call: bounds the batch a frame full of regions allocates at once.
MAX_BATCH = 32


class ReidModel:
    """One loaded embedding model; ``embed(bgr, boxes)`` gives ``(N, D)`` vectors."""

    def __init__(self, path: str) -> None:
        import onnxruntime as ort

        try:
            self._session = ort.InferenceSession(
                str(Path(path).expanduser()), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own types for bad files
            raise ValueError(f"cannot load ReID model {path!r}: {exc}") from exc
        inp = self._session.get_inputs()[0]
        self._input = inp.name
        self._batch_fixed = isinstance(inp.shape[0], int) and inp.shape[0] == 1
        self.size = _fixed_size(inp.shape) or DEFAULT_SIZE

    def embed(self, bgr: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Embeddings of the pixel boxes ``(N, 4)`` cut from ``bgr``; zeros for empty crops."""
        crops = [_crop(bgr, b, self.size) for b in np.asarray(boxes).reshape(-1, 4)]
        step = 1 if self._batch_fixed else MAX_BATCH
        parts = [self._run(crops[i : i + step]) for i in range(0, len(crops), step)]
        return np.concatenate(parts) if parts else np.zeros((0, 0))

    def _run(self, crops: list[np.ndarray]) -> np.ndarray:
        batch = np.stack(crops)
        out = self._session.run(None, {self._input: batch})[0]
        return np.asarray(out, dtype=np.float64).reshape(len(crops), -1)


def _crop(bgr: np.ndarray, box: np.ndarray, size: tuple[int, int]) -> Any:
    import cv2

    h, w = bgr.shape[:2]
    x1, y1 = int(max(0, np.floor(box[0]))), int(max(0, np.floor(box[1])))
    x2, y2 = int(min(w, np.ceil(box[2]))), int(min(h, np.ceil(box[3])))
    if x2 <= x1 or y2 <= y1:
        return np.zeros((3, size[1], size[0]), dtype=np.float32)
    img = cv2.resize(bgr[y1:y2, x1:x2], size, interpolation=cv2.INTER_LINEAR)[:, :, ::-1]
    x = (img.astype(np.float32) / 255.0 - _MEAN) / _STD
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def _fixed_size(shape: list[Any]) -> tuple[int, int] | None:
    if len(shape) == 4 and all(isinstance(d, int) and d > 0 for d in shape[2:]):
        return int(shape[3]), int(shape[2])
    return None
