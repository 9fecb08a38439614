"""``object-counter``: count the regions of the active concepts into ``metadata``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine import BaseParams, ConceptSpec, Context, Data, Operator, Region, evolve, register

__all__ = ["ObjectCounter"]


@register
class ObjectCounter(Operator):
    """Counts the regions of an input (or of one video frame) that carry an active concept.

    ``metadata.object_count`` is the number of regions with at least one active concept,
    as in Clarifai's output; ``metadata.object_counts`` breaks it down by concept id (a
    region with two active concepts counts once in the total and once under each).  With no
    concepts configured every concept is active.  A concept's ``value`` is not a threshold
    here: put a region-thresholder in front to count only confident regions.

    Reads ``regions[].data.concepts``; writes ``metadata`` (the rest passes through).
    """

    type_id = "object-counter"

    class Params(BaseParams):
        concepts: list[ConceptSpec] = Field(
            default_factory=list, description="concepts whose regions are counted; empty: all"
        )

    reads: ClassVar[tuple[str, ...]] = ("regions[].data.concepts",)
    writes: ClassVar[tuple[str, ...]] = ("metadata", "*")  # "*": the rest passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._specs = params.concepts

    def _active_ids(self, region: Region) -> list[str]:
        concepts = region.data.concepts if region.data is not None else []
        if not self._specs:
            if len(concepts) == 1:  # a detector's region: one concept
                return [concepts[0].id or concepts[0].name or ""]
            return list(dict.fromkeys(c.id or c.name or "" for c in concepts))
        ids = (c.id or c.name or "" for c in concepts if self._is_active(c.id, c.name))
        return list(dict.fromkeys(ids))

    def _is_active(self, concept_id: str, name: str | None) -> bool:
        return any(spec.matches(concept_id, name) for spec in self._specs)

    def process(self, data: Data, ctx: Context) -> Data | None:
        total = 0
        by_concept: dict[str, int] = {}
        for region in data.regions:
            ids = self._active_ids(region)
            total += bool(ids) or not self._specs
            for cid in ids:
                by_concept[cid] = by_concept.get(cid, 0) + 1
        metadata = {**(data.metadata or {}), "object_count": total, "object_counts": by_concept}
        # a new dict of plain ints and strings: valid as it is, the rest passes through
        return evolve(data, metadata=metadata)
