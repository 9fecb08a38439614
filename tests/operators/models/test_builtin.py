"""operators/models/_builtin.py: the OpenCV detectors' boxes come out in one order."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from operators.models._builtin import HaarFaceDetector, _ordered


@pytest.mark.parametrize(
    "boxes,scores,want",
    [
        (np.zeros((0, 4)), np.zeros(0), []),
        ([[0.5, 0.1, 0.6, 0.2], [0.1, 0.1, 0.2, 0.2]], [0.7, 0.7], [1, 0]),  # tie: left first
        ([[0.1, 0.5, 0.2, 0.6], [0.3, 0.1, 0.4, 0.2]], [0.7, 0.7], [1, 0]),  # tie: top first
        ([[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.6, 0.6]], [0.6, 0.9], [1, 0]),  # best first
    ],
)
def test_boxes_are_best_first_then_top_to_bottom_left_to_right(
    boxes: list[list[float]], scores: list[float], want: list[int]
) -> None:
    b, s = np.asarray(boxes, dtype=np.float64).reshape(-1, 4), np.asarray(scores, np.float64)
    got_b, got_s = _ordered(b, s)
    np.testing.assert_array_equal(got_b, b[want])
    np.testing.assert_array_equal(got_s, s[want])


def test_the_face_cascade_gives_the_same_boxes_on_one_thread_or_several() -> None:
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations
    face = cv2.imread(
        str(Path(spec.submodule_search_locations[0]) / "mpl-data/sample_data/grace_hopper.jpg")
    )
    canvas = np.full((600, 960, 3), 40, np.uint8)
    small = cv2.resize(face, None, fx=0.8, fy=0.8)
    h, w = small.shape[:2]
    canvas[40 : 40 + h, 20 : 20 + w] = small
    canvas[100 : 100 + h, 960 - w - 10 : 950] = small
    detector = HaarFaceDetector(1.1, 3, 24)
    threads = cv2.getNumThreads()
    try:
        cv2.setNumThreads(1)
        one = detector(canvas)
        cv2.setNumThreads(4)
        many = detector(canvas)
    finally:
        cv2.setNumThreads(threads)
    assert len(one[0]) >= 2
    np.testing.assert_array_equal(one[0], many[0])
    np.testing.assert_array_equal(one[1], many[1])
