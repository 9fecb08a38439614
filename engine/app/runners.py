"""Where an app's base workflow runs a batch of inputs: here, or in worker processes.

A *runner* is any callable ``(workflow, inputs) -> results`` giving one ``WorkflowResult``
per input, in input order; the base-workflow hook turns the results into index records and
failure reasons, and the store writes stay in the App's process (one transaction per
batch).  ``open_runner`` gives the runner of one ``add_inputs`` call: ``None`` (the hook
runs the workflow here, with the App as ``ctx.app``) or a ``PoolRunner`` whose worker
processes live for the whole call.  A base workflow that reads or writes the App (a node
whose operator has ``uses_app``) always runs here: ``workers=N`` (N > 1) asked for
explicitly is refused for it, while the automatic default and ``OPGRAPH_WORKERS`` just stay
in this process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from engine.errors import AppError
from engine.executor import BATCH_CHUNK, DEFAULT_SAMPLE_MS
from engine.proto import Input, StatusCode, WorkflowResult
from engine.run import workers as w
from engine.run.pool import WorkerPool, WorkersUnavailable, is_video
from engine.workflow import Workflow

__all__ = ["ENGINES", "PoolRunner", "Runner", "app_nodes", "open_runner"]

ENGINES = ("local", "ray")

Runner = Callable[[Workflow, list[Input]], list[WorkflowResult]]
_log = logging.getLogger(__name__)


def app_nodes(wf: Workflow) -> list[str]:
    """The graph's nodes whose operators read or write the App (``uses_app``)."""
    return [
        f"'{n.id}' ({n.operator_cls.type_id})"
        for n in wf._graph_nodes()
        if n.operator_cls is not None and n.operator_cls.uses_app
    ]


@contextmanager
def open_runner(
    wf: Workflow | None,
    workers: int | None,
    total: int,
    engine: str = "local",
    address: str | None = None,
) -> Iterator[Runner | None]:
    """The runner for ``total`` inputs of one call (``None``: in this process), closed at
    the end of the call.  ``AppError`` for ``workers`` > 1 with a workflow that needs the
    App; ``ValueError`` for a ``workers`` that is not a whole number in range.
    ``engine="ray"``: ``workers`` Ray actors (``engine.run.ray_runner``) on the cluster at
    ``address`` (default: a local one), refused for a workflow that needs the App."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "ray":
        with _ray_runner(wf, workers, address, total) as runner:
            yield runner
        return
    if address is not None:
        raise ValueError("address is for engine='ray'")
    explicit = workers is not None
    if workers is None and os.environ.get(w.WORKERS_ENV, "").strip():
        workers = _env_workers()
    if workers is not None:
        _check(workers)
    if wf is None or workers == 1 or (app_nodes(wf) and not explicit):
        yield None
        return
    if app_nodes(wf):
        raise AppError(
            f"workers={workers}: the base workflow's node(s) {', '.join(app_nodes(wf))} read or "
            "write the app, which stays in this process; add with workers=1",
            code=StatusCode.INPUT_INVALID_ARGUMENT,
        )
    runner = PoolRunner(workers, total)
    try:
        yield runner
    finally:
        runner.close()


@contextmanager
def _ray_runner(
    wf: Workflow | None, workers: int | None, address: str | None, total: int
) -> Iterator[Runner | None]:
    if workers is not None:
        _check(workers)
    if wf is None or total == 0:
        yield None
        return
    if app_nodes(wf):
        raise AppError(
            f"engine='ray': the base workflow's node(s) {', '.join(app_nodes(wf))} read or "
            "write the app, which stays in this process; add with engine='local'",
            code=StatusCode.INPUT_INVALID_ARGUMENT,
        )
    from engine.run.ray_runner import RayRunner

    with RayRunner(workers, address) as runner:
        yield runner


def _env_workers() -> int:
    text = os.environ[w.WORKERS_ENV].strip()
    if not text.isdigit():
        raise ValueError(f"{w.WORKERS_ENV} must be a whole number >= 1, got {text!r}")
    return int(text)


def _check(workers: Any) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1 or None, got {workers!r}")
    if workers > w.MAX_WORKERS:
        raise ValueError(f"workers must be at most {w.MAX_WORKERS}, got {workers}")


class PoolRunner:
    """Runs batches on one ``WorkerPool`` kept for the whole call (a new one only if the
    base workflow changes meanwhile).  ``workers=None`` chooses as ``Workflow.predict``
    does: batches run here, timed, until the measured cost per input says that the inputs
    still to come pay for starting workers."""

    def __init__(self, workers: int | None, total: int) -> None:
        self._workers, self._left = workers, total
        self._pool: WorkerPool | None = None
        self._here = False  # automatic mode after workers failed to start: stay here

    def __call__(self, wf: Workflow, inputs: list[Input]) -> list[WorkflowResult]:
        if self._pool is not None and self._pool.workflow is not wf:
            self.close()
        head: list[WorkflowResult] = []
        if self._workers is None and wf._seconds_per_input is None and len(inputs) > BATCH_CHUNK:
            head = wf.predict(inputs[:BATCH_CHUNK], workers=1).results  # timed: then choose
            self._left -= BATCH_CHUNK
            inputs = inputs[BATCH_CHUNK:]
        self._left -= len(inputs)
        n = self._size(wf, inputs)
        if n < 2:
            return head + wf.predict(inputs, workers=1).results
        try:
            if self._pool is None:
                self._pool = WorkerPool(wf, n)
            rest = self._pool.run(inputs, sample_ms=DEFAULT_SAMPLE_MS, keep_frames=True)
        except WorkersUnavailable:
            self.close()
            if self._workers is not None:
                raise
            _log.warning("worker processes could not start; the base workflow runs here")
            self._here = True
            return head + wf.predict(inputs, workers=1).results
        return head + rest

    def _size(self, wf: Workflow, inputs: list[Input]) -> int:
        if self._workers is not None:
            return self._workers
        if self._pool is not None:
            return self._pool.size
        if self._here or not w.may_use_workers(wf, app=None, on_frame=None):
            return 1
        videos = sum(1 for i in inputs if is_video(i))
        per_input = wf._seconds_per_input
        coming = len(inputs) + self._left
        pays = videos >= 2 or (
            per_input is not None
            and per_input >= w.AUTO_MIN_INPUT_SECONDS
            and coming * per_input >= w.AUTO_MIN_SECONDS
        )
        return min(w._cores(), max(videos, coming)) if pays else 1

    def close(self) -> None:
        """Stop the pool's workers (the runner may start another on its next batch)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
