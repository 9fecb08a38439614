"""Shared builders for test Data: small, explicit, no files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from engine import BoundingBox, Concept, Data, Frame, FrameInfo, Image, Region, RegionInfo, Text


def concepts(pairs: dict[str, float] | Iterable[tuple[str, float]]) -> list[Concept]:
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [Concept(id=cid, name=cid, value=v) for cid, v in items]


def region(
    box: Sequence[float] = (0.1, 0.1, 0.5, 0.5),
    concept_values: dict[str, float] | None = None,
    *,
    value: float | None = None,
    track_id: str | None = None,
    region_id: str | None = None,
) -> Region:
    """A region with an xyxy fractional box and optional concepts."""
    x1, y1, x2, y2 = box
    return Region(
        id=region_id,
        region_info=RegionInfo(
            bounding_box=BoundingBox(top_row=y1, left_col=x1, bottom_row=y2, right_col=x2)
        ),
        data=Data(concepts=concepts(concept_values or {})),
        value=value,
        track_id=track_id,
    )


def text_data(raw: str) -> Data:
    return Data(text=Text(raw=raw))


def image_array(
    width: int = 64, height: int = 48, color: tuple[int, int, int] = (40, 80, 120)
) -> np.ndarray:
    img = np.zeros((height, width, 3), dtype=np.uint8)
    img[:] = color
    return img


def image_data(width: int = 64, height: int = 48, regions: list[Region] | None = None) -> Data:
    return Data(image=Image.from_array(image_array(width, height)), regions=regions or [])


def frame(index: int, regions: list[Region], time_ms: int | None = None) -> Frame:
    return Frame(
        frame_info=FrameInfo(
            index=index, time=time_ms if time_ms is not None else index * 1000, number=index
        ),
        data=Data(regions=regions),
    )
