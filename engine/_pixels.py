"""Pixels of any layout as the 8-bit BGR every node gets (gray, alpha, 16-bit, float)."""

from __future__ import annotations

import numpy as np

__all__ = ["to_bgr"]

_BAND_PIXELS = 1 << 20  # to_bgr converts this many pixels at a time


def to_bgr(img: np.ndarray) -> np.ndarray:
    """Any OpenCV image (gray, BGRA, 16-bit, float) as contiguous 8-bit 3-channel BGR.

    Converted a band of rows at a time, so a large image needs its output and little more.
    """
    if img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8:
        return np.ascontiguousarray(img)
    height, width = img.shape[:2]
    out = np.empty((height, width, 3), np.uint8)
    step = max(1, _BAND_PIXELS // max(width, 1))
    for top in range(0, height, step):
        out[top : top + step] = _bgr_band(img[top : top + step])
    return out


def _bgr_band(rows: np.ndarray) -> np.ndarray:
    """Rows as uint8 with 3 channels, or 1 that broadcasts to 3."""
    if rows.dtype == np.uint16:
        rows = (rows >> 8).astype(np.uint8)
    elif rows.dtype == np.bool_:
        rows = rows.astype(np.uint8) * np.uint8(255)
    elif rows.dtype.kind == "f":  # NaN is black, as nothing; infinities are clipped
        rows = np.nan_to_num(rows, nan=0.0, posinf=1.0, neginf=0.0)
        rows = (np.clip(rows, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif rows.dtype != np.uint8:
        rows = np.clip(rows, 0, 255).astype(np.uint8)
    if rows.ndim == 2:
        return rows[:, :, None]
    if rows.shape[2] == 4:
        return _over_white(rows)
    return rows


def _over_white(bgra: np.ndarray) -> np.ndarray:
    # transparent pixels often hold black; over white they look as the author meant:
    # c*a + 255*(1-a) = 255 - (255-c)*a, one rounding, in OpenCV's vectorised kernels
    import cv2

    bgr = cv2.cvtColor(np.ascontiguousarray(bgra), cv2.COLOR_BGRA2BGR)
    alpha = np.ascontiguousarray(bgra[:, :, 3])
    if alpha.min() == 255:
        return np.asarray(bgr)
    alpha3 = cv2.cvtColor(alpha, cv2.COLOR_GRAY2BGR)
    faded = cv2.multiply(cv2.bitwise_not(bgr), alpha3, scale=1.0 / 255.0)
    return np.asarray(cv2.bitwise_not(faded))
