"""``kalman-reid-tracker``: Kalman tracking with appearance re-identification."""

from __future__ import annotations

from engine import register
from operators.track import KalmanReidTracker
from operators.track._operator import TrackerOperator

__all__ = ["KalmanReidTrackerOperator"]


@register
class KalmanReidTrackerOperator(TrackerOperator):
    """Kalman tracking with appearance re-identification: a track lost behind an occluder is
    picked up again by its embedding (from an upstream embedder on the region crops).

    Runs on one video frame at a time and keeps its tracker per stream in ``ctx.state``. It
    outputs tracked regions only: the frame's regions that belong to confirmed tracks, each with
    ``track_id`` = ``track_id_prefix`` + number (unique within the stream). Regions without a
    box, below the score floor or not (yet) in a confirmed track are left out. A confirmed track
    whose detection is missing for a frame or two may be reported at its predicted box, as a new
    region with ``data.metadata.projected``. The tracker alone is
    ``operators.track.KalmanReidTracker``.

    Reads ``regions`` (boxes and scores, ``regions[].data.embeddings``); writes
    ``regions[].track_id``, and unless ``use_detect_box`` the tracker's filtered box as the
    region's box (the rest of the frame's Data passes through).
    """

    type_id = "kalman-reid-tracker"
    Params = KalmanReidTracker.Params
    tracker_cls = KalmanReidTracker
    uses_embeddings = True
