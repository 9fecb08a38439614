"""Centroid tracking: match each track's expected centre to the nearest detection centre.

No Kalman filter: a track keeps its last box and a smoothed per-frame displacement, and the
cost is the Euclidean distance between centres in units of the track box's diagonal (so
``max_distance`` means the same for small and big objects, in pixels or fractions).  Like
``max_disappeared``, ``max_distance`` is given for 30 fps and scaled to the stream's sampled
rate: at ``sample_ms: 200`` an object moves six 30 fps steps between two frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from engine import geometry
from operators.track._assign import assign
from operators.track._base import REFERENCE_FPS
from operators.track._costs import centroid_distance, class_mismatch
from operators.track._params import TrackerParams
from operators.track._tracks import OUT_COLS

__all__ = ["CentroidParams", "CentroidTracker"]

# how much of the newest displacement enters the smoothed velocity
VELOCITY_GAIN = 0.5
_FIELDS = ("box", "vel", "ids", "hits", "missed", "score", "cls", "det_index")


class CentroidParams(TrackerParams):
    min_confidence: float = Field(
        0.5, ge=0.0, le=1.0, description="detections below this score are ignored"
    )
    min_visible_frames: int = Field(
        1, ge=1, description="matched frames before a track is reported; more = later, cleaner"
    )
    max_disappeared: int = Field(
        30, ge=1, description="frames a track may go unmatched before it is dropped (at 30 fps)"
    )
    max_distance: float = Field(
        0.3,
        gt=0.0,
        description="max distance between expected and detected centres, in track-box "
        "diagonals per frame at 30 fps (scaled to the sampled frame rate)",
    )


class CentroidTracker:
    """``update(dets[N, 6]) -> [M, 8]``: x1, y1, x2, y2, track_id, score, class, det index."""

    Params = CentroidParams

    def __init__(self, frame_rate: float = REFERENCE_FPS, **params: Any) -> None:
        if frame_rate <= 0:
            raise ValueError("frame_rate must be positive")
        self.params = p = CentroidParams(**params)
        self.max_missed = max(1, round(p.max_disappeared * frame_rate / REFERENCE_FPS))
        # an object moves further between two sampled frames the fewer frames are sampled:
        # the gate follows the rate as max_disappeared does (5 fps: six 30 fps steps)
        self.max_distance = p.max_distance * REFERENCE_FPS / frame_rate
        self.box = np.zeros((0, 4))
        self.vel = np.zeros((0, 2))
        self.ids = np.zeros(0, dtype=np.int64)
        self.hits = np.zeros(0, dtype=np.int64)
        self.missed = np.zeros(0, dtype=np.int64)
        self.score = np.zeros(0)
        self.cls = np.zeros(0)
        self.det_index = np.zeros(0, dtype=np.int64)
        self.next_id = 1

    def update(self, dets: np.ndarray, embeddings: np.ndarray | None = None) -> np.ndarray:
        """One frame; ``embeddings`` is accepted for a uniform signature and not used."""
        p = self.params
        dets = np.asarray(dets, dtype=np.float64).reshape(-1, 6)
        cols = np.flatnonzero(dets[:, 4] >= p.min_confidence)
        self.missed += 1
        self.det_index[:] = -1
        expected = self._expected_boxes()
        cost = centroid_distance(expected, dets[cols, :4])
        if p.class_aware:
            cost[class_mismatch(self.cls, dets[cols, 5])] = np.inf
        r, c, _, free_c = assign(cost, self.max_distance, p.strategy)
        self._update(r, dets, cols[c])
        self._drop(self.missed > self.max_missed)
        self._spawn(dets, cols[free_c])
        rows = np.flatnonzero((self.hits >= p.min_visible_frames) & (self.missed == 0))
        out = np.empty((len(rows), OUT_COLS))
        out[:, :4] = self.box[rows]
        out[:, 4] = self.ids[rows]
        out[:, 5] = self.score[rows]
        out[:, 6] = self.cls[rows]
        out[:, 7] = self.det_index[rows]
        return out

    def live_ids(self) -> np.ndarray:
        """Ids of every track still held (reported or not)."""
        return self.ids

    def _expected_boxes(self) -> np.ndarray:
        """Last boxes moved by the smoothed velocity for every frame they have been missing."""
        shift = self.vel * self.missed[:, None]
        boxes: np.ndarray = self.box + np.concatenate([shift, shift], axis=1)
        return boxes

    def _update(self, rows: np.ndarray, dets: np.ndarray, det_idx: np.ndarray) -> None:
        if len(rows) == 0:
            return
        d = dets[det_idx]
        step = geometry.centroids(d[:, :4]) - geometry.centroids(self.box[rows])
        step /= self.missed[rows, None]
        seen_before = (self.hits[rows] > 1)[:, None]
        self.vel[rows] = np.where(
            seen_before, (1 - VELOCITY_GAIN) * self.vel[rows] + VELOCITY_GAIN * step, step
        )
        self.box[rows] = d[:, :4]
        self.hits[rows] += 1
        self.missed[rows] = 0
        self.score[rows] = d[:, 4]
        self.cls[rows] = d[:, 5]
        self.det_index[rows] = det_idx

    def _spawn(self, dets: np.ndarray, det_idx: np.ndarray) -> None:
        n = len(det_idx)
        d = dets[det_idx]
        new = {
            "box": d[:, :4],
            "vel": np.zeros((n, 2)),
            "ids": np.arange(self.next_id, self.next_id + n),
            "hits": np.ones(n, dtype=np.int64),
            "missed": np.zeros(n, dtype=np.int64),
            "score": d[:, 4],
            "cls": d[:, 5],
            "det_index": det_idx.astype(np.int64),
        }
        self.next_id += n
        for name in _FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name), new[name]]))

    def _drop(self, mask: np.ndarray) -> None:
        if mask.any():
            for name in _FIELDS:
                setattr(self, name, getattr(self, name)[~mask])
