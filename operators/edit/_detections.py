"""Detections nested in tile regions, flattened into arrays on the full image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import Concept, Region, geometry

__all__ = ["TileDetections", "collect"]


@dataclass(frozen=True)
class TileDetections:
    """Not ``operators.models``' Detections (a model's raw output): these keep the regions."""

    regions: list[Region]  # the detections as the detector wrote them
    boxes: np.ndarray  # (N, 4) xyxy fractions of the full image
    scores: np.ndarray  # region value, else its top concept's value
    classes: np.ndarray  # an integer per top concept id
    top: list[list[Concept]]  # the top concept of each detection ([] if it has none)


def collect(tiles: list[Region]) -> TileDetections:
    """Every boxed detection under every boxed tile, mapped onto the full image."""
    regions: list[Region] = []
    rel: list[tuple[float, float, float, float]] = []
    frames: list[tuple[float, float, float, float]] = []
    # plain loops with attributes read inline: this runs for every detection of every tile
    for tile in tiles:
        tb = tile.region_info.bounding_box if tile.region_info is not None else None
        if tb is None or tile.data is None:
            continue
        frame = (tb.left_col, tb.top_row, tb.right_col, tb.bottom_row)
        for det in tile.data.regions:
            info = det.region_info
            if info is not None and (db := info.bounding_box) is not None:
                regions.append(det)
                rel.append((db.left_col, db.top_row, db.right_col, db.bottom_row))
                frames.append(frame)
    scores, classes, top = _scores_and_classes(regions)
    boxes = geometry.to_outer(np.asarray(rel), np.asarray(frames))
    return TileDetections(regions, boxes, scores, classes, top)


def _scores_and_classes(
    regions: list[Region],
) -> tuple[np.ndarray, np.ndarray, list[list[Concept]]]:
    """Each detection's score (its value, else its top concept's) and top concept."""
    scores: list[float] = []
    classes: list[int] = []
    top: list[list[Concept]] = []
    codes: dict[str, int] = {}
    for det in regions:
        concepts = det.data.concepts if det.data is not None else []
        best = _best(concepts)
        scores.append(det.value if det.value is not None else (best.value if best else 1.0))
        classes.append(codes.setdefault(best.id if best else "", len(codes)))
        top.append([best] if best else [])
    return np.asarray(scores, dtype=np.float64), np.asarray(classes, dtype=np.int64), top


def _best(concepts: list[Concept]) -> Concept | None:
    if len(concepts) < 2:  # detectors usually give one concept per region
        return concepts[0] if concepts else None
    return max(concepts, key=_value)


def _value(c: Concept) -> float:
    return c.value
