"""engine.draw beside supervision's annotators on the same frame: a side-by-side image is
written as a test artifact, and both are checked to draw each box and its label."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Data
from engine.draw import draw, save_image
from tests.factories import region

W, H = 640, 360
# two boxes whose labels would collide, one apart: xyxy in pixels
BOXES = [(100, 120, 260, 300), (112, 128, 280, 320), (420, 60, 560, 200)]
NAMES = ["person", "person", "car"]


def _frame() -> np.ndarray:
    img = np.full((H, W, 3), 70, np.uint8)
    cv2.rectangle(img, (0, 250), (W, H), (40, 90, 40), -1)  # some ground, not a flat frame
    return img


def _ring(box: tuple[int, int, int, int], width: int = 3) -> np.ndarray:
    x1, y1, x2, y2 = box
    ring = np.zeros((H, W), bool)
    ring[max(y1 - width, 0) : y2 + width, max(x1 - width, 0) : x2 + width] = True
    ring[y1 + width : y2 - width, x1 + width : x2 - width] = False
    return ring


def _ours(img: np.ndarray) -> np.ndarray:
    regions = [
        region((x1 / W, y1 / H, x2 / W, y2 / H), {name: 0.9}, track_id=str(k + 1))
        for k, ((x1, y1, x2, y2), name) in enumerate(zip(BOXES, NAMES, strict=True))
    ]
    return draw(img, Data(regions=regions))


def _supervision(img: np.ndarray) -> np.ndarray:
    sv = pytest.importorskip("supervision")
    dets = sv.Detections(
        xyxy=np.asarray(BOXES, dtype=float),
        confidence=np.full(len(BOXES), 0.9),
        class_id=np.asarray([0, 0, 1]),
        tracker_id=np.arange(1, len(BOXES) + 1),
    )
    labels = [f"{n} 0.90 #{t}" for n, t in zip(NAMES, dets.tracker_id, strict=True)]
    out = sv.BoxAnnotator().annotate(img.copy(), dets)
    out = sv.LabelAnnotator().annotate(out, dets, labels=labels)
    return np.asarray(out)


def test_side_by_side_with_supervision(tmp_path: Path) -> None:
    img = _frame()
    theirs, ours = _supervision(img), _ours(img)
    side = np.hstack([ours, np.zeros((H, 8, 3), np.uint8), theirs])
    artifact = tmp_path / "draw-vs-supervision.png"  # opgraph left, supervision right
    save_image(artifact, side)
    assert cv2.imread(str(artifact)).shape == (H, 2 * W + 8, 3)
    for name, drawn in (("opgraph", ours), ("supervision", theirs)):
        changed = np.any(drawn != img, axis=2)
        for box in BOXES:
            x1, y1, x2, y2 = box
            perimeter = 2 * ((x2 - x1) + (y2 - y1))
            # the box's outline is drawn ...
            assert changed[_ring(box)].sum() >= 0.9 * perimeter, (name, box)
            # ... and a label near its top edge (above it or just inside)
            band = changed[max(y1 - 40, 0) : y1 + 40, x1 : x2 + 1]
            assert band.mean() > 0.1, (name, box)
        # neither paints the frame at large
        assert changed.mean() < 0.2, name
