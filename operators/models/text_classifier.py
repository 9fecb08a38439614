"""``text-classifier``: a text's concepts, from a user's ONNX export or zero-shot."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from engine import ConceptSpec, Context, Data, InputError, JsonObject, Operator, register
from operators.models._common import keep_concepts
from operators.models._tokenized import (
    TokenizedModel,
    TokenizedParams,
    activate,
    labels_beside,
)
from operators.models.text_embedder import TextEmbedder

__all__ = ["TextClassifier"]


@register
class TextClassifier(Operator):
    """Classifies ``text.raw`` and outputs its concepts, best first.

    ``model: onnx`` runs a user's BERT-style sequence-classification export
    (``input_ids``, ``attention_mask``, ``token_type_ids`` -> ``[1, C]`` logits) with its
    Hugging Face ``tokenizer.json``; ``labels`` name the classes and ``activation`` turns
    logits into scores (``sigmoid`` for multi-label models); ``concepts``
    (``output_info.data.concepts``) may name the classes instead.  ``model: zero-shot`` needs no
    model file: each of ``concepts`` (their names, put into ``template``) is embedded with
    the same text embedder as the text, and a concept's score is its cosine similarity
    mapped to [0, 1] (as search scores are), so the nearest concept wins.  The embedder is
    a ``text-embedder`` with ``embedder`` params, or, with ``embedder: {source: app}``, the
    app's base workflow (the workflow must then run in an app).  Filtered by
    ``min_value``, ``select_concepts`` and ``max_concepts``.

    Reads ``text``; writes ``concepts``.
    """

    type_id = "text-classifier"
    uses_app = True  # reads or writes the App through ctx.app: never in worker processes

    class Params(TokenizedParams):
        model: Literal["onnx", "zero-shot"] = Field(
            "onnx", description="a user's ONNX export, or zero-shot over a text embedder"
        )
        max_concepts: int = Field(20, ge=1, le=1000, description="keep at most this many concepts")
        concepts: list[ConceptSpec] = Field(
            default_factory=list,
            max_length=1000,
            description="zero-shot: the candidate concepts; onnx: the classes, if no labels",
        )
        template: str = Field(
            "{}", max_length=1000, description="zero-shot: the text embedded per concept name"
        )
        embedder: JsonObject = Field(
            default_factory=dict,
            description="zero-shot: text-embedder params, or {source: app} for the app's",
        )

        @model_validator(mode="after")
        def _fits_model(self) -> TextClassifier.Params:
            if self.model == "onnx":
                if self.model_path is None:
                    raise ValueError("model 'onnx' needs 'model_path' (or use model: zero-shot)")
                stray = {"embedder", "template"} & self.model_fields_set
                if stray:
                    raise ValueError(f"{sorted(stray)[0]!r} applies only to model 'zero-shot'")
                if self.concepts and self.labels:
                    raise ValueError("give the classes as 'labels' or as 'concepts', not both")
                return self
            if not self.concepts:
                raise ValueError("zero-shot needs 'concepts' (output_info.data.concepts)")
            if "{}" not in self.template:
                raise ValueError("'template' must contain {} where the concept name goes")
            if self.model_path is not None:
                raise ValueError("'model_path' applies only to model 'onnx'")
            embedder = dict(self.embedder)
            if embedder.pop("source", "node") == "app":
                if embedder:
                    raise ValueError("embedder {source: app} takes no other params")
            else:
                TextEmbedder.Params.model_validate(embedder)  # its mistakes, named, now
            return self

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("concepts",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: TextClassifier.Params = params
        self._model = TokenizedModel(params) if params.model == "onnx" else None
        self._names = list(params.labels)
        if self._model is not None and not params.labels and not params.concepts:
            assert params.model_path is not None
            self._names = labels_beside(params.model_path)
        self._ids = [c.id or c.name for c in params.concepts]
        self._phrases = [params.template.replace("{}", c.name or c.id) for c in params.concepts]
        embedder = dict(params.embedder)
        self._from_app = embedder.pop("source", "node") == "app"
        self._embedder: TextEmbedder | None = None
        self._targets: np.ndarray | None = None
        if params.model == "zero-shot" and not self._from_app:
            self._embedder = TextEmbedder(TextEmbedder.Params.model_validate(embedder))
            self._targets = self._embedder.embed_many(self._phrases).astype(np.float64)

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("text-classifier needs text.raw; this input has no text")
        if self._model is not None:
            logits = self._model.logits(self._model.encode(data.text.raw)).reshape(-1)
            scores = activate(logits, self.params.activation)
            labels = [self._label(i) for i in range(len(scores))]
        else:
            scores, labels = self._zero_shot(data.text.raw, ctx), self._ids
        return Data(concepts=keep_concepts(scores, labels, self.params, self.params.max_concepts))

    def _zero_shot(self, text: str, ctx: Context) -> np.ndarray:
        if self._embedder is not None and self._targets is not None:
            query = self._embedder.embed(text).astype(np.float64)
            targets = self._targets
        else:
            targets, query = self._app_vectors(text, ctx)
        cosine = targets @ query
        return np.clip((1.0 + cosine) / 2.0, 0.0, 1.0)

    def _app_vectors(self, text: str, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
        app: Any = ctx.app
        if app is None or not hasattr(app, "embed"):
            raise InputError(
                "text-classifier with embedder {source: app} runs in an app "
                "(app.predict(...) or opgraph run --app APP)"
            )
        cache: dict[str, np.ndarray] = ctx.state.setdefault("targets", {})
        key = str(getattr(app, "path", id(app)))
        if key not in cache:  # the concept names, embedded once per stream
            cache[key] = np.stack([_embed(app, p) for p in self._phrases])
        return cache[key], _embed(app, text)

    def _label(self, i: int) -> str:
        names = self._names or self._ids
        return names[i] if i < len(names) else str(i)


def _embed(app: Any, text: str) -> np.ndarray:
    return np.asarray(app.embed(Data.model_validate({"text": {"raw": text}})), dtype=np.float64)
