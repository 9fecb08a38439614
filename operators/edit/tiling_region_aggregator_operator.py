"""``tiling-region-aggregator-operator``: tile detections back onto the whole image."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from engine import (
    BaseParams,
    Context,
    Data,
    Operator,
    Region,
    geometry,
    register,
)
from operators.edit._detections import TileDetections, collect

__all__ = ["TilingRegionAggregatorOperator"]


@register
class TilingRegionAggregatorOperator(Operator):
    """Map the detections found in each tile back onto the full image and merge duplicates.

    Reads the tiles (``regions``, each with its box on the full image) and the detections
    nested in them (``regions[].data.regions``, boxes relative to the tile), as the executor
    leaves them after a detector ran on ``image-tiling-operator``'s output.  An object seen by
    several overlapping tiles is merged: ``nms`` keeps the best-scoring box, ``greedy_nmm``
    (SAHI's greedy non-maximum merging) grows it to the union of the boxes it absorbs.  Each
    output region keeps its top concept only.  Writes flat ``regions`` on the full image.
    """

    type_id = "tiling-region-aggregator-operator"

    class Params(BaseParams):
        nms_threshold: float = Field(
            0.5, ge=0, le=1, description="overlap above which two detections are the same object"
        )
        merge: Literal["nms", "greedy_nmm"] = Field(
            "nms",
            description="nms keeps the best box of each object; greedy_nmm grows it to the "
            "union of the duplicates it absorbs (SAHI)",
        )
        match_metric: Literal["iou", "ios"] = Field(
            "iou",
            description="overlap measure: intersection over union, or over the smaller box "
            "(ios also merges a box cut by a tile edge with its whole twin)",
        )
        class_agnostic: bool = Field(
            False, description="merge across concepts; by default only same-concept boxes merge"
        )

    reads: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.regions")
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.concepts")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._p = params

    def process(self, data: Data, ctx: Context) -> Data | None:
        dets = collect(data.regions)
        keep, boxes = self.merge(dets)
        xyxy = np.clip(boxes, 0.0, 1.0).tolist()
        regions = [_output(dets, k, box) for k, box in zip(keep.tolist(), xyxy, strict=True)]
        return data.model_copy(update={"regions": regions})

    def merge(self, dets: TileDetections) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the kept detections and their final boxes (fractions of the image)."""
        p = self._p
        classes = None if p.class_agnostic else dets.classes
        thr, metric = p.nms_threshold, p.match_metric
        if p.merge == "nms":
            keep, _ = geometry.greedy_match(dets.boxes, dets.scores, thr, metric, classes)
            return keep, dets.boxes[keep]
        return geometry.greedy_nmm(dets.boxes, dets.scores, thr, metric, classes)

def _output(dets: TileDetections, k: int, box: list[float]) -> Region:
    det = dets.regions[k]
    inner = det.data
    if inner is not None and len(inner.concepts) > 1:
        inner = inner.model_copy(update={"concepts": dets.top[k]})
    x1, y1, x2, y2 = box
    bb = {"top_row": y1, "left_col": x1, "bottom_row": y2, "right_col": x2}
    # the detector's id hashes the box relative to its tile: objects in different tiles can
    # share it, so the id is made again from the box on the full image
    label = dets.top[k][0].id if dets.top[k] else ""
    # one validation of a nested dict: a third cheaper than three constructors, per kept box
    return Region.model_validate(
        {
            "id": geometry.region_id(box, label),
            "region_info": {"bounding_box": bb},
            "data": inner,
            "value": float(dets.scores[k]),
            "track_id": det.track_id,
        }
    )
