"""engine/workflow_batch.py: a long batch runs a timed first chunk here, then the rest."""

from __future__ import annotations

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine import Data, Workflow
from engine.executor import BATCH_CHUNK
from engine.workflow_batch import run_batch
from tests.factories import concepts


def _chain() -> Workflow:
    wf = Workflow("w")
    a = wf.add("test-keep-above", id="a", params={"min_value": 0.3})
    wf.add("test-keep-above", id="b", inputs=[a], params={"min_value": 0.8})
    return wf


def _run(wf: Workflow, n: int, workers: int | None) -> tuple[int, list[tuple[int, int]]]:
    steps: list[tuple[int, int]] = []
    here = {"app": None, "on_frame": None, "on_node": None}
    items = [Data(concepts=concepts({"cat": 0.9}))] * n
    options = {"sample_ms": 1000, "keep_frames": True}
    results = run_batch(wf, items, workers, here, lambda d, t: steps.append((d, t)), options)
    assert all(r.status.code == 10000 for r in results)
    return len(results), steps


def test_a_batch_in_this_process_counts_its_steps_once_through() -> None:
    wf = _chain()
    count, steps = _run(wf, 3, 1)
    assert count == 3 and steps[-1] == (6, 6)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)


def test_a_long_batch_is_timed_on_its_first_chunk_and_its_steps_go_on_from_there() -> None:
    wf = _chain()
    n = 2 * BATCH_CHUNK + 5
    count, steps = _run(wf, n, None)
    assert count == n
    assert wf._seconds_per_input is not None  # measured on the first chunk
    done = [d for d, _ in steps]
    assert done == sorted(done) and steps[-1] == (2 * n, 2 * n)
