"""``region-thresholder``: filter region concepts per threshold, drop emptied regions."""

from __future__ import annotations

from typing import ClassVar

from engine import Context, Data, Operator, evolve, register
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

    def process(self, data: Data, ctx: Context) -> Data | None:
        # the hot loop of a detections filter: copies built without validation (evolve); a
        # region whose concepts all pass keeps its inner Data (outputs are never mutated in
        # place) and is copied itself, so a diamond's merge still sees two regions
        keep = self._filter
        regions = []
        for region in data.regions:
            inner = region.data
            if inner is None or not (kept := keep(inner.concepts)):
                continue
            if len(kept) < len(inner.concepts):
                inner = evolve(inner, concepts=kept)
            regions.append(evolve(region, data=inner))
        if not regions:
            return None
        return evolve(data, regions=regions)
