"""What every Kalman-based tracker shares: predict, IoU matching, retiring and reporting.

Subclasses only decide the order of association stages; all of them carry detection
indices through, so the reported rows say which detection each track took.
"""

from __future__ import annotations

import numpy as np

from operators.track._assign import Strategy, assign
from operators.track._costs import centroid_distance, class_mismatch, iou_distance
from operators.track._kalman import BoxKalman
from operators.track._tracks import OUT_COLS, TrackBook

__all__ = ["REFERENCE_FPS", "KalmanTrackerBase"]

# max_disappeared counts frames of a 30 fps video; other frame rates scale it.
REFERENCE_FPS = 30.0
# boxes whose areas differ more than this are not the same object, however close
_MIN_AREA_RATIO = 0.5
# the centre-distance fallback only helps tracks that lost their object this very frame
_FAR_MAX_MISSED = 1


class KalmanTrackerBase:
    """Holds the track book and the shared steps; ``update`` lives in the subclasses."""

    def __init__(
        self,
        max_disappeared: int,
        frame_rate: float,
        strategy: Strategy = "hungarian",
        kalman: BoxKalman | None = None,
        class_aware: bool = True,
    ) -> None:
        if frame_rate <= 0:
            raise ValueError("frame_rate must be positive")
        self.max_missed = max(1, round(max_disappeared * frame_rate / REFERENCE_FPS))
        self.strategy: Strategy = strategy
        self.class_aware = class_aware
        self.book = TrackBook(kalman or BoxKalman())

    def live_ids(self) -> np.ndarray:
        """Ids of every track still held (reported or not)."""
        return self.book.ids

    @property
    def next_id(self) -> int:
        """The id the next new track gets (set it to go on from an earlier tracker's ids)."""
        return self.book.next_id

    @next_id.setter
    def next_id(self, value: int) -> None:
        self.book.next_id = value

    def _forbid_other_classes(self, cost: np.ndarray, rows: np.ndarray, cls: np.ndarray) -> None:
        """With class_aware, a track never takes a detection of another class."""
        if self.class_aware:
            cost[class_mismatch(self.book.cls[rows], cls)] = np.inf

    def _match_iou(
        self,
        boxes: np.ndarray,
        dets: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        max_cost: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Match tracks ``rows`` to detections ``cols`` by 1-IoU; return the unmatched of each."""
        if len(rows) == 0 or len(cols) == 0:
            return rows, cols
        cost = iou_distance(boxes[rows], dets[cols, :4])
        self._forbid_other_classes(cost, rows, dets[cols, 5])
        r, c, free_r, free_c = assign(cost, max_cost, self.strategy)
        self.book.update(rows[r], dets, cols[c])
        return rows[free_r], cols[free_c]

    def _match_far(
        self,
        boxes: np.ndarray,
        dets: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        max_distance: float,
    ) -> np.ndarray:
        """Last chance for fast objects whose boxes no longer overlap: centre distance in
        track-box diagonals, between similar-sized boxes, for tracks lost this frame."""
        rows = rows[self.book.missed[rows] <= _FAR_MAX_MISSED]
        if max_distance <= 0 or len(rows) == 0 or len(cols) == 0:
            return cols
        tb, db = boxes[rows], dets[cols, :4]
        cost = centroid_distance(tb, db)
        ta = (tb[:, 2] - tb[:, 0]) * (tb[:, 3] - tb[:, 1])
        da = (db[:, 2] - db[:, 0]) * (db[:, 3] - db[:, 1])
        lo = np.minimum(ta[:, None], da[None, :])
        hi = np.maximum(np.maximum(ta[:, None], da[None, :]), 1e-12)
        cost[lo / hi < _MIN_AREA_RATIO] = np.inf
        self._forbid_other_classes(cost, rows, dets[cols, 5])
        r, c, _, free_c = assign(cost, max_distance, self.strategy)
        self.book.update(rows[r], dets, cols[c])
        return cols[free_c]

    def _retire(self, also: np.ndarray | None = None) -> None:
        """Forget tracks missing for too long (and the rows in ``also``)."""
        gone = self.book.missed > self.max_missed
        if also is not None:
            gone[also] = True
        self.book.drop(gone)

    def _report(
        self,
        max_projected_frames: int,
        det_boxes: np.ndarray | None = None,
        smooth_score: bool = False,
    ) -> np.ndarray:
        """Confirmed tracks matched this frame, plus those missing for at most
        ``max_projected_frames`` at their predicted box (detection index -1).

        With ``det_boxes`` matched tracks report their detection's box, not the filtered one.
        """
        book = self.book
        rows = (book.confirmed & (book.missed <= max_projected_frames)).nonzero()[0]
        if len(rows) == 0:
            return np.zeros((0, OUT_COLS))
        out = book.output(rows, smooth_score)
        if det_boxes is not None:
            seen = out[:, 7] >= 0
            out[seen, :4] = det_boxes[out[seen, 7].astype(np.int64)]
        return out
