"""Per-concept thresholds shared by concept-thresholder and region-thresholder.

Clarifai's thresholders take a list of concepts (``output_info.data.concepts``, each
``value`` being that concept's threshold) and one comparison for all of them,
``concept_threshold_type``.  Only the listed concepts can pass; a concept the list does
not name has no threshold and is dropped.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import Field, field_validator

from engine import BaseParams, Concept, ConceptSpec

__all__ = ["ConceptFilter", "ThresholdParams", "ThresholdType"]

ThresholdType = Literal[
    "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL"
]

# Clarifai's ValueComparator enum numbers, which its gRPC examples put in params.
_ENUM_NUMBERS: dict[int, str] = {
    1: "GREATER_THAN",
    2: "GREATER_THAN_OR_EQUAL",
    3: "LESS_THAN",
    4: "LESS_THAN_OR_EQUAL",
    5: "EQUAL",
}
_SYMBOLS: dict[str, str] = {
    ">": "GREATER_THAN",
    ">=": "GREATER_THAN_OR_EQUAL",
    "=": "EQUAL",
    "==": "EQUAL",
    "<": "LESS_THAN",
    "<=": "LESS_THAN_OR_EQUAL",
}
# Scores travel as float32 in Clarifai's proto, so 0.95 comes back as 0.949999988.
_EQUAL_TOLERANCE = 1e-6


def _equal(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.0, abs_tol=_EQUAL_TOLERANCE)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GREATER_THAN": operator.gt,
    "GREATER_THAN_OR_EQUAL": operator.ge,
    "EQUAL": _equal,
    "LESS_THAN": operator.lt,
    "LESS_THAN_OR_EQUAL": operator.le,
}


class ThresholdParams(BaseParams):
    """Params of both thresholders (Clarifai's names)."""

    concepts: list[ConceptSpec] = Field(
        min_length=1,
        description="concepts that may pass, each with its threshold in `value` (required, "
        "0..1); "
        "concepts not listed are dropped",
    )
    concept_threshold_type: ThresholdType = Field(
        default="GREATER_THAN",
        description="how a concept's score is compared with its threshold",
    )

    @field_validator("concept_threshold_type", mode="before")
    @classmethod
    def _accept_enum_numbers(cls, value: Any) -> Any:
        # Clarifai's API clients send the ValueComparator number or the name; its Struct
        # params turn numbers into doubles (1.0), and YAML/JSON may quote them ("1").
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool):
            return _ENUM_NUMBERS.get(value, value)
        if isinstance(value, str):
            return _SYMBOLS.get(value.strip(), value.strip().upper())
        return value

    @field_validator("concepts")
    @classmethod
    def _named(cls, value: list[ConceptSpec]) -> list[ConceptSpec]:
        for spec in value:
            if not (spec.id or spec.name):
                raise ValueError("every concept needs an id or a name")
            label = spec.id or spec.name
            # ConceptSpec.value defaults to 1.0, which no score is GREATER_THAN: a silent
            # "nothing passes".  A threshold must be written out.
            if "value" not in spec.model_fields_set:
                raise ValueError(f"concept '{label}' needs a threshold: give its 'value' (0..1)")
            if not 0.0 <= spec.value <= 1.0:
                raise ValueError(f"concept '{label}': value {spec.value} is not within 0..1")
        return value


class ConceptFilter:
    """Keeps the concepts that pass their threshold; built once per node."""

    def __init__(self, specs: Sequence[ConceptSpec], threshold_type: str) -> None:
        self._by_id = {s.id: s.value for s in specs if s.id}
        self._by_name = {s.name: s.value for s in specs if not s.id and s.name}
        self._passes = _COMPARE[threshold_type]

    def __call__(self, concepts: Sequence[Concept]) -> list[Concept]:
        # The hot loop of the cheapest, most common node: locals and one dict lookup each.
        by_id, by_name, passes = self._by_id, self._by_name, self._passes
        kept = []
        for concept in concepts:
            threshold = by_id.get(concept.id)
            if threshold is None and by_name:
                threshold = by_name.get(concept.name or "")
            if threshold is not None and passes(concept.value, threshold):
                kept.append(concept)
        return kept
