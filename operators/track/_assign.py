"""Assignment of tracks (rows) to detections (columns) under a cost threshold.

Two strategies with one signature, chosen by name as in norfair: ``"hungarian"`` (optimal,
scipy's ``linear_sum_assignment``) and ``"greedy"`` (cheapest pair first).  Both return row
and column *indices*, so callers carry detection indices from start to finish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

__all__ = ["Matches", "Strategy", "assign", "load_solver"]

Strategy = Literal["hungarian", "greedy"]
# (matched rows, matched cols, unmatched rows, unmatched cols), all int64 index arrays
Matches = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

_EMPTY = np.zeros(0, dtype=np.int64)


def load_solver(strategy: Strategy) -> None:
    """Import the solver now (scipy takes a second or more): a tracker operator does it when
    its graph is set up, so a live stream's first matched frame does not stall on it."""
    if strategy == "hungarian":
        import scipy.optimize  # noqa: F401


def _hungarian(cost: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.optimize import linear_sum_assignment

    # Forbidden pairs get a cost above any allowed total, so the solver first maximises the
    # number of allowed pairs and only then minimises their cost.
    worst = float(np.abs(cost[allowed]).max(initial=0.0))
    big = worst * (min(cost.shape) + 1) + 1.0
    masked = np.where(allowed, cost, big)
    rows, cols = linear_sum_assignment(masked)
    ok = allowed[rows, cols]
    return rows[ok].astype(np.int64), cols[ok].astype(np.int64)


def _greedy(cost: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r_idx, c_idx = np.nonzero(allowed)
    order = np.argsort(cost[r_idx, c_idx], kind="stable")
    used_r = np.zeros(cost.shape[0], dtype=bool)
    used_c = np.zeros(cost.shape[1], dtype=bool)
    rows: list[int] = []
    cols: list[int] = []
    for r, c in zip(r_idx[order].tolist(), c_idx[order].tolist(), strict=True):
        if not used_r[r] and not used_c[c]:
            used_r[r] = used_c[c] = True
            rows.append(r)
            cols.append(c)
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


_SOLVERS: dict[str, Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "hungarian": _hungarian,
    "greedy": _greedy,
}


def assign(cost: np.ndarray, max_cost: float, strategy: Strategy = "hungarian") -> Matches:
    """Pairs with ``cost <= max_cost`` chosen by ``strategy``; plus the unmatched indices.

    Non-finite costs (``inf``, ``nan``) mark forbidden pairs."""
    n_rows, n_cols = cost.shape
    if n_rows == 0 or n_cols == 0:
        return _EMPTY, _EMPTY, np.arange(n_rows), np.arange(n_cols)
    allowed = (cost <= max_cost) & np.isfinite(cost)
    # Rows / columns without any allowed pair cannot match: solve the smaller problem.
    live_r = allowed.any(axis=1).nonzero()[0]
    live_c = allowed.any(axis=0).nonzero()[0]
    if len(live_r) == 0:
        return _EMPTY, _EMPTY, np.arange(n_rows), np.arange(n_cols)
    if len(live_r) < n_rows or len(live_c) < n_cols:
        sub = live_r[:, None], live_c  # what np.ix_ makes, without its overhead
        cost, allowed = cost[sub], allowed[sub]
    r, c = _SOLVERS[strategy](cost, allowed)
    rows, cols = live_r[r], live_c[c]
    free_r = np.ones(n_rows, dtype=bool)
    free_r[rows] = False
    free_c = np.ones(n_cols, dtype=bool)
    free_c[cols] = False
    return rows, cols, free_r.nonzero()[0], free_c.nonzero()[0]
