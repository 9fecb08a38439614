"""Kalman tracking with appearance re-identification (in the spirit of DeepSORT / BoT-SORT).

Each track keeps a smoothed unit embedding.  Nearby tracks are matched on a blend of box
overlap and appearance; tracks lost for a while can be re-identified by appearance alone
when the object reappears some distance away, which a motion-only tracker cannot do.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from operators.track._assign import assign
from operators.track._base import REFERENCE_FPS, KalmanTrackerBase
from operators.track._costs import appearance_distance, centroid_distance, iou_distance
from operators.track._kalman import BoxKalman
from operators.track._params import TrackerParams

__all__ = ["KalmanReidParams", "KalmanReidTracker"]

# Max 1-IoU for a motion match, and the weight of appearance in the blended cost.
MAX_IOU_COST = 0.8
APPEARANCE_WEIGHT = 0.5
# Re-identification of lost tracks: the centre must lie within this many track-box
# diagonals, plus GATE_GROWTH more for every frame the track has been missing.
REID_GATE = 1.0
REID_GATE_GROWTH = 0.1
# Frames a track without a detection is still reported when project_without_detect is on.
MAX_PROJECTED_FRAMES = 2
# The Kalman velocity noise relative to covariance_error (as ByteTrack: 1/160 vs 1/20).
VELOCITY_NOISE_RATIO = 1 / 8
# Low-score detections only extend tracks (BYTE's second stage), at a stricter overlap and
# a looser appearance gate (max_distance times this): occluded crops look less like themselves.
LOW_SCORE_MAX_IOU_COST = 0.5
LOW_SCORE_APPEARANCE_SLACK = 1.5


class KalmanReidParams(TrackerParams):
    association_confidence: float = Field(
        0.1, ge=0.0, le=1.0, description="detections below this score are not associated at all"
    )
    initialization_confidence: float = Field(
        0.55,
        ge=0.0,
        le=1.0,
        description="score from which an unmatched detection starts a track; below it a "
        "detection only extends existing tracks",
    )
    covariance_error: float = Field(
        0.05, gt=0.0, description="motion noise per frame, as a fraction of the box size"
    )
    observation_error: float = Field(
        0.05, gt=0.0, description="detector box noise, as a fraction of the box size"
    )
    distance_metric: Literal["cosine", "euclidean"] = Field(
        "cosine", description="distance between embeddings"
    )
    max_distance: float = Field(
        0.4, ge=0.0, le=2.0, description="max appearance distance for the same identity"
    )
    project_track: bool = Field(
        True, description="match against the Kalman-projected box (else the last box)"
    )
    use_detect_box: bool = Field(
        False,
        description="keep the detection's own box on the region; if false the region gets "
        "the tracker's filtered box",
    )
    project_without_detect: bool = Field(
        True,
        description="keep reporting a track at its projected box for a couple of missed "
        "frames (bridges detector misses)",
    )
    min_visible_frames: int = Field(
        1, ge=1, description="matched frames before a track is reported"
    )
    max_disappeared: int = Field(
        90, ge=1, description="frames a lost track is kept for re-identification (at 30 fps)"
    )

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> KalmanReidParams:
        # a detection able to start a track must be one the tracker associates at all
        if self.association_confidence > self.initialization_confidence:
            raise ValueError(
                f"association_confidence ({self.association_confidence}) must not exceed "
                f"initialization_confidence ({self.initialization_confidence})"
            )
        return self


class KalmanReidTracker(KalmanTrackerBase):
    """``update(dets[N, 6], embeddings[N, D]) -> [M, 8]``: x1, y1, x2, y2, track_id, score,
    class, detection index.  Without embeddings it tracks by motion alone."""

    Params = KalmanReidParams

    def __init__(self, frame_rate: float = REFERENCE_FPS, **params: Any) -> None:
        self.params = p = KalmanReidParams(**params)
        kf = BoxKalman(
            p.covariance_error, p.covariance_error * VELOCITY_NOISE_RATIO, p.observation_error
        )
        super().__init__(p.max_disappeared, frame_rate, p.strategy, kf, p.class_aware)

    def update(self, dets: np.ndarray, embeddings: np.ndarray | None = None) -> np.ndarray:
        p, book = self.params, self.book
        dets = np.asarray(dets, dtype=np.float64).reshape(-1, 6)
        emb = self._check_embeddings(dets, embeddings)
        scores = dets[:, 4]
        last = book.boxes()
        book.predict()
        boxes = book.boxes() if p.project_track else last
        high = np.flatnonzero(scores >= p.initialization_confidence)
        low = np.flatnonzero(
            (scores >= p.association_confidence) & (scores < p.initialization_confidence)
        )
        rows = np.arange(len(book))
        rest, high = self._match_blend(boxes, dets, rows, high, emb, MAX_IOU_COST)
        rest, _ = self._match_blend(
            boxes, dets, rest, low, emb, LOW_SCORE_MAX_IOU_COST, LOW_SCORE_APPEARANCE_SLACK
        )
        rest = rest[book.missed[rest] > 0]
        if emb is not None:
            high = self._reidentify(boxes, dets, rest[book.confirmed[rest]], high, emb)
        self._retire(also=rest[~book.confirmed[rest]])
        book.spawn(dets, high, emb)
        book.confirm(p.min_visible_frames)
        projected = MAX_PROJECTED_FRAMES if p.project_without_detect else 0
        return self._report(projected, dets[:, :4] if p.use_detect_box else None)

    def _check_embeddings(self, dets: np.ndarray, emb: np.ndarray | None) -> np.ndarray | None:
        if emb is None or len(dets) == 0:
            return None
        e = np.asarray(emb, dtype=np.float64).reshape(len(dets), -1)
        self.book.check_embedding_size(e.shape[1])
        return e

    def _match_blend(
        self,
        boxes: np.ndarray,
        dets: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        emb: np.ndarray | None,
        max_iou_cost: float,
        slack: float = 1.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Overlapping pairs, scored on overlap and (when known) appearance."""
        if emb is None or self.book.emb is None:
            return self._match_iou(boxes, dets, rows, cols, max_iou_cost)
        if len(rows) == 0 or len(cols) == 0:
            return rows, cols
        geo = iou_distance(boxes[rows], dets[cols, :4])
        app = self._appearance(rows, emb[cols])
        cost = (1 - APPEARANCE_WEIGHT) * geo + APPEARANCE_WEIGHT * app
        cost[(geo > max_iou_cost) | (app > self.params.max_distance * slack)] = np.inf
        self._forbid_other_classes(cost, rows, dets[cols, 5])
        r, c, free_r, free_c = assign(cost, np.inf, self.strategy)
        self.book.update(rows[r], dets, cols[c], emb)
        return rows[free_r], cols[free_c]

    def _appearance(self, rows: np.ndarray, emb: np.ndarray, unknown: float = 0.0) -> np.ndarray:
        assert self.book.emb is not None
        return appearance_distance(self.book.emb[rows], emb, self.params.distance_metric, unknown)

    def _reidentify(
        self,
        boxes: np.ndarray,
        dets: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        emb: np.ndarray,
    ) -> np.ndarray:
        """Lost tracks take non-overlapping detections that look like them and are near."""
        book = self.book
        if len(rows) == 0 or len(cols) == 0 or book.emb is None:
            return cols
        app = self._appearance(rows, emb[cols], unknown=np.inf)
        gate = REID_GATE + REID_GATE_GROWTH * book.missed[rows]
        far = centroid_distance(boxes[rows], dets[cols, :4]) > gate[:, None]
        app[far | (app > self.params.max_distance)] = np.inf
        self._forbid_other_classes(app, rows, dets[cols, 5])
        r, c, _, free_c = assign(app, self.params.max_distance, self.strategy)
        book.update(rows[r], dets, cols[c], emb)
        return cols[free_c]
