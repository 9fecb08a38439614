"""engine/app/runners.py: App.add_inputs(..., workers=N) on one pool per call, same index."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tests.engine.run._crash_ops  # noqa: F401  (registers test-exit-on-text)
from engine import App, AppError
from engine.app import runners
from engine.proto import StatusCode
from engine.workflow import Workflow

pytestmark = pytest.mark.slow  # each test starts worker processes (~1 s each)


def _embed_base(crash: bool = False) -> Workflow:
    wf = Workflow("embed-base")
    if crash:
        wf.add("test-exit-on-text", id="exit")
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    wf.add(
        "regex-based-classifier",
        id="rx",
        params={"regex": "red", "concepts": [{"id": "red"}]},
    )
    return wf


def _texts(n: int, die: int | None = None) -> list[dict[str, Any]]:
    words = ("red bucket", "blue spade", "green red leaf", "grey stone")
    return [
        {"id": f"t{i}", "data": {"text": {"raw": "die" if i == die else f"{words[i % 4]} {i}"}}}
        for i in range(n)
    ]


def _index(app: App) -> tuple[list[str], np.ndarray, list[tuple[str, float]]]:
    store = app._core.store
    _, ids, vectors = store.load_vectors(app._core.generation(), 0)
    return ids, vectors, sorted(store.concept_scores(app._core.generation(), "red"))


def test_workers_index_every_input_as_one_process_does_on_one_pool(
    app_location: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[Any] = []
    real = runners.WorkerPool

    def counted(wf: Workflow, n: int) -> Any:
        pools.append(real(wf, n))
        return pools[-1]

    monkeypatch.setattr(runners, "WorkerPool", counted)
    with App(app_location("one"), base_workflow=_embed_base()) as one:
        one.add_inputs(_texts(45), workers=1)
        expected = _index(one)
    with App(app_location("two"), base_workflow=_embed_base(), batch_size=16) as two:
        ids = two.add_inputs(_texts(45), workers=2)
        got = _index(two)
        codes = {i.status.code for i in two.get_inputs(ids) if i.status is not None}
    assert len(pools) == 1  # three batches, one pool for the whole call
    assert codes == {StatusCode.INPUT_SUCCESS}
    assert got[0] == expected[0] == [f"t{i}" for i in range(45)]
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[2] == expected[2] and len(got[2]) > 0


def test_a_dying_worker_fails_only_its_input_and_nothing_half_written(app_location: Any) -> None:
    with App(app_location(), base_workflow=_embed_base(crash=True), batch_size=8) as app:
        ids = app.add_inputs(_texts(20, die=5), workers=2)
        stored = {str(i.id): i for i in app.get_inputs(ids)}
        dead = stored["t5"].status
        assert dead is not None and dead.code == StatusCode.INPUT_FAILED
        assert "worker process died" in (dead.description or "") + (dead.details or "")
        others = {k: v.status.code for k, v in stored.items() if k != "t5" and v.status}
        assert set(others.values()) == {StatusCode.INPUT_SUCCESS} and len(others) == 19
        assert _index(app)[0] == [f"t{i}" for i in range(20) if i != 5]


def _writer_base() -> Workflow:
    wf = Workflow("writer-base")
    wf.add("regex-based-classifier", id="rx", params={"regex": "red", "concepts": [{"id": "red"}]})
    wf.add("annotation-writer", id="w", inputs=["rx"], params={"annotation_user_id": "bot"})
    return wf


def test_a_base_workflow_that_writes_the_app_refuses_workers_and_stores_nothing(
    app_location: Any,
) -> None:
    with App(app_location(), base_workflow=_writer_base()) as app:
        with pytest.raises(AppError, match=r"'w' \(annotation-writer\) read or write the app"):
            app.add_inputs(_texts(4), workers=2)
        assert app.count_inputs() == 0


def test_by_default_a_base_workflow_that_writes_the_app_runs_here(
    app_location: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPGRAPH_WORKERS", "2")  # a default, not a request: stays here
    with App(app_location(), base_workflow=_writer_base()) as app:
        app.add_inputs(_texts(4))
        assert app.count_inputs() == 4
        assert len(app.list_annotations(user_ids=["bot"])) == 2  # "red" in t0 and t2


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, 10_000])
def test_a_bad_workers_value_is_refused_before_anything_is_stored(
    app_location: Any, bad: Any
) -> None:
    with App(app_location(), base_workflow=_embed_base()) as app:
        with pytest.raises(ValueError, match="workers must be"):
            app.add_inputs(_texts(2), workers=bad)
        assert app.count_inputs() == 0


def test_automatic_mode_waits_for_a_measure_that_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runners.w, "_cores", lambda: 2)
    wf = _embed_base()
    runner = runners.PoolRunner(None, total=200)
    assert runner._size(wf, []) == 1  # no measure yet
    wf._seconds_per_input = 0.001
    assert runner._size(wf, []) == 1  # too light to pay for a worker's start-up
    wf._seconds_per_input = 0.05
    assert runner._size(wf, []) == 2
    assert runners.PoolRunner(None, total=10)._size(wf, []) == 1  # 0.5 s in all: not worth it


def test_by_default_a_measured_heavy_base_workflow_goes_to_workers_and_back_if_they_fail(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPGRAPH_WORKERS")
    monkeypatch.setattr(runners.w, "_cores", lambda: 2)
    pools: list[int] = []
    real = runners.WorkerPool

    def counted(wf: Workflow, n: int) -> Any:
        pools.append(n)
        return real(wf, n)

    monkeypatch.setattr(runners, "WorkerPool", counted)
    with App(tmp_path / "auto", base_workflow=_embed_base()) as app:
        assert app._base.workflow is not None
        app._base.workflow._seconds_per_input = 0.05  # as measured by an earlier batch
        app.add_inputs(_texts(60))
        assert pools == [2] and _index(app)[0] == [f"t{i}" for i in range(60)]

    def broken(wf: Workflow, n: int) -> Any:
        raise runners.WorkersUnavailable("no processes here")

    monkeypatch.setattr(runners, "WorkerPool", broken)
    with App(tmp_path / "fallback", base_workflow=_embed_base()) as app:
        app.add_inputs(_texts(40))  # no measure yet: 32 run here, timed; then it chooses
        assert app.count_inputs() == 40
        assert app._base.workflow is not None
        app._base.workflow._seconds_per_input = 0.05
        app.add_inputs([{"id": f"u{i}", "data": {"text": {"raw": "x"}}} for i in range(40)])
        assert app.count_inputs() == 80  # workers could not start: indexed here instead
        with pytest.raises(runners.WorkersUnavailable):
            app.add_inputs([{"id": "v", "data": {"text": {"raw": "x"}}}] * 1, workers=2)
