"""Kalman prediction + Hungarian matching (SORT, Bewley et al. 2016), optionally with
appearance: the model behind ``kalman-filter-tracker``."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from operators.track._assign import assign
from operators.track._base import REFERENCE_FPS, KalmanTrackerBase
from operators.track._costs import appearance_distance, iou_distance
from operators.track._params import TrackerParams

__all__ = ["KalmanParams", "KalmanTracker"]

# max 1-IoU cost of a match (IoU >= 0.3, as in SORT)
MAX_IOU_COST = 0.7
# last-chance centre-distance match, in track-box diagonals (fast motion)
MAX_CENTRE_DISTANCE = 0.5
# with has_embedding: weight of the appearance distance in the cost, and its gate
APPEARANCE_WEIGHT = 0.5
MAX_APPEARANCE_COST = 0.5


class KalmanParams(TrackerParams):
    min_confidence: float = Field(
        0.25, ge=0.0, le=1.0, description="detections below this score are ignored"
    )
    min_visible_frames: int = Field(
        2, ge=1, description="matched frames before a track is reported; more = later, cleaner"
    )
    max_disappeared: int = Field(
        60, ge=1, description="frames a lost track is kept for re-association (at 30 fps)"
    )
    filtered_probability: bool = Field(
        False,
        description="report a track's smoothed score as the region's value instead of its "
        "detection's score (the concepts keep the detector's values)",
    )
    max_detection: int = Field(
        0, ge=0, description="keep only the best-scoring detections per frame; 0 = all"
    )
    has_probability: bool = Field(
        True, description="detections carry a meaningful score; if false every score counts as 1"
    )
    has_embedding: bool = Field(
        False, description="add appearance (cosine distance of embeddings) to the matching cost"
    )
    max_projected_frames: int = Field(
        2,
        ge=0,
        description="frames a confirmed track without a detection is still reported at its "
        "predicted box (bridges detector misses); 0 reports detected objects only",
    )


class KalmanTracker(KalmanTrackerBase):
    """``update(dets[N, 6], embeddings=None) -> [M, 8]``: x1, y1, x2, y2, track_id, score,
    class, detection index (-1 for a track reported at its predicted box)."""

    Params = KalmanParams

    def __init__(self, frame_rate: float = REFERENCE_FPS, **params: Any) -> None:
        self.params = p = KalmanParams(**params)
        super().__init__(p.max_disappeared, frame_rate, p.strategy, class_aware=p.class_aware)

    def update(self, dets: np.ndarray, embeddings: np.ndarray | None = None) -> np.ndarray:
        p, book = self.params, self.book
        dets = np.asarray(dets, dtype=np.float64).reshape(-1, 6).copy()
        if not p.has_probability:
            dets[:, 4] = 1.0
        emb = None
        if p.has_embedding and embeddings is not None and len(dets):
            emb = np.asarray(embeddings, dtype=np.float64).reshape(len(dets), -1)
            book.check_embedding_size(emb.shape[1])
        keep = self._select(dets[:, 4])
        book.predict()
        boxes = book.boxes()
        rest, keep = self._match(boxes, dets, np.arange(len(book)), keep, emb)
        keep = self._match_far(boxes, dets, rest[book.confirmed[rest]], keep, MAX_CENTRE_DISTANCE)
        self._retire(also=rest[~book.confirmed[rest]])
        book.spawn(dets, keep, emb)
        book.confirm(p.min_visible_frames)
        return self._report(p.max_projected_frames, smooth_score=p.filtered_probability)

    def _select(self, scores: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(scores >= self.params.min_confidence)
        if self.params.max_detection and len(idx) > self.params.max_detection:
            idx = idx[np.argsort(-scores[idx], kind="stable")[: self.params.max_detection]]
        return idx

    def _match(
        self,
        boxes: np.ndarray,
        dets: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        emb: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        if emb is None or self.book.emb is None:
            return self._match_iou(boxes, dets, rows, cols, MAX_IOU_COST)
        if len(rows) == 0 or len(cols) == 0:
            return rows, cols
        geo = iou_distance(boxes[rows], dets[cols, :4])
        # a region without an embedding (all zeros) is matched on overlap alone
        app = appearance_distance(self.book.emb[rows], emb[cols])
        cost = (1 - APPEARANCE_WEIGHT) * geo + APPEARANCE_WEIGHT * app
        cost[(geo > MAX_IOU_COST) | (app > MAX_APPEARANCE_COST)] = np.inf
        self._forbid_other_classes(cost, rows, dets[cols, 5])
        r, c, free_r, free_c = assign(cost, 1.0, self.strategy)
        self.book.update(rows[r], dets, cols[c], emb)
        return rows[free_r], cols[free_c]
