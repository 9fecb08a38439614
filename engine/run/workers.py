"""Worker processes on one machine: a batch spread over N processes, results in input order.

``Workflow.predict(inputs, workers=N)`` (and ``opgraph run --workers N``) runs the batch on
a ``WorkerPool`` of N processes (``engine.run.pool``), each holding the graph compiled once:
chunks of still inputs, or one whole video stream per task (a stream's state stays in its
worker); results in input order; a worker that dies fails only the input that killed it.

``workers=None`` takes ``OPGRAPH_WORKERS`` from the environment if set, else chooses
(``choose_workers``): one process unless the graph is CPU-bound
(no I/O-bound node: LLM and remote calls already overlap in threads), runs outside an App's
context without a frame callback, the machine has more than one core, and the batch is big
enough to pay for starting workers: two or more videos, or still inputs that each take at
least ``AUTO_MIN_INPUT_SECONDS`` (else sending results back costs more than it saves) and
together at least ``AUTO_MIN_SECONDS`` in one process (from this workflow's measured time
per input; with no measure yet, the first chunk runs here first, timed).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from engine.executor import StepCallback
from engine.proto import WorkflowResult
from engine.run.pool import WorkerPool, WorkersUnavailable, in_worker, is_video

if TYPE_CHECKING:
    from engine.workflow import Workflow

__all__ = [
    "AUTO_MIN_INPUT_SECONDS",
    "AUTO_MIN_SECONDS",
    "MAX_WORKERS",
    "WORKERS_ENV",
    "WorkersUnavailable",
    "choose_workers",
    "may_use_workers",
    "run_in_workers",
]

WORKERS_ENV = "OPGRAPH_WORKERS"  # a default for workers=None (tests pin it to 1)
AUTO_MIN_SECONDS = 2.0  # a worker takes about 0.5-1 s to start and compile: pay 2x that back
# and each input must cost more than sending its result back from a worker does (pickling
# a result with a few hundred regions costs milliseconds): light graphs stay in one process
AUTO_MIN_INPUT_SECONDS = 0.02
MAX_WORKERS = 256

# ---- choosing ----------------------------------------------------------------------------


def choose_workers(
    wf: Workflow, items: Sequence[Any], workers: int | None, *, app: Any, on_frame: Any
) -> int:
    """How many processes run ``items`` (1: this one); ``ValueError`` for a bad ``workers``.
    ``workers=None`` takes ``OPGRAPH_WORKERS`` from the environment where it is set: a
    default, so a run that must stay in this process (an App's, a callback's) just does."""
    if workers is None and os.environ.get(WORKERS_ENV, "").strip():
        text = os.environ[WORKERS_ENV].strip()
        if not text.isdigit():
            raise ValueError(f"{WORKERS_ENV} must be a whole number >= 1, got {text!r}")
        if app is not None or on_frame is not None or _main_operators(wf):
            return 1
        workers = int(text)
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a whole number >= 1 or None, got {workers!r}")
        if workers > MAX_WORKERS:
            raise ValueError(f"workers must be at most {MAX_WORKERS}, got {workers}")
        if workers > 1 and app is not None:
            raise ValueError("workers: an App's context stays in its process; use workers=1")
        if workers > 1 and on_frame is not None:
            raise ValueError("workers: on_frame runs in this process; use workers=1")
        if workers > 1 and _main_operators(wf):
            raise ValueError(
                f"workers: operator(s) {', '.join(_main_operators(wf))} are defined in the "
                "script itself; worker processes import operators from modules: move them "
                "into one, or use workers=1"
            )
        return min(workers, max(1, len(items)))
    if len(items) < 2:  # one input, or one stream: one process runs it
        return 1
    videos = sum(1 for item in items if is_video(item))
    per_input = wf._seconds_per_input
    pays = videos >= 2 or (
        per_input is not None
        and per_input >= AUTO_MIN_INPUT_SECONDS
        and len(items) * per_input >= AUTO_MIN_SECONDS
    )
    if not pays or not may_use_workers(wf, app=app, on_frame=on_frame):
        return 1
    cores = _cores()
    if videos >= 2:
        return min(cores, videos)
    return min(cores, len(items))


def may_use_workers(wf: Workflow, *, app: Any, on_frame: Any) -> bool:
    """Whether ``workers=None`` may choose workers at all, whatever the batch."""
    if in_worker() or app is not None or on_frame is not None or _cores() < 2:
        return False
    if _main_operators(wf):
        return False
    return not any(
        n.operator_cls is not None and n.operator_cls.io_bound for n in wf._graph_nodes()
    )


@functools.cache
def _cores() -> int:
    """The machine's cores, asked once (``os.cpu_count`` is a slow call on some systems)."""
    return os.cpu_count() or 1


def _main_operators(wf: Workflow) -> list[str]:
    """Types of the graph's operators defined in ``__main__`` (a worker cannot import them)."""
    return [
        n.operator_cls.type_id
        for n in wf._graph_nodes()
        if n.operator_cls is not None and n.operator_cls.__module__ == "__main__"
    ]


def run_in_workers(
    wf: Workflow,
    items: list[Any],
    n: int,
    *,
    sample_ms: int,
    keep_frames: bool,
    on_step: StepCallback | None = None,
    start: int = 0,
) -> list[WorkflowResult]:
    """``predict``'s results for ``items[start:]`` (numbered from ``start`` in the batch), run
    by ``n`` worker processes (started for this batch), in input order."""
    with WorkerPool(wf, max(1, min(n, len(items) - start))) as pool:
        return pool.run(
            items, sample_ms=sample_ms, keep_frames=keep_frames, on_step=on_step, start=start
        )
