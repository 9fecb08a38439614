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

    Runs on one video frame at a time and keeps its tracker per stream in ``ctx.state``. It
    outputs tracked regions only: the frame's regions matched to a confirmed track this frame,
    each with ``track_id`` = ``track_id_prefix`` + number (unique within the stream). Regions
    without a box, below ``min_confidence`` or not (yet) in a confirmed track are left out; a
    track missing its detection is not reported (there is no motion model to project it). The
    tracker alone is ``operators.track.CentroidTracker``.

    Reads ``regions`` (boxes and scores); writes ``regions[].track_id`` (the rest of
    the frame's Data passes through).
    """

    type_id = "centroid-tracker"
    Params = CentroidTracker.Params
    tracker_cls = CentroidTracker
