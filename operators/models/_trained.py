"""What the nodes of models trained in an app share: their params and how they score.

Such a node runs the app's model of its own ``model_id`` (the version the node names, else
the newest) on embeddings: the ones it receives (an embedder upstream, per input or per
region), else the app's base workflow's embedding of the input, as training saw it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, ValidationInfo, model_validator

from engine import BaseParams, Concept, ConceptSpec, Context, Data, InputError, Region

__all__ = ["TrainedParams", "score_data"]


class TrainedParams(BaseParams):
    """A trained model's node: which model and version, and Clarifai's output filters."""

    model_id: str = Field(
        "", max_length=128, description="the app's trained model (default: the node's model_id)"
    )
    model_version_id: str = Field(
        "", max_length=128, description="its version (default: the node's, else the newest)"
    )
    min_value: float = Field(0.0, ge=0.0, le=1.0, description="concepts scoring below are dropped")
    max_concepts: int = Field(20, ge=1, le=1000, description="keep at most this many concepts")
    concepts: list[ConceptSpec] = Field(
        default_factory=list,
        description="output only these of the model's concepts (by id, else name); empty: all",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_node(cls, values: Any, info: ValidationInfo) -> Any:
        if not isinstance(values, dict):
            return values
        node = info.context or {}
        out = dict(values)
        for key in ("model_id", "model_version_id"):
            if not out.get(key) and node.get(key):
                out[key] = node[key]
        return out

    @model_validator(mode="after")
    def _needs_model(self) -> TrainedParams:
        if not self.model_id:
            raise ValueError("needs the app's model: give the node a model_id (or 'model_id')")
        return self


def _vector(values: list[float]) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _keep(scores: np.ndarray, concepts: list[Concept], p: TrainedParams) -> list[Concept]:
    out: list[Concept] = []
    for i in np.argsort(-scores, kind="stable").tolist():
        c, value = concepts[i], float(scores[i])
        if value < p.min_value or len(out) == p.max_concepts:
            break
        if p.concepts and not any(s.matches(c.id, c.name) for s in p.concepts):
            continue
        out.append(Concept(id=c.id, name=c.name or c.id, value=value))
    return out


def _output(concepts: list[Concept], clusters: bool) -> Data:
    if not clusters:
        return Data(concepts=concepts)
    found = [{"id": c.id, "score": c.value} for c in concepts]
    return Data.model_validate({"concepts": [c.to_dict() for c in concepts], "clusters": found})


def score_data(data: Data, ctx: Context, p: TrainedParams, clusters: bool = False) -> Data:
    """``data``'s concepts (or each embedded region's) by the app's model ``p.model_id``;
    with ``clusters`` also as ``data.clusters`` (a clusterer's output)."""
    app = ctx.app
    if app is None or not hasattr(app, "trained_scores"):
        raise InputError(
            f"node '{ctx.node_id}' runs model '{p.model_id}' trained in an app: run the "
            "workflow in that app (app.predict(...) or opgraph run --app APP)"
        )
    version = p.model_version_id or None
    if data.embeddings:
        vectors = _vector(data.embeddings[0].vector)[None, :]
    elif any(r.data is not None and r.data.embeddings for r in data.regions):
        return _score_regions(data, app, p, version, clusters)
    else:
        vectors = np.asarray(app.embed(ctx.root), dtype=np.float64)[None, :]
    _, concepts, scores = app.trained_scores(p.model_id, version, vectors)
    return _output(_keep(scores[0], concepts, p), clusters)


def _score_regions(
    data: Data, app: Any, p: TrainedParams, version: str | None, clusters: bool
) -> Data:
    embedded = [r for r in data.regions if r.data is not None and r.data.embeddings]
    vectors = np.stack([_vector(r.data.embeddings[0].vector) for r in embedded if r.data])
    _, concepts, scores = app.trained_scores(p.model_id, version, vectors)
    regions: list[Region] = []
    for region, row in zip(embedded, scores, strict=True):
        inner = _output(_keep(row, concepts, p), clusters)
        regions.append(region.model_copy(update={"data": inner}))
    return Data(regions=regions)
