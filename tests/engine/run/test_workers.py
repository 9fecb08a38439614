"""Worker processes: the same results as one process, in input order; a dead worker fails
only its inputs; streams stay whole in one worker; bad ``workers`` values are refused."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

import tests.engine._ops  # registers test-counter
import tests.engine.run._crash_ops  # noqa: F401  (registers test-exit-on-text)
from engine import Concept, Data, Text, Workflow
from engine.proto import StatusCode
from engine.run import workers as w

pytestmark = pytest.mark.slow  # each test starts worker processes (~1 s each)


def _texts(raws: list[str]) -> list[Data]:
    return [Data(text=Text(raw=r)) for r in raws]


def _exit_workflow() -> Workflow:
    wf = Workflow("crash")
    wf.add("test-exit-on-text", id="exit")
    return wf


def test_results_equal_one_process_input_by_input_and_in_order() -> None:
    wf = Workflow()
    first = wf.add("concept-thresholder", concepts=[{"id": "a", "value": 0.3}])
    wf.add("concept-thresholder", inputs=[first], concepts=[{"id": "a", "value": 0.6}])
    batch = [Data(concepts=[Concept(id="a", value=i / 50 + 0.001)]) for i in range(50)]
    here = wf.predict(batch)
    there = wf.predict(batch, workers=2)
    assert there.status.code == here.status.code
    assert [r.model_dump() for r in there.results] == [r.model_dump() for r in here.results]


def test_inputs_are_spread_over_the_workers_with_their_batch_numbers() -> None:
    res = _exit_workflow().predict(_texts([f"t{i}" for i in range(40)]), workers=2)
    metas = [r.outputs[0].data.metadata for r in res.results]
    assert [m["index"] for m in metas] == list(range(40))
    assert os.getpid() not in {m["pid"] for m in metas}  # which worker ran what is timing


def test_a_worker_that_dies_fails_only_its_input_with_a_clear_status() -> None:
    raws = [f"t{i}" for i in range(20)]
    raws[7] = "die"
    res = _exit_workflow().predict(_texts(raws), workers=2)
    codes = [r.status.code for r in res.results]
    assert codes[7] == StatusCode.FAILURE
    assert codes[:7] + codes[8:] == [StatusCode.SUCCESS] * 19
    dead = res.results[7]
    assert dead.status.description == "worker process died"
    assert "exited (3)" in (dead.status.details or "")
    assert res.status.code == StatusCode.MIXED_STATUS
    assert res.results[8].outputs[0].data.metadata["index"] == 8


def _video(path: Path, frames: int) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
    for i in range(frames):
        img = np.full((48, 64, 3), i * 5 % 255, np.uint8)
        writer.write(img)
    writer.release()
    return str(path)


def test_each_video_stream_runs_whole_in_one_worker_with_its_state(tmp_path: Path) -> None:
    wf = Workflow("count")
    wf.add("test-counter", id="count")
    videos = [_video(tmp_path / f"v{k}.mp4", 10 + 5 * k) for k in range(3)]
    here = wf.predict(videos, sample_ms=100)
    there = wf.predict(videos, sample_ms=100, workers=2)
    counts = [[f.data.metadata["n"] for f in r.outputs[0].data.frames] for r in there.results]
    assert counts == [list(range(1, 11)), list(range(1, 16)), list(range(1, 21))]
    assert [r.model_dump() for r in there.results] == [r.model_dump() for r in here.results]


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, w.MAX_WORKERS + 1])
def test_bad_worker_counts_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="workers must be"):
        _exit_workflow().predict(_texts(["a"]), workers=bad)  # type: ignore[arg-type]


def test_workers_refuse_an_app_context_and_a_frame_callback() -> None:
    wf = _exit_workflow()
    with pytest.raises(ValueError, match="App's context"):
        wf.predict(_texts(["a", "b"]), workers=2, app=object())
    with pytest.raises(ValueError, match="on_frame"):
        wf.predict(_texts(["a", "b"]), workers=2, on_frame=lambda *a: None)


def test_automatic_choice_follows_the_documented_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(w.WORKERS_ENV)
    wf = _exit_workflow()
    items = _texts(["a"] * 100)
    monkeypatch.setattr(w, "_cores", lambda: 2)
    assert w.choose_workers(wf, items, None, app=None, on_frame=None) == 1  # no measure yet
    wf._seconds_per_input = w.AUTO_MIN_SECONDS / 50  # 100 inputs: 4 s in one process
    assert w.choose_workers(wf, items, None, app=None, on_frame=None) == 2
    assert w.choose_workers(wf, items[:10], None, app=None, on_frame=None) == 1  # 0.4 s
    wf._seconds_per_input = w.AUTO_MIN_INPUT_SECONDS / 2  # light inputs: results cost more
    assert w.choose_workers(wf, items * 1000, None, app=None, on_frame=None) == 1
    wf._seconds_per_input = w.AUTO_MIN_SECONDS / 50
    assert w.choose_workers(wf, items, None, app=object(), on_frame=None) == 1
    monkeypatch.setattr(w, "_cores", lambda: 1)
    assert w.choose_workers(wf, items, None, app=None, on_frame=None) == 1
    assert w.choose_workers(wf, items, 3, app=None, on_frame=None) == 3  # asked for
    assert w.choose_workers(wf, items[:2], 3, app=None, on_frame=None) == 2  # no idle worker


def test_an_io_bound_graph_stays_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(w.WORKERS_ENV)
    wf = _exit_workflow()
    monkeypatch.setattr(w, "_cores", lambda: 8)
    wf._seconds_per_input = 10.0
    node = wf._graph_nodes()[0]
    assert node.operator_cls is not None
    monkeypatch.setattr(node.operator_cls, "io_bound", True)
    assert w.choose_workers(wf, _texts(["a"] * 10), None, app=None, on_frame=None) == 1


def test_the_environment_sets_the_default_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    wf = _exit_workflow()
    items = _texts(["a"] * 10)
    monkeypatch.setenv(w.WORKERS_ENV, "3")
    assert w.choose_workers(wf, items, None, app=None, on_frame=None) == 3
    assert w.choose_workers(wf, items, 1, app=None, on_frame=None) == 1  # asked for wins
    monkeypatch.setenv(w.WORKERS_ENV, "many")
    with pytest.raises(ValueError, match="OPGRAPH_WORKERS"):
        w.choose_workers(wf, items, None, app=None, on_frame=None)


def test_auto_falls_back_to_one_process_when_workers_cannot_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(w.WORKERS_ENV)
    monkeypatch.setattr(w, "choose_workers", lambda *a, **k: 2)

    def broken(*args: object, **kwargs: object) -> None:
        raise w.WorkersUnavailable("no")

    monkeypatch.setattr(w, "run_in_workers", broken)
    res = _exit_workflow().predict(_texts(["a", "b"]))
    assert [r.outputs[0].data.metadata["index"] for r in res.results] == [0, 1]
    with pytest.raises(w.WorkersUnavailable):
        _exit_workflow().predict(_texts(["a", "b"]), workers=2)


def test_operators_defined_in_the_script_are_refused_for_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wf = _exit_workflow()
    node = wf._graph_nodes()[0]
    assert node.operator_cls is not None
    monkeypatch.setattr(node.operator_cls, "__module__", "__main__")
    with pytest.raises(ValueError, match="defined in the script"):
        wf.predict(_texts(["a", "b"]), workers=2)
    monkeypatch.delenv(w.WORKERS_ENV)
    wf._seconds_per_input = 100.0
    assert w.choose_workers(wf, _texts(["a"] * 4), None, app=None, on_frame=None) == 1


def test_the_environment_is_a_default_that_a_run_bound_here_ignores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(w.WORKERS_ENV, "2")
    wf, items = _exit_workflow(), _texts(["a"] * 10)
    assert w.choose_workers(wf, items, None, app=object(), on_frame=None) == 1
    assert w.choose_workers(wf, items, None, app=None, on_frame=print) == 1
    with pytest.raises(ValueError, match="App's context"):
        w.choose_workers(wf, items, 2, app=object(), on_frame=None)  # asked for: refused
