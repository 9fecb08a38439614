"""Constant-velocity Kalman filter for boxes, batched over every track at once.

The state of a track is ``cx, cy, w, h`` and their velocities.  With a constant-velocity
model, diagonal process noise and a measurement of ``cx, cy, w, h`` the 8x8 covariance
stays block-diagonal: four independent (position, velocity) pairs.  So the filter stores
three numbers per coordinate (``p00`` position variance, ``p01`` covariance, ``p11``
velocity variance) and every step is a few element-wise numpy operations on ``(T, 4)``
arrays instead of ``T`` 8x8 matrix products: this is what makes 200 tracks cheap.

Noise scales with the box size (as in ByteTrack / BoT-SORT): x and w with the width, y and
h with the height, so the filter behaves the same in pixels or fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BoxKalman", "KalmanState"]

# Initial velocity uncertainty relative to the per-frame velocity noise (ByteTrack uses 10).
_INIT_VELOCITY_FACTOR = 10.0
# Initial position uncertainty relative to the measurement noise (ByteTrack uses 2).
_INIT_POSITION_FACTOR = 2.0


@dataclass
class KalmanState:
    """Means and covariances of ``T`` tracks: ``pos``/``vel`` ``(T, 4)``, ``cov`` ``(T, 4, 3)``."""

    pos: np.ndarray
    vel: np.ndarray
    cov: np.ndarray

    @classmethod
    def empty(cls) -> KalmanState:
        return cls(np.zeros((0, 4)), np.zeros((0, 4)), np.zeros((0, 4, 3)))

    def take(self, idx: np.ndarray) -> KalmanState:
        return KalmanState(self.pos[idx], self.vel[idx], self.cov[idx])

    def extend(self, other: KalmanState) -> KalmanState:
        return KalmanState(
            np.concatenate([self.pos, other.pos]),
            np.concatenate([self.vel, other.vel]),
            np.concatenate([self.cov, other.cov]),
        )


# The per-frame steps below write into preallocated arrays instead of np.concatenate /
# np.stack (their Python-level overhead is most of a frame's cost at a few dozen tracks);
# the arithmetic, and so every value, is the same.


def xyxy_to_cxcywh(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = np.empty_like(b)
    wh = np.subtract(b[:, 2:], b[:, :2], out=out[:, 2:])
    np.add(b[:, :2], wh / 2, out=out[:, :2])
    return out


def cxcywh_to_xyxy(z: np.ndarray) -> np.ndarray:
    half = z[:, 2:] / 2
    out = np.empty_like(z)
    np.subtract(z[:, :2], half, out=out[:, :2])
    np.add(z[:, :2], half, out=out[:, 2:])
    return out


_WHWH = [2, 3, 2, 3]


class BoxKalman:
    """The motion model: ``initiate`` / ``predict`` / ``update`` on a :class:`KalmanState`.

    ``std_position`` and ``std_velocity`` are the per-frame process noise, ``std_measurement``
    the detector's box noise, all as fractions of the box size.
    """

    def __init__(
        self,
        std_position: float = 1 / 20,
        std_velocity: float = 1 / 160,
        std_measurement: float = 1 / 20,
    ) -> None:
        self.std_position = std_position
        self.std_velocity = std_velocity
        self.std_measurement = std_measurement

    @staticmethod
    def _scale(pos: np.ndarray) -> np.ndarray:
        """Per-coordinate size scale ``w, h, w, h`` (never zero)."""
        whwh = np.abs(pos[:, _WHWH])
        return np.maximum(whwh, 1e-6, out=whwh)

    def initiate(self, boxes_xyxy: np.ndarray) -> KalmanState:
        pos = xyxy_to_cxcywh(boxes_xyxy)
        s = self._scale(pos)
        cov = np.zeros((len(pos), 4, 3))
        cov[..., 0] = (_INIT_POSITION_FACTOR * self.std_measurement * s) ** 2
        cov[..., 2] = (_INIT_VELOCITY_FACTOR * self.std_velocity * s) ** 2
        return KalmanState(pos, np.zeros_like(pos), cov)

    def predict(self, st: KalmanState, freeze_size: np.ndarray | None = None) -> None:
        """One frame ahead, in place.  ``freeze_size`` (bool ``(T,)``) stops size velocity
        for tracks that are not being observed, so a lost box does not shrink away."""
        if freeze_size is not None and freeze_size.any():
            st.vel[freeze_size, 2:] = 0.0
        s = self._scale(st.pos)
        p00, p01, p11 = st.cov[..., 0], st.cov[..., 1], st.cov[..., 2]
        st.pos += st.vel
        np.maximum(st.pos[:, 2:], 1e-6, out=st.pos[:, 2:])
        new00 = p00 + 2 * p01 + p11 + (self.std_position * s) ** 2
        new01 = p01 + p11
        new11 = p11 + (self.std_velocity * s) ** 2
        st.cov[..., 0], st.cov[..., 1], st.cov[..., 2] = new00, new01, new11

    def update(self, st: KalmanState, idx: np.ndarray, boxes_xyxy: np.ndarray) -> None:
        """Correct tracks ``idx`` with measured boxes, in place."""
        if len(idx) == 0:
            return
        z = xyxy_to_cxcywh(boxes_xyxy)
        pos, vel, cov = st.pos[idx], st.vel[idx], st.cov[idx]
        p00, p01, p11 = cov[..., 0], cov[..., 1], cov[..., 2]
        r = (self.std_measurement * self._scale(pos)) ** 2
        s = p00 + r
        k0, k1 = p00 / s, p01 / s
        innovation = z - pos
        st.pos[idx] = pos + k0 * innovation
        st.vel[idx] = vel + k1 * innovation
        keep = 1 - k0
        # cov is a copy (fancy indexing): every right-hand side is computed before it changes
        cov[..., 0], cov[..., 1], cov[..., 2] = keep * p00, keep * p01, p11 - k1 * p01
        st.cov[idx] = cov

    @staticmethod
    def boxes(st: KalmanState) -> np.ndarray:
        """Current state as ``(T, 4)`` xyxy boxes."""
        return cxcywh_to_xyxy(st.pos)
