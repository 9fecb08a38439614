"""A colour + texture histogram embedding: no weights, fixed size, L2-normalised.

It says "these images look alike in colour and edge layout", which is enough to re-find the
same person or object across frames (ReID for trackers) or near-duplicate images; it knows
nothing of meaning, unlike a trained embedding.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HISTOGRAM_DIM", "histogram_embedding"]

_SIDE = 64  # images are resized to this square first: cost and scale independence
_HSV_BINS = (16, 4, 2)  # hue matters most; value least (it varies with lighting)
_GRID = 4  # texture: orientation histograms over a 4 x 4 grid of cells
_ORIENT_BINS = 8
HISTOGRAM_DIM = int(np.prod(_HSV_BINS)) + _GRID * _GRID * _ORIENT_BINS  # 128 + 128 = 256


def histogram_embedding(bgr: np.ndarray) -> np.ndarray:
    """A 256-dim unit vector: HSV colour histogram, then gradient-orientation histograms."""
    import cv2

    small = cv2.resize(bgr, (_SIDE, _SIDE), interpolation=cv2.INTER_AREA)
    colour = _hellinger(_hsv_histogram(cv2.cvtColor(small, cv2.COLOR_BGR2HSV)))
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    texture = _hellinger(_orientation_histogram(gray))
    vec = np.concatenate([colour, texture])
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


def _hsv_histogram(hsv: np.ndarray) -> np.ndarray:
    h, s, v = (hsv[:, :, i].astype(np.int64) for i in range(3))
    hb, sb, vb = _HSV_BINS
    # OpenCV's 8-bit hue runs 0..179
    idx = (h * hb // 180) * (sb * vb) + (s * sb // 256) * vb + (v * vb // 256)
    return np.bincount(idx.ravel(), minlength=hb * sb * vb).astype(np.float64)


def _orientation_histogram(gray: np.ndarray) -> np.ndarray:
    import cv2

    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    # unsigned orientation: an edge looks the same from either side
    ang = np.mod(np.arctan2(gy, gx), np.pi)
    obin = np.minimum((ang / np.pi * _ORIENT_BINS).astype(np.int64), _ORIENT_BINS - 1)
    cell = _SIDE // _GRID
    rows, cols = np.indices(gray.shape) // cell
    idx = (rows * _GRID + cols) * _ORIENT_BINS + obin
    return np.bincount(idx.ravel(), weights=mag.ravel(), minlength=_GRID * _GRID * _ORIENT_BINS)


def _hellinger(hist: np.ndarray) -> np.ndarray:
    # L1 then square root: Euclidean distance between results approximates the Hellinger
    # distance, which compares histograms better than raw counts do
    total = float(hist.sum())
    return np.sqrt(hist / total) if total > 0 else hist
