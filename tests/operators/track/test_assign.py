"""operators/track/_assign.py: thresholded Hungarian and greedy assignment."""

from __future__ import annotations

import numpy as np
import pytest

from operators.track._assign import assign


@pytest.mark.parametrize("strategy", ["hungarian", "greedy"])
@pytest.mark.parametrize("cost,max_cost,rows,cols,free_r,free_c", [
    (np.zeros((0, 3)), 0.5, [], [], [], [0, 1, 2]),
    (np.zeros((2, 0)), 0.5, [], [], [0, 1], []),
    (np.array([[0.1, 0.9], [0.8, 0.2]]), 0.5, [0, 1], [0, 1], [], []),
    (np.array([[0.1, 0.9], [0.8, 0.7]]), 0.5, [0], [0], [1], [1]),
    (np.array([[np.inf, 0.3]]), 0.5, [0], [1], [], [0]),
    (np.full((2, 2), np.nan), 0.5, [], [], [0, 1], [0, 1]),
])
def test_assignment_table(strategy: str, cost: np.ndarray, max_cost: float, rows: list[int],
                          cols: list[int], free_r: list[int], free_c: list[int]) -> None:
    r, c, fr, fc = assign(cost, max_cost, strategy)  # type: ignore[arg-type]
    assert (r.tolist(), c.tolist(), fr.tolist(), fc.tolist()) == (rows, cols, free_r, free_c)


def test_hungarian_prefers_more_matches_over_one_cheap_pair() -> None:
    # greedy takes the 0.1 pair and strands row 1; the optimum matches both rows
    cost = np.array([[0.1, 0.3], [0.2, 0.9]])
    r, c, _, _ = assign(cost, 0.5, "hungarian")
    assert sorted(zip(r.tolist(), c.tolist(), strict=True)) == [(0, 1), (1, 0)]
    r, c, _, _ = assign(cost, 0.5, "greedy")
    assert list(zip(r.tolist(), c.tolist(), strict=True)) == [(0, 0)]
