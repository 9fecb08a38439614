"""Text for drawings, in any script a TrueType font covers (OpenCV's fonts are ASCII only).

Labels are rendered with Pillow into a small coverage mask and blended onto the BGR canvas,
so a frame is never converted as a whole.  The font is DejaVu Sans, which matplotlib (a
dependency) ships: Latin, Greek, Cyrillic, Arabic, Hebrew and more.  Without it, Pillow's
own scalable font is used, and without FreeType, OpenCV's (ASCII only).
"""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["font_path", "put_text", "text_size"]

_log = logging.getLogger(__name__)
_DEJAVU = Path("mpl-data") / "fonts" / "ttf" / "DejaVuSans.ttf"
_MAX_SIZE = 200  # pixels: bounded however large a frame is


def font_path() -> Path | None:
    """DejaVu Sans inside the installed matplotlib package (found without importing it)."""
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / _DEJAVU
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=16)
def _font(size: int) -> Any:
    from PIL import ImageFont

    path = font_path()
    try:
        if path is not None:
            return ImageFont.truetype(str(path), size)
        _log.warning("DejaVu Sans (shipped with matplotlib) not found: labels use Pillow's font")
        return ImageFont.load_default(size)
    except (OSError, ImportError):  # a Pillow built without FreeType
        return None


def _clamp(size: float) -> int:
    return int(min(max(round(size), 6), _MAX_SIZE))


def text_size(text: str, size: float) -> tuple[int, int]:
    """Width and height in pixels of ``text`` drawn ``size`` pixels high (one line)."""
    font = _font(_clamp(size))
    if font is None:
        return _cv_size(text, size)
    left, _, right, _ = font.getbbox(text)
    ascent, descent = font.getmetrics()
    return max(int(right - min(left, 0)), 1), ascent + descent


def put_text(
    canvas: np.ndarray, text: str, at: tuple[int, int], size: float, ink: tuple[int, int, int]
) -> None:
    """Draw ``text`` with its top-left corner at ``at`` on the BGR ``canvas``, in place."""
    font = _font(_clamp(size))
    if font is None:
        _cv_put(canvas, text, at, size, ink)
        return
    from PIL import Image, ImageDraw

    w, h = text_size(text, size)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).text((0, 0), text, fill=255, font=font)
    _blend(canvas, np.asarray(mask, dtype=np.float32) / 255.0, at, ink)


def _blend(
    canvas: np.ndarray, alpha: np.ndarray, at: tuple[int, int], ink: tuple[int, int, int]
) -> None:
    """``ink`` over ``canvas`` where ``alpha`` (coverage, 0..1) says, clipped to the canvas."""
    x, y = at
    ch, cw = canvas.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + alpha.shape[1], cw), min(y + alpha.shape[0], ch)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    patch = canvas[y0:y1, x0:x1].astype(np.float32)
    colour = np.asarray(ink, dtype=np.float32)
    canvas[y0:y1, x0:x1] = (patch * (1 - a) + colour * a).round().astype(canvas.dtype)


def _cv_scale(size: float) -> float:
    return max(size, 6) / 30.0


def _cv_size(text: str, size: float) -> tuple[int, int]:
    import cv2

    (w, h), base = cv2.getTextSize(_ascii(text), cv2.FONT_HERSHEY_SIMPLEX, _cv_scale(size), 1)
    return w, h + base


def _cv_put(
    canvas: np.ndarray, text: str, at: tuple[int, int], size: float, ink: tuple[int, int, int]
) -> None:
    import cv2

    (_, h), _ = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, _cv_scale(size), 1)
    cv2.putText(canvas, _ascii(text), (at[0], at[1] + h), cv2.FONT_HERSHEY_SIMPLEX,
                _cv_scale(size), ink, 1, cv2.LINE_AA)


def _ascii(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)
