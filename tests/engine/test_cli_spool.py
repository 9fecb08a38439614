"""engine/cli_spool.py: `opgraph run --out` keeps a video's frames on disk as they come.

The results file is the same as when the whole response is built first (every format), and
the memory a run holds does not grow with the video's length (tracemalloc: a memory bound,
not a timing)."""

from __future__ import annotations

import io
import json
import os
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Workflow, limits
from engine.cli import main
from engine.cli_output import write_response
from engine.cli_spool import FrameSpool
from engine.proto import FrameInfo
from tests.sample_media import SAMPLE_GRAPH, moving_boxes

CROP_GRAPH = """
workflow:
  id: crops
  nodes:
    - id: detect
      model:
        model_id: replay
        model_type_id: detections-file
        output_info:
          params: {{path: '{dets}', label: thing, fps: {fps}}}
    - id: crop
      model:
        model_id: cropper
        model_type_id: image-crop
      node_inputs:
        - node_id: detect
    - id: hidden
      model:
        model_id: cropper2
        model_type_id: image-crop
      node_inputs:
        - node_id: detect
      suppress_output: true
"""

TRACK_GRAPH = """
workflow:
  id: long
  nodes:
    - id: detect
      model:
        model_id: replay
        model_type_id: detections-file
        output_info:
          params: {{path: '{dets}', label: box, fps: 0.01}}
    - id: track
      model:
        model_id: tracker
        model_type_id: centroid-tracker
      node_inputs:
        - node_id: detect
    - id: count
      model:
        model_id: counter
        model_type_id: object-counter
      node_inputs:
        - node_id: track
"""


def _kept(flow: Path, video: Path, fmt: str, pretty: bool) -> str:
    """The results file as it was written before: the whole response, frames kept."""
    wf = Workflow.from_yaml(flow)
    response = wf.predict([str(video)], sample_ms=500)
    if fmt == "json":
        separators = (",", ": ") if pretty else (",", ":")
        return json.dumps(response.to_dict(), indent=2 if pretty else None,
                          separators=separators) + "\n"
    out = io.StringIO()
    write_response(response, out, fmt, pretty)  # csv and jsonl from the frames kept
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_the_results_file_is_the_same_as_from_the_whole_response(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video, dets = moving_boxes(tmp_path)
    flow = tmp_path / "crops.yml"
    flow.write_text(CROP_GRAPH.format(dets=dets, fps=10))  # crops: region images on frames
    out = tmp_path / f"out.{fmt}"
    argv = ["run", str(flow), "--input", str(video), "--sample-ms", "500", "--out", str(out)]
    assert main([*argv, "--format", fmt]) == 0
    assert out.read_text() == _kept(flow, video, fmt, pretty=False)
    if fmt == "json":
        doc = json.loads(out.read_text())
        crops = doc["results"][0]["outputs"][1]["data"]["frames"]
        assert len(crops) == 12 and len(crops[0]["data"]["regions"]) == 3
        assert [o["id"] for o in doc["results"][0]["outputs"]] == ["detect", "crop"]


def test_pretty_json_is_the_same_too(tmp_path: Path) -> None:
    video, _ = moving_boxes(tmp_path)
    spool = FrameSpool(["detect", "track", "count"])
    wf = Workflow.from_yaml(SAMPLE_GRAPH)
    wf.predict(
        [str(video)], sample_ms=500, keep_frames=False,
        on_frame=lambda i, info, ctx: spool.add(i, info, ctx.outputs),
    )
    response = wf.predict([str(video)], sample_ms=500, keep_frames=False)
    out = io.StringIO()
    with spool:
        write_response(response, out, "json", True, spool)
    assert out.getvalue() == _kept(SAMPLE_GRAPH, video, "json", pretty=True)


def test_the_spool_reads_back_each_node_in_order_and_removes_its_folder() -> None:
    spool = FrameSpool(["a", "b"])
    with spool:
        for k in range(70):  # two sealed blocks and an open one
            info = FrameInfo(index=k, time=k * 100)
            spool.add(3, info, {"a": None})
        folder = spool._folder
        assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
        assert spool.count(3, "a") == spool.count(3, "b") == 70
        assert spool.count(0, "a") == 0 and list(spool.frames(0, "a")) == []
        frames = list(spool.frames(3, "b"))
        assert [f.frame_info.index for f in frames] == list(range(70))
        assert [len(b) for b in spool.blocks(3, "a")] == [32, 32, 6]
    assert not os.path.exists(folder)


def _long_video(folder: Path, frames: int) -> tuple[Path, Path]:
    """A small video of ``frames`` frames at 10 fps and 12 boxes that move every 100 s (the
    detections table is the same size whatever the length: only the results could grow)."""
    video = folder / f"long{frames}.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 10, (96, 64))
    frame = np.full((64, 96, 3), 40, np.uint8)
    for _ in range(frames):
        writer.write(frame)
    writer.release()
    table = {
        str(t): [{"box": [4 * b + t, 2 * b, 4 * b + t + 6, 2 * b + 6], "score": 0.9}
                 for b in range(12)]
        for t in range(4)
    }
    dets = folder / f"long{frames}.json"
    dets.write_text(json.dumps({"frames": table}))
    flow = folder / f"long{frames}.yml"
    flow.write_text(TRACK_GRAPH.format(dets=dets))
    return flow, video


def _peak(flow: Path, video: Path, out: Path) -> int:
    argv = ["run", str(flow), "--input", str(video), "--sample-ms", "100", "--out", str(out)]
    # reading a data file whole reserves a buffer of its limit (256 MiB) for a moment,
    # which would be the peak: a small limit leaves the run's own memory to measure
    previous = limits.configure(data_bytes=1 << 20)
    tracemalloc.start()
    try:
        assert main(argv) == 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        limits.configure(**previous.__dict__)


@pytest.mark.slow
def test_memory_stays_flat_over_a_long_video(tmp_path: Path) -> None:
    """500 frames against 50: the peak grows by less than 128 KiB.  Caveat: ``read_file``
    reserves its whole limit for a moment, and that reservation (~4.5 MB here) is the peak
    of both runs; read without it, the 500-frame peak is ~1 MB above the 50-frame one while
    the file is written (memory after the run is flat), so this bounds kept frames, not the
    writer's transient peak."""
    warm, short, long = (_long_video(tmp_path, n) for n in (20, 50, 500))
    _peak(*warm, tmp_path / "warm.json")  # imports and first-use caches, outside the count
    small = _peak(*short, tmp_path / "short.json")
    big = _peak(*long, tmp_path / "long.json")
    frames = json.loads((tmp_path / "long.json").read_text())["results"][0]["outputs"][1]
    assert len(frames["data"]["frames"]) == 500
    assert len(frames["data"]["frames"][0]["data"]["regions"]) == 12
    assert big - small < 128 << 10, (small, big)
