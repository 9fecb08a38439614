"""The params of ``kalman-reid-tracker``: every name its Clarifai documentation lists.

Clarifai's tracker takes integers where a flag is meant (``use_detect_box: 0``) and lists
for association rounds (``association_confidence: [0.25]``, ``max_distance: [0.6]``); both
are accepted here as they are written there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from engine import LocalPath
from operators.track._params import TrackerParams

__all__ = ["MAX_ROUNDS", "KalmanReidParams"]

# Association rounds a list of association_confidence / max_distance may ask for.
MAX_ROUNDS = 8
_Floats = float | list[float]


class KalmanReidParams(TrackerParams):
    min_confidence: float = Field(
        0.0, ge=0.0, le=1.0, description="detections below this score are ignored entirely"
    )
    association_confidence: _Floats = Field(
        0.1,
        description="detections below this score are not associated; a list gives one "
        "association round per entry (highest first), each with its max_distance",
    )
    initialization_confidence: float = Field(
        0.55,
        ge=0.0,
        le=1.0,
        description="score from which an unmatched detection starts a track; below it a "
        "detection only extends existing tracks",
    )
    max_distance: _Floats = Field(
        0.8,
        description="max association cost (1 - IoU of the predicted and detected boxes, "
        "blended with appearance when embeddings are known) of a match; a list: per round",
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
    max_emb_distance: float = Field(
        0.4,
        ge=0.0,
        le=2.0,
        description="max appearance distance for the same identity (matching and "
        "re-identification)",
    )
    var_tracker: Literal["na", "manorm"] = Field(
        "manorm",
        description="a track's appearance: 'na' the latest embedding, 'manorm' a moving "
        "average of its embeddings, normalised",
    )
    reid_model_path: LocalPath = Field(
        "",
        description="an ONNX model computing appearance embeddings from the region crops "
        "(used for regions without an embedding); empty: upstream embeddings only",
    )
    min_visible_frames: int = Field(
        1, ge=0, description="matched frames before a track is reported (0 and 1: at once)"
    )
    max_disappeared: int = Field(
        90, ge=1, description="frames a lost track is still matched by motion (at 30 fps)"
    )
    max_dead: int = Field(
        0,
        ge=0,
        le=100_000,
        description="frames after max_disappeared a lost track's id can still be given "
        "back by appearance (re-identification; needs embeddings)",
    )
    project_track: int = Field(
        2,
        ge=0,
        le=1000,
        description="frames a confirmed track without a detection is still reported (at "
        "its projected box, bridging detector misses); 0 reports detected objects only",
    )
    use_detect_box: int = Field(
        0,
        ge=0,
        le=1000,
        description="frames the detection's own box is reported: 0 always the tracker's "
        "filtered box, 1 the detection's box when matched, N also N-1 frames after",
    )
    project_without_detect: bool = Field(
        True,
        description="a track without a detection moves on with its motion; if false it "
        "stays at its last box",
    )
    project_fix_box_size: bool = Field(
        False,
        description="a projected track keeps the size of its last detection's box",
    )
    detect_box_fall_back: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        description="report the detection's box when a match's association cost is above "
        "this value (the filter has not caught up); 0 never",
    )
    keep_track_in_image: bool = Field(
        False, description="push predicted boxes back inside the image"
    )
    match_limit_ratio: float = Field(
        -1.0,
        ge=-1.0,
        le=10.0,
        description="refuse a match whose cost is above this many times the frame's median "
        "match cost (below 1: off)",
    )
    match_limit_min_matches: int = Field(
        3, ge=1, le=10, description="matches a frame needs before match_limit_ratio applies"
    )

    @field_validator("reid_model_path")
    @classmethod
    def _model_exists(cls, v: str) -> str:
        if v and not Path(v).expanduser().is_file():
            raise ValueError(f"no ONNX model file at {v!r}")
        return v

    @field_validator("association_confidence", "max_distance")
    @classmethod
    def _rounds(cls, v: _Floats) -> _Floats:
        values = v if isinstance(v, list) else [v]
        if not 1 <= len(values) <= MAX_ROUNDS:
            raise ValueError(f"give 1 to {MAX_ROUNDS} values")
        if any(not 0.0 <= x <= 2.0 for x in values):
            raise ValueError("values must be between 0 and 2")
        return v

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> KalmanReidParams:
        conf, dist = self.association_confidence, self.max_distance
        if isinstance(conf, list) != isinstance(dist, list) or (
            isinstance(conf, list) and isinstance(dist, list) and len(conf) != len(dist)
        ):
            raise ValueError(
                "association_confidence and max_distance must both be numbers or both be "
                "lists of the same length (one entry per association round)"
            )
        lowest = min(conf) if isinstance(conf, list) else conf
        if any(c > 1.0 for c in (conf if isinstance(conf, list) else [conf])):
            raise ValueError("association_confidence values must be between 0 and 1")
        # a detection able to start a track must be one the tracker associates at all
        if lowest > self.initialization_confidence:
            raise ValueError(
                f"association_confidence ({lowest}) must not exceed "
                f"initialization_confidence ({self.initialization_confidence})"
            )
        if self.min_confidence > self.initialization_confidence:
            raise ValueError(
                f"min_confidence ({self.min_confidence}) must not exceed "
                f"initialization_confidence ({self.initialization_confidence})"
            )
        return self

    def rounds(self, low_score_max_cost: float) -> list[tuple[float, float]]:
        """``(score floor, max cost)`` of each association round, in order.  Numbers give two
        rounds: detections from initialization_confidence first, then the low-score ones
        down to association_confidence at a stricter cost (BYTE's second stage)."""
        conf, dist = self.association_confidence, self.max_distance
        if isinstance(conf, list) and isinstance(dist, list):
            pairs = sorted(zip(conf, dist, strict=True), key=lambda p: -p[0])
            return [(max(c, self.min_confidence), d) for c, d in pairs]
        assert not isinstance(conf, list) and not isinstance(dist, list)
        floor = max(conf, self.min_confidence)
        high = (max(self.initialization_confidence, floor), dist)
        return [high, (floor, min(low_score_max_cost, dist))]
