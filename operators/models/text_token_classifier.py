"""``text-token-classifier``: a concept per token (named entities), from a user's ONNX export."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from engine import Context, Data, InputError, Operator, Region, RegionInfo, Text, register
from operators.models._common import keep_concepts
from operators.models._tokenized import (
    TokenizedModel,
    TokenizedParams,
    activate,
    labels_beside,
)

__all__ = ["TextTokenClassifier"]


@register
class TextTokenClassifier(Operator):
    """Labels each token of ``text.raw`` with a user's BERT-style token-classification export.

    The export (``input_ids``, ``attention_mask``, ``token_type_ids`` -> ``[1, T, C]``
    logits) runs with its Hugging Face ``tokenizer.json``; each token that is not a special
    one (``[CLS]``, ``[SEP]``) becomes a region whose ``region_info.span`` gives its
    characters in the text (``char_start``, ``char_end``, ``raw_text``) and whose concepts
    are its best labels (``max_concepts``, 1 by default: ``B-LOC``, ``I-PER``, ...).
    Tokens whose best label is in ``skip_labels`` (``O``) are left out.  Text past
    ``max_length`` tokens is not labelled.  ``tokens-to-entity-operator`` merges the
    tokens into entities.

    Reads ``text``; writes ``regions`` with ``region_info.span`` and ``data.concepts``.
    """

    type_id = "text-token-classifier"

    class Params(TokenizedParams):
        max_concepts: int = Field(1, ge=1, le=1000, description="labels kept per token")
        skip_labels: list[str] = Field(
            default_factory=lambda: ["O"], description="tokens whose best label is one of these"
        )

        @model_validator(mode="after")
        def _needs_model(self) -> TextTokenClassifier.Params:
            if self.model_path is None:
                raise ValueError("text-token-classifier needs 'model_path' (an ONNX export)")
            return self

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.concepts")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: TextTokenClassifier.Params = params
        self._model = TokenizedModel(params)
        assert params.model_path is not None
        self._names = list(params.labels) or labels_beside(params.model_path)

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("text-token-classifier needs text.raw; this input has no text")
        text = data.text.raw
        enc = self._model.encode(text)
        scores = activate(self._model.logits(enc), self.params.activation)
        if scores.ndim != 2 or scores.shape[0] != len(enc.ids):
            raise ValueError(
                f"a token classifier's output is [1, tokens, classes]; got {scores.shape} "
                f"for {len(enc.ids)} tokens"
            )
        labels = [self._label(i) for i in range(scores.shape[1])]
        regions = []
        for k, ((start, end), special) in enumerate(zip(enc.offsets, enc.special, strict=True)):
            if special or end <= start:
                continue
            concepts = keep_concepts(scores[k], labels, self.params, self.params.max_concepts)
            if not concepts or concepts[0].id in self.params.skip_labels:
                continue
            span = {"char_start": start, "char_end": end, "raw_text": text[start:end]}
            regions.append(
                Region(
                    id=f"token-{k}",
                    region_info=RegionInfo.model_validate({"span": span}),
                    data=Data(concepts=concepts, text=Text(raw=text[start:end])),
                )
            )
        return Data(regions=regions)

    def _label(self, i: int) -> str:
        return self._names[i] if i < len(self._names) else str(i)
