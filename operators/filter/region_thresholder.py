"""``region-thresholder``: filter region concepts per threshold, drop emptied regions."""

from __future__ import annotations

from typing import ClassVar

from engine import Context, Data, Operator, Region, register
from operators.filter._threshold import ConceptFilter, ThresholdParams

__all__ = ["RegionThresholder"]


@register
class RegionThresholder(Operator):
    """Thresholds the concepts of every region; a region left without concepts is removed.

    A region keeps its box, id, track id and other data; only its concept list shrinks.
    When no region is left, the branch stops for this input (or this video frame).

    Reads ``regions[].data.concepts``; writes ``regions[].data.concepts``.
    """

    type_id = "region-thresholder"

    class Params(ThresholdParams):
        pass

    reads: ClassVar[tuple[str, ...]] = ("regions[].data.concepts",)
    writes: ClassVar[tuple[str, ...]] = ("regions[].data.concepts", "*")  # "*": rest passes

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._filter = ConceptFilter(params.concepts, params.concept_threshold_type)

    def _threshold_region(self, region: Region) -> Region | None:
        if region.data is None:
            return None
        kept = self._filter(region.data.concepts)
        if not kept:
            return None
        return region.model_copy(update={"data": region.data.model_copy(update={"concepts": kept})})

    def process(self, data: Data, ctx: Context) -> Data | None:
        regions = [r for r in map(self._threshold_region, data.regions) if r is not None]
        if not regions:
            return None
        return data.model_copy(update={"regions": regions})
