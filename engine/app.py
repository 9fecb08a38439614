"""``App``: stored inputs, indexed by a base workflow, searchable, annotated.

>>> app = App("my-app", base_workflow="text")              # doctest: +SKIP
>>> ids = app.add_inputs([{"text": {"raw": "$480,000 on repairs in 2020"}}])  # doctest: +SKIP
>>> app.search(text="repairs in 2020")[0].input.id         # doctest: +SKIP

Every input is stored and run through the app's *base workflow*; what the workflow
outputs (embeddings, concepts, regions) is indexed in the same transaction, so after a
crash an input is either stored and indexed or absent.  ``app.predict(workflow, inputs)``
runs any workflow with ``ctx.app`` set to the app: that is how ``rag-prompter`` searches
and ``annotation-writer`` writes.  Persistence goes through ``engine.store.Store``.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.inputs import to_input
from engine.operator import Context
from engine.proto import Annotation, Data, Hit, Input, PostWorkflowResultsResponse, StatusCode
from engine.store import PREDICATES, AnnotationRecord, Relation, Store, WriteBatch, codec
from engine.store import _app_support as h
from engine.store.index import VectorIndex
from engine.workflow import Workflow

__all__ = ["BUILTIN_BASE_WORKFLOWS", "App"]

BUILTIN_BASE_WORKFLOWS = h.BUILTIN_BASE_WORKFLOWS


@dataclass
class _Scope:
    """What app-bound operators see during one workflow run of this app."""

    mode: str  # "add" (writes join the batch), "predict" (writes commit now), "query"
    workflow_id: str
    input_ids: list[str | None]
    known: set[str] = field(default_factory=set)  # ids being stored in this batch
    pending: list[AnnotationRecord] = field(default_factory=list)


class App:
    """An app at ``path`` (a directory holding ``app.db``, or a ``.db`` file path)."""

    def __init__(
        self, path: str | Path, base_workflow: Any = None, *, batch_size: int = 128
    ) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self._store: Store = h.open_store(self.path)
        self._lock = threading.RLock()
        self._scope: _Scope | None = None
        self._index: VectorIndex | None = None
        self._index_key: tuple[int, int] = (-1, 0)  # (generation, reload cursor)
        stored = self._store.get_meta("base_workflow")
        if stored is None:
            wf, text = h.resolve(base_workflow if base_workflow is not None else "text")
            self._store.set_meta({"base_workflow": text, "generation": "1"})
        else:
            wf, text = h.resolve_stored(stored)
            if base_workflow is not None and h.resolve(base_workflow)[1] != text:
                raise InputError(
                    f"the app at {self.path} already has a base workflow; change it with "
                    "set_base_workflow(..., reindex=True) or `opgraph app reindex`"
                )
        self._base: Workflow | None = wf
        self._base_text = text

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_workflow(self) -> Workflow | None:
        return self._base

    # ---- inputs --------------------------------------------------------------------------

    def add_inputs(
        self,
        inputs: Any,
        dataset_id: str | None = None,
        metadata: dict[str, Any] | str | None = None,
        *,
        progress: bool | None = None,
    ) -> list[str]:
        """Store ``inputs`` and index them with the base workflow; returns their ids.

        Inputs are taken as ``Workflow.predict`` takes them.  A bad request (unreadable
        file, duplicate id, metadata that is not a JSON object) stores nothing; an input
        the base workflow fails on is stored with status INPUT_FAILED and the reason.
        """
        extra = h.parse_metadata(metadata)
        items = h.as_list(inputs)
        parsed = [self._prepare(to_input(item, i), extra) for i, item in enumerate(items)]
        ids = [str(p.id) for p in parsed]
        self._check_new_ids(ids)
        datasets = [dataset_id] if dataset_id else []
        with self._lock, h.Progress(len(parsed), progress) as bar:
            self._sync_base()
            generation = self._generation()
            for start in range(0, len(parsed), self.batch_size):
                chunk = parsed[start : start + self.batch_size]
                # another process may switch in a reindexed base workflow meanwhile: then the
                # batch is run again with it, and written to the index now in use
                while not self._add_batch(chunk, datasets, generation):
                    self._sync_base()
                    generation = self._generation()
                bar.advance(len(chunk))
        return ids

    def _prepare(self, inp: Input, extra: dict[str, Any] | None) -> Input:
        meta = {**(inp.data.metadata or {}), **(extra or {})} or None
        return Input(
            id=inp.id or uuid.uuid4().hex, data=inp.data.model_copy(update={"metadata": meta})
        )

    def _check_new_ids(self, ids: list[str]) -> None:
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        if twice:
            raise InputError(f"input id(s) given twice: {', '.join(twice[:5])}")
        taken = sorted(set(ids) - set(self._store.missing_ids(ids)))
        if taken:
            raise InputError(f"input id(s) already in the app: {', '.join(taken[:5])}")

    def _add_batch(self, chunk: list[Input], datasets: list[str], generation: int) -> bool:
        now = h.now()
        batch = WriteBatch(generation=generation)
        records = {str(i.id): codec.input_to_record(i, str(i.id), datasets, now) for i in chunk}
        batch.inputs = list(records.values())
        for input_id, result in self._run_base(chunk, batch, mode="add"):
            if isinstance(result, str):
                records[input_id].status_code = StatusCode.INPUT_FAILED
                records[input_id].status_description = result
            else:
                batch.index.append(result)
        return self._store.write(batch)

    def _run_base(
        self, inputs: list[Input], batch: WriteBatch, mode: str
    ) -> Iterator[tuple[str, Any]]:
        """(input id, IndexRecord or failure reason) per input; annotations join ``batch``."""
        if self._base is None:
            return
        ids = [str(i.id) for i in inputs]
        with self._scoped(_Scope(mode, self._base.id, list(ids), known=set(ids))) as scope:
            response = self._base.predict(inputs, app=self)
        batch.annotations.extend(scope.pending)
        for input_id, result in zip(ids, response.results, strict=True):
            reason = codec.failure_reason(result)
            yield input_id, reason if reason is not None else codec.index_entry(result, input_id)

    def get_inputs(self, ids: Sequence[str]) -> list[Input]:
        """Stored inputs by id, with their media (``InputError`` for unknown ids)."""
        self._require(ids)
        return [codec.input_from_record(r) for r in self._store.get_inputs(ids)]

    def count_inputs(self, status: int | None = None) -> int:
        """How many inputs the app stores (with this input status code, if given)."""
        return self._store.count_inputs(status)

    def _require(self, ids: Sequence[str]) -> None:
        missing = self._store.missing_ids(list(ids))
        if missing:
            raise InputError(f"unknown input id(s): {', '.join(missing[:5])}")

    # ---- base workflow -------------------------------------------------------------------

    def set_base_workflow(self, workflow: Any, reindex: bool = True) -> None:
        """Use ``workflow`` from now on; with ``reindex`` re-run it on every stored input.

        The new index is built beside the old one and replaces it in one step when
        complete; if reindexing fails the app keeps its old base workflow and index.
        """
        wf, text = h.resolve(workflow)
        with self._lock:
            if not reindex:
                self._store.set_meta({"base_workflow": text})
                self._base, self._base_text = wf, text
                return
            old, self._base = self._base, wf
            generation = self._store.new_generation()
            try:
                self._reindex(generation, text)
            except BaseException:
                self._base = old
                self._store.drop_generation(generation)
                raise
            self._base_text = text
            self._index = None

    def _reindex(self, generation: int, text: str) -> None:
        """Index every input into ``generation``, then switch to it.

        Inputs another writer adds meanwhile are picked up before the switch, which the
        store refuses while unindexed inputs remain, so none is left out of the new index.
        """
        failed: list[tuple[str, str]] = []
        cursor = 0
        with h.Progress(self._store.count_inputs(), None) as bar:
            while True:
                for upto, records in self._store.iter_inputs(self.batch_size, cursor):
                    failed.extend(self._reindex_batch(generation, records))
                    bar.advance(len(records))
                    cursor = upto
                meta = {"base_workflow": text}
                if self._store.switch_generation(generation, meta, failed, cursor):
                    return

    def _reindex_batch(self, generation: int, records: list[Any]) -> list[tuple[str, str]]:
        batch = WriteBatch(generation=generation, building=True)
        failed = []
        inputs = [codec.input_from_record(r) for r in records]
        for input_id, result in self._run_base(inputs, batch, mode="reindex"):
            if isinstance(result, str):
                failed.append((input_id, result))
            else:
                batch.index.append(result)
        self._store.write(batch)
        return failed

    # ---- running workflows in the app's context -----------------------------------------

    def predict(self, workflow: Any, inputs: Any, **options: Any) -> PostWorkflowResultsResponse:
        """Run ``workflow`` with ``ctx.app`` = this app (annotation writes commit at once).

        ``options`` go to ``Workflow.predict`` (``sample_ms``, ``on_frame``, ...).  An input
        given with the id of a stored input is that input for ``annotation-writer``.
        """
        wf, _ = h.resolve(workflow, allow_rag=True)
        if wf is None:
            raise InputError("the empty workflow has no nodes to run")
        parsed = [to_input(item, i) for i, item in enumerate(h.as_list(inputs))]
        with self._lock, self._scoped(_Scope("predict", wf.id, [p.id for p in parsed])):
            return wf.predict(parsed, app=self, **options)

    @contextmanager
    def _scoped(self, scope: _Scope) -> Iterator[_Scope]:
        outer, self._scope = self._scope, scope
        try:
            yield scope
        finally:
            self._scope = outer

    # ---- what app-bound operators call (through ctx.app) ---------------------------------

    def write_annotation(
        self,
        ctx: Context,
        data: Data,
        *,
        status: int,
        user_id: str | None = None,
        task_id: str | None = None,
        annotation_info: dict[str, Any] | None = None,
    ) -> Annotation | None:
        """Write ``data``'s concepts and regions as the annotation of the running input.

        One annotation per (input, workflow, node): running a workflow again replaces it
        rather than adding a duplicate.  Returns None when the run is a search query.
        """
        scope = self._scope
        if scope is None:
            raise InputError(
                "annotation-writer needs the input's id: run the workflow with app.predict(...)"
            )
        if scope.mode == "query":
            return None
        input_id = scope.input_ids[ctx.input_index]
        if input_id is None or (
            input_id not in scope.known and self._store.missing_ids([input_id])
        ):
            raise InputError(
                "annotation-writer needs an input stored in this app: give the id of a "
                "stored input, or add the input first"
            )
        record = codec.annotation_to_record(
            data,
            input_id=input_id,
            workflow_id=scope.workflow_id,
            node_id=ctx.node_id,
            status=status,
            user_id=user_id,
            task_id=task_id,
            annotation_info=annotation_info,
            now=h.now(),
        )
        if scope.mode == "predict":
            self._store.put_annotations([record])
        else:
            scope.pending.append(record)
        return codec.annotation_from_record(record)

    def concept_relations(
        self, concept_ids: Sequence[str], knowledge_graph_id: str = ""
    ) -> list[Relation]:
        """Relations of ``concept_ids`` as seen from them (the inverse side included)."""
        return self._store.relations(list(concept_ids), knowledge_graph_id)

    # ---- concepts and annotations --------------------------------------------------------

    def add_concept_relation(
        self,
        subject: str,
        object: str,
        predicate: str = "synonym",
        knowledge_graph_id: str = "",
    ) -> None:
        """Relate two concepts: ``synonym``, ``hypernym`` (subject is a parent of object)
        or ``hyponym`` (subject is a kind of object); the inverse is implied."""
        if predicate not in PREDICATES:
            raise InputError(f"predicate must be one of {', '.join(PREDICATES)}, got {predicate!r}")
        if not subject or not object or subject == object:
            raise InputError("a concept relation needs two different, non-empty concept ids")
        self._store.add_relation(Relation(subject, object, predicate, knowledge_graph_id))

    def annotations(
        self, input_id: str | None = None, status: int | str | None = None
    ) -> list[Annotation]:
        """Stored annotations, optionally of one input and/or one status code (or name)."""
        if input_id is not None:
            self._require([input_id])
        code = h.annotation_status(status)
        return [codec.annotation_from_record(r) for r in self._store.annotations(input_id, code)]

    # ---- search --------------------------------------------------------------------------

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
        with self._lock:
            candidates = (
                self._store.filter_input_ids(list(dataset_ids or []), meta)
                if dataset_ids or meta
                else None
            )
            if concept is not None:
                scored = self._concept_scores(concept, candidates)
            else:
                scored = self._vector_scores(text, image, input_id, candidates, max_results)
            scored = [(i, s) for i, s in scored if s >= min_score][:max_results]
            records = {r.id: r for r in self._store.get_inputs([i for i, _ in scored])}
        return [
            Hit(score=s, input=codec.input_from_record(records[i], pixels=False))
            for i, s in scored
            if i in records
        ]

    def _concept_scores(
        self, concept: str, candidates: list[str] | None
    ) -> list[tuple[str, float]]:
        scores = self._store.concept_scores(self._generation(), concept)
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
            self._require([input_id])
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
            (i, min(1.0, max(0.0, (1.0 + s) / 2.0)))
            for i, s in index.search(query, k, candidates)
        ]

    def _embed_query(self, text: str | None, image: Any) -> np.ndarray:
        self._sync_base()
        if self._base is None:
            raise InputError("the app's base workflow is empty: nothing is embedded to search")
        item: Any = {"text": {"raw": text}} if text is not None else image
        inp = to_input(item)
        with self._scoped(_Scope("query", self._base.id, [None])):
            result = self._base.predict([inp], app=self).results[0]
        reason = codec.failure_reason(result)
        if reason is not None:
            raise InputError(f"the base workflow failed on the query: {reason}")
        entry = codec.index_entry(result, "")
        if entry.vector is None:
            raise InputError("the app's base workflow produces no embedding to search with")
        return entry.vector

    def _vectors(self) -> VectorIndex:
        """The in-memory index, loaded once and topped up with rows written since."""
        generation = self._generation()
        if self._index is None or self._index_key[0] != generation:
            self._index, self._index_key = VectorIndex(), (generation, 0)
        cursor, ids, matrix = self._store.load_vectors(generation, self._index_key[1])
        if ids:
            self._index.add(ids, matrix)
        self._index_key = (generation, cursor)
        return self._index

    def _sync_base(self) -> None:
        """Pick up a base workflow another process (or App object) set since we looked."""
        stored = self._store.get_meta("base_workflow")
        if stored is not None and stored != self._base_text:
            self._base, self._base_text = h.resolve_stored(stored)

    def _generation(self) -> int:
        return int(self._store.get_meta("generation") or 1)
