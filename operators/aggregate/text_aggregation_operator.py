"""``text-aggregation-operator``: join OCR region texts into one text in reading order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from pydantic import Field

from engine import BaseParams, Context, Data, Operator, Region, Text, geometry, register

__all__ = ["TextAggregationOperator"]


@dataclass
class _Line:
    words: list[str]
    left: float
    right: float
    cy: float  # centre of the last word: follows a line that slopes a little
    centres: list[float] = field(default_factory=list)

    @property
    def mean_cy(self) -> float:
        return sum(self.centres) / len(self.centres)


@register
class TextAggregationOperator(Operator):
    """Orders the texts of ``regions[].data.text`` left to right, top to bottom, and joins them.

    Words become lines greedily, scanning left to right: a word joins the line whose
    vertical centre is within half of ``avg_word_height_window_factor`` x (average word
    height) of its own centre and whose right end is at most
    ``avg_word_width_window_factor`` x (average word width) to its left; otherwise it
    starts a line.  Larger gaps therefore split columns.  Lines are then read top to
    bottom, and lines at the same height left to right.  Words are joined by spaces,
    lines by newlines.  Regions with text but no box follow, in their input order.

    Reads ``regions[].data.text``; writes ``text`` (the rest of the Data passes through).
    """

    type_id = "text-aggregation-operator"

    class Params(BaseParams):
        avg_word_width_window_factor: float = Field(
            default=2.0,
            gt=0,
            description="largest gap between words of one line, in average word widths",
        )
        avg_word_height_window_factor: float = Field(
            default=1.0,
            gt=0,
            description="height of the window a line's words fall in, in average word heights",
        )

    reads: ClassVar[tuple[str, ...]] = ("regions[].data.text",)
    writes: ClassVar[tuple[str, ...]] = ("text", "*")  # "*": the rest passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._width_factor = params.avg_word_width_window_factor
        self._height_factor = params.avg_word_height_window_factor

    def process(self, data: Data, ctx: Context) -> Data | None:
        boxed, loose = _texts(data.regions)
        lines = self._lines(boxed) if boxed else []
        body = [" ".join(line.words) for line in lines] + loose
        return data.model_copy(update={"text": Text(raw="\n".join(body))})

    def _lines(self, boxed: list[tuple[str, Region]]) -> list[_Line]:
        boxes = geometry.boxes_from_proto(
            [r.region_info.bounding_box if r.region_info else None for _, r in boxed]
        )
        centres = geometry.centroids(boxes)[:, 1]
        half_height = self._height_factor * float(np.mean(boxes[:, 3] - boxes[:, 1])) / 2
        max_gap = self._width_factor * float(np.mean(boxes[:, 2] - boxes[:, 0]))
        lines: list[_Line] = []
        for i in np.argsort(boxes[:, 0], kind="stable"):
            x1, _, x2, _ = boxes[i]
            cy = float(centres[i])
            near = [
                ln for ln in lines if abs(ln.cy - cy) <= half_height and x1 - ln.right <= max_gap
            ]
            if near:
                line = min(near, key=lambda ln: abs(ln.cy - cy))
                line.words.append(boxed[i][0])
                line.right, line.cy = max(line.right, float(x2)), cy
                line.centres.append(cy)
            else:
                lines.append(_Line([boxed[i][0]], float(x1), float(x2), cy, [cy]))
        return _reading_order(lines, half_height)


def _texts(regions: list[Region]) -> tuple[list[tuple[str, Region]], list[str]]:
    """(text, region) pairs with a box, and the texts of regions without one."""
    boxed: list[tuple[str, Region]] = []
    loose: list[str] = []
    for region in regions:
        text = region.data.text.raw if region.data and region.data.text else None
        if not text or not text.strip():
            continue
        info = region.region_info
        if info is not None and info.bounding_box is not None:
            boxed.append((text.strip(), region))
        else:
            loose.append(text.strip())
    return boxed, loose


def _reading_order(lines: list[_Line], half_height: float) -> list[_Line]:
    """Top to bottom; lines whose centres are within one window of each other, left to right."""
    ordered: list[_Line] = []
    row: list[_Line] = []
    for line in sorted(lines, key=lambda ln: ln.mean_cy):
        if row and line.mean_cy - row[0].mean_cy > half_height:
            ordered += sorted(row, key=lambda ln: ln.left)
            row = []
        row.append(line)
    return ordered + sorted(row, key=lambda ln: ln.left)
