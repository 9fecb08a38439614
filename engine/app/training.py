"""Models trained inside the app on what it holds (Clarifai's transfer learning).

``train(model_id, model_type_id, concepts, params)`` fits a model on the base workflow's
input-level embeddings (the search vectors of the index) and stores it as a new version
of the app's model ``model_id`` (created on first training), with what it learnt as
arrays (``engine.app._fit``).  Versions are kept; a retrain after new labels makes a new
one.  A workflow node of the model's type (``embeddings-classifier``, ``clusterer``) run
in the app asks ``scores`` for its version, the newest unless the node names one.

Labels are the app's successful annotations' input-level concepts: value > 0 is a
positive, value 0 an explicit negative (Clarifai's "not" label).  For concepts that are
not mutually exclusive an input labelled with another of the model's concepts is a
negative too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.app import _fit
from engine.app._core import AppCore, Scope
from engine.app.base import BaseWorkflowHook
from engine.app.datasets import check_id
from engine.app.stored_models import StoredModels
from engine.errors import AppError, InputError
from engine.inputs import to_input
from engine.proto import Concept, Data, Model, StatusCode
from engine.store import codec
from engine.store.index import faiss_available

__all__ = [
    "FAISS_CLUSTER_ROWS",
    "MAX_CONCEPTS",
    "TRAINABLE",
    "ClassifierTraining",
    "ClustererTraining",
    "Training",
]

_CACHED_VERSIONS = 16  # versions never change, so what was loaded stays right
_MAX_CLUSTER_ROWS = 200_000  # scikit-learn's k-means fits on a random sample of bigger apps
MAX_CONCEPTS = 1000  # one model's concepts (the labels matrix is inputs x concepts)
FAISS_CLUSTER_ROWS = 50_000  # above this, faiss's k-means (when installed) fits every vector


class ClassifierTraining(BaseModel):
    """``embeddings-classifier`` training params."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concepts_mutually_exclusive: bool = Field(
        default=False, description="one softmax over the concepts instead of one score each"
    )
    regularization: float = Field(
        default=10.0, gt=0, le=1e6, description="inverse regularization strength (C)"
    )
    max_iter: int = Field(default=1000, ge=10, le=100_000, description="solver iterations")


class ClustererTraining(BaseModel):
    """``clusterer`` training params."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_clusters: int = Field(default=8, ge=2, le=1000, description="clusters k-means finds")
    seed: int = Field(default=0, ge=0, description="k-means initialisation seed")


TRAINABLE: dict[str, type[BaseModel]] = {
    _fit.CLASSIFIER: ClassifierTraining,
    _fit.CLUSTERER: ClustererTraining,
}


class Training:
    """Training and applying the app's trained models; the one place their rules live."""

    def __init__(
        self, core: AppCore, base: BaseWorkflowHook, app: Any, stored: StoredModels
    ) -> None:
        self._core, self._base, self._app, self._stored = core, base, app, stored
        self._cache: OrderedDict[tuple[str, str], tuple[list[Concept], dict[str, np.ndarray]]] = (
            OrderedDict()
        )
        self._cache_lock = threading.Lock()
        self._embedding = threading.local()  # set while this thread runs the base workflow

    def train(
        self,
        model_id: str,
        model_type_id: str = _fit.CLASSIFIER,
        concepts: Sequence[str] | None = None,
        params: dict[str, Any] | None = None,
        description: str = "",
        version_id: str | None = None,
    ) -> Model:
        """Fit ``model_id`` (created if new) on the app's embeddings; a new version."""
        check_id(model_id, "model")
        if version_id is not None:
            check_id(version_id, "version")  # before anything is written
        settings = _settings(model_type_id, params)
        found = self._stored.find(model_id)
        if found is not None and found.model_type_id != model_type_id:
            raise AppError(
                f"model '{model_id}' is a {found.model_type_id}, not a {model_type_id}",
                code=StatusCode.MODEL_INVALID_ARGUMENT,
            )
        with self._core.lock:
            ids, vectors = self._vectors()
            if model_type_id == _fit.CLUSTERER:
                assert isinstance(settings, ClustererTraining)
                info, arrays, note = self._cluster(vectors, settings)
            else:
                assert isinstance(settings, ClassifierTraining)
                info, arrays, note = self._classify(ids, vectors, concepts, settings)
        if found is None:
            self._stored.create(model_id, model_type_id)
        return self._stored.add_trained_version(
            model_id, info, arrays, description or note, version_id
        )

    def scores(
        self, model_id: str, version_id: str | None, vectors: np.ndarray
    ) -> tuple[str, list[Concept], np.ndarray]:
        """(version id, the version's concepts, scores (n, concepts)) of unit ``vectors``."""
        version = version_id or self._stored.latest_version_id(model_id)
        if version is None:
            raise AppError(
                f"model '{model_id}' has no trained version yet: train it first "
                "(app.train_model / opgraph app models train)",
                code=StatusCode.MODEL_UNTRAINED,
            )
        concepts, arrays = self._version(model_id, version)
        if not arrays:
            raise AppError(
                f"version '{version}' of model '{model_id}' was not trained in the app",
                code=StatusCode.MODEL_UNTRAINED,
            )
        try:
            return version, concepts, _fit.apply(arrays, vectors)
        except ValueError as exc:
            raise InputError(str(exc)) from None

    def embed(self, data: Data) -> np.ndarray:
        """The base workflow's unit embedding of ``data`` (as the index would keep it)."""
        self._base.sync()
        wf = self._base.workflow
        if wf is None:
            raise InputError("the app's base workflow is empty: it embeds nothing")
        if getattr(self._embedding, "busy", False):  # a trained node inside the base workflow
            raise InputError(
                "a trained model's node in the base workflow needs an embedder before it "
                "(it cannot embed its input with the base workflow it is part of)"
            )
        inp = to_input(data)
        self._embedding.busy = True
        try:
            with self._core.scoped(Scope("query", wf.id, [None])):
                result = wf.predict([inp], app=self._app).results[0]
        finally:
            self._embedding.busy = False
        reason = codec.failure_reason(result)
        if reason is not None:
            raise InputError(f"the base workflow failed on the input: {reason}")
        vector = codec.index_entry(result, "").vector
        if vector is None:
            raise InputError("the app's base workflow gives this input no embedding")
        return vector

    # ---- training data ---------------------------------------------------------------

    def _vectors(self) -> tuple[list[str], np.ndarray]:
        store = self._core.store
        _, ids, matrix = store.load_vectors(self._core.generation(), 0)
        if not ids:
            raise AppError(
                "the app holds no embedded inputs to train on (its base workflow must "
                "output an embedding for each input)",
                code=StatusCode.MODEL_TRAINING_NO_DATA,
            )
        return ids, matrix

    def _classify(
        self,
        ids: list[str],
        vectors: np.ndarray,
        concepts: Sequence[str] | None,
        settings: ClassifierTraining,
    ) -> tuple[dict[str, Any], dict[str, np.ndarray], str]:
        if not concepts:
            raise AppError(
                "an embeddings-classifier needs the concepts to learn (concepts=[...])",
                code=StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            )
        if isinstance(concepts, str) or not all(isinstance(c, str) and c for c in concepts):
            raise AppError(
                "concepts must be a list of concept ids",
                code=StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            )
        wanted = list(dict.fromkeys(concepts))
        if len(wanted) > MAX_CONCEPTS:
            raise AppError(
                f"a model learns at most {MAX_CONCEPTS} concepts, got {len(wanted)}",
                code=StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            )
        examples = self._examples(ids, vectors, wanted, settings.concepts_mutually_exclusive)
        try:
            arrays = _fit.fit_classifier(
                examples,
                mutually_exclusive=settings.concepts_mutually_exclusive,
                c=settings.regularization,
                max_iter=settings.max_iter,
            )
        except ValueError as exc:
            raise AppError(str(exc), code=StatusCode.MODEL_TRAINING_INSUFFICIENT_DATA) from None
        names = dict(self._core.store.list_concepts(wanted, 0, len(wanted)))
        info = {"data": {"concepts": [_concept_json(c, names.get(c)) for c in wanted]}}
        note = f"logistic regression on {len(examples.vectors)} labelled inputs"
        return info, arrays, note

    def _examples(
        self, ids: list[str], vectors: np.ndarray, concepts: list[str], exclusive: bool
    ) -> _fit.Examples:
        row = {input_id: i for i, input_id in enumerate(ids)}
        column = {c: j for j, c in enumerate(concepts)}
        labels = np.zeros((len(ids), len(concepts)), dtype=np.int8)
        for ann in self._core.store.annotations(None, int(StatusCode.ANNOTATION_SUCCESS)):
            i = row.get(ann.input_id)
            for c in (ann.data or {}).get("concepts") or []:
                j = column.get(c.get("id", "")) if i is not None else None
                if i is not None and j is not None:
                    labels[i, j] = 1 if float(c.get("value", 1.0)) > 0 else -1
        if not exclusive:  # closed world: a positive of one concept is a negative of the rest
            positive = (labels > 0).any(axis=1, keepdims=True)
            labels = np.where((labels == 0) & positive, np.int8(-1), labels)
        used = (labels != 0).any(axis=1)
        if not (labels > 0).any():
            raise AppError(
                f"no embedded input is labelled with any of {', '.join(concepts)}",
                code=StatusCode.MODEL_TRAINING_NO_POSITIVES,
            )
        return _fit.Examples(vectors[used], labels[used], concepts)

    def _cluster(
        self, vectors: np.ndarray, settings: ClustererTraining
    ) -> tuple[dict[str, Any], dict[str, np.ndarray], str]:
        sample = vectors
        use_faiss = len(vectors) > FAISS_CLUSTER_ROWS and faiss_available()
        if len(vectors) > _MAX_CLUSTER_ROWS and not use_faiss:
            rng = np.random.default_rng(settings.seed)
            sample = vectors[rng.choice(len(vectors), _MAX_CLUSTER_ROWS, replace=False)]
        try:
            arrays = _fit.fit_clusterer(
                sample, n_clusters=settings.n_clusters, seed=settings.seed, use_faiss=use_faiss
            )
        except ValueError as exc:
            raise AppError(str(exc), code=StatusCode.MODEL_TRAINING_INSUFFICIENT_DATA) from None
        clusters = [_concept_json(f"cluster-{k}", None) for k in range(settings.n_clusters)]
        how = "faiss k-means" if use_faiss else "k-means"
        note = f"{how}, {settings.n_clusters} clusters of {len(sample)} inputs"
        return {"data": {"concepts": clusters}}, arrays, note

    def _version(self, model_id: str, version: str) -> tuple[list[Concept], dict[str, np.ndarray]]:
        """A version's concepts and arrays, read once: versions never change."""
        key = (model_id, version)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        info = self._stored.get_version(model_id, version).output_info
        concepts = list(info.data.concepts) if info is not None and info.data is not None else []
        found = (concepts, self._stored.arrays(model_id, version))
        with self._cache_lock:
            self._cache[key] = found
            while len(self._cache) > _CACHED_VERSIONS:
                self._cache.popitem(last=False)
        return found


def _settings(model_type_id: str, params: dict[str, Any] | None) -> BaseModel:
    kind = TRAINABLE.get(model_type_id)
    if kind is None:
        raise AppError(
            f"model type '{model_type_id}' cannot be trained in an app (trainable: "
            f"{', '.join(TRAINABLE)})",
            code=StatusCode.MODEL_INVALID_ARGUMENT,
        )
    try:
        return kind.model_validate(params or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise AppError(
            f"{model_type_id} training param '{where}': {first['msg']}",
            code=StatusCode.MODEL_TRAINING_INVALID_PARAMS,
        ) from None


def _concept_json(concept_id: str, name: str | None) -> dict[str, Any]:
    return {"id": concept_id, "name": name or concept_id, "value": 1.0}
