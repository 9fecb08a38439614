"""Keypoint sets: COCO's 17 body keypoints and their skeleton, and keypoints as Clarifai
``Point``s (fractions of the image, with a visibility)."""

from __future__ import annotations

import numpy as np

from engine import Point

__all__ = ["COCO_KEYPOINTS", "COCO_SKELETON", "points"]

COCO_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# pairs of COCO_KEYPOINTS indices: legs, hips to shoulders, arms, then the head
COCO_SKELETON = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7),
    (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
)


def points(
    xy: np.ndarray, conf: np.ndarray | None, wh: tuple[int, int], threshold: float
) -> list[Point]:
    """``(K, 2)`` image-pixel positions as Points; a keypoint whose confidence is below
    ``threshold`` is ``NOT_VISIBLE`` (its position is the model's guess), one outside the
    image is clipped to its edge and ``NOT_VISIBLE`` too."""
    w, h = wh
    out = []
    for k, (x, y) in enumerate(np.asarray(xy, dtype=np.float64)):
        inside = 0 <= x <= w and 0 <= y <= h
        seen = inside and (conf is None or float(conf[k]) >= threshold)
        out.append(Point(
            row=float(np.clip(y / h, 0.0, 1.0)), col=float(np.clip(x / w, 0.0, 1.0)),
            visibility="VISIBLE" if seen else "NOT_VISIBLE",
        ))
    return out
