"""Drawing results on images: boxes, labels, scores, track ids and text, for people to look at.

``draw(image, data)`` renders one node's Data on a copy of the image; nested region data
(detections inside a crop or tile) is placed inside its region.  ``draw_result`` does this
for a workflow result; ``VideoDrawer`` writes drawn frames to a video file one at a time.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from engine.proto import Data, Point, Region, WorkflowResult

__all__ = ["VideoDrawer", "draw", "draw_result", "save_image"]

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


def _cv2() -> Any:
    import cv2

    return cv2


def _colour(key: str) -> tuple[int, int, int]:
    return _PALETTE[zlib.crc32(key.encode()) % len(_PALETTE)]


def _ascii(text: str) -> str:
    # OpenCV's Hershey fonts draw ASCII only; say so rather than draw '?' boxes silently
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


class _Style:
    def __init__(self, width: int, height: int) -> None:
        side = min(width, height)
        self.thickness = max(1, round(side / 320))
        self.scale = max(0.35, side / 900)
        self.font = _cv2().FONT_HERSHEY_SIMPLEX


def draw(image: np.ndarray, data: Data | None) -> np.ndarray:
    """A copy of ``image`` (BGR) with ``data``'s regions, concepts and text drawn on it."""
    from engine.media import to_bgr

    canvas = to_bgr(image).copy()
    if data is None:
        return canvas
    h, w = canvas.shape[:2]
    style = _Style(w, h)
    for region in data.regions:
        _draw_region(canvas, region, (0.0, 0.0, float(w), float(h)), style, 0)
    _draw_caption(canvas, data, style)
    return canvas


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
    colour = _colour(region.track_id or _top_concept_id(region) or "region")
    if rect is not None:
        x1, y1, x2, y2 = (round(v) for v in rect)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, style.thickness, cv2.LINE_AA)
        _label(canvas, _region_label(region), (x1, y1), colour, style)
        text = region.data.text.raw if region.data and region.data.text else None
        if text:
            _label(canvas, _short(text), (x1, y2), _BLACK, style, below=True)
    _draw_shape(canvas, region, parent, colour, style)
    inner = region.data.regions if region.data is not None else []
    if inner and rect is not None and depth < _MAX_DEPTH:
        crop = _crop_rect(region, rect, canvas.shape)
        for sub in inner:
            _draw_region(canvas, sub, crop, style, depth + 1)


def _draw_shape(
    canvas: np.ndarray, region: Region, parent: _Rect,
    colour: tuple[int, int, int], style: _Style,
) -> None:
    info = region.region_info
    if info is None:
        return
    cv2 = _cv2()
    x0, y0, x1, y1 = parent

    def to_px(p: Point) -> tuple[int, int]:
        return round(x0 + p.col * (x1 - x0)), round(y0 + p.row * (y1 - y0))

    if info.polygon is not None and info.polygon.points:
        pts = np.array([to_px(p) for p in info.polygon.points], dtype=np.int32)
        cv2.polylines(canvas, [pts], True, colour, style.thickness, cv2.LINE_AA)
    for p in [*([info.point] if info.point else []), *info.keypoint_locations]:
        cv2.circle(canvas, to_px(p), style.thickness * 3, colour, -1, cv2.LINE_AA)


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
    """Text on a filled box of ``colour`` above (or below) the point ``at``, kept on canvas."""
    if not text:
        return
    cv2 = _cv2()
    text = _ascii(text)
    (tw, th), base = cv2.getTextSize(text, style.font, style.scale, style.thickness)
    h, w = canvas.shape[:2]
    x = min(max(at[0], 0), max(w - tw - 2, 0))
    top = at[1] if below else at[1] - th - base - 2
    top = min(max(top, 0), max(h - th - base - 2, 0))
    cv2.rectangle(canvas, (x, top), (x + tw + 2, top + th + base + 2), colour, -1)
    ink = _BLACK if sum(colour) > 382 else _WHITE
    cv2.putText(canvas, text, (x + 1, top + th + 1), style.font, style.scale, ink,
                style.thickness, cv2.LINE_AA)


def _draw_caption(canvas: np.ndarray, data: Data, style: _Style) -> None:
    """Whole-image results (concepts, text) listed in the top-left corner."""
    top = sorted(data.concepts, key=lambda c: -c.value)[:5]
    lines = [f"{c.name or c.id} {c.value:.2f}" for c in top]
    if data.text is not None and data.text.raw:
        lines.append(_short(data.text.raw))
    y = 0
    for line in lines:
        _label(canvas, line, (0, y), _BLACK, style, below=True)
        y += int(30 * style.scale) + 2 * style.thickness + 4


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

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        cv2 = _cv2()
        self.path, self.size = Path(path), (int(size[0]), int(size[1]))
        codec = "MJPG" if self.path.suffix.lower() == ".avi" else "mp4v"
        self._writer = cv2.VideoWriter(
            str(self.path), cv2.VideoWriter_fourcc(*codec), float(fps), self.size
        )
        if not self._writer.isOpened():
            raise OSError(f"cannot write a video to {self.path}")
        self.frames = 0

    def write(self, frame: np.ndarray, data: Data | None = None) -> None:
        """Draw ``data`` on ``frame`` (BGR) and append it, resized to the video's size."""
        cv2 = _cv2()
        drawn = draw(frame, data)
        if (drawn.shape[1], drawn.shape[0]) != self.size:
            drawn = cv2.resize(drawn, self.size, interpolation=cv2.INTER_AREA)
        self._writer.write(drawn)
        self.frames += 1

    def close(self) -> None:
        self._writer.release()

    def __enter__(self) -> VideoDrawer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
