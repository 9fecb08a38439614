"""operators/track/_kalman.py and _costs.py: the batched box filter and the cost matrices."""

from __future__ import annotations

import numpy as np
import pytest

from operators.track._costs import (
    appearance_distance,
    centroid_distance,
    cosine_distance,
    embedding_distance,
)
from operators.track._kalman import BoxKalman, KalmanState


def test_a_constant_velocity_box_is_predicted_ahead() -> None:
    kf = BoxKalman()
    st = kf.initiate(np.array([[0.0, 0.0, 10.0, 20.0], [100.0, 100.0, 110.0, 120.0]]))
    for k in range(1, 15):
        kf.predict(st)
        kf.update(st, np.array([0, 1]), np.array([[5.0 * k, 0, 5.0 * k + 10, 20],
                                                  [100, 100, 110, 120]]))
    kf.predict(st)
    boxes = kf.boxes(st)
    assert boxes[0, 0] == pytest.approx(75.0, abs=1.0)  # moving box: one step further
    assert boxes[1] == pytest.approx([100, 100, 110, 120], abs=0.5)  # still box stays


def test_the_covariance_shrinks_with_updates_and_grows_with_predictions() -> None:
    kf = BoxKalman()
    st = kf.initiate(np.array([[0.0, 0.0, 10.0, 10.0]]))
    before = st.cov[0, :, 0].copy()
    kf.update(st, np.array([0]), np.array([[0.0, 0.0, 10.0, 10.0]]))
    assert (st.cov[0, :, 0] < before).all()
    after = st.cov[0, :, 0].copy()
    kf.predict(st)
    assert (st.cov[0, :, 0] > after).all()


def test_frozen_size_does_not_shrink_a_lost_box() -> None:
    kf = BoxKalman()
    st = KalmanState(np.array([[5.0, 5.0, 10.0, 10.0]]), np.array([[0, 0, -1.0, -1.0]]),
                     np.ones((1, 4, 3)))
    kf.predict(st, freeze_size=np.array([True]))
    assert st.pos[0, 2:] == pytest.approx([10.0, 10.0])


def test_empty_states_are_fine() -> None:
    kf = BoxKalman()
    st = KalmanState.empty()
    kf.predict(st)
    kf.update(st, np.zeros(0, dtype=np.int64), np.zeros((0, 4)))
    assert kf.boxes(st).shape == (0, 4)


@pytest.mark.parametrize("a,b,expected", [
    ([[0, 0, 10, 10]], [[0, 0, 10, 10]], [[0.0]]),
    ([[0, 0, 30, 40]], [[30, 40, 60, 80]], [[1.0]]),  # centres one diagonal apart
    (np.zeros((0, 4)), [[0, 0, 1, 1]], np.zeros((0, 1))),
])
def test_centroid_distance_in_diagonals(a: list, b: list, expected: list) -> None:
    assert centroid_distance(np.asarray(a, float), np.asarray(b, float)) == pytest.approx(
        np.asarray(expected)
    )


def test_embedding_distances() -> None:
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    b = np.array([[3.0, 0.0]])
    assert cosine_distance(a, b) == pytest.approx(np.array([[0.0], [1.0]]))
    assert embedding_distance(a, b, "euclidean") == pytest.approx(np.array([[0.0], [np.sqrt(2)]]))
    assert cosine_distance(np.zeros((0, 2)), b).shape == (0, 1)
    with pytest.raises(ValueError, match="metric"):
        embedding_distance(a, b, "manhattan")


def test_an_all_zero_embedding_is_unknown_appearance() -> None:
    tracks = np.array([[1.0, 0.0], [0.0, 0.0]])
    dets = np.array([[0.0, 1.0], [0.0, 0.0]])
    assert appearance_distance(tracks, dets) == pytest.approx(np.array([[1.0, 0.0], [0.0, 0.0]]))
    far = appearance_distance(tracks, dets, unknown=np.inf)
    assert np.isinf(far[1]).all() and np.isinf(far[:, 1]).all() and far[0, 0] == 1.0


def _reference(kf: BoxKalman, box: np.ndarray) -> object:
    """filterpy's textbook KalmanFilter for one track, with our model's matrices."""
    from filterpy.kalman import KalmanFilter

    ref = KalmanFilter(dim_x=8, dim_z=4)
    ref.F = np.block([[np.eye(4), np.eye(4)], [np.zeros((4, 4)), np.eye(4)]])
    ref.H = np.hstack([np.eye(4), np.zeros((4, 4))])
    st = kf.initiate(box[None])
    ref.x = np.concatenate([st.pos[0], st.vel[0]])[:, None]
    ref.P = _full_covariance(st.cov[0])
    return ref


def _full_covariance(blocks: np.ndarray) -> np.ndarray:
    """Our (4, 3) per-coordinate (p00, p01, p11) as filterpy's 8x8 P."""
    p = np.zeros((8, 8))
    for i, (p00, p01, p11) in enumerate(blocks):
        p[i, i], p[i, i + 4], p[i + 4, i], p[i + 4, i + 4] = p00, p01, p01, p11
    return p


def _size_scale(x: np.ndarray) -> np.ndarray:
    w, h = max(abs(x[2]), 1e-6), max(abs(x[3]), 1e-6)
    return np.array([w, h, w, h])


def test_every_step_matches_filterpys_kalman_filter() -> None:
    # filterpy is the reference: same F, H, and Q/R scaled by the box size at each step (as
    # ByteTrack does); ours must give the same means and covariances after every predict and
    # every update, for several tracks at once, some of them unobserved on some frames
    pytest.importorskip("filterpy")
    rng = np.random.default_rng(7)
    kf = BoxKalman()
    starts = np.array([[10.0, 20, 50, 100], [300, 40, 340, 90], [0.1, 0.2, 0.15, 0.3]])
    speeds = np.array([[4.0, 1, 4, 1], [-3, 2, -3, 2.5], [0.002, 0.001, 0.002, 0.0012]])
    st = kf.initiate(starts)
    refs = [_reference(kf, b) for b in starts]
    for frame in range(1, 25):
        for ref in refs:
            s = _size_scale(ref.x[:, 0])
            ref.Q = np.diag(
                np.concatenate([(kf.std_position * s) ** 2, (kf.std_velocity * s) ** 2])
            )
            ref.predict()
        kf.predict(st)
        _assert_same(st, refs)
        seen = np.array([t for t in range(3) if (frame + t) % 4])  # each track misses frames
        boxes = starts[seen] + speeds[seen] * frame
        boxes += rng.normal(0, 0.5, boxes.shape) * (boxes[:, 2:] - boxes[:, :2]).repeat(2, 1) / 20
        for t, box in zip(seen, boxes, strict=True):
            ref = refs[t]
            ref.R = np.diag((kf.std_measurement * _size_scale(ref.x[:, 0])) ** 2)
            wh = box[2:] - box[:2]
            ref.update(np.concatenate([box[:2] + wh / 2, wh]))
        kf.update(st, seen, boxes)
        _assert_same(st, refs)


def _assert_same(st: KalmanState, refs: list[object]) -> None:
    for t, ref in enumerate(refs):
        x, p = ref.x[:, 0], ref.P  # type: ignore[attr-defined]
        np.testing.assert_allclose(st.pos[t], x[:4], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(st.vel[t], x[4:], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(_full_covariance(st.cov[t]), p, rtol=1e-9, atol=1e-15)
