"""Where ``Workflow.predict`` runs a batch: in this process, or spread over worker processes
(``engine.run.workers`` says how many).

Without a measure of the graph's cost yet, a long batch runs its first chunk here, timed in
CPU seconds, and the rest where that measure says it is cheapest.  Results come back in
input order either way.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from engine.executor import BATCH_CHUNK, StepCallback
from engine.proto import WorkflowResult

if TYPE_CHECKING:
    from engine.workflow import Workflow

__all__ = ["run_batch"]

_log = logging.getLogger("engine.workflow")  # the workflow's log, as it always was


def run_batch(
    wf: Workflow,
    items: list[Any],
    workers: int | None,
    here: dict[str, Any],
    on_step: StepCallback | None,
    options: dict[str, Any],
) -> list[WorkflowResult]:
    """``items``' results, in this process or in workers; ``here``: what stays in this
    process (the App, the frame and node callbacks), ``options``: the rest of the run's."""
    app = here["app"]
    on_frame = here["on_frame"] or here["on_node"]  # a callback keeps the run here
    from engine.run.workers import WorkersUnavailable, choose_workers, run_in_workers

    n = choose_workers(wf, items, workers, app=app, on_frame=on_frame)
    if n > 1:
        try:
            return run_in_workers(wf, items, n, on_step=on_step, **options)
        except WorkersUnavailable:
            if workers is not None:
                raise
            _log.warning("worker processes could not start; running in this process")
    head = _head(wf, items, workers, app, on_frame)
    # CPU time, not wall time: on a busy machine the wall clock would count other
    # processes' work (reading the CPU clock is slow on some systems: batches only)
    t0 = time.process_time() if len(items) > 1 else None
    first = items if head == len(items) else items[:head]
    results = wf.run_items(first, range(head), on_step=on_step, **here, **options)
    if t0 is not None and all(r.input is None or r.input.data.video is None for r in results):
        wf._seconds_per_input = (time.process_time() - t0) / max(1, head)
    if head == len(items):
        return results
    return results + _run_rest(wf, items, head, here, on_step, options)


def _head(wf: Workflow, items: list[Any], workers: int | None, app: Any, on_frame: Any) -> int:
    """How many of ``items`` run here first: a chunk, timed, when workers might pay and the
    graph's cost is not measured yet; else all of them."""
    from engine.run.workers import may_use_workers

    if (
        workers is None
        and wf._seconds_per_input is None
        and len(items) > 2 * BATCH_CHUNK
        and may_use_workers(wf, app=app, on_frame=on_frame)
    ):
        return BATCH_CHUNK  # no measure yet: run a chunk here, timed, then choose
    return len(items)


def _run_rest(
    wf: Workflow,
    items: list[Any],
    head: int,
    here: dict[str, Any],
    on_step: StepCallback | None,
    options: dict[str, Any],
) -> list[WorkflowResult]:
    """The results of ``items[head:]``, once the first ``head`` ran here and were timed."""
    from engine.run.workers import choose_workers, run_in_workers

    nodes = len(wf.node_ids)
    rest = None if on_step is None else _shifted(on_step, head * nodes, len(items) * nodes)
    on_frame = here["on_frame"] or here["on_node"]
    n = choose_workers(wf, items[head:], None, app=here["app"], on_frame=on_frame)
    if n > 1:
        return run_in_workers(wf, items, n, start=head, on_step=rest, **options)
    return wf.run_items(items[head:], range(head, len(items)), on_step=rest, **here, **options)


def _shifted(on_step: StepCallback, before: int, total: int) -> StepCallback:
    """``on_step`` for the second part of a batch whose first part made ``before`` steps."""

    def step(done: int, _: int) -> None:
        on_step(before + done, total)

    return step
