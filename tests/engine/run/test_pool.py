"""engine/run/pool.py: one pool of worker processes kept for many batches."""

from __future__ import annotations

import pytest

import tests.engine.run._crash_ops  # noqa: F401  (registers test-exit-on-text)
from engine import Data, Text, Workflow
from engine.proto import StatusCode
from engine.run.pool import WorkerPool

pytestmark = pytest.mark.slow  # starts worker processes


def _wf() -> Workflow:
    wf = Workflow("crash")
    wf.add("test-exit-on-text", id="exit")
    return wf


def _texts(raws: list[str]) -> list[Data]:
    return [Data(text=Text(raw=r)) for r in raws]


def test_the_same_workers_run_every_batch_until_the_pool_closes() -> None:
    with WorkerPool(_wf(), 2) as pool:
        first = pool.run(_texts(["a"] * 12), sample_ms=1000, keep_frames=True)
        second = pool.run(_texts(["b"] * 12), sample_ms=1000, keep_frames=True)
        procs = [w.proc for w in pool._workers]
    pids = lambda res: {r.outputs[0].data.metadata["pid"] for r in res}  # noqa: E731
    assert pids(first) | pids(second) <= {p.pid for p in procs}
    assert [r.outputs[0].data.metadata["index"] for r in second] == list(range(12))
    assert not any(p.is_alive() for p in procs)  # closed with the block


def test_a_worker_that_dies_is_replaced_for_the_next_batch() -> None:
    with WorkerPool(_wf(), 2) as pool:
        res = pool.run(_texts(["a", "die", "b"]), sample_ms=1000, keep_frames=True)
        assert [r.status.code for r in res] == [
            StatusCode.SUCCESS,
            StatusCode.FAILURE,
            StatusCode.SUCCESS,
        ]
        again = pool.run(_texts(["c"] * 4), sample_ms=1000, keep_frames=True)
        assert {r.status.code for r in again} == {StatusCode.SUCCESS}
        assert len(pool._workers) == 2


def test_ready_waits_for_every_worker_and_the_workers_cpu_is_counted() -> None:
    with WorkerPool(_wf(), 2) as pool:
        pool.ready()
        assert all(w.ready for w in pool._workers)
        started = pool.cpu_seconds  # compiling the workflow, in both workers
        assert started > 0
        pool.run(_texts(["a"] * 8), sample_ms=1000, keep_frames=True)
        assert pool.cpu_seconds >= started


def test_threads_sets_opencv_threads_in_each_worker() -> None:
    with WorkerPool(_wf(), 1, threads=1) as pool:
        res = pool.run(_texts(["a"]), sample_ms=1000, keep_frames=True)
    assert res[0].outputs[0].data.metadata["threads"] == 1
    with pytest.raises(ValueError, match="threads must be at least 1"):
        WorkerPool(_wf(), 1, threads=0)


def test_ready_raises_when_a_worker_cannot_compile() -> None:
    from engine.run.pool import WorkersUnavailable

    wf = _wf()
    pool = WorkerPool(wf, 1)
    try:
        pool._workers[0].proc.kill()  # dies before it says it is ready
        with pytest.raises(WorkersUnavailable, match="while starting"):
            pool.ready()
    finally:
        pool.close()


def test_tasks_are_videos_whole_and_still_chunks_of_a_quarter_second() -> None:
    from engine.run.pool import TASK_SECONDS, _tasks

    items: list[object] = ["a.mp4", *(["x"] * 40), "b.mov"]
    tasks = _tasks(items, 2, 0, None)
    assert [t.indices for t in tasks[:2]] == [[0], [41]]  # each stream is one task
    assert [len(t.indices) for t in tasks[2:]] == [5] * 8  # 4 tasks a worker at least
    slow = _tasks(items, 2, 0, TASK_SECONDS / 2)  # measured: 2 inputs fill a task
    assert {len(t.indices) for t in slow[2:]} == {2}
    assert len(_tasks(items, 2, 0, 10.0)) == 42  # slower than a task: one input each
    assert sum(len(t.indices) for t in _tasks(items, 2, 30, None)) == 12


def test_the_forkserver_preload_loads_every_operator() -> None:
    import engine.run._preload  # noqa: F401  (what the forkserver imports once)
    from engine.operator import operator_types
    from engine.run.pool import _PRELOAD

    assert "engine.run._preload" in _PRELOAD
    assert {"image-crop", "centroid-tracker", "visual-detector"} <= set(operator_types())
