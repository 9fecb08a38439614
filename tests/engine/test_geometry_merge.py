"""Sparse overlap search, greedy NMS with parents and SAHI-style greedy merging."""

from __future__ import annotations

import numpy as np
import pytest

from engine import geometry as g

EMPTY = np.zeros((0, 4))
A = [0.0, 0.0, 10.0, 10.0]
A_SHIFTED = [1.0, 1.0, 11.0, 11.0]  # IoU with A = 81/119 = 0.68
INSIDE_A = [2.0, 2.0, 6.0, 6.0]  # IoU with A 0.16, IOS 1.0
FAR = [50.0, 50.0, 60.0, 60.0]


@pytest.mark.parametrize(
    ("boxes", "threshold", "metric", "pairs"),
    [
        (EMPTY, 0.5, "iou", set()),
        ([A], 0.5, "iou", set()),
        ([A, A_SHIFTED, FAR], 0.5, "iou", {(0, 1)}),
        ([A, INSIDE_A], 0.5, "iou", set()),
        ([A, INSIDE_A], 0.5, "ios", {(0, 1)}),
        ([A, A, A], 0.5, "iou", {(0, 1), (0, 2), (1, 2)}),
    ],
)
def test_overlap_pairs_table(
    boxes: list[list[float]], threshold: float, metric: str, pairs: set[tuple[int, int]]
) -> None:
    i, j = g.overlap_pairs(np.asarray(boxes), threshold, metric)
    assert {tuple(sorted(p)) for p in zip(i.tolist(), j.tolist(), strict=True)} == pairs


@pytest.mark.parametrize("metric", ["iou", "ios"])
def test_overlap_pairs_and_greedy_match_agree_with_dense_versions(metric: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        n = int(rng.integers(0, 120))
        xy = rng.uniform(0, 1, (n, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(0, 0.25, (n, 2))], axis=1)
        scores = rng.uniform(0, 1, n)
        thr = float(rng.uniform(0.05, 0.9))
        dense = (g.iou_matrix if metric == "iou" else g.ios_matrix)(boxes, boxes) > thr
        expected = set(zip(*np.nonzero(np.triu(dense, k=1)), strict=True))
        i, j = g.overlap_pairs(boxes, thr, metric)
        assert {tuple(sorted(p)) for p in zip(i.tolist(), j.tolist(), strict=True)} == expected
        keep, _ = g.greedy_match(boxes, scores, thr, metric)
        np.testing.assert_array_equal(keep, g.nms(boxes, scores, thr, metric))


def test_greedy_match_parents_point_at_the_best_kept_box() -> None:
    boxes = np.asarray([A, A_SHIFTED, FAR, A])
    keep, parent = g.greedy_match(boxes, np.asarray([0.9, 0.8, 0.7, 0.95]), 0.5)
    assert keep.tolist() == [3, 2]
    assert parent.tolist() == [3, 3, 2, 3]


def test_greedy_match_empty() -> None:
    keep, parent = g.greedy_match(EMPTY, np.zeros(0), 0.5)
    assert keep.shape == (0,) and parent.shape == (0,)


def test_greedy_nmm_grows_the_kept_box_to_the_union() -> None:
    boxes = np.asarray([A, A_SHIFTED, FAR])
    keep, merged = g.greedy_nmm(boxes, np.asarray([0.9, 0.8, 0.7]), 0.5, "ios")
    assert keep.tolist() == [0, 2]
    np.testing.assert_allclose(merged, [[0, 0, 11, 11], FAR])


def test_greedy_nmm_rechecks_each_member_against_the_grown_box() -> None:
    # B and C both overlap A by IoU 0.625; once grown by B the box matches C by only 0.45
    boxes = np.asarray([[0, 0, 10, 10], [0, 0, 10, 16], [0, -6, 10, 10]], dtype=float)
    keep, merged = g.greedy_nmm(boxes, np.asarray([0.9, 0.8, 0.7]), 0.55, "iou")
    assert keep.tolist() == [0]
    np.testing.assert_allclose(merged, [[0, 0, 10, 16]])


def test_greedy_nmm_empty() -> None:
    keep, merged = g.greedy_nmm(EMPTY, np.zeros(0), 0.5)
    assert keep.shape == (0,) and merged.shape == (0, 4)


@pytest.mark.parametrize(
    ("boxes", "classes", "keep"),
    [
        (EMPTY, np.zeros(0, dtype=int), []),
        ([A, A_SHIFTED, FAR], None, [0, 2]),  # no classes: A suppresses its twin
        ([A, A_SHIFTED, FAR], [0, 0, 1], [0, 2]),
        ([A, A_SHIFTED, FAR], [0, 1, 0], [0, 1, 2]),  # twins of different classes both stay
        ([A, A, A], [2, 0, 2], [0, 1]),
        ([[-5.0, 0, 5, 10], [-4.0, 0, 6, 10]], [1, 0], [0, 1]),  # negative x still apart
    ],
)
def test_class_aware_suppression_table(
    boxes: list[list[float]], classes: list[int] | None, keep: list[int]
) -> None:
    scores = np.linspace(0.9, 0.5, len(boxes))
    cls = None if classes is None else np.asarray(classes)
    assert g.nms(boxes, scores, 0.5, classes=cls).tolist() == keep
    assert g.greedy_match(boxes, scores, 0.5, classes=cls)[0].tolist() == keep
    kept, merged = g.greedy_nmm(boxes, scores, 0.5, "iou", classes=cls)
    assert kept.tolist() == keep
    # merged boxes come back in the boxes' own coordinates, not shifted by class
    assert merged.shape == (len(keep), 4)
    if classes is not None and keep == list(range(len(boxes))):
        np.testing.assert_allclose(merged, np.asarray(boxes, dtype=float)[keep])
