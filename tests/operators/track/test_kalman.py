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
