"""Kalman tracking with appearance re-identification (in the spirit of DeepSORT / BoT-SORT).

Each track keeps an appearance embedding.  Tracks are matched to detections in association
rounds (high scores first) on box overlap blended with appearance, then fast objects whose
boxes no longer overlap get a last-chance match on centre distance (as
``kalman-filter-tracker``), then lost tracks can be re-identified by appearance alone when
the object reappears some distance away, which a motion-only tracker cannot do.  Without
embeddings it tracks by motion alone, as ``kalman-filter-tracker`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from operators.track._assign import assign
from operators.track._base import REFERENCE_FPS, KalmanTrackerBase
from operators.track._costs import appearance_distance, centroid_distance, iou_distance
from operators.track._kalman import BoxKalman
from operators.track._reid_params import KalmanReidParams
from operators.track._tracks import OUT_COLS

__all__ = ["KalmanReidParams", "KalmanReidTracker"]

# The weight of appearance in the blended cost.
APPEARANCE_WEIGHT = 0.5
# Re-identification of lost tracks: the centre must lie within this many track-box
# diagonals, plus GATE_GROWTH more for every frame the track has been missing.
REID_GATE = 1.0
REID_GATE_GROWTH = 0.1
# Last-chance centre-distance match for fast objects, in track-box diagonals.
MAX_CENTRE_DISTANCE = 0.5
# The Kalman velocity noise relative to covariance_error (as ByteTrack: 1/160 vs 1/20).
VELOCITY_NOISE_RATIO = 1 / 8
# Low-score detections only extend tracks, at a stricter overlap and a looser appearance
# gate (max_emb_distance times this): occluded crops look less like themselves.
LOW_SCORE_MAX_IOU_COST = 0.5
LOW_SCORE_APPEARANCE_SLACK = 1.5
# var_tracker "manorm": weight of a track's past appearance against a new embedding.
EMBEDDING_MOMENTUM = 0.9


class KalmanReidTracker(KalmanTrackerBase):
    """``update(dets[N, 6], embeddings[N, D]) -> [M, 8]``: x1, y1, x2, y2, track_id, score,
    class, detection index.  Without embeddings it tracks by motion alone.  Set
    ``image_size`` (width, height) before ``update`` for ``keep_track_in_image``."""

    Params = KalmanReidParams

    def __init__(self, frame_rate: float = REFERENCE_FPS, **params: Any) -> None:
        self.params = p = KalmanReidParams(**params)
        kf = BoxKalman(
            p.covariance_error, p.covariance_error * VELOCITY_NOISE_RATIO, p.observation_error
        )
        super().__init__(p.max_disappeared, frame_rate, p.strategy, kf, p.class_aware)
        self.max_dead = round(p.max_dead * frame_rate / REFERENCE_FPS)
        self.book.embedding_momentum = EMBEDDING_MOMENTUM if p.var_tracker == "manorm" else 0.0
        self.image_size: tuple[float, float] | None = None
        self._refused = np.zeros(0, dtype=bool)  # tracks match_limit_ratio refused a match
        self._rounds = p.rounds(LOW_SCORE_MAX_IOU_COST)

    def update(self, dets: np.ndarray, embeddings: np.ndarray | None = None) -> np.ndarray:
        p, book = self.params, self.book
        dets = np.asarray(dets, dtype=np.float64).reshape(-1, 6)
        emb = self._check_embeddings(dets, embeddings)
        scores = dets[:, 4]
        self._predict()
        boxes = book.boxes()
        cost = np.zeros(len(dets))  # association cost of each matched detection
        alive = np.flatnonzero(book.missed <= self.max_missed + 1)
        rest, free = alive, np.flatnonzero(scores >= p.min_confidence)
        self._refused = np.zeros(len(book), dtype=bool)
        for i, (floor, max_cost) in enumerate(self._rounds):
            cols = free[scores[free] >= floor]
            slack = 1.0 if i == 0 else LOW_SCORE_APPEARANCE_SLACK
            rest, left = self._match_blend(boxes, dets, rest, cols, emb, max_cost, slack, cost)
            free = np.setdiff1d(free, np.setdiff1d(cols, left))
        high = free[scores[free] >= p.initialization_confidence]
        far = rest[book.confirmed[rest] & ~self._refused[rest]]
        high = self._match_far(boxes, dets, far, high, MAX_CENTRE_DISTANCE)
        lost = np.flatnonzero(book.confirmed & (book.missed > 0))
        if emb is not None:
            high = self._reidentify(boxes, dets, lost, high, emb)
        self._retire_lost(also=np.flatnonzero(~book.confirmed & (book.missed > 0)))
        book.spawn(dets, high, emb)
        book.confirm(p.min_visible_frames)
        return self._reported(dets, cost)

    def _predict(self) -> None:
        """One frame ahead; tracks without a detection hold still unless project_without_detect,
        and with keep_track_in_image stay inside the image."""
        book = self.book
        held = book.state.pos.copy()
        book.predict()
        if not self.params.project_without_detect:
            lost = book.missed > 1  # missing before this frame as well
            book.state.pos[lost] = held[lost]
            book.state.vel[lost] = 0.0
        if self.params.keep_track_in_image and self.image_size is not None:
            pos = book.state.pos
            for axis, size in enumerate(self.image_size):
                half = pos[:, axis + 2] / 2
                inside = np.clip(pos[:, axis], half, np.maximum(size - half, half))
                pos[:, axis] = np.where(half * 2 >= size, size / 2, inside)

    def _check_embeddings(self, dets: np.ndarray, emb: np.ndarray | None) -> np.ndarray | None:
        if emb is None or len(dets) == 0:
            return None
        e = np.asarray(emb, dtype=np.float64).reshape(len(dets), -1)
        self.book.check_embedding_size(e.shape[1])
        return e

    def _match_blend(
        self,
        boxes: np.ndarray,
        dets: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        emb: np.ndarray | None,
        max_cost: float,
        slack: float,
        cost_out: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Overlapping pairs, scored on overlap and (when known) appearance; returns the
        unmatched rows and columns, and writes each match's cost into ``cost_out``."""
        if len(rows) == 0 or len(cols) == 0:
            return rows, cols
        geo = iou_distance(boxes[rows], dets[cols, :4])
        cost = geo.copy()
        if emb is not None and self.book.emb is not None:
            app = self._appearance(rows, emb[cols])
            cost = (1 - APPEARANCE_WEIGHT) * geo + APPEARANCE_WEIGHT * app
            cost[app > self.params.max_emb_distance * slack] = np.inf
        cost[geo > max_cost] = np.inf
        self._forbid_other_classes(cost, rows, dets[cols, 5])
        r, c, _, _ = assign(cost, np.inf, self.strategy)
        kept_r, c = self._limit(cost, r, c)
        self._refused[rows[np.setdiff1d(r, kept_r)]] = True
        r = kept_r
        self.book.update(rows[r], dets, cols[c], emb)
        cost_out[cols[c]] = cost[r, c]
        return np.setdiff1d(rows, rows[r]), np.setdiff1d(cols, cols[c])

    def _limit(
        self, cost: np.ndarray, r: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """match_limit_ratio: drop matches far costlier than the frame's typical match."""
        p = self.params
        if p.match_limit_ratio < 1 or len(r) < p.match_limit_min_matches:
            return r, c
        pair = cost[r, c]
        keep = pair <= p.match_limit_ratio * max(float(np.median(pair)), 1e-9)
        return r[keep], c[keep]

    def _appearance(self, rows: np.ndarray, emb: np.ndarray, unknown: float = 0.0) -> np.ndarray:
        assert self.book.emb is not None
        return appearance_distance(self.book.emb[rows], emb, self.params.distance_metric, unknown)

    def _reidentify(
        self,
        boxes: np.ndarray,
        dets: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        emb: np.ndarray,
    ) -> np.ndarray:
        """Lost tracks take non-overlapping detections that look like them and are near."""
        book, limit = self.book, self.params.max_emb_distance
        if len(rows) == 0 or len(cols) == 0 or book.emb is None:
            return cols
        app = self._appearance(rows, emb[cols], unknown=np.inf)
        gate = REID_GATE + REID_GATE_GROWTH * book.missed[rows]
        far = centroid_distance(boxes[rows], dets[cols, :4]) > gate[:, None]
        app[far | (app > limit)] = np.inf
        self._forbid_other_classes(app, rows, dets[cols, 5])
        r, c, _, free_c = assign(app, limit, self.strategy)
        book.update(rows[r], dets, cols[c], emb)
        return cols[free_c]

    def _retire_lost(self, also: np.ndarray) -> None:
        """Forget tracks lost longer than max_disappeared, plus max_dead frames while an
        appearance may still bring them back (with embeddings)."""
        dead = self.max_dead if self.book.emb is not None else 0
        gone = self.book.missed > self.max_missed + dead
        gone[also] = True
        self.book.drop(gone)

    def _reported(self, dets: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """Confirmed tracks matched this frame, and those missing for at most project_track
        frames; boxes as use_detect_box, detect_box_fall_back and project_fix_box_size say."""
        p, book = self.params, self.book
        rows = np.flatnonzero(book.confirmed & (book.missed <= p.project_track))
        if len(rows) == 0:
            return np.zeros((0, OUT_COLS))
        out = book.output(rows)
        missed, last = book.missed[rows], book.last_box[rows]
        own = missed < p.use_detect_box
        if p.detect_box_fall_back > 0:
            seen = out[:, 7] >= 0
            own[seen] |= cost[out[seen, 7].astype(np.int64)] > p.detect_box_fall_back
        if p.project_fix_box_size:
            fix = (missed > 0) & ~own
            centre = (out[fix, :2] + out[fix, 2:4]) / 2
            half = (last[fix, 2:] - last[fix, :2]) / 2
            out[fix, :4] = np.concatenate([centre - half, centre + half], axis=1)
        out[own, :4] = last[own]
        return out
