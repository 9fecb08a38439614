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
