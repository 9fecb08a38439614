"""The track book: every live track of one stream as parallel numpy arrays.

Arrays instead of one Python object per track keep a frame with hundreds of tracks to a
handful of vectorised operations.  Rows are compacted when tracks are dropped, so row
numbers are only valid within one ``update``; ``ids`` are the stable identities.
"""

from __future__ import annotations

import numpy as np

from operators.track._kalman import BoxKalman, KalmanState

__all__ = ["TrackBook"]

# Output columns of every tracker: box, id, score, class, index of the detection (or -1).
OUT_COLS = 8
# momentum of a track's smoothed ("filtered") score
SCORE_MOMENTUM = 0.7


class TrackBook:
    """Ids, hit counts, misses, scores, classes, Kalman states and appearance of tracks."""

    def __init__(self, kalman: BoxKalman, embedding_momentum: float = 0.9) -> None:
        self.kf = kalman
        self.embedding_momentum = embedding_momentum
        self.state = KalmanState.empty()
        self.ids = np.zeros(0, dtype=np.int64)
        self.hits = np.zeros(0, dtype=np.int64)
        self.missed = np.zeros(0, dtype=np.int64)  # frames since the last matched detection
        self.confirmed = np.zeros(0, dtype=bool)
        self.score = np.zeros(0)
        self.smooth_score = np.zeros(0)
        self.cls = np.zeros(0)
        self.det_index = np.zeros(0, dtype=np.int64)  # detection matched this frame, else -1
        self.last_box = np.zeros((0, 4))  # the box of the last matched detection
        self.emb: np.ndarray | None = None
        self.next_id = 1

    def __len__(self) -> int:
        return len(self.ids)

    def boxes(self) -> np.ndarray:
        return self.kf.boxes(self.state)

    def predict(self) -> None:
        """Advance every track one frame; nothing is matched yet."""
        self.kf.predict(self.state, freeze_size=self.missed > 0)
        self.missed += 1
        self.det_index[:] = -1

    def update(
        self, rows: np.ndarray, dets: np.ndarray, det_idx: np.ndarray, emb: np.ndarray | None = None
    ) -> None:
        """Correct tracks ``rows`` with detections ``dets[det_idx]`` (rows of x1,y1,x2,y2,s,c)."""
        if len(rows) == 0:
            return
        d = dets[det_idx]
        self.kf.update(self.state, rows, d[:, :4])
        self.hits[rows] += 1
        self.missed[rows] = 0
        self.score[rows] = d[:, 4]
        m = SCORE_MOMENTUM
        self.smooth_score[rows] = m * self.smooth_score[rows] + (1 - m) * d[:, 4]
        self.cls[rows] = d[:, 5]
        self.det_index[rows] = det_idx
        self.last_box[rows] = d[:, :4]
        if emb is not None and self.emb is not None:
            m = self.embedding_momentum
            mixed = m * self.emb[rows] + (1 - m) * emb[det_idx]
            norm = np.linalg.norm(mixed, axis=1, keepdims=True)
            self.emb[rows] = np.divide(mixed, norm, out=mixed, where=norm > 0)

    def spawn(self, dets: np.ndarray, det_idx: np.ndarray, emb: np.ndarray | None = None) -> None:
        """Start one track per detection ``dets[det_idx]`` with fresh ids."""
        n = len(det_idx)
        if n == 0:
            return
        d = dets[det_idx]
        self.state = self.state.extend(self.kf.initiate(d[:, :4]))
        self.ids = np.concatenate([self.ids, np.arange(self.next_id, self.next_id + n)])
        self.next_id += n
        self.hits = np.concatenate([self.hits, np.ones(n, dtype=np.int64)])
        self.missed = np.concatenate([self.missed, np.zeros(n, dtype=np.int64)])
        self.confirmed = np.concatenate([self.confirmed, np.zeros(n, dtype=bool)])
        self.score = np.concatenate([self.score, d[:, 4]])
        self.smooth_score = np.concatenate([self.smooth_score, d[:, 4]])
        self.cls = np.concatenate([self.cls, d[:, 5]])
        self.det_index = np.concatenate([self.det_index, det_idx.astype(np.int64)])
        self.last_box = np.concatenate([self.last_box, d[:, :4]])
        self._spawn_embeddings(n, None if emb is None else emb[det_idx])

    def _spawn_embeddings(self, n: int, new: np.ndarray | None) -> None:
        """Append unit embeddings of new tracks; zeros stand in for unknown appearance."""
        if new is None and self.emb is None:
            return
        dim = new.shape[1] if new is not None else self.emb.shape[1]  # type: ignore[union-attr]
        if new is None:
            new = np.zeros((n, dim))
        new = new.astype(np.float64)
        new /= np.maximum(np.linalg.norm(new, axis=1, keepdims=True), 1e-12)
        old = self.emb if self.emb is not None else np.zeros((len(self.ids) - n, dim))
        self.emb = np.concatenate([old, new])

    def check_embedding_size(self, dim: int) -> None:
        """Accept embeddings of size ``dim`` from now on: a size change is fine once every
        track is gone (a new embedder), and an error while tracks still hold the old size."""
        if self.emb is None or self.emb.shape[1] == dim:
            return
        if len(self):
            raise ValueError(
                f"embedding size changed from {self.emb.shape[1]} to {dim} while "
                f"{len(self)} tracks hold the old size"
            )
        self.emb = None

    def confirm(self, min_hits: int) -> None:
        self.confirmed |= self.hits >= min_hits

    def drop(self, mask: np.ndarray) -> None:
        """Forget the tracks where ``mask`` is true."""
        if not mask.any():
            return
        keep = (~mask).nonzero()[0]
        self.state = self.state.take(keep)
        for name in (
            "ids",
            "hits",
            "missed",
            "confirmed",
            "score",
            "smooth_score",
            "cls",
            "det_index",
            "last_box",
        ):
            setattr(self, name, getattr(self, name)[keep])
        if self.emb is not None:
            self.emb = self.emb[keep]

    def output(self, rows: np.ndarray, smooth: bool = False) -> np.ndarray:
        """``(M, 8)``: x1, y1, x2, y2, track id, score, class, detection index.

        ``smooth`` reports the smoothed score instead of the last detection's."""
        out = np.empty((len(rows), OUT_COLS))
        out[:, :4] = self.kf.boxes(self.state.take(rows))
        out[:, 4] = self.ids[rows]
        out[:, 5] = (self.smooth_score if smooth else self.score)[rows]
        out[:, 6] = self.cls[rows]
        out[:, 7] = self.det_index[rows]
        return out
