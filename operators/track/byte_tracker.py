"""``byte-tracker``: BYTE tracking."""

from __future__ import annotations

from engine import register
from operators.track import ByteTracker
from operators.track._operator import TrackerOperator

__all__ = ["ByteTrackerOperator"]


@register
class ByteTrackerOperator(TrackerOperator):
    """BYTE tracking: high-score detections are matched to tracks first, then low-score ones
    rescue the tracks that found nothing (an occluded object's score drops, its box does
    not). Kalman motion, IoU costs, Hungarian assignment.

    Runs on one video frame at a time and keeps its tracker per stream in ``ctx.state``. It
    outputs tracked regions only: the frame's regions that belong to confirmed tracks, each with
    ``track_id`` = ``track_id_prefix`` + number (unique within the stream). Regions without a
    box, below the score floor or not (yet) in a confirmed track are left out. A confirmed track
    whose detection is missing for a frame or two may be reported at its predicted box, as a new
    region with ``data.metadata.projected``. The tracker alone is
    ``operators.track.ByteTracker``.

    Reads ``regions`` (boxes and scores); writes ``regions[].track_id`` (the rest of
    the frame's Data passes through).
    """

    type_id = "byte-tracker"
    Params = ByteTracker.Params
    tracker_cls = ByteTracker
