"""Drawing results on images, for people to look at: boxes, labels (any script), scores,
track ids and their trails, counts, masks, polygons, keypoints and text.

``draw(image, data)`` renders one node's Data on a copy of the image; nested region data
(detections inside a crop or tile) is placed inside its region.  Labels never cover each
other: one that would is moved down (then up) until it is free.  ``draw_result`` does this
for a workflow result; ``VideoDrawer`` writes drawn frames to a video file one at a time and
draws each track's trail (its last centres).
"""

from __future__ import annotations

import zlib
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from engine import _drawshapes, _drawtext
from engine.proto import Data, Region, WorkflowResult

__all__ = ["TRAIL_LENGTH", "VideoDrawer", "draw", "draw_result", "save_image"]

# distinct, readable on photos (BGR); a label keeps its colour across frames
_PALETTE = (
    (56, 56, 255), (151, 157, 255), (31, 112, 255), (29, 178, 255), (49, 210, 207),
    (10, 249, 72), (23, 204, 146), (134, 219, 61), (211, 188, 0), (255, 149, 0),
    (255, 55, 0), (236, 24, 0), (255, 56, 132), (199, 55, 255), (133, 0, 82),
)
_WHITE = (255, 255, 255)
_BLACK = (0, 0, 0)
_MAX_TEXT = 48  # characters of region text shown; the rest is elided
_MAX_DEPTH = 4
_MAX_LABELS = 500  # labels placed without overlap per image; the rest go where they fall
TRAIL_LENGTH = 30  # centres of a track kept for its trail (sampled frames)
_Trails = dict[str, list[tuple[float, float]]]  # track_id -> centres in pixels, oldest first


def _cv2() -> Any:
    import cv2

    return cv2


def _colour(key: str) -> tuple[int, int, int]:
    return _PALETTE[zlib.crc32(key.encode()) % len(_PALETTE)]


class _Style:
    def __init__(self, width: int, height: int) -> None:
        side = min(width, height)
        self.thickness = max(1, round(side / 320))
        self.text = max(12.0, side / 28)  # label text height in pixels
        self.pad = max(1, round(self.text / 8))
        self.placed: list[tuple[int, int, int, int]] = []  # labels drawn so far (x1,y1,x2,y2)


def draw(image: np.ndarray, data: Data | None, trails: _Trails | None = None) -> np.ndarray:
    """A copy of ``image`` (BGR) with ``data``'s regions, concepts, text and counts drawn on
    it, and each track's trail from ``trails`` (track_id -> centres in pixels)."""
    from engine.media import to_bgr

    canvas = to_bgr(image).copy()
    if data is None:
        return canvas
    h, w = canvas.shape[:2]
    style = _Style(w, h)
    for track_id, centres in (trails or {}).items():
        _drawshapes.trail(canvas, centres, _colour(track_id), style.thickness)
    whole = (0.0, 0.0, float(w), float(h))
    for region in data.regions:  # masks first: boxes and labels stay readable on top
        _drawshapes.mask(canvas, region, whole, _colour(_key(region)))
    for region in sorted(data.regions, key=_top):  # top to bottom: labels settle downwards
        _draw_region(canvas, region, whole, style, 0)
    _draw_caption(canvas, data, style)
    _draw_counts(canvas, data, style)
    return canvas


def _key(region: Region) -> str:
    return region.track_id or _top_concept_id(region) or "region"


def _top(region: Region) -> float:
    bb = region.region_info.bounding_box if region.region_info else None
    return bb.top_row if bb is not None else 0.0


_Rect = tuple[float, float, float, float]  # x1, y1, x2, y2 in canvas pixels


def _region_rect(region: Region, parent: _Rect) -> _Rect | None:
    bb = region.region_info.bounding_box if region.region_info else None
    if bb is None:
        return None
    x0, y0, x1, y1 = parent
    pw, ph = x1 - x0, y1 - y0
    return (
        x0 + bb.left_col * pw, y0 + bb.top_row * ph,
        x0 + bb.right_col * pw, y0 + bb.bottom_row * ph,
    )


def _draw_region(
    canvas: np.ndarray, region: Region, parent: _Rect,
    style: _Style, depth: int,
) -> None:
    cv2 = _cv2()
    rect = _region_rect(region, parent)
    colour = _colour(_key(region))
    if depth > 0:
        _drawshapes.mask(canvas, region, parent, colour)
    if rect is not None:
        x1, y1, x2, y2 = (round(v) for v in rect)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, style.thickness, cv2.LINE_AA)
        _label(canvas, _region_label(region), (x1, y1), colour, style)
        text = region.data.text.raw if region.data and region.data.text else None
        if text:
            _label(canvas, _short(text), (x1, y2), _BLACK, style, below=True)
    _drawshapes.shapes(canvas, region, parent, colour, style.thickness)
    inner = region.data.regions if region.data is not None else []
    if inner and rect is not None and depth < _MAX_DEPTH:
        crop = _crop_rect(region, rect, canvas.shape)
        for sub in sorted(inner, key=_top):
            _draw_region(canvas, sub, crop, style, depth + 1)


def _crop_rect(
    region: Region, rect: tuple[float, ...], shape: tuple[int, ...]
) -> tuple[float, float, float, float]:
    """Where the region's crop lay in the image: nested boxes are fractions of the crop.

    A cropper may have grown the box by a margin and clipped it to the image; the crop's
    own size tells by how much, and clipping only ever shifts it back inside the image.
    """
    image = region.data.image if region.data else None
    info = image.image_info if image is not None else None
    if info is None or not info.width or not info.height:
        return (rect[0], rect[1], rect[2], rect[3])
    height, width = shape[:2]
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    x = min(max(cx - info.width / 2, 0.0), max(width - info.width, 0))
    y = min(max(cy - info.height / 2, 0.0), max(height - info.height, 0))
    return (x, y, x + info.width, y + info.height)


def _top_concept_id(region: Region) -> str | None:
    concepts = region.data.concepts if region.data else []
    return max(concepts, key=lambda c: c.value).id if concepts else None


def _region_label(region: Region) -> str:
    parts: list[str] = []
    concepts = region.data.concepts if region.data else []
    if concepts:
        top = max(concepts, key=lambda c: c.value)
        parts.append(f"{top.name or top.id} {top.value:.2f}")
    elif region.value is not None:
        parts.append(f"{region.value:.2f}")
    if region.track_id:
        parts.append(f"#{region.track_id}")
    return " ".join(parts)


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_TEXT else line[: _MAX_TEXT - 3] + "..."


def _label(
    canvas: np.ndarray, text: str, at: tuple[int, int], colour: tuple[int, int, int],
    style: _Style, below: bool = False,
) -> None:
    """Text on a filled box of ``colour`` above (or below) the point ``at``, kept on the
    canvas and off every label already drawn (moved down, then up, until it is free)."""
    if not text:
        return
    tw, th = _drawtext.text_size(text, style.text)
    bw, bh = tw + 2 * style.pad, th + 2 * style.pad
    h, w = canvas.shape[:2]
    x = min(max(at[0], 0), max(w - bw, 0))
    top = at[1] if below else at[1] - bh
    top = min(max(top, 0), max(h - bh, 0))
    top = _free_top(style.placed, x, top, bw, bh, h)
    if len(style.placed) < _MAX_LABELS:
        style.placed.append((x, top, x + bw, top + bh))
    _cv2().rectangle(canvas, (x, top), (x + bw - 1, top + bh - 1), colour, -1)
    ink = _BLACK if sum(colour) > 382 else _WHITE
    _drawtext.put_text(canvas, text, (x + style.pad, top + style.pad), style.text, ink)


def _free_top(
    placed: list[tuple[int, int, int, int]], x: int, top: int, bw: int, bh: int, h: int
) -> int:
    """The nearest top, searching down then up in steps of the label's height, at which a
    ``bw`` x ``bh`` label at ``x`` overlaps no placed label; ``top`` if there is none."""

    def free(t: int) -> bool:
        return all(x >= px2 or x + bw <= px1 or t >= py2 or t + bh <= py1
                   for px1, py1, px2, py2 in placed)

    if free(top):
        return top
    for step in range(1, max(h // max(bh, 1), 1) + 1):
        for t in (top + step * bh, top - step * bh):
            if 0 <= t <= h - bh and free(t):
                return t
    return top


def _draw_caption(canvas: np.ndarray, data: Data, style: _Style) -> None:
    """Whole-image results (concepts, text) listed in the top-left corner."""
    top = sorted(data.concepts, key=lambda c: -c.value)[:5]
    lines = [f"{c.name or c.id} {c.value:.2f}" for c in top]
    if data.text is not None and data.text.raw:
        lines.append(_short(data.text.raw))
    for line in lines:
        _label(canvas, line, (0, 0), _BLACK, style, below=True)


def _draw_counts(canvas: np.ndarray, data: Data, style: _Style) -> None:
    """object-counter's counts (``metadata.object_counts`` / ``object_count``), top right."""
    meta = data.metadata or {}
    counts = meta.get("object_counts")
    lines: list[str] = []
    if isinstance(counts, dict):
        lines = [f"{k}: {v}" for k, v in sorted(counts.items()) if _number(v)]
    total = meta.get("object_count")
    if _number(total):
        lines.insert(0, f"count: {total}")
    w = canvas.shape[1]
    for line in lines[:8]:
        tw, _ = _drawtext.text_size(line, style.text)
        _label(canvas, line, (w - tw - 2 * style.pad, 0), _BLACK, style, below=True)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def draw_result(result: WorkflowResult, node: str | int = -1) -> np.ndarray:
    """The result's input image with one node's output drawn (by node id or output index)."""
    data = result.input.data if result.input is not None else None
    if data is None or data.image is None:
        if data is not None and data.video is not None:
            raise ValueError(
                "a video result keeps no frames: draw frames as they are processed "
                "(VideoDrawer, or `opgraph run --draw out.mp4`)"
            )
        raise ValueError("the result's input has no image to draw on")
    if not data.image.has_pixels:
        raise ValueError("the result's input image has no pixels left to draw on")
    return draw(data.image.array, _output_data(result, node))


def _output_data(result: WorkflowResult, node: str | int) -> Data:
    if isinstance(node, int):
        if not result.outputs:
            raise ValueError("the result has no outputs")
        return result.outputs[node].data
    for out in result.outputs:
        if out.id == node:
            return out.data
    known = ", ".join(repr(o.id) for o in result.outputs)
    raise ValueError(f"no output from node {node!r} in this result (outputs: {known})")


def save_image(path: str | Path, image: np.ndarray) -> None:
    """Write ``image`` to ``path``; the format follows the extension (.png, .jpg, ...)."""
    cv2 = _cv2()
    try:
        ok = cv2.imwrite(str(path), image)
    except cv2.error as exc:  # an extension OpenCV has no writer for
        raise OSError(f"cannot write an image to {path}: {exc.err or exc}") from None
    if not ok:
        raise OSError(f"cannot write an image to {path}")


class VideoDrawer:
    """Writes frames, drawn with their Data, to a video file (``.mp4``; ``.avi`` as MJPG)."""

    def __init__(
        self, path: str | Path, fps: float, size: tuple[int, int],
        trail_length: int = TRAIL_LENGTH,
    ) -> None:
        cv2 = _cv2()
        self.path, self.size = Path(path), (int(size[0]), int(size[1]))
        codec = "MJPG" if self.path.suffix.lower() == ".avi" else "mp4v"
        self._writer = cv2.VideoWriter(
            str(self.path), cv2.VideoWriter_fourcc(*codec), float(fps), self.size
        )
        if not self._writer.isOpened():
            raise OSError(f"cannot write a video to {self.path}")
        self.frames = 0
        self.trail_length = trail_length
        self._trails: dict[str, deque[tuple[float, float]]] = {}
        self._last_seen: dict[str, int] = {}

    def write(self, frame: np.ndarray, data: Data | None = None) -> None:
        """Draw ``data`` on ``frame`` (BGR) with each track's trail, and append it, resized
        to the video's size."""
        cv2 = _cv2()
        drawn = draw(frame, data, self._update_trails(frame, data))
        if (drawn.shape[1], drawn.shape[0]) != self.size:
            drawn = cv2.resize(drawn, self.size, interpolation=cv2.INTER_AREA)
        self._writer.write(drawn)
        self.frames += 1

    def _update_trails(self, frame: np.ndarray, data: Data | None) -> _Trails:
        """Add this frame's track centres; the trails of the tracks seen in it (a track
        unseen for a trail's length is forgotten)."""
        h, w = frame.shape[:2]
        seen: set[str] = set()
        for region in data.regions if data is not None else []:
            rect = _region_rect(region, (0.0, 0.0, float(w), float(h)))
            if region.track_id is None or rect is None or self.trail_length < 2:
                continue
            trail = self._trails.setdefault(region.track_id, deque(maxlen=self.trail_length))
            trail.append(((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2))
            seen.add(region.track_id)
            self._last_seen[region.track_id] = self.frames
        for gone in [t for t, f in self._last_seen.items() if self.frames - f > self.trail_length]:
            del self._trails[gone], self._last_seen[gone]
        return {t: list(self._trails[t]) for t in seen}

    def close(self) -> None:
        self._writer.release()

    def __enter__(self) -> VideoDrawer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
