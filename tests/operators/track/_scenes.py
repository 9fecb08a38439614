"""Tiny synthetic MOT scenes and CLEAR-MOT / identity metrics for the tracker tests.

Deterministic given a seed; numpy and scipy only.  ``python -m tests.operators.track._scenes``
prints the metrics of every tracker on every scene and, with ``--update``, rewrites
``golden_metrics.json`` (do that only for an intended change, and say why in the commit).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from engine import geometry

GOLDEN = Path(__file__).with_name("golden_metrics.json")


@dataclass
class Scene:
    gt: list[np.ndarray]  # per frame [K, 5]: x1, y1, x2, y2, identity
    dets: list[np.ndarray]  # per frame [N, 6]: x1, y1, x2, y2, score, class
    embeddings: list[np.ndarray]  # per frame [N, D], aligned with dets


def make_scene(n_objects: int, n_frames: int, seed: int, *, speed: float = 4.0,
               size: float = 60.0, miss: float = 0.05, occlude_every: int = 0,
               fp_per_frame: float = 0.5) -> Scene:
    """Objects bouncing in a 640x480 frame; misses, jitter, low-score FPs, and optionally
    every ``occlude_every``-th object hidden (low score, then missed) for a stretch."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform([50, 50], [590, 430], size=(n_objects, 2))
    vel = rng.normal(0, speed, size=(n_objects, 2))
    wh = rng.uniform(0.7, 1.3, size=(n_objects, 1)) * np.array([[size * 0.6, size]])
    identity = rng.normal(size=(n_objects, 16))
    gts, dets, embs = [], [], []
    for f in range(n_frames):
        pos += vel
        bounce = (pos < 30) | (pos > np.array([610, 450]))
        vel[bounce] *= -1
        boxes = np.concatenate([pos - wh / 2, pos + wh / 2], axis=1)
        gts.append(np.column_stack([boxes, np.arange(n_objects)]))
        score = rng.uniform(0.6, 0.95, n_objects)
        seen = rng.random(n_objects) > miss
        if occlude_every:
            hidden = (np.arange(n_objects) % occlude_every == 0) & ((f // 15) % 3 == 1)
            score[hidden] = rng.uniform(0.15, 0.45, hidden.sum())
            seen &= ~(hidden & (f % 15 > 7))
        jitter = rng.normal(0, 1.5, size=boxes.shape)
        d = np.column_stack([boxes + jitter, score, np.zeros(n_objects)])[seen]
        e = identity[seen] + 0.3 * rng.normal(size=(int(seen.sum()), 16))
        n_fp = rng.poisson(fp_per_frame)
        fp_c = rng.uniform([0, 0], [600, 440], size=(n_fp, 2))
        fp = np.column_stack([fp_c, fp_c + 40, rng.uniform(0.1, 0.4, n_fp), np.zeros(n_fp)])
        dets.append(np.concatenate([d, fp]))
        embs.append(np.concatenate([e, rng.normal(size=(n_fp, 16))]))
    return Scene(gts, dets, embs)


SCENES: dict[str, Callable[[], Scene]] = {
    "crossing": lambda: make_scene(6, 120, seed=1, speed=5.0),
    "occlusion": lambda: make_scene(8, 150, seed=2, occlude_every=2),
    "dense": lambda: make_scene(20, 100, seed=3, size=45.0, fp_per_frame=2.0),
}


def run(tracker: Any, scene: Scene, with_embeddings: bool = False) -> list[np.ndarray]:
    return [np.asarray(tracker.update(d.copy(), e if with_embeddings else None))
            for d, e in zip(scene.dets, scene.embeddings, strict=True)]


def metrics(scene: Scene, outputs: list[np.ndarray], iou_min: float = 0.5) -> dict[str, float]:
    """MOTA (CLEAR-MOT, keeping last frame's pairs when still valid), IDF1 and ID switches."""
    fp = fn = idsw = n_gt = 0
    last: dict[int, int] = {}
    pair_frames: dict[tuple[int, int], int] = {}
    n_pred = 0
    for gt, out in zip(scene.gt, outputs, strict=True):
        n_gt += len(gt)
        n_pred += len(out)
        iou = geometry.iou_matrix(gt[:, :4], out[:, :4]) if len(out) else np.zeros((len(gt), 0))
        gids, tids = gt[:, 4].astype(int), (out[:, 4].astype(int) if len(out) else [])
        cost = np.where(iou >= iou_min, 1 - iou, 10.0)
        for k, g in enumerate(gids):  # CLEAR-MOT: previous pairs win when still valid
            prev = [j for j, t in enumerate(tids) if last.get(g) == t and iou[k, j] >= iou_min]
            if prev:
                cost[k, prev[0]] = -1.0
        r, c = linear_sum_assignment(cost) if cost.size else ([], [])
        matched = [(k, j) for k, j in zip(r, c, strict=True) if iou[k, j] >= iou_min]
        for k, j in matched:
            g, t = gids[k], int(tids[j])
            idsw += g in last and last[g] != t
            last[g] = t
        for k in range(len(gids)):  # identity metric pairs by overlap alone
            for j in np.flatnonzero(iou[k] >= iou_min):
                key = (int(gids[k]), int(tids[j]))
                pair_frames[key] = pair_frames.get(key, 0) + 1
        fp += len(tids) - len(matched)
        fn += len(gids) - len(matched)
    return {"MOTA": round(1 - (fp + fn + idsw) / max(n_gt, 1), 4),
            "IDF1": round(_idf1(pair_frames, n_gt, n_pred), 4), "IDSW": idsw}


def _idf1(pairs: dict[tuple[int, int], int], n_gt: int, n_pred: int) -> float:
    if not pairs:
        return 0.0
    gs = sorted({g for g, _ in pairs})
    ts = sorted({t for _, t in pairs})
    m = np.zeros((len(gs), len(ts)))
    for (g, t), n in pairs.items():
        m[gs.index(g), ts.index(t)] = n
    r, c = linear_sum_assignment(-m)
    return 2 * m[r, c].sum() / max(n_gt + n_pred, 1)


def all_metrics() -> dict[str, dict[str, dict[str, float]]]:
    import operators.track as track

    out: dict[str, dict[str, dict[str, float]]] = {}
    for name in ("ByteTracker", "KalmanTracker", "CentroidTracker", "KalmanReidTracker"):
        cls = getattr(track, name)
        out[name] = {}
        for scene_name, make in SCENES.items():
            scene = make()
            out[name][scene_name] = metrics(scene, run(cls(), scene, name == "KalmanReidTracker"))
    return out


if __name__ == "__main__":
    result = all_metrics()
    print(json.dumps(result, indent=1))
    if "--update" in sys.argv:
        GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN}")
