"""A pool of worker processes that each hold one workflow compiled, kept for many batches.

``WorkerPool(wf, n)`` starts ``n`` processes (``forkserver`` where the platform has it, else
``spawn``: never a fork of a process with threads); each compiles the workflow once, so
models load once per worker, then runs the tasks it is handed until the pool closes.
``pool.run(items)`` runs one batch: chunks of still inputs, or one whole video stream per
task (a stream's trackers and counters keep their state in the worker that runs it), given
to whichever worker is free; results come back in input order.  The pool stays up between
batches (``App.add_inputs(..., workers=N)`` runs every batch of one call on one pool).

A worker that dies (a crash in native code, ``os._exit``, the OOM killer) fails only its
inputs: its chunk is run again one input per task on a new worker, and the input that kills
a worker on its own gets a FAILURE status saying so; every other input completes.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import sys
import time
import types
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from engine._videosafe import set_decode_threads
from engine.errors import OpgraphError
from engine.executor import BATCH_CHUNK, StepCallback
from engine.proto import Input, Status, StatusCode, WorkflowResult, trusted

if TYPE_CHECKING:
    from engine.workflow import Workflow

__all__ = ["WorkerPool", "WorkersUnavailable", "in_worker", "is_video", "with_input"]

TASK_SECONDS = 0.25  # a task's work, where known: a task costs well under 1 ms to hand out
_IN_WORKER = False  # set in worker processes: they never start workers of their own
# imported once in the forkserver, so each new worker is forked with them loaded instead of
# importing them again (seconds each on a busy machine): the engine, every operator module,
# and what operators import when a graph compiles (the trackers' assignment solver)
_PRELOAD = [
    "engine.workflow",
    "engine.executor",
    "engine.run.pool",
    "engine.run._preload",
    "cv2",
    "scipy.optimize",
]


class WorkersUnavailable(OpgraphError, RuntimeError):
    """Worker processes could not start (or could not compile the workflow): one line from
    the CLI, not a traceback (the machine's limits, not the user's request)."""


def in_worker() -> bool:
    """Whether this process is a pool's worker (it never starts workers of its own)."""
    return _IN_WORKER


def is_video(item: Any) -> bool:
    """Whether ``item`` (a path or an ``Input``) is a video: one task, one stream."""
    from engine.inputs import VIDEO_SUFFIXES

    if isinstance(item, Input):
        return item.data.video is not None
    if isinstance(item, str):
        return os.path.splitext(item)[1].lower() in VIDEO_SUFFIXES
    return False


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


class WorkerPool:
    """``n`` worker processes holding ``wf`` compiled; ``run`` batches on them, then
    ``close`` (or use it as a context manager).  ``threads``: OpenCV's threads, and FFmpeg's
    decoding threads, in each worker (default: the cores shared out among the ``n`` workers)."""

    def __init__(self, wf: Workflow, n: int, *, threads: int | None = None) -> None:
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.workflow, self.size = wf, n
        # the cores shared out: n workers each running OpenCV's pool on every core would
        # oversubscribe the machine (n x cores threads on cores)
        threads = threads or max(1, (os.cpu_count() or 1) // n)
        self._payload = {**_payload(wf), "threads": threads}
        self._cpu: dict[int, float] = {}  # CPU seconds each worker reported, by process id
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._context: Any = mp.get_context(method)
        if method == "forkserver":  # read when the server starts (the first pool's start)
            self._context.set_forkserver_preload(_PRELOAD)
        self._workers = [self._start() for _ in range(n)]

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (idempotent)."""
        workers, self._workers = self._workers, []
        for w in workers:
            _stop(w)

    def ready(self) -> None:
        """Wait until every worker has compiled the workflow (``run`` waits by itself: this
        tells start-up apart from work); ``WorkersUnavailable`` if one could not."""
        idle = _Batch([], {})
        while not all(w.ready for w in self._workers):
            waiting = [w for w in self._workers if not w.ready]
            wait([w.conn for w in waiting] + [w.proc.sentinel for w in waiting])
            for w in waiting:
                self._receive(w, idle)

    @property
    def cpu_seconds(self) -> float:
        """CPU time the pool's workers have used (every thread, start-up included), as each
        last reported it: with the wall clock, how many cores the pool kept busy."""
        return sum(self._cpu.values())

    def run(
        self,
        items: list[Any],
        *,
        sample_ms: int,
        keep_frames: bool,
        on_step: StepCallback | None = None,
        start: int = 0,
    ) -> list[WorkflowResult]:
        """``predict``'s results for ``items[start:]`` (numbered from ``start`` in the
        batch), in input order."""
        batch = _Batch(items, {"sample_ms": sample_ms, "keep_frames": keep_frames})
        while len(self._workers) < self.size:  # replace workers that died in an earlier batch
            self._workers.append(self._start())
        per_input = self.workflow._seconds_per_input
        batch.pending.extend(_tasks(items, self.size, start, per_input))
        restarts = len(items) + self.size  # each death fails or splits a task: a bound
        count = len(items) - start
        nodes = len(self.workflow.node_ids)
        while len(batch.results) < count:
            self._hand_out(batch)
            ready = wait([w.conn for w in self._workers] + [w.proc.sentinel for w in self._workers])
            for w in list(self._workers):
                if (w.conn in ready or w.proc.sentinel in ready) and not self._receive(w, batch):
                    self._workers.remove(w)
                    if batch.pending and restarts > 0:
                        restarts -= 1
                        self._workers.append(self._start())
            if not self._workers and len(batch.results) < count:
                _fail_rest(batch, self.workflow, "no worker process is left to run it")
            if on_step is not None:
                on_step(len(batch.results) * nodes, count * nodes)
        return [batch.results[i] for i in range(start, len(items))]

    def _hand_out(self, batch: _Batch) -> None:
        for w in self._workers:
            if w.ready and w.task is None and batch.pending:
                w.task = batch.pending.popleft()
                w.conn.send(
                    [w.task.indices, [batch.items[i] for i in w.task.indices], batch.options]
                )

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        proc = self._context.Process(target=_worker_main, args=(child, self._payload), daemon=True)
        # a worker needs the engine and the graph's operator modules, never the user's
        # script: with __main__ hidden, a script without an `if __name__ == "__main__":`
        # guard is not run again in every worker (spawn and forkserver re-run it)
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            proc.start()
        finally:
            sys.modules["__main__"] = main
        child.close()
        return _Worker(proc, parent)

    def _receive(self, w: _Worker, batch: _Batch) -> bool:
        """Take what ``w`` sent; False if it died (its task is split or failed)."""
        try:
            if w.conn.poll():
                kind, body, cpu = w.conn.recv()
                self._cpu[w.proc.pid] = cpu
                if kind == "ready":
                    w.ready = True
                elif kind == "failed":
                    raise WorkersUnavailable(
                        f"a worker process could not start the workflow: {body}"
                    )
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
        _worker_died(w, batch, self.workflow)
        return False


def _tasks(items: list[Any], n: int, start: int, per_input: float | None) -> list[_Task]:
    """Videos one per task (a stream stays in one worker); stills in chunks that give every
    worker several tasks, each of at most about ``TASK_SECONDS`` where the time per input is
    known, so a slow chunk does not leave the others idle at the end."""
    videos = [i for i in range(start, len(items)) if is_video(items[i])]
    still = [i for i in range(start, len(items)) if not is_video(items[i])]
    size = max(1, min(BATCH_CHUNK, -(-len(still) // (4 * n))))
    if per_input:
        size = max(1, min(size, int(TASK_SECONDS / per_input)))
    tasks = [_Task([i]) for i in videos]
    tasks += [_Task(still[k : k + size]) for k in range(0, len(still), size)]
    return tasks


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
    return with_input(result, inp)


def with_input(result: WorkflowResult, inp: Input | None) -> WorkflowResult:
    """``result`` with ``inp`` as its Input (``None``: without one, to cross a process)."""
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
        import cv2

        cv2.setNumThreads(payload["threads"])
        set_decode_threads(payload["threads"])
        wf = _compile(payload)
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}", time.process_time()))
        return
    conn.send(("ready", None, time.process_time()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if task is None:
            return
        indices, items, options = task
        results = wf.run_items(items, indices, **options)
        conn.send(("done", [_without_input(r) for r in results], time.process_time()))


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
    return with_input(result, None)
