"""engine/executor_video.py: frames in order, state per stream, streaming output."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine import StatusCode, Workflow
from engine.cli import main


def _video(
    path: Path, seconds: float = 3.0, fps: int = 10, size: tuple[int, int] = (64, 48)
) -> Path:
    """A moving square, written with OpenCV: no file is checked in."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for k in range(int(seconds * fps)):
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        x = 2 + k
        cv2.rectangle(frame, (x, 10), (x + 12, 22), (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return _video(tmp_path / "clip.mp4")


def _counter() -> Workflow:
    wf = Workflow("w")
    wf.add("test-counter", id="count")
    wf.add("test-image-size", id="size")
    return wf


def test_each_sampled_frame_runs_the_graph_in_order(clip: Path) -> None:
    result = _counter().predict([str(clip)], sample_ms=500).results[0]
    assert result.status.code == StatusCode.SUCCESS
    frames = result.outputs[0].data.frames
    assert [f.frame_info.time for f in frames] == [0, 500, 1000, 1500, 2000, 2500]
    assert [f.data.metadata["n"] for f in frames if f.data.metadata] == [1, 2, 3, 4, 5, 6]
    assert [f.frame_info.number for f in frames] == [0, 5, 10, 15, 20, 25]
    sizes = {f.data.concepts[0].value for f in result.outputs[1].data.frames}
    assert sizes == {64.0}


def test_two_videos_in_one_batch_keep_separate_state(clip: Path, tmp_path: Path) -> None:
    other = _video(tmp_path / "other.mp4", seconds=2.0)
    resp = _counter().predict([str(clip), str(other), {"data": {"text": {"raw": "t"}}}])
    counts = [[f.data.metadata["n"] for f in r.outputs[0].data.frames] for r in resp.results[:2]]
    assert counts == [[1, 2, 3], [1, 2]]
    assert (
        resp.results[0].outputs[0].data.frames[0].data.metadata["stream"]
        != (resp.results[1].outputs[0].data.frames[0].data.metadata["stream"])
    )


def test_unreadable_video_fails_only_that_input(tmp_path: Path, clip: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    resp = _counter().predict([str(bad), str(clip)])
    assert resp.status.code == StatusCode.MIXED_STATUS
    assert resp.results[0].status.code == StatusCode.INPUT_UNSUPPORTED_FORMAT
    assert resp.results[1].status.code == StatusCode.SUCCESS


def test_cli_stream_prints_one_line_per_frame(
    clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / "wf.yml"
    wf.write_text(_counter().to_yaml())
    drawn = tmp_path / "drawn.mp4"
    code = main(
        [
            "run",
            str(wf),
            "--input",
            str(clip),
            "--stream",
            "--sample-ms",
            "1000",
            "--draw",
            str(drawn),
        ]
    )
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["frame_info"]["time"] for line in lines[:-1]] == [0, 1000, 2000]
    assert lines[-1]["status"]["code"] == 10000
    cap = cv2.VideoCapture(str(drawn))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    cap.release()


def test_every_frame_nodes_see_frames_their_branch_stopped_on(clip: Path) -> None:
    wf = Workflow("w")
    odd = wf.add("test-odd-frames", id="odd")
    wf.add("test-counter", id="plain", inputs=[odd])
    wf.add("test-every-frame-counter", id="every", inputs=[odd])
    result = wf.predict([str(clip)], sample_ms=500).results[0]
    plain, every = (o.data.frames for o in result.outputs[1:])
    assert [f.data.metadata["n"] if f.data.metadata else None for f in plain] == [
        None,
        1,
        None,
        2,
        None,
        3,
    ]
    assert [f.data.metadata["n"] for f in every if f.data.metadata] == [1, 2, 3, 4, 5, 6]


def test_per_region_node_runs_on_each_half(clip: Path) -> None:
    wf = Workflow("w")
    halves = wf.add("test-halves")
    wf.add("test-image-size", inputs=[halves])
    frames = wf.predict([str(clip)], sample_ms=1000).results[0].outputs[1].data.frames
    assert [[r.data.concepts[0].value for r in f.data.regions] for f in frames] == [
        [32.0, 32.0]
    ] * 3


def test_frame_results_keep_no_pixels_of_region_images(clip: Path) -> None:
    wf = Workflow("w")
    halves = wf.add("test-halves")
    wf.add("test-image-size", inputs=[halves])
    result = wf.predict([str(clip)], sample_ms=1000).results[0]
    for out in result.outputs:
        for f in out.data.frames:
            assert f.data.image is None
            for r in f.data.regions:
                assert r.data is not None and r.data.image is not None
                assert r.data.image._array is None  # the size is kept, the pixels are not
                assert r.data.image.image_info is not None
                assert r.data.image.image_info.width == 32


def test_nodes_know_the_sampled_frame_rate(clip: Path) -> None:
    wf = Workflow("w")
    wf.add("test-frame-rate")
    frames = wf.predict([str(clip)], sample_ms=250).results[0].outputs[0].data.frames
    assert {f.data.metadata["fps"] for f in frames if f.data.metadata} == {4.0}
    still = wf.predict([{"data": {"text": {"raw": "a"}}}]).results[0].outputs[0].data
    assert still.metadata == {"fps": None}


def test_on_node_is_told_each_node_s_time_on_each_frame(clip: Path) -> None:
    told: list[str] = []
    _counter().predict([str(clip)], sample_ms=500, on_node=lambda n, s: told.append(n))
    assert told == ["count", "size"] * 6
