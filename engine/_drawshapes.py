"""The shapes ``engine.draw`` puts on a canvas besides boxes and labels: segmentation masks,
polygons, points and keypoints of a region, and a track's trail.

Every function draws in place on a BGR canvas; positions are fractions of ``parent`` (the
pixel rectangle the region lives in: the image, or the crop a nested region was found in).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from engine.errors import OpgraphError
from engine.proto import Point, Region

__all__ = ["mask", "shapes", "trail"]

_log = logging.getLogger(__name__)
_MASK_ALPHA = 0.45  # how strongly a mask tints what is under it
_Rect = tuple[float, float, float, float]
_BGR = tuple[int, int, int]


def _cv2() -> Any:
    import cv2

    return cv2


def mask(canvas: np.ndarray, region: Region, parent: _Rect, colour: _BGR) -> None:
    """Tint the region's mask (``region_info.mask.image``) and outline it."""
    info = region.region_info
    image = info.mask.image if info is not None and info.mask is not None else None
    if image is None or not image.has_pixels:
        return
    try:
        inside = _coverage(image.array)
    except (OpgraphError, ValueError) as exc:  # a bad mask costs the tint, not the drawing
        _log.warning("a region's mask could not be drawn: %s", exc)
        return
    bb = info.bounding_box if info is not None else None
    x0, y0, x1, y1 = parent
    if bb is not None:
        pw, ph = x1 - x0, y1 - y0
        x0, y0, x1, y1 = (x0 + bb.left_col * pw, y0 + bb.top_row * ph,
                          x0 + bb.right_col * pw, y0 + bb.bottom_row * ph)
    _paint(canvas, inside, (round(x0), round(y0), round(x1), round(y1)), colour)


def _coverage(pixels: np.ndarray) -> np.ndarray:
    """True where the mask is: any non-zero channel."""
    if pixels.ndim == 3:
        return np.asarray(pixels.max(axis=2) > 0)
    return np.asarray(pixels > 0)


def _paint(
    canvas: np.ndarray, inside: np.ndarray, rect: tuple[int, int, int, int], colour: _BGR
) -> None:
    cv2 = _cv2()
    x0, y0, x1, y1 = rect
    if x1 <= x0 or y1 <= y0:
        return
    scaled = cv2.resize(inside.astype(np.uint8), (x1 - x0, y1 - y0),
                        interpolation=cv2.INTER_NEAREST)
    h, w = canvas.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    part = scaled[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    window = canvas[cy0:cy1, cx0:cx1]
    tint = np.asarray(colour, dtype=np.float32)
    on = part.astype(bool)
    window[on] = (window[on] * (1 - _MASK_ALPHA) + tint * _MASK_ALPHA).round().astype(np.uint8)
    contours, _ = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(window, contours, -1, colour, 1, cv2.LINE_AA)


def shapes(
    canvas: np.ndarray, region: Region, parent: _Rect, colour: _BGR, thickness: int
) -> None:
    """The region's polygon (outlined), point and keypoints (dots ringed in black, joined
    by the skeleton its concept's ``keypoint_info`` gives; hidden keypoints are left out)."""
    info = region.region_info
    if info is None:
        return
    cv2 = _cv2()
    x0, y0, x1, y1 = parent

    def to_px(p: Point) -> tuple[int, int]:
        return round(x0 + p.col * (x1 - x0)), round(y0 + p.row * (y1 - y0))

    if info.polygon is not None and info.polygon.points:
        pts = np.array([to_px(p) for p in info.polygon.points], dtype=np.int32)
        cv2.polylines(canvas, [pts], True, colour, thickness, cv2.LINE_AA)
    located = info.keypoint_locations
    for k1, k2 in _skeleton(region, len(located)):
        if _seen(located[k1]) and _seen(located[k2]):
            cv2.line(canvas, to_px(located[k1]), to_px(located[k2]), colour, thickness,
                     cv2.LINE_AA)
    radius = thickness * 3
    for p in [*([info.point] if info.point else []), *located]:
        if not _seen(p):
            continue
        centre = to_px(p)
        cv2.circle(canvas, centre, radius + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(canvas, centre, radius, colour, -1, cv2.LINE_AA)


def _seen(p: Point) -> bool:
    return p.visibility not in ("NOT_VISIBLE", "NOT_PRESENT")


def _skeleton(region: Region, n: int) -> list[tuple[int, int]]:
    """The edges joining the region's keypoints: its first concept's ``keypoint_info``."""
    concepts = region.data.concepts if region.data is not None else []
    info = next((c.keypoint_info for c in concepts if c.keypoint_info is not None), None)
    if info is None:
        return []
    return [(e.k1, e.k2) for e in info.skeleton if e.k1 < n and e.k2 < n]


def trail(
    canvas: np.ndarray, centres: list[tuple[float, float]], colour: _BGR, thickness: int
) -> None:
    """A track's last centres (oldest first) joined by a line that thickens towards now."""
    if len(centres) < 2:
        return
    cv2 = _cv2()
    pts = [(round(x), round(y)) for x, y in centres]
    for k in range(1, len(pts)):
        width = max(1, round(thickness * 3 * k / len(pts)))
        cv2.line(canvas, pts[k - 1], pts[k], colour, width, cv2.LINE_AA)
