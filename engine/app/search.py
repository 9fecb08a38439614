"""Search: Clarifai's query language over the app's index, page by page.

``search(ranks=[...], filters=[...], page, per_page, metric, min_score)`` answers a
``MultiSearchResponse``.  Filters come first (each is a set of input seqs from SQL, see
``engine.store.search``); ranks then order what is left (``_ranking``).  Without ranks the
inputs the filters keep are listed newest first, each with score 1.  A hit on a region
vector (a crop the base workflow embedded) carries the region, with its box, in
``hit.annotation``.  The in-memory vector index is refreshed incrementally before each
search: rows written since, and inputs deleted since, are all that is read.

The older keywords (``text``, ``image``, ``concept``, ``input_id``, ``dataset_ids``,
``metadata``, ``max_results``) are one rank and its filters, as before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.app._core import AppCore, Scope
from engine.app._ranking import ConceptScores, rank_rows, seq_mask
from engine.app.base import BaseWorkflowHook
from engine.errors import AppError, InputError
from engine.inputs import to_input
from engine.proto import Annotation, Data, Hit, MultiSearchResponse, Region, StatusCode
from engine.query import ConceptTerm, Filter, Query, Rank, parse_query
from engine.store import _app_support as h
from engine.store import codec
from engine.store.index import VectorIndex

__all__ = ["Search"]

_Ranked = list[tuple[Rank, np.ndarray | list[ConceptScores]]]


class Search:
    """Search over the app's index; keeps the in-memory vector index between calls."""

    def __init__(self, core: AppCore, base: BaseWorkflowHook, app: Any) -> None:
        self._core, self._base, self._app = core, base, app
        self._index: VectorIndex | None = None
        self._cursors: tuple[int, int, int] = (-1, 0, 0)  # generation, vectors, deletions

    def search(
        self,
        ranks: Sequence[dict[str, Any]] | None = None,
        filters: Sequence[dict[str, Any]] | None = None,
        *,
        page: int = 1,
        per_page: int | None = None,
        metric: str = "cosine",
        min_score: float = 0.0,
        **legacy: Any,
    ) -> MultiSearchResponse:
        """One page of hits, best first (newest first without ranks); see the module doc."""
        if legacy.get("max_results") is not None and per_page is None:
            per_page = legacy["max_results"]
        query = parse_query(
            ranks,
            filters,
            page=page,
            per_page=20 if per_page is None else per_page,
            metric=metric,
            min_score=min_score,
        )
        query = _with_legacy(query, legacy)
        with self._core.lock:
            hits = self.run(query)
        return MultiSearchResponse(hits=hits)

    def run(self, q: Query) -> list[Hit]:
        generation = self._core.generation()
        if not q.ranks:
            offset = (q.page - 1) * q.per_page
            page = self._core.store.search.filter_page(q.filters, generation, offset, q.per_page)
            return self._hits([(seq, input_id, None, 1.0) for seq, input_id in page])
        allowed = self._core.store.search.filter_seqs(q.filters, generation) if q.filters else None
        if any(r.is_vector for r in q.ranks):
            return self._vector_search(q, generation, allowed)
        return self._concept_search(q, generation, allowed)

    # ---- ranked by vectors (and concepts) ------------------------------------------------

    def _vector_search(self, q: Query, generation: int, allowed: np.ndarray | None) -> list[Hit]:
        index = self._vectors()
        ranked: _Ranked = [(r, self._rank_input(r, index, generation)) for r in q.ranks]
        if len(index) == 0:
            return []
        mask = None if allowed is None else seq_mask(index.seqs, allowed)
        best = rank_rows(
            index,
            ranked,
            metric=q.metric,
            window=q.page * q.per_page,
            mask=mask,
            min_score=q.min_score,
        )
        order = np.argsort(-best.scores, kind="stable")  # the float64 scores decide the order
        rows, scores = best.rows[order], best.scores[order]
        keep = scores >= q.min_score
        rows, scores = rows[keep], scores[keep]
        start = (q.page - 1) * q.per_page
        picked = zip(rows[start:].tolist(), scores[start:].tolist(), strict=True)
        return self._hits(
            [(int(index.seqs[r]), index.ids[r], index.regions[r], s) for r, s in picked]
        )

    def _rank_input(
        self, rank: Rank, index: VectorIndex, generation: int
    ) -> np.ndarray | list[ConceptScores]:
        if not rank.is_vector:
            return self._concept_scores(rank.concepts, generation)
        if rank.input_id is not None:
            self._core.require([rank.input_id])
            query = index.vector_of(rank.input_id)
            if query is None:
                raise AppError(
                    f"input '{rank.input_id}' has no embedding in the index",
                    code=StatusCode.SEARCH_INVALID_REQUEST,
                )
        else:
            query = self._embed_query(rank.text, rank.image)
        if len(index) and query.size != index.dim:
            raise InputError(
                f"the base workflow embeds into {query.size} dimensions but the index holds "
                f"{index.dim}; reindex with set_base_workflow(..., reindex=True)"
            )
        return query

    def _concept_scores(self, terms: Sequence[ConceptTerm], generation: int) -> list[ConceptScores]:
        store = self._core.store.search
        return [ConceptScores(t, *store.concept_scores(generation, t)) for t in terms]

    # ---- ranked by concepts only ---------------------------------------------------------

    def _concept_search(self, q: Query, generation: int, allowed: np.ndarray | None) -> list[Hit]:
        per_rank = [self._concept_rank(r, generation) for r in q.ranks]
        kept = set.intersection(*(set(scores) for scores in per_rank))
        if allowed is not None:
            kept &= set(allowed.tolist())
        scored = [
            (seq, min(1.0, max(0.0, sum(s[seq] for s in per_rank) / len(per_rank)))) for seq in kept
        ]
        scored = [p for p in scored if p[1] >= q.min_score]
        scored.sort(key=lambda p: (-p[1], -p[0]))
        start = (q.page - 1) * q.per_page
        page = scored[start : start + q.per_page]
        ids = self._core.store.search.ids_of([seq for seq, _ in page])
        return self._hits([(seq, ids[seq], None, s) for seq, s in page if seq in ids])

    def _concept_rank(self, rank: Rank, generation: int) -> dict[int, float]:
        """Score per kept input seq of one concept rank."""
        result: dict[int, float] | None = None
        for cs in self._concept_scores(rank.concepts, generation):
            values = dict(zip(cs.seqs.tolist(), cs.values.tolist(), strict=True))
            if cs.term.value:
                part = {s: v for s, v in values.items() if v > 0}
            else:
                universe = self._core.store.search.all_seqs().tolist()
                part = {s: 1.0 - values.get(s, 0.0) for s in universe if values.get(s, 0.0) <= 0}
            result = (
                part
                if result is None
                else {s: result[s] + v for s, v in part.items() if s in result}
            )
        n = len(rank.concepts)
        final = {s: v / n for s, v in (result or {}).items()}
        return {s: 1.0 - v for s, v in final.items()} if rank.negate else final

    # ---- hits ------------------------------------------------------------------------------

    def _hits(self, found: list[tuple[int, str, str | None, float]]) -> list[Hit]:
        """Hits for (seq, input id, region JSON or None, score), in that order."""
        records = {r.id: r for r in self._core.store.get_inputs(list({i for _, i, _, _ in found}))}
        hits = []
        for _, input_id, region, score in found:
            record = records.get(input_id)
            if record is None:  # deleted since the index was refreshed
                continue
            inp = codec.input_from_record(record, pixels=False)
            hits.append(
                Hit(score=score, input=inp, annotation=_region_annotation(input_id, region))
            )
        return hits

    # ---- the in-memory index and query embeddings -------------------------------------------

    def refresh(self) -> None:
        """Bring a loaded index up to date now (after this app's own writes)."""
        if self._index is not None:
            with self._core.lock:
                try:
                    self._vectors()
                except InputError:  # vectors of another size: the next search says so
                    self._index = None

    def _vectors(self) -> VectorIndex:
        """The in-memory index, loaded once and topped up with what changed since."""
        store = self._core.store.search
        generation = self._core.generation()
        if self._index is None or self._cursors[0] != generation:
            self._index = VectorIndex()
            self._cursors = (generation, 0, store.deleted_cursor())
        _, vector_cursor, deleted_cursor = self._cursors
        rows = store.vector_rows(generation, vector_cursor)
        try:
            self._index.add(rows.ids, rows.matrix, seqs=rows.seqs, regions=rows.regions)
        except ValueError as exc:  # vectors of two sizes: embedders swapped without reindex
            raise InputError(f"{exc}; reindex with set_base_workflow(..., reindex=True)") from None
        deleted_cursor, dead = store.deleted_since(deleted_cursor)
        self._index.drop(dead)
        self._cursors = (generation, rows.cursor, deleted_cursor)
        return self._index

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
        if entry.vector is not None:
            return entry.vector
        if entry.region_vectors:  # a detect -> crop -> embed base workflow: the first crop
            return entry.region_vectors[0][2]
        raise InputError("the app's base workflow produces no embedding to search with")


def _region_annotation(input_id: str, region: str | None) -> Annotation | None:
    if region is None:
        return None
    return Annotation(
        input_id=input_id, data=Data(regions=[Region.model_validate(json.loads(region))])
    )


def _with_legacy(q: Query, legacy: dict[str, Any]) -> Query:
    """The query with the older keywords added as one rank and one filter."""
    known = {"text", "image", "concept", "input_id", "dataset_ids", "metadata", "max_results"}
    unknown = sorted(set(legacy) - known)
    if unknown:
        raise TypeError(f"search() got unexpected keyword argument(s): {', '.join(unknown)}")
    given = [k for k in ("text", "image", "concept", "input_id") if legacy.get(k) is not None]
    if len(given) > 1:
        raise AppError(
            "search takes one of text, image, concept or input_id (give several ranks to "
            "combine them)",
            code=StatusCode.SEARCH_INVALID_REQUEST,
        )
    ranks = list(q.ranks)
    if given:
        key = given[0]
        value = legacy[key]
        ranks.append(
            Rank(concepts=(ConceptTerm(value),)) if key == "concept" else Rank(**{key: value})
        )
    filters = list(q.filters)
    meta = h.parse_metadata(legacy.get("metadata"))
    datasets = tuple(legacy.get("dataset_ids") or ())
    if meta or datasets:
        filters.append(Filter(metadata=meta or None, dataset_ids=datasets))
    return Query(tuple(ranks), tuple(filters), q.page, q.per_page, q.metric, q.min_score)
