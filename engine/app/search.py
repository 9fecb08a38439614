"""Search: stored inputs ranked by similarity to one query (text, image, concept, input)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.app._core import AppCore, Scope
from engine.app.base import BaseWorkflowHook
from engine.errors import InputError
from engine.inputs import to_input
from engine.proto import Hit
from engine.store import _app_support as h
from engine.store import codec
from engine.store.index import VectorIndex

__all__ = ["Search"]


class Search:
    """Search over the app's index; keeps the in-memory vector index between calls."""

    def __init__(self, core: AppCore, base: BaseWorkflowHook, app: Any) -> None:
        self._core, self._base, self._app = core, base, app
        self._index: VectorIndex | None = None
        self._index_key: tuple[int, int] = (-1, 0)  # (generation, reload cursor)
        self._seen: str | None = None  # the store's deletion counter when last loaded

    def search(
        self,
        text: str | None = None,
        image: Any = None,
        concept: str | None = None,
        input_id: str | None = None,
        dataset_ids: Sequence[str] | None = None,
        metadata: dict[str, Any] | str | None = None,
        min_score: float = 0.0,
        max_results: int = 10,
    ) -> list[Hit]:
        """Stored inputs ranked by similarity to one query, best first, as Clarifai Hits.

        ``Hit.score`` is in [0, 1] as in Clarifai: for text, image and input queries
        (1 + cosine) / 2, so 0.5 is unrelated and 1.0 the same embedding; for a concept
        query the concept's value.  ``min_score`` applies to that score.
        """
        given = [
            k
            for k, v in (
                ("text", text),
                ("image", image),
                ("concept", concept),
                ("input_id", input_id),
            )
            if v is not None
        ]
        if len(given) != 1:
            raise InputError("search takes exactly one of text, image, concept or input_id")
        if max_results < 1:
            raise InputError(f"max_results must be at least 1, got {max_results}")
        meta = h.parse_metadata(metadata)
        store = self._core.store
        with self._core.lock:
            candidates = (
                store.filter_input_ids(list(dataset_ids or []), meta)
                if dataset_ids or meta
                else None
            )
            if concept is not None:
                scored = self._concept_scores(concept, candidates)
            else:
                scored = self._vector_scores(text, image, input_id, candidates, max_results)
            scored = [(i, s) for i, s in scored if s >= min_score][:max_results]
            records = {r.id: r for r in store.get_inputs([i for i, _ in scored])}
        return [
            Hit(score=s, input=codec.input_from_record(records[i], pixels=False))
            for i, s in scored
            if i in records
        ]

    def _concept_scores(
        self, concept: str, candidates: list[str] | None
    ) -> list[tuple[str, float]]:
        scores = self._core.store.concept_scores(self._core.generation(), concept)
        allowed = None if candidates is None else set(candidates)
        kept = [(i, s) for i, s in scores if allowed is None or i in allowed]
        return sorted(kept, key=lambda p: (-p[1], p[0]))

    def _vector_scores(
        self,
        text: str | None,
        image: Any,
        input_id: str | None,
        candidates: list[str] | None,
        k: int,
    ) -> list[tuple[str, float]]:
        try:
            index = self._vectors()
        except ValueError as exc:  # vectors of two sizes: embedders swapped without reindex
            raise InputError(f"{exc}; reindex with set_base_workflow(..., reindex=True)") from None
        if input_id is not None:
            self._core.require([input_id])
            query = index.vector_of(input_id)
            if query is None:
                raise InputError(f"input '{input_id}' has no embedding in the index")
        else:
            query = self._embed_query(text, image)
        if len(index) == 0:
            return []
        if query.size != index.dim:
            raise InputError(
                f"the base workflow embeds into {query.size} dimensions but the index holds "
                f"{index.dim}; reindex with set_base_workflow(..., reindex=True)"
            )
        # cosine in [-1, 1] -> Clarifai's score in [0, 1], 0.5 meaning unrelated; clamped, as
        # vectors that are not quite unit length (or not normalised at all) leave that range
        return [
            (i, min(1.0, max(0.0, (1.0 + s) / 2.0))) for i, s in index.search(query, k, candidates)
        ]

    def _embed_query(self, text: str | None, image: Any) -> np.ndarray:
        self._base.sync()
        wf = self._base.workflow
        if wf is None:
            raise InputError("the app's base workflow is empty: nothing is embedded to search")
        item: Any = {"text": {"raw": text}} if text is not None else image
        inp = to_input(item)
        with self._core.scoped(Scope("query", wf.id, [None])):
            result = wf.predict([inp], app=self._app).results[0]
        reason = codec.failure_reason(result)
        if reason is not None:
            raise InputError(f"the base workflow failed on the query: {reason}")
        entry = codec.index_entry(result, "")
        if entry.vector is None:
            raise InputError("the app's base workflow produces no embedding to search with")
        return entry.vector

    def _vectors(self) -> VectorIndex:
        """The in-memory index, loaded once and topped up with rows written since."""
        generation = self._core.generation()
        deletions = self._core.store.get_meta("deletions")  # inputs deleted: load afresh
        if self._index is None or self._index_key[0] != generation or deletions != self._seen:
            self._index, self._index_key = VectorIndex(), (generation, 0)
            self._seen = deletions
        cursor, ids, matrix = self._core.store.load_vectors(generation, self._index_key[1])
        if ids:
            self._index.add(ids, matrix)
        self._index_key = (generation, cursor)
        return self._index
