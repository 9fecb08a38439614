"""Cost matrices between tracks (rows) and detections (columns).

Box overlap comes from ``engine.geometry``; this module only turns similarities into costs
(lower is better) and adds the appearance distances the ReID tracker needs.
"""

from __future__ import annotations

import numpy as np

from engine import geometry

__all__ = [
    "appearance_distance",
    "centroid_distance",
    "class_mismatch",
    "cosine_distance",
    "embedding_distance",
    "iou_distance",
]


def iou_distance(tracks: np.ndarray, dets: np.ndarray) -> np.ndarray:
    """``1 - IoU`` of xyxy boxes: 0 for identical boxes, 1 for disjoint ones."""
    return 1.0 - geometry.iou_matrix(tracks, dets)


def centroid_distance(tracks: np.ndarray, dets: np.ndarray, relative: bool = True) -> np.ndarray:
    """Euclidean distance between box centres.

    With ``relative`` it is divided by the track box's diagonal, so a threshold means the
    same for a small far-away object and a big close one, in pixels or in fractions.
    """
    ct, cd = geometry.centroids(tracks), geometry.centroids(dets)
    dist: np.ndarray = np.sqrt(((ct[:, None, :] - cd[None, :, :]) ** 2).sum(axis=-1))
    if not relative:
        return dist
    wh = np.asarray(tracks, dtype=np.float64).reshape(-1, 4)
    diag = np.hypot(wh[:, 2] - wh[:, 0], wh[:, 3] - wh[:, 1])
    rel: np.ndarray = dist / np.maximum(diag, 1e-9)[:, None]
    return rel


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    unit: np.ndarray = np.divide(v, n, out=np.zeros_like(v), where=n > 0)
    return unit


def cosine_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``1 - cos`` between embedding rows: 0 same direction, 1 orthogonal, 2 opposite."""
    a2, b2 = np.atleast_2d(a), np.atleast_2d(b)
    if a2.size == 0 or b2.size == 0:
        return np.zeros((a2.shape[0], b2.shape[0]))
    dist: np.ndarray = 1.0 - _unit(a2) @ _unit(b2).T
    return dist


def embedding_distance(a: np.ndarray, b: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Appearance distance by name: ``"cosine"`` or ``"euclidean"`` (on unit vectors, 0..2)."""
    if metric == "cosine":
        return cosine_distance(a, b)
    if metric == "euclidean":
        # on unit vectors |a - b| = sqrt(2 * (1 - cos)): also 0..2, so thresholds stay comparable
        return np.sqrt(np.clip(2.0 * cosine_distance(a, b), 0.0, None))
    raise ValueError(f"unknown distance metric {metric!r}")


def appearance_distance(
    tracks: np.ndarray, dets: np.ndarray, metric: str = "cosine", unknown: float = 0.0
) -> np.ndarray:
    """``embedding_distance``, except that pairs where either side is all zeros (appearance
    unknown: a region without an embedding) get ``unknown``: 0 lets motion decide alone,
    ``inf`` forbids the pair."""
    app = embedding_distance(tracks, dets, metric)
    app[~np.asarray(tracks).any(axis=1)] = unknown
    app[:, ~np.asarray(dets).any(axis=1)] = unknown
    return app


def class_mismatch(track_cls: np.ndarray, det_cls: np.ndarray) -> np.ndarray:
    """``(T, D)`` true where a track and a detection have different known classes (a class
    below 0 is unknown and matches any)."""
    t = np.asarray(track_cls)[:, None]
    d = np.asarray(det_cls)[None, :]
    out: np.ndarray = (t >= 0) & (d >= 0) & (t != d)
    return out
