"""The base-workflow hook: the workflow run on every stored input, and what indexes it.

The base workflow is stored in the app (``meta.base_workflow``); another process may
change it (a reindex), so every use first picks up the stored one (``sync``).  ``run``
gives, per input, the ``IndexRecord`` to store or the reason the workflow failed on it;
annotations written by ``annotation-writer`` during the run join the caller's batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from engine.app._core import AppCore, Scope
from engine.app.runners import Runner, app_nodes
from engine.errors import InputError
from engine.proto import Input
from engine.store import InputRecord, WriteBatch, codec
from engine.store import _app_support as h
from engine.workflow import Workflow

__all__ = ["BaseWorkflowHook"]

_AHEAD = 3  # batches a prefetching runner computes ahead of the store writes


class BaseWorkflowHook:
    """The app's base workflow; ``app`` is what its operators see as ``ctx.app``."""

    def __init__(self, core: AppCore, app: Any, requested: Any) -> None:
        self._core, self._app = core, app
        store = core.store
        stored = store.get_meta("base_workflow")
        if stored is None:
            wf, text = h.resolve(requested if requested is not None else "text")
            store.set_meta({"base_workflow": text, "generation": "1"})
        else:
            wf, text = h.resolve_stored(stored)
            if requested is not None and h.resolve(requested)[1] != text:
                raise InputError(
                    f"the app at {core.path} already has a base workflow; change it with "
                    "set_base_workflow(..., reindex=True) or `opgraph app reindex`"
                )
        self.workflow: Workflow | None = wf
        self._text = text

    def sync(self) -> None:
        """Pick up a base workflow another process (or App object) set since we looked."""
        stored = self._core.store.get_meta("base_workflow")
        if stored is not None and stored != self._text:
            self.workflow, self._text = h.resolve_stored(stored)

    def run(
        self, inputs: list[Input], batch: WriteBatch, mode: str, runner: Runner | None = None
    ) -> Iterator[tuple[str, Any]]:
        """(input id, IndexRecord or failure reason) per input; annotations join ``batch``.
        ``runner`` runs the workflow unless it reads or writes the App (then it runs here)."""
        wf = self.workflow
        if wf is None:
            return
        ids = [str(i.id) for i in inputs]
        if runner is not None and not app_nodes(wf):
            results = runner(wf, inputs)
        else:
            scope = Scope(mode, wf.id, list(ids), known=set(ids))
            with self._core.scoped(scope):
                results = wf.predict(inputs, app=self._app).results
            batch.annotations.extend(scope.pending)
        for input_id, result in zip(ids, results, strict=True):
            reason = codec.failure_reason(result)
            yield input_id, reason if reason is not None else codec.index_entry(result, input_id)

    def set(self, workflow: Any, reindex: bool = True, runner: Runner | None = None) -> None:
        """Use ``workflow`` from now on; with ``reindex`` re-run it on every stored input
        (with ``runner``, if given, as ``run`` does).

        The new index is built beside the old one and replaces it in one step when
        complete; if reindexing fails the app keeps its old base workflow and index.
        """
        wf, text = h.resolve(workflow)
        store = self._core.store
        with self._core.lock:
            if not reindex:
                store.set_meta({"base_workflow": text})
                self.workflow, self._text = wf, text
                return
            old, self.workflow = self.workflow, wf
            generation = store.new_generation()
            try:
                self._reindex(generation, text, runner)
            except BaseException:
                self.workflow = old
                store.drop_generation(generation)
                raise
            self._text = text

    def _reindex(self, generation: int, text: str, runner: Runner | None) -> None:
        """Index every input into ``generation``, then switch to it.

        Inputs another writer adds meanwhile are picked up before the switch, which the
        store refuses while unindexed inputs remain, so none is left out of the new index.
        """
        store = self._core.store
        failed: list[tuple[str, str]] = []
        cursor = 0
        with h.Progress(store.count_inputs(), None) as bar:
            while True:
                batches = store.iter_inputs(self._core.batch_size, cursor)
                for upto, records, inputs in self._looking_ahead(batches, runner):
                    failed.extend(self._reindex_batch(generation, records, inputs, runner))
                    bar.advance(len(records))
                    cursor = upto
                if store.switch_generation(generation, {"base_workflow": text}, failed, cursor):
                    return

    def _looking_ahead(
        self, batches: Iterator[tuple[int, list[InputRecord]]], runner: Runner | None
    ) -> Iterator[tuple[int, list[InputRecord], list[Input]]]:
        """(cursor, records, inputs) per batch; a runner that can start batches early
        (``prefetch``) gets the next ones while this one is written."""
        prefetch = getattr(runner, "prefetch", None)
        ahead = _AHEAD if prefetch is not None else 1
        queue: deque[tuple[int, list[InputRecord], list[Input]]] = deque()
        for upto, records in batches:
            queue.append((upto, records, [codec.input_from_record(r) for r in records]))
            if prefetch is not None and self.workflow is not None:
                prefetch(self.workflow, [queue[-1][2]])
            if len(queue) >= ahead:
                yield queue.popleft()
        yield from queue

    def _reindex_batch(
        self,
        generation: int,
        records: list[InputRecord],
        inputs: list[Input],
        runner: Runner | None,
    ) -> list[tuple[str, str]]:
        batch = WriteBatch(generation=generation, building=True)
        failed = []
        for input_id, result in self.run(inputs, batch, "reindex", runner):
            if isinstance(result, str):
                failed.append((input_id, result))
            else:
                batch.index.append(result)
        self._core.store.write(batch)
        return failed
