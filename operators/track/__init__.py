"""Trackers: byte-tracker, centroid-tracker, kalman-filter-tracker, kalman-reid-tracker.

The tracker classes are usable without a workflow: construct with the operator's params as
keyword arguments (plus ``frame_rate``), call ``update(dets[N, 6])`` once per frame with
``x1, y1, x2, y2, score, class`` rows in pixels, get ``[M, 8]`` rows of
``x1, y1, x2, y2, track_id, score, class, detection index`` for the confirmed tracks.
"""

from operators.track._byte import ByteTracker
from operators.track._centroid import CentroidTracker
from operators.track._reid import KalmanReidTracker
from operators.track._sort import KalmanTracker

__all__ = ["ByteTracker", "CentroidTracker", "KalmanReidTracker", "KalmanTracker"]
