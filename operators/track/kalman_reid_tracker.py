"""``kalman-reid-tracker``: Kalman tracking with appearance re-identification."""

from __future__ import annotations

import numpy as np

from engine import Context, Data, Region, register
from operators.track import KalmanReidTracker
from operators.track._operator import TrackerOperator, embeddings_of, frame_pixels
from operators.track._reid_model import ReidModel

__all__ = ["KalmanReidTrackerOperator"]


@register
class KalmanReidTrackerOperator(TrackerOperator):
    """Kalman tracking with appearance re-identification: a track lost behind an occluder is
    picked up again by its embedding (from an upstream embedder on the region crops, or from
    the ONNX model of ``reid_model_path`` run on them).  Without embeddings it tracks by
    motion alone, as ``kalman-filter-tracker`` does.

    Runs on one video frame at a time and keeps its tracker per stream in ``ctx.state``. It
    outputs tracked regions only: the frame's regions that belong to confirmed tracks, each with
    ``track_id`` = ``track_id_prefix`` + number (unique within the stream). Regions without a
    box, below the score floor or not (yet) in a confirmed track are left out. A confirmed track
    whose detection is missing for up to ``project_track`` frames is reported at its projected
    box, as a new region with ``data.metadata.projected``. The tracker alone is
    ``operators.track.KalmanReidTracker``.

    Reads ``regions`` (boxes and scores, ``regions[].data.embeddings``); writes
    ``regions[].track_id`` and the box ``use_detect_box`` / ``detect_box_fall_back`` choose
    (the rest of the frame's Data passes through).
    """

    type_id = "kalman-reid-tracker"
    Params = KalmanReidTracker.Params
    tracker_cls = KalmanReidTracker
    uses_embeddings = True
    reports_tracker_box = True

    def __init__(self, params: KalmanReidTracker.Params) -> None:
        super().__init__(params)
        path = params.reid_model_path
        self._model = ReidModel(path) if path else None
        self._dim: int | None = None

    def _embeddings(
        self, regions: list[Region], boxes: np.ndarray, data: Data, ctx: Context
    ) -> np.ndarray | None:
        given = embeddings_of(regions)
        pixels = frame_pixels(data, ctx) if self._model is not None else None
        if self._model is None or pixels is None or not regions:
            return given
        missing = [i for i, r in enumerate(regions) if not (r.data and r.data.embeddings)]
        if given is not None and not missing:
            return given
        if given is None or given.shape[1] != self._model_dim(pixels, boxes[missing[:1]]):
            return self._model.embed(pixels, boxes)  # one embedder for the whole frame
        given[missing] = self._model.embed(pixels, boxes[missing])
        return given

    def _model_dim(self, pixels: np.ndarray, box: np.ndarray) -> int:
        assert self._model is not None
        if self._dim is None:
            self._dim = int(self._model.embed(pixels, box).shape[1])
        return self._dim
