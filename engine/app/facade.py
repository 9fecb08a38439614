"""``App``: the facade; each method is one call of the resource module that owns its rules.

>>> app = App("my-app", base_workflow="text")              # doctest: +SKIP
>>> ids = app.add_inputs([{"text": {"raw": "$480,000 on repairs in 2020"}}])  # doctest: +SKIP
>>> app.search(text="repairs in 2020").hits[0].input.id         # doctest: +SKIP

Every input is stored and run through the app's *base workflow*; what the workflow
outputs (embeddings, concepts, regions) is indexed in the same transaction, so after a
crash an input is either stored and indexed or absent.  ``app.predict(workflow, inputs)``
runs any workflow with ``ctx.app`` set to the app: that is how ``rag-prompter`` searches
and ``annotation-writer`` writes.  Persistence goes through ``engine.store.Store``.

``App`` holds the app's lifecycle, inputs, search and runs; it takes its annotation and
concept methods from ``engine.app.facade_labels`` and its dataset, workflow and model
methods from ``engine.app.facade_assets``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.app._core import AppCore, Scope
from engine.app._run import AppRun
from engine.app.annotations import Annotations
from engine.app.base import BaseWorkflowHook
from engine.app.concepts import Concepts
from engine.app.datasets import Datasets
from engine.app.facade_assets import AssetsFacade
from engine.app.facade_labels import LabelsFacade
from engine.app.inputs import Inputs
from engine.app.models import Models
from engine.app.runners import open_runner
from engine.app.search import Search
from engine.app.searcher import Searcher
from engine.app.stored_models import StoredModels
from engine.app.training import Training
from engine.app.workflows import Workflows
from engine.errors import InputError
from engine.inputs import to_input
from engine.operator import Context
from engine.proto import (
    Annotation,
    Data,
    Input,
    InputCount,
    MultiSearchResponse,
    PostWorkflowResultsResponse,
)
from engine.store import Relation, Store
from engine.store import _app_support as h
from engine.workflow import Workflow

__all__ = ["App"]


class App(LabelsFacade, AssetsFacade):
    """An app at ``path``: a directory holding ``app.db``, a ``.db`` file path, or a
    PostgreSQL URL (``postgresql://USER@HOST/DB?schema=NAME``) that many processes share."""

    def __init__(
        self, path: str | Path, base_workflow: Any = None, *, batch_size: int = 128
    ) -> None:
        self.path: Path | str = path if h.is_postgres_url(path) else Path(path)
        # a new app's base workflow is written with its schema, in one transaction: a
        # crash while creating it leaves no app, or an app with the workflow asked for
        _, text = h.resolve(base_workflow if base_workflow is not None else "text")
        initial = {"base_workflow": text, "generation": "1"}
        self._core = AppCore(self.path, h.open_store(self.path, initial), batch_size)
        try:
            self._base = BaseWorkflowHook(self._core, self, base_workflow)
        except BaseException:
            self._core.store.close()
            raise
        self._inputs = Inputs(self._core, self._base)
        self._annotations = Annotations(self._core)
        self._concepts = Concepts(self._core)
        self._search = Search(self._core, self._base, self)
        self._datasets = Datasets(self._core)
        self._workflows = Workflows(self._core, self._base, self)
        self._stored_models = StoredModels(self._core)
        self._models = Models(self._core, self._base, self, self._stored_models)
        self._training = Training(self._core, self._base, self, self._stored_models)

    @property
    def batch_size(self) -> int:
        """Inputs run through the base workflow and committed together."""
        return self._core.batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._core.batch_size = value

    @property
    def _store(self) -> Store:
        return self._core.store

    def close(self) -> None:
        self._core.store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_workflow(self) -> Workflow | None:
        return self._base.workflow

    # ---- the app's own attributes --------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The app's name, description and creation time (seconds since the epoch)."""
        meta = self._core.store.get_meta("app_info")
        return dict(json.loads(meta)) if meta else {}

    def set_info(self, **fields: Any) -> dict[str, Any]:
        """Change some of the app's attributes (name, description, ...); returns them all."""
        with self._core.lock:
            info = self.info() | fields
            self._core.store.set_meta({"app_info": json.dumps(info)})
            return info

    def set_base_workflow(
        self,
        workflow: Any,
        reindex: bool = True,
        *,
        workers: int | None = None,
        engine: str = "local",
        address: str | None = None,
    ) -> None:
        """Use ``workflow`` from now on; with ``reindex`` re-run it on every stored input,
        in ``workers`` worker processes or Ray actors (``engine``, ``address``) as
        ``add_inputs`` runs it."""
        if not reindex or (engine == "local" and workers is None and address is None):
            self._base.set(workflow, reindex)
            return
        wf = h.resolve(workflow)[0]
        with open_runner(wf, workers, self.count_inputs(), engine, address) as runner:
            self._base.set(workflow, reindex, runner)

    # ---- inputs --------------------------------------------------------------------------

    def add_inputs(
        self,
        inputs: Any,
        dataset_id: str | None = None,
        metadata: dict[str, Any] | str | None = None,
        *,
        progress: bool | None = None,
        skip_existing: bool = False,
        workers: int | None = None,
        engine: str = "local",
        address: str | None = None,
    ) -> list[str]:
        """Store ``inputs`` and index them with the base workflow; returns their ids.

        Inputs are taken as ``Workflow.predict`` takes them (with ``id``, ``dataset_ids``,
        ``data.metadata``, ``data.geo`` and ``data.concepts``, stored as the user's
        labels).  A file's id is its name plus a digest of its folder.  A bad request
        (unreadable file, metadata that is not a bounded JSON object, an id already in the
        app unless ``skip_existing``) stores nothing; an input the base workflow fails on is
        stored with status INPUT_FAILED and the reason.

        ``workers=N`` runs the base workflow in N worker processes kept for the whole call
        (the store writes stay in this process, one transaction per batch); it is refused
        for a base workflow whose nodes read or write the app (annotation-writer, ...), which
        always runs here.  ``workers=None`` chooses as ``Workflow.predict`` does.

        ``engine="ray"`` runs the base workflow in ``workers`` Ray actors (default 2; ``pip
        install 'opgraph[ray]'``) on the cluster at ``address`` (``auto``, ``ray://HOST:PORT``;
        default: start one on this machine), each compiling it once, a video whole in one
        actor; this process still writes the store, one transaction per batch, while the
        actors compute the next batches.  Same results as in-process.
        """
        ids = self._inputs.add(
            inputs,
            dataset_id,
            metadata,
            progress=progress,
            skip_existing=skip_existing,
            workers=workers,
            engine=engine,
            address=address,
        )
        self._search.refresh()  # the new rows join a loaded index now, not at the next search
        return ids

    def get_inputs(self, ids: Sequence[str]) -> list[Input]:
        """Stored inputs by id, with their media (``INPUT_DOES_NOT_EXIST`` for unknown ids)."""
        return self._inputs.get(ids)

    def get_input(self, input_id: str) -> Input:
        """One stored input (``GetInput``)."""
        return self._inputs.get([input_id])[0]

    def list_inputs(
        self,
        dataset_id: str | None = None,
        page: int = 1,
        per_page: int | None = None,
        input_type: str | None = None,
        status: int | str | None = None,
    ) -> list[Input]:
        """One page of stored inputs in the order added (``ListInputs``), optionally of
        one dataset, input type (image, video, text, audio) or status code or name."""
        return self._inputs.list_inputs(dataset_id, page, per_page, input_type, status)

    def count_inputs(self, status: int | None = None) -> int:
        """How many inputs the app stores (with this input status code, if given)."""
        return self._inputs.count(status)

    def get_input_count(self) -> InputCount:
        """Inputs per processing state (``GetInputCount``)."""
        return self._inputs.counts()

    def patch_inputs(self, inputs: Any, action: str = "merge") -> list[Input]:
        """Patch inputs' metadata, concepts and geo (``PatchInputs``): ``merge``,
        ``overwrite`` or ``remove``; all or none, returned as stored."""
        return self._inputs.patch(inputs, action)

    def delete_inputs(self, ids: Sequence[str]) -> None:
        """Delete inputs with their annotations and index rows (``DeleteInputs``), all or
        none (``INPUT_DOES_NOT_EXIST`` if any id is unknown)."""
        self._inputs.delete(ids)

    # ---- search --------------------------------------------------------------------------

    def searcher(self, top_k: int = 10, metric: str = "cosine") -> Searcher:
        """The Clarifai SDK's ``Search(..., top_k, metric)`` over this app: ``.query(ranks,
        filters, page_no, per_page)`` yields ``MultiSearchResponse`` pages."""
        return Searcher(self, top_k, metric)

    def search(
        self,
        ranks: Sequence[dict[str, Any]] | None = None,
        filters: Sequence[dict[str, Any]] | None = None,
        *,
        page: int = 1,
        per_page: int | None = None,
        metric: str = "cosine",
        min_score: float = 0.0,
        text: str | None = None,
        image: Any = None,
        concept: str | None = None,
        input_id: str | None = None,
        dataset_ids: Sequence[str] | None = None,
        metadata: dict[str, Any] | str | None = None,
        max_results: int | None = None,
    ) -> MultiSearchResponse:
        """Clarifai's search: ``ranks`` order, ``filters`` (ANDed) keep; one page of hits.

        Ranks and filters are dicts as the Clarifai SDK's ``Search.query`` takes them
        (``{"text_raw": ...}``, ``{"metadata": {...}}``, ``{"concepts": [...]}``, ...) or as
        the V2 API's ``Rank`` / ``Filter`` JSON; see ``engine.query``.  ``Hit.score`` is in
        [0, 1]: for a vector rank (1 + cosine) / 2 (0.5 unrelated, 1.0 the same), for a
        concept rank the concept's value; several ranks average.  Without ranks, the
        inputs the filters keep, newest first.  ``text=``, ``image=``, ``concept=``,
        ``input_id=``, ``dataset_ids=``, ``metadata=`` and ``max_results=`` (per_page) are a
        shorthand for one rank and one filter.  Default page size: 20 (at most 1000).
        """
        return self._search.search(
            ranks,
            filters,
            page=page,
            per_page=per_page,
            metric=metric,
            min_score=min_score,
            text=text,
            image=image,
            concept=concept,
            input_id=input_id,
            dataset_ids=dataset_ids,
            metadata=metadata,
            max_results=max_results,
        )

    # ---- running workflows in the app's context -----------------------------------------

    def predict(self, workflow: Any, inputs: Any, **options: Any) -> PostWorkflowResultsResponse:
        """Run ``workflow`` with ``ctx.app`` = this app (annotation writes commit at once).

        ``options`` go to ``Workflow.predict`` (``sample_ms``, ``on_frame``, ...).  An input
        given with the id of a stored input is that input for ``annotation-writer``.
        """
        # a Workflow runs as it is (resolving would write it out as YAML again, per call)
        wf = workflow if isinstance(workflow, Workflow) else h.resolve(workflow, allow_rag=True)[0]
        if wf is None:
            raise InputError("the empty workflow has no nodes to run")
        parsed = [to_input(item, i) for i, item in enumerate(h.as_list(inputs))]
        run = AppRun(self, self._annotations, Scope("predict", wf.id, [p.id for p in parsed]))
        return wf.predict(parsed, app=run, **options)

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
        """Write ``data`` as the annotation of the running input (``annotation-writer``)."""
        return self._annotations.write_from_operator(
            ctx,
            data,
            status=status,
            user_id=user_id,
            task_id=task_id,
            annotation_info=annotation_info,
        )

    def concept_relations(
        self, concept_ids: Sequence[str], knowledge_graph_id: str = ""
    ) -> list[Relation]:
        """Relations of ``concept_ids`` as seen from them (the inverse side included)."""
        return self._concepts.relations(concept_ids, knowledge_graph_id)
