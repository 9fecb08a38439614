"""Keypoint exports that describe one object per image (a face or body crop): landmark
regression (``[1, K*D]`` or ``[1, K, D]``) and heatmaps (``[1, K, H, W]``).

Both give keypoints in model-input pixels, with a confidence each (1 where the export
gives none), for the caller to map back to the image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_single", "heatmap_points", "landmark_points"]

_MAX_HEATMAP = 4096 * 4096  # pixels of one keypoint's heatmap


def check_single(shape: list[int | None], fmt: str, k: int, dims: int) -> None:
    """Refuse, when the model loads, an output these keypoints can never be read from."""
    shown = [d if d is not None else "?" for d in shape]
    if fmt == "heatmaps":
        if len(shape) != 4 or shape[1] not in (None, k):
            raise ValueError(f"model output {shown} is not {k} keypoint heatmaps [1, {k}, H, W]")
        return
    fits = (len(shape) == 2 and shape[1] in (None, k * dims)) or (
        len(shape) == 3 and shape[1] in (None, k) and shape[2] in (None, dims)
    )
    if not fits:
        raise ValueError(f"model output {shown} is not {k} landmarks of {dims} numbers "
                         f"([1, {k * dims}] or [1, {k}, {dims}])")


def landmark_points(
    out: np.ndarray, k: int, dims: int, fractions: bool, model_wh: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """``(K, 2)`` positions in model-input pixels and ``(K,)`` confidences."""
    arr = np.asarray(out, dtype=np.float64)
    if arr.size != k * dims:
        raise ValueError(f"model output {list(arr.shape)} is not {k} landmarks of {dims} numbers")
    rows = arr.reshape(k, dims)
    xy = rows[:, :2] * np.asarray(model_wh, dtype=np.float64) if fractions else rows[:, :2]
    conf = rows[:, 2] if dims == 3 else np.ones(k)
    return xy, conf


def heatmap_points(
    out: np.ndarray, k: int, model_wh: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each heatmap's peak (a quarter pixel towards the higher neighbour, as HRNet reads
    them) in model-input pixels, and the peak's value as the confidence."""
    arr = np.asarray(out, dtype=np.float64)
    if arr.ndim != 4 or arr.shape[:2] != (1, k) or arr.shape[2] * arr.shape[3] > _MAX_HEATMAP:
        raise ValueError(f"model output {list(arr.shape)} is not {k} keypoint heatmaps")
    maps = arr[0]
    h, w = maps.shape[1:]
    flat = maps.reshape(k, -1).argmax(axis=1)
    ys, xs = np.divmod(flat, w)
    conf = maps[np.arange(k), ys, xs]
    fx, fy = xs.astype(np.float64), ys.astype(np.float64)
    for j in range(k):
        x, y, m = xs[j], ys[j], maps[j]
        if 0 < x < w - 1:
            fx[j] += 0.25 * np.sign(m[y, x + 1] - m[y, x - 1])
        if 0 < y < h - 1:
            fy[j] += 0.25 * np.sign(m[y + 1, x] - m[y - 1, x])
    # heatmap pixel centres to model-input pixels
    mw, mh = model_wh
    xy = np.stack([(fx + 0.5) * mw / w, (fy + 0.5) * mh / h], axis=1)
    return xy, conf
