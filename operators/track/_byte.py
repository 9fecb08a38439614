"""BYTE tracking (Zhang et al., ECCV 2022) on the shared Kalman model, costs and track book.

Every detection is kept: high-score ones are matched first, then low-score ones rescue the
tracks that found nothing (an occluded object's detector score drops, its box does not).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from operators.track._base import REFERENCE_FPS, KalmanTrackerBase
from operators.track._params import TrackerParams

__all__ = ["ByteTrackParams", "ByteTracker"]


class ByteTrackParams(TrackerParams):
    min_confidence: float = Field(
        0.1, ge=0.0, le=1.0, description="detections below this score are ignored entirely"
    )
    min_visible_frames: int = Field(
        1, ge=1, description="matched frames before a track is reported; more = later, cleaner"
    )
    max_disappeared: int = Field(
        60, ge=1, description="frames a lost track is kept for re-association (at 30 fps)"
    )
    new_track_confidence_thresh: float = Field(
        0.55, ge=0.0, le=1.0, description="an unmatched detection starts a track from this score"
    )
    confidence_thresh: float = Field(
        0.5, ge=0.0, le=1.0, description="high/low split: high-score detections are matched first"
    )
    high_confidence_match_thresh: float = Field(
        0.8, ge=0.0, le=1.0, description="max 1-IoU cost for high-score detections (higher=looser)"
    )
    low_confidence_match_thresh: float = Field(
        0.5, ge=0.0, le=1.0, description="max 1-IoU cost for low-score detections"
    )
    unconfirmed_match_thresh: float = Field(
        0.7, ge=0.0, le=1.0, description="max 1-IoU cost for tracks not yet confirmed"
    )
    max_distance: float = Field(
        0.5,
        ge=0.0,
        description="max centre distance, in track-box diagonals, for a last-chance match of "
        "boxes that no longer overlap (fast motion); 0 disables it",
    )
    max_projected_frames: int = Field(
        2,
        ge=0,
        description="frames a confirmed track without a detection is still reported at its "
        "predicted box (bridges detector misses); 0 reports detected objects only",
    )

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> ByteTrackParams:
        # min_confidence <= confidence_thresh <= new_track_confidence_thresh: tracks start
        # only from high-score detections, and the low band must not reach below the floor
        if self.min_confidence > self.confidence_thresh:
            raise ValueError(
                f"min_confidence ({self.min_confidence}) must not exceed confidence_thresh "
                f"({self.confidence_thresh}): detections between them would be matched"
            )
        if self.new_track_confidence_thresh < self.confidence_thresh:
            raise ValueError(
                f"new_track_confidence_thresh ({self.new_track_confidence_thresh}) must not be "
                f"below confidence_thresh ({self.confidence_thresh}): only high-score "
                "detections start tracks"
            )
        return self


class ByteTracker(KalmanTrackerBase):
    """``update(dets[N, 6]) -> [M, 8]``: x1, y1, x2, y2, track_id, score, class, detection
    index (-1 for a track reported at its predicted box)."""

    Params = ByteTrackParams

    def __init__(self, frame_rate: float = REFERENCE_FPS, **params: Any) -> None:
        self.params = p = ByteTrackParams(**params)
        super().__init__(p.max_disappeared, frame_rate, p.strategy, class_aware=p.class_aware)

    def update(self, dets: np.ndarray, embeddings: np.ndarray | None = None) -> np.ndarray:
        """One frame; ``embeddings`` is accepted for a uniform signature and not used."""
        p, book = self.params, self.book
        dets = np.asarray(dets, dtype=np.float64).reshape(-1, 6)
        scores = dets[:, 4]
        book.predict()
        boxes = book.boxes()
        high = (scores >= p.confidence_thresh).nonzero()[0]
        low = ((scores >= p.min_confidence) & (scores < p.confidence_thresh)).nonzero()[0]
        confirmed = book.confirmed.nonzero()[0]
        rest, high = self._match_iou(boxes, dets, confirmed, high, p.high_confidence_match_thresh)
        rest, _ = self._match_iou(boxes, dets, rest, low, p.low_confidence_match_thresh)
        tentative = (~book.confirmed).nonzero()[0]
        missed_tentative, high = self._match_iou(
            boxes, dets, tentative, high, p.unconfirmed_match_thresh
        )
        high = self._match_far(boxes, dets, rest, high, p.max_distance)
        # a tentative track that misses once was noise
        self._retire(also=missed_tentative)
        book.spawn(dets, high[scores[high] >= p.new_track_confidence_thresh])
        book.confirm(p.min_visible_frames)
        return self._report(p.max_projected_frames)
