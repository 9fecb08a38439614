"""``concept-thresholder``: keep the concepts whose score passes their threshold."""

from __future__ import annotations

from typing import ClassVar

from engine import Context, Data, Operator, evolve, register
from operators.filter._threshold import ConceptFilter, ThresholdParams

__all__ = ["ConceptThresholder"]


@register
class ConceptThresholder(Operator):
    """Compares each concept's score with the threshold listed for it.

    Concepts that pass go on; concepts that fail, and concepts the node does not list,
    are dropped.  When no concept passes, the branch stops for this input, which is how
    Clarifai's auto-annotation workflows route inputs.  Everything else in the Data
    passes through unchanged.

    Reads ``concepts``; writes ``concepts``.
    """

    type_id = "concept-thresholder"

    class Params(ThresholdParams):
        pass

    reads: ClassVar[tuple[str, ...]] = ("concepts",)
    writes: ClassVar[tuple[str, ...]] = ("concepts", "*")  # "*": the rest passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._filter = ConceptFilter(params.concepts, params.concept_threshold_type)

    def process(self, data: Data, ctx: Context) -> Data | None:
        kept = self._filter(data.concepts)
        if not kept:
            return None
        return evolve(data, concepts=kept)
