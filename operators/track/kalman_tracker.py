"""``kalman-filter-tracker``: Kalman prediction and Hungarian matching (SORT)."""

from __future__ import annotations

from engine import register
from operators.track import KalmanTracker
from operators.track._operator import TrackerOperator

__all__ = ["KalmanTrackerOperator"]


@register
class KalmanTrackerOperator(TrackerOperator):
    """Kalman prediction and Hungarian matching on box overlap (SORT); with has_embedding the
    regions' embeddings join the matching cost.

    Runs on one video frame at a time and keeps its tracker per stream in ``ctx.state``. It
    outputs tracked regions only: the frame's regions that belong to confirmed tracks, each with
    ``track_id`` = ``track_id_prefix`` + number (unique within the stream). Regions without a
    box, below the score floor or not (yet) in a confirmed track are left out. A confirmed track
    whose detection is missing for a frame or two may be reported at its predicted box, as a new
    region with ``data.metadata.projected``. The tracker alone is
    ``operators.track.KalmanTracker``.

    Reads ``regions`` (boxes and scores, ``regions[].data.embeddings``); writes
    ``regions[].track_id``, and with ``filtered_probability`` the track's smoothed score as
    ``regions[].value`` (the rest of the frame's Data passes through).
    """

    type_id = "kalman-filter-tracker"
    Params = KalmanTracker.Params
    tracker_cls = KalmanTracker
    uses_embeddings = True
