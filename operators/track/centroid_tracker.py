"""``centroid-tracker``: centroid tracking."""

from __future__ import annotations

from engine import register
from operators.track import CentroidTracker
from operators.track._operator import TrackerOperator

__all__ = ["CentroidTrackerOperator"]


@register
class CentroidTrackerOperator(TrackerOperator):
    """Centroid tracking: each track's expected centre is matched to the nearest detection
    centre (Euclidean distance in track-box diagonals, Hungarian assignment); no motion
    filter.

    Runs on one video frame at a time and keeps its tracker per stream in ``ctx.state``.
    Returns the frame's regions that belong to confirmed tracks, each with ``track_id`` =
    ``track_id_prefix`` + number (unique within the stream); a confirmed track whose
    detection is missing for a frame or two may be reported at its predicted box, as a new
    region with ``data.metadata.projected``. The tracker alone is
    ``operators.track.CentroidTracker``.

    Reads ``regions`` (boxes and scores); writes ``regions[].track_id`` (the rest passes
    through).
    """

    type_id = "centroid-tracker"
    Params = CentroidTracker.Params
    tracker_cls = CentroidTracker
