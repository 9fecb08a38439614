"""Worker processes on one machine: a batch spread over N processes, results in input order.

``Workflow.predict(inputs, workers=N)`` (and ``opgraph run --workers N``) starts N worker
processes (``forkserver`` where the platform has it, else ``spawn``: never a fork of a
process with threads).  Each compiles the workflow once, so models load once per worker,
then runs the tasks it is handed: chunks of still inputs, or one whole video stream, so a
stream's trackers and counters keep their state in the worker that runs it.  Tasks go to
whichever worker is free; results are put back in input order.

A worker that dies (a crash in native code, ``os._exit``, the OOM killer) fails only its
inputs: its chunk is run again one input per task on a new worker, and the input that kills
a worker on its own gets a FAILURE status saying so; every other input completes.

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
import importlib
import multiprocessing as mp
import os
import sys
import types
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from engine.executor import BATCH_CHUNK, StepCallback
from engine.proto import Input, Status, StatusCode, WorkflowResult, trusted

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
_IN_WORKER = False  # set in worker processes: they never start workers of their own


class WorkersUnavailable(RuntimeError):
    """Worker processes could not start (or could not compile the workflow)."""


# ---- choosing ----------------------------------------------------------------------------


def choose_workers(
    wf: Workflow, items: Sequence[Any], workers: int | None, *, app: Any, on_frame: Any
) -> int:
    """How many processes run ``items`` (1: this one); ``ValueError`` for a bad ``workers``.
    ``workers=None`` takes ``OPGRAPH_WORKERS`` from the environment where it is set."""
    if workers is None and os.environ.get(WORKERS_ENV, "").strip():
        text = os.environ[WORKERS_ENV].strip()
        if not text.isdigit():
            raise ValueError(f"{WORKERS_ENV} must be a whole number >= 1, got {text!r}")
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
    videos = sum(1 for item in items if _is_video(item))
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
    if _IN_WORKER or app is not None or on_frame is not None or _cores() < 2:
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


def _is_video(item: Any) -> bool:
    from engine.inputs import VIDEO_SUFFIXES

    if isinstance(item, Input):
        return item.data.video is not None
    if isinstance(item, str):
        return os.path.splitext(item)[1].lower() in VIDEO_SUFFIXES
    return False


# ---- the pool ----------------------------------------------------------------------------


@dataclass
class _Task:
    indices: list[int]
    retry: bool = False  # a chunk of a worker that died, run again one input at a time


@dataclass
class _Worker:
    proc: Any  # multiprocessing.Process of whichever start method
    conn: Connection
    task: _Task | None = None
    ready: bool = False


@dataclass
class _Batch:
    items: list[Any]
    options: dict[str, Any]
    pending: deque[_Task] = field(default_factory=deque)
    results: dict[int, WorkflowResult] = field(default_factory=dict)


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
    by ``n`` worker processes, in input order."""
    batch = _Batch(items, {"sample_ms": sample_ms, "keep_frames": keep_frames})
    batch.pending.extend(_tasks(items, n, start))
    payload = _payload(wf)
    context = mp.get_context(
        "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    )
    workers = [_start(context, payload) for _ in range(min(n, len(batch.pending)))]
    restarts = len(items) + n  # each death fails or splits a task: this bounds the loop
    count = len(items) - start
    nodes, total = len(wf.node_ids), count * len(wf.node_ids)
    try:
        while len(batch.results) < count:
            for w in workers:
                if w.ready and w.task is None and batch.pending:
                    w.task = batch.pending.popleft()
                    w.conn.send([w.task.indices, [items[i] for i in w.task.indices], batch.options])
            ready = wait([w.conn for w in workers] + [w.proc.sentinel for w in workers])
            for w in list(workers):
                if w.conn in ready or w.proc.sentinel in ready:
                    if not _receive(w, batch, wf):
                        workers.remove(w)
                        if batch.pending and restarts > 0:
                            restarts -= 1
                            workers.append(_start(context, payload))
            if not workers and len(batch.results) < count:
                _fail_rest(batch, wf, "no worker process is left to run it")
            if on_step is not None:
                on_step(len(batch.results) * nodes, total)
    finally:
        for w in workers:
            _stop(w)
    return [batch.results[i] for i in range(start, len(items))]


def _tasks(items: list[Any], n: int, start: int) -> list[_Task]:
    """Videos one per task (a stream stays in one worker); stills in chunks that give every
    worker several tasks, so a slow chunk does not leave the others idle at the end."""
    videos = [i for i in range(start, len(items)) if _is_video(items[i])]
    still = [i for i in range(start, len(items)) if not _is_video(items[i])]
    size = max(1, min(BATCH_CHUNK, -(-len(still) // (4 * n))))
    tasks = [_Task([i]) for i in videos]
    tasks += [_Task(still[k : k + size]) for k in range(0, len(still), size)]
    return tasks


def _receive(w: _Worker, batch: _Batch, wf: Workflow) -> bool:
    """Take what ``w`` sent; False if it died (its task is split or failed)."""
    try:
        if w.conn.poll():
            kind, body = w.conn.recv()
            if kind == "ready":
                w.ready = True
            elif kind == "failed":
                raise WorkersUnavailable(f"a worker process could not start the workflow: {body}")
            else:
                assert w.task is not None
                for i, result in zip(w.task.indices, body, strict=True):
                    batch.results[i] = _with_input(result, batch.items[i], i)
                w.task = None
            return True
    except (EOFError, OSError):
        pass
    if w.proc.is_alive():
        return True
    w.proc.join()
    if not w.ready:
        raise WorkersUnavailable(f"a worker process exited ({w.proc.exitcode}) while starting")
    _worker_died(w, batch, wf)
    return False


def _worker_died(w: _Worker, batch: _Batch, wf: Workflow) -> None:
    task = w.task
    if task is None:
        return
    if len(task.indices) > 1:  # find which input it was: the others run again, one each
        batch.pending.extendleft(_Task([i], retry=True) for i in reversed(task.indices))
        return
    i = task.indices[0]
    code = w.proc.exitcode
    how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited ({code})"
    batch.results[i] = _failed(wf, batch.items[i], i, f"the worker process running it {how}")


def _fail_rest(batch: _Batch, wf: Workflow, why: str) -> None:
    for task in batch.pending:
        for i in task.indices:
            batch.results[i] = _failed(wf, batch.items[i], i, why)
    batch.pending.clear()


def _failed(wf: Workflow, item: Any, index: int, why: str) -> WorkflowResult:
    from engine.inputs import to_input

    status = Status(code=StatusCode.FAILURE, description="worker process died", details=why)
    try:
        inp = to_input(item, index)
    except Exception:  # the input is refused anyway; only its id is wanted here
        inp = Input(id=None)
    return wf._get_executor().failed_result(inp, status)


def _with_input(result: WorkflowResult, item: Any, index: int) -> WorkflowResult:
    """The worker's result with this process's own Input (the worker sends none back: its
    decoded pixels would cross the pipe for nothing)."""
    from engine.inputs import to_input

    if result.input is not None:
        return result
    try:
        inp = to_input(item, index)
    except Exception:
        return result
    return trusted(
        WorkflowResult,
        id=result.id,
        status=result.status,
        created_at=result.created_at,
        input=inp,
        outputs=result.outputs,
    )


# ---- worker processes --------------------------------------------------------------------


def _payload(wf: Workflow) -> dict[str, Any]:
    """What a worker needs to compile the same graph: nodes, bindings, operator modules."""
    graph = wf._graph_nodes()
    bindings = list(wf.models) + [
        n.binding for n in graph if n.binding is not None and n.binding not in wf.models
    ]
    modules = sorted({n.operator_cls.__module__ for n in graph if n.operator_cls is not None})
    return {
        "id": wf.id,
        "file": wf.file,
        "nodes": list(wf.spec.nodes),
        "models": bindings,
        "modules": modules,
    }


def _start(context: Any, payload: dict[str, Any]) -> _Worker:
    parent, child = context.Pipe()
    proc = context.Process(target=_worker_main, args=(child, payload), daemon=True)
    # a worker needs the engine and the graph's operator modules, never the user's script:
    # with __main__ hidden, a script without an `if __name__ == "__main__":` guard is not
    # run again in every worker (spawn and forkserver re-run a main module they are shown)
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        proc.start()
    finally:
        sys.modules["__main__"] = main
    child.close()
    return _Worker(proc, parent)


def _stop(w: _Worker) -> None:
    try:
        w.conn.send(None)
    except (OSError, ValueError):
        pass
    w.proc.join(timeout=2)
    if w.proc.is_alive():
        w.proc.kill()
        w.proc.join()
    w.conn.close()


def _worker_main(conn: Connection, payload: dict[str, Any]) -> None:
    """A worker: compile the workflow once, then run tasks until told to stop."""
    global _IN_WORKER
    _IN_WORKER = True
    try:
        wf = _compile(payload)
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if task is None:
            return
        indices, items, options = task
        results = wf.run_items(items, indices, **options)
        conn.send(("done", [_without_input(r) for r in results]))


def _compile(payload: dict[str, Any]) -> Workflow:
    from engine.workflow import Workflow

    for module in payload["modules"]:
        if module not in sys.modules:
            importlib.import_module(module)
    wf = Workflow(payload["id"], models=payload["models"])
    wf.file = payload["file"]
    wf._nodes = payload["nodes"]
    wf.compile()
    wf._get_executor()
    return wf


def _without_input(result: WorkflowResult) -> WorkflowResult:
    if result.status.code != StatusCode.SUCCESS and result.input is not None:
        return result  # a refused input's result carries the id it was given
    return trusted(
        WorkflowResult,
        id=result.id,
        status=result.status,
        created_at=result.created_at,
        input=None,
        outputs=result.outputs,
    )
