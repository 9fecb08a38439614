"""``engine.run.ray_runner``: an app's base workflow in Ray actors gives the in-process
results input by input (stills split over the actors, each video whole in one actor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.inputs import to_input
from engine.proto import Input, StatusCode
from engine.run.ray_runner import RayRunner, _chunks, _portable
from engine.store import codec
from engine.workflow import Workflow


def _base() -> Workflow:
    wf = Workflow("base")
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    wf.add("regex-based-classifier", id="cls", params={"regex": "red", "concepts": [{"id": "red"}]})
    return wf


def _texts(n: int) -> list[Input]:
    return [
        to_input(
            {"id": f"t{i}", "data": {"text": {"raw": f"a {'red' if i % 2 else 'blue'} car {i}"}}}, i
        )
        for i in range(n)
    ]


def test_videos_are_chunks_alone_and_stills_are_spread_over_the_actors(tmp_path: Path) -> None:
    video = to_input({"id": "v", "data": {"video": {"url": "file:///v.mp4"}}}, 0)
    inputs = [*_texts(5), video, *_texts(3)]
    chunks = _chunks(inputs, actors=2)
    assert chunks[0] == [5]  # the video, whole
    assert sorted(i for c in chunks[1:] for i in c) == [0, 1, 2, 3, 4, 6, 7, 8]
    assert len(chunks) - 1 == 4  # two chunks per actor


def test_a_file_input_crosses_to_an_actor_as_its_bytes(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    path = tmp_path / "a.png"
    cv2.imwrite(str(path), np.zeros((8, 8, 3), np.uint8))
    inp = to_input(str(path), 0)
    moved = _portable(inp)
    assert moved.data.image is not None and moved.data.image.stored_bytes == path.read_bytes()
    assert _portable(_texts(1)[0]).data.text is not None  # nothing to move: unchanged


@pytest.mark.slow
def test_ray_actors_give_the_in_process_index_records(ray_local: Any) -> None:
    wf, inputs = _base(), _texts(600)
    here = wf.predict(inputs, workers=1).results
    with RayRunner(workers=2) as runner:
        runner.prefetch(wf, [inputs[300:]])
        there = runner(wf, inputs[:300]) + runner(wf, inputs[300:])
    assert [r.input.id for r in there if r.input] == [str(i.id) for i in inputs]
    for a, b in zip(here, there, strict=True):
        assert a.status.code == b.status.code == StatusCode.SUCCESS
        assert _record(a) == _record(b)


def _record(result: Any) -> tuple[Any, ...]:
    entry = codec.index_entry(result, str(result.input.id))
    vector = None if entry.vector is None else entry.vector.tolist()
    return entry.input_id, vector, entry.vector_node, entry.concepts, entry.regions


# ---- through the App: add_inputs(engine="ray") and reindex --engine ray ------------------


def _vectors(app: Any) -> dict[str, list[float]]:
    _, ids, matrix = app._core.store.load_vectors(app._core.generation(), 0)
    return {i: row.round(6).tolist() for i, row in zip(ids, matrix, strict=True)}


def _stored(app: Any) -> list[tuple[str, int, str]]:
    return [
        (str(i.id), i.status.code, i.status.description or "")
        for i in app.list_inputs(per_page=1000)
    ]


@pytest.mark.slow
def test_an_app_indexed_by_ray_actors_equals_one_indexed_here(
    ray_local: Any, app_location: Any, tmp_path: Path
) -> None:
    from engine.app import App

    items = [{"id": str(i.id), "data": i.data.model_dump(exclude_none=True)} for i in _texts(500)]
    items.append({"id": "bad", "data": {"image": {"base64": "bm90IGFuIGltYWdl"}}})
    with App(app_location("here"), _base(), batch_size=64) as here:
        here.add_inputs(items, progress=False)
        with App(app_location("there"), _base(), batch_size=64) as there:
            there.add_inputs(items, progress=False, engine="ray", workers=2)
            assert _stored(there) == _stored(here)  # the bad input failed alone, both ways
            assert there.count_inputs(StatusCode.INPUT_FAILED) == 1
            assert _vectors(there) == _vectors(here) and len(_vectors(here)) == 500
            probe = "a red car 7"
            assert _hits(there, probe) == _hits(here, probe)


def _hits(app: Any, text: str) -> list[tuple[str, float]]:
    hits = app.search(text=text, per_page=5).hits
    return [(str(h.input.id), round(h.score, 6)) for h in hits if h.input]


@pytest.mark.slow
def test_reindex_engine_ray_from_the_command_line(
    ray_local: Any, app_location: Any, tmp_path: Path
) -> None:
    from engine.app import App
    from engine.cli import main

    flow = tmp_path / "base.yml"
    other = Workflow("other")
    other.add("text-embedder", id="embed", params={"model": "hashing", "dimensions": 128})
    flow.write_text(other.to_yaml())
    location = app_location()
    items = [{"id": str(i.id), "data": i.data.model_dump(exclude_none=True)} for i in _texts(300)]
    with App(location, _base(), batch_size=64) as app:
        app.add_inputs(items, progress=False)
        app.set_base_workflow(str(flow))  # in this process: the expected index
        expected = _vectors(app)
        app.set_base_workflow(_base())
    args = ["app", "reindex", str(location), "--base-workflow", str(flow), "--engine", "ray"]
    assert main([*args, "--workers", "2"]) == 0
    with App(location) as app:
        assert _vectors(app) == expected and len(expected) == 300


def test_engine_ray_refuses_a_base_workflow_that_uses_the_app(tmp_path: Path) -> None:
    from engine.app import App
    from engine.errors import AppError

    wf = Workflow("writer")
    wf.add("regex-based-classifier", id="rx", params={"regex": "red", "concepts": [{"id": "red"}]})
    wf.add("annotation-writer", id="w", inputs=["rx"], params={"annotation_user_id": "bot"})
    with App(tmp_path / "app", wf) as app:
        with pytest.raises(AppError, match=r"engine='ray'.*'w' \(annotation-writer\)"):
            app.add_inputs([{"data": {"text": {"raw": "a red car"}}}], engine="ray")
        with pytest.raises(ValueError, match="engine must be one of local, ray"):
            app.add_inputs([{"data": {"text": {"raw": "a red car"}}}], engine="spark")
        with pytest.raises(ValueError, match="address is for engine='ray'"):
            app.add_inputs([{"data": {"text": {"raw": "a red car"}}}], address="auto")
        assert app.count_inputs() == 0


def test_the_command_line_refuses_an_address_without_ray(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main

    assert main(["app", "create", str(tmp_path / "app")]) == 0
    code = main(["app", "add", str(tmp_path / "app"), "--text", "x", "--address", "auto"])
    assert code == 2 and "--address is for --engine ray" in capsys.readouterr().err
    code = main(
        ["app", "reindex", str(tmp_path / "app"), "--base-workflow", "text", "--address", "auto"]
    )
    assert code == 2 and "--address is for --engine ray" in capsys.readouterr().err


@pytest.mark.slow
def test_an_input_that_kills_its_actor_fails_alone(ray_local: Any, tmp_path: Path) -> None:
    from engine.app import App
    from tests.engine.run import _crash_ops

    wf = Workflow("crash")
    wf.add(_crash_ops.ExitOnText.type_id, id="x")
    texts = ["fine 0", "fine 1", "fine 2", "die", "fine 4", "fine 5"]
    items = [{"id": f"i{k}", "data": {"text": {"raw": t}}} for k, t in enumerate(texts)]
    with App(tmp_path / "app", wf, batch_size=64) as app:
        app.add_inputs(items, progress=False, engine="ray", workers=2)
        stored = {str(i.id): i.status for i in app.list_inputs(per_page=100)}
    failed = {i: s.description for i, s in stored.items() if s.code != StatusCode.INPUT_SUCCESS}
    assert list(failed) == ["i3"], failed
    assert "Ray actor" in failed["i3"]


def test_an_operator_defined_in_the_script_is_refused_for_ray() -> None:
    from engine.errors import InputError
    from engine.run.ray_runner import _operator_modules

    wf = _base()
    assert _operator_modules(wf) == sorted(
        {n.operator_cls.__module__ for n in wf._graph_nodes() if n.operator_cls}
    )
    node = wf._graph_nodes()[0]
    assert node.operator_cls is not None
    original = node.operator_cls.__module__
    try:
        node.operator_cls.__module__ = "__main__"
        with pytest.raises(InputError, match="defined in the script itself"):
            _operator_modules(wf)
    finally:
        node.operator_cls.__module__ = original
