"""Detectors whose weights ship inside the OpenCV wheel: a Haar face cascade, HOG people.

Neither gives a calibrated probability, so each maps its own evidence to a monotone score
in (0, 1): the Haar cascade the number of raw detections merged into a box, the HOG
detector its SVM margin.  Scores are comparable within one backend, not across backends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine import geometry

__all__ = ["HaarFaceDetector", "HogPersonDetector"]

HAAR_FACE_FILE = "haarcascade_frontalface_default.xml"


class HaarFaceDetector:
    """OpenCV's frontal-face Haar cascade (Viola-Jones)."""

    label = "face"

    def __init__(self, scale_factor: float, min_neighbors: int, min_size: int) -> None:
        import cv2

        path = Path(cv2.data.haarcascades) / HAAR_FACE_FILE
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise RuntimeError(f"OpenCV's Haar face cascade is missing or unreadable: {path}")
        self._scale_factor = scale_factor
        self._min_neighbors = min_neighbors
        self._min_size = (min_size, min_size)

    def __call__(self, bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes as ``(N, 4)`` xyxy fractions and scores in (0.5, 1)."""
        import cv2

        gray = cv2.equalizeHist(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
        rects, counts = self._cascade.detectMultiScale2(
            gray,
            scaleFactor=self._scale_factor,
            minNeighbors=self._min_neighbors,
            minSize=self._min_size,
        )
        n = np.asarray(counts, dtype=np.float64).reshape(-1)
        # a box is kept when more than min_neighbors raw hits agree; more agreement, higher score
        scores = n / (n + max(self._min_neighbors, 1))
        return _ordered(_xywh_to_fractions(rects, bgr.shape), scores)


class HogPersonDetector:
    """OpenCV's HOG + linear SVM people detector (Dalal-Triggs, 64x128 window)."""

    label = "person"

    def __init__(self, win_stride: int, scale: float, hit_threshold: float) -> None:
        import cv2

        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self._win_stride = (win_stride, win_stride)
        self._scale = scale
        self._hit_threshold = hit_threshold

    def __call__(self, bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes as ``(N, 4)`` xyxy fractions and scores: the logistic of the SVM margin."""
        h, w = bgr.shape[:2]
        if w < 64 or h < 128:  # smaller than one detection window: nothing to find
            return np.zeros((0, 4)), np.zeros(0)
        rects, weights = self._hog.detectMultiScale(
            bgr, hitThreshold=self._hit_threshold, winStride=self._win_stride, scale=self._scale
        )
        margin = np.asarray(weights, dtype=np.float64).reshape(-1)
        return _ordered(_xywh_to_fractions(rects, bgr.shape), 1.0 / (1.0 + np.exp(-margin)))


def _ordered(boxes: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best score first, ties top to bottom then left to right: OpenCV's detectors return
    their boxes in an order that depends on how many threads ran them, and the results must
    not (one process and worker processes running OpenCV on fewer threads agree)."""
    order = np.lexsort((boxes[:, 0], boxes[:, 1], -scores)) if len(scores) else np.arange(0)
    return boxes[order], scores[order]


def _xywh_to_fractions(rects: object, shape: tuple[int, ...]) -> np.ndarray:
    xywh = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
    xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
    return geometry.to_fractions(xyxy, int(shape[1]), int(shape[0]))
