"""Pages of text drawn with the TrueType fonts matplotlib ships, for the OCR tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def font_file(name: str = "DejaVuSans.ttf") -> Path:
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / name


def text_page(
    lines: Sequence[str],
    size: int = 28,
    font: str = "DejaVuSans.ttf",
    angle: float = 0.0,
    margin: int = 24,
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Black lines on white (BGR) and each line's ink box (x1, y1, x2, y2) before turning."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font_file(font)), size)
    step = int(size * 1.8)
    width = max(int(face.getlength(t)) for t in lines) + 2 * margin
    page = Image.new("L", (width, len(lines) * step + 2 * margin), 255)
    draw = ImageDraw.Draw(page)
    boxes = []
    for i, text in enumerate(lines):
        xy = (margin, margin + i * step)
        draw.text(xy, text, fill=0, font=face)
        left, top, right, bottom = draw.textbbox(xy, text, font=face)
        boxes.append((left, top, right, bottom))
    if angle:
        page = page.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    gray = np.asarray(page)
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2)), boxes
