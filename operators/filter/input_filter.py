"""``input-filter``: stop the branch for workflow inputs that do not match a filter."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from engine import BaseParams, ConceptSpec, Context, Data, JsonObject, Operator, register

__all__ = ["InputFilter"]

InputType = Literal["image", "video", "text", "audio"]


def _contains(have: Any, want: Any) -> bool:
    """True when ``want`` is a sub-document of ``have`` (Clarifai's metadata filter rule)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(
            k in have and _contains(have[k], v) for k, v in want.items()
        )
    return bool(have == want)


@register
class InputFilter(Operator):
    """Lets the Data through only when the workflow input matches every given criterion.

    The criteria are judged on the workflow input itself (``ctx.root``), whatever node feeds
    this one, because that is what "input" means in Clarifai's filter: its type, the
    metadata it was added with, and the concepts it was labelled with.  An empty criterion
    is not applied, so a node with no params passes everything.

    Reads anything; writes nothing (the Data passes through unchanged or not at all).
    """

    type_id = "input-filter"

    class Params(BaseParams):
        input_types: list[InputType] = Field(
            default_factory=list,
            description="input kinds that pass (image, video, text, audio); empty: any kind",
        )
        metadata: JsonObject = Field(
            default_factory=dict,
            description="key/values the input's metadata must contain (nested dicts match "
            "as subsets); empty: no metadata rule",
        )
        concepts: list[ConceptSpec] = Field(
            default_factory=list,
            description="the input passes when it carries one of these concepts with a value "
            ">= the listed value (default 1.0: labelled as present; 0..1); empty: no concept "
            "rule",
        )

        @field_validator("concepts")
        @classmethod
        def _named_in_range(cls, value: list[ConceptSpec]) -> list[ConceptSpec]:
            for spec in value:
                if not (spec.id or spec.name):
                    raise ValueError("every concept needs an id or a name")
                if not 0.0 <= spec.value <= 1.0:
                    label = spec.id or spec.name
                    raise ValueError(f"concept '{label}': value {spec.value} is not within 0..1")
            return value

    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ("*",)  # "*": the Data passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._types = frozenset(params.input_types)
        self._metadata = params.metadata
        self._concepts = params.concepts

    def _type_ok(self, root: Data, ctx: Context) -> bool:
        if not self._types:
            return True
        # A video runs frame by frame with the frame as ctx.root: it is still a video input.
        in_video = root.video is not None or ctx.frame_index is not None
        present = {
            "image": root.image is not None and not in_video,
            "video": in_video,
            "text": root.text is not None,
            "audio": root.audio is not None,
        }
        return any(present[k] for k in self._types)

    def _concepts_ok(self, root: Data) -> bool:
        if not self._concepts:
            return True
        return any(
            spec.matches(c.id, c.name) and c.value >= spec.value
            for spec in self._concepts
            for c in root.concepts
        )

    def process(self, data: Data, ctx: Context) -> Data | None:
        root = ctx.root
        if self._metadata and not _contains(root.metadata or {}, self._metadata):
            return None
        if not (self._type_ok(root, ctx) and self._concepts_ok(root)):
            return None
        return data
