"""Detections nested in tile regions, flattened into arrays on the full image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import BoundingBox, Concept, Region, geometry

__all__ = ["Detections", "collect"]


@dataclass(frozen=True)
class Detections:
    regions: list[Region]  # the detections as the detector wrote them
    boxes: np.ndarray  # (N, 4) xyxy fractions of the full image
    scores: np.ndarray  # region value, else its top concept's value
    classes: np.ndarray  # an integer per top concept id
    top: list[list[Concept]]  # the top concept of each detection ([] if it has none)


def _xyxy(bb: BoundingBox) -> tuple[float, float, float, float]:
    return bb.left_col, bb.top_row, bb.right_col, bb.bottom_row


def _box(region: Region) -> BoundingBox | None:
    return region.region_info.bounding_box if region.region_info is not None else None


def collect(tiles: list[Region]) -> Detections:
    """Every boxed detection under every boxed tile, mapped onto the full image."""
    regions: list[Region] = []
    rel: list[tuple[float, float, float, float]] = []
    frames: list[tuple[float, float, float, float]] = []
    for tile in tiles:
        tb = _box(tile)
        if tb is None or tile.data is None:
            continue
        frame = _xyxy(tb)
        for det in tile.data.regions:
            if (db := _box(det)) is not None:
                regions.append(det)
                rel.append(_xyxy(db))
                frames.append(frame)
    scores = np.empty(len(regions))
    classes = np.empty(len(regions), dtype=np.int64)
    codes: dict[str, int] = {}
    top: list[list[Concept]] = []
    for k, det in enumerate(regions):
        concepts = det.data.concepts if det.data is not None else []
        best = max(concepts, key=lambda c: c.value) if concepts else None
        scores[k] = det.value if det.value is not None else (best.value if best else 1.0)
        classes[k] = codes.setdefault(best.id if best else "", len(codes))
        top.append([best] if best else [])
    boxes = geometry.to_outer(np.asarray(rel), np.asarray(frames))
    return Detections(regions, boxes, scores, classes, top)
