"""engine/frames.py: a video's frames kept compressed, read back as the same objects."""

from __future__ import annotations

import copy
import gc
import json
import pickle
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Workflow
from engine.frames import BLOCK_FRAMES, FrameList, FrameRecorder
from engine.proto import Data, Frame, FrameInfo, Output
from tests.factories import region

W, H, FPS, OBJECTS = 160, 120, 10.0, 12


def _frame(i: int, node: int) -> Frame:
    box = (0.01 * (i % 50), 0.02 * node, 0.5 + 0.003 * i % 0.4, 0.9)
    data = Data(regions=[region(box, {f"c{node}": 0.5 + i % 7 / 20}, value=0.75)],
                metadata={"n": i})
    return Frame(frame_info=FrameInfo(index=i, time=100 * i, number=3 * i), data=data)


def _recorded(n: int, width: int = 2) -> tuple[list[FrameList], list[list[Frame]]]:
    recorder = FrameRecorder(width)
    plain: list[list[Frame]] = [[] for _ in range(width)]
    for i in range(n):
        row = [_frame(i, k) for k in range(width)]
        recorder.add(row)
        for k, f in enumerate(row):
            plain[k].append(f)
    return recorder.finish(), plain


@pytest.mark.parametrize("n", [0, 1, BLOCK_FRAMES, BLOCK_FRAMES + 1, 3 * BLOCK_FRAMES - 5])
def test_reads_back_what_was_recorded(n: int) -> None:
    lists, plain = _recorded(n)
    for frames, expected in zip(lists, plain, strict=True):
        assert len(frames) == n and bool(frames) == bool(n)
        assert list(frames) == expected and frames == expected and expected == frames
        assert frames[2:7] == expected[2:7] and frames[::-3] == expected[::-3]
        if n:
            assert frames[0] == expected[0] and frames[-1] == expected[-1]
            assert frames[n // 2] == expected[n // 2]
        head, tail = expected[:1], expected[1:]
        assert frames + tail == expected + tail and head + frames == head + expected


def test_index_errors_and_comparisons() -> None:
    (frames,), (plain,) = _recorded(5, width=1)
    with pytest.raises(IndexError):
        frames[5]
    with pytest.raises(IndexError):
        frames[-6]
    assert frames != plain[:4] and frames != "abc" and frames == frames
    assert frames != [*plain[:4], _frame(99, 0)]
    with pytest.raises(TypeError):
        hash(frames)
    assert copy.copy(frames) is frames and copy.deepcopy(frames) is frames
    assert repr(frames) == repr(plain)


def test_a_row_must_have_one_frame_per_node() -> None:
    with pytest.raises(ValueError, match="2 frames for 3 nodes"):
        FrameRecorder(3).add([_frame(0, 0), _frame(0, 1)])


def test_json_and_pickle_are_those_of_the_list() -> None:
    (frames,), (plain,) = _recorded(2 * BLOCK_FRAMES + 3, width=1)
    lazy, eager = Data.model_construct(frames=frames), Data(frames=plain)
    assert lazy.to_dict() == eager.to_dict()
    assert json.loads(lazy.model_dump_json()) == json.loads(eager.model_dump_json())
    out = Output(id="n", data=lazy)
    assert Output.model_validate_json(out.model_dump_json()).data.frames == plain
    back = pickle.loads(pickle.dumps(lazy))
    assert isinstance(back.frames, FrameList) and back.frames == plain
    assert Data.model_validate({"frames": frames}).frames is frames
    assert frames.nbytes < len(pickle.dumps(plain))


# ---- a video through detector -> tracker -> counter -------------------------------------


def _boxes(number: int) -> np.ndarray:
    k = np.arange(OBJECTS, dtype=np.float64)
    w, h = 12.0 + k % 5 * 3.1, 10.0 + k % 4 * 2.7
    x = (k * 13.7 + number * (1.3 + k % 3 * 0.7)) % (W - w)
    y = (k * 9.1 + number * (0.9 + k % 2 * 0.6)) % (H - h)
    return np.stack([x, y, w, h], axis=1)


def _video(folder: Path, n: int) -> tuple[Path, Path]:
    video, dets = folder / f"v{n}.mp4", folder / f"v{n}.txt"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    frame = np.full((H, W, 3), 90, np.uint8)
    for _ in range(n):
        writer.write(frame)
    writer.release()
    with dets.open("w") as f:
        for number in range(n):
            f.writelines(f"{number + 1},{k + 1},{x:.2f},{y:.2f},{w:.2f},{h:.2f},0.9,-1,-1,-1\n"
                         for k, (x, y, w, h) in enumerate(_boxes(number)))
    return video, dets


def _graph(dets: Path) -> Workflow:
    nodes = [("detect", "detections-file", f"{{path: '{dets}', fps: {FPS}}}"),
             ("track", "byte-tracker", "{}"), ("count", "object-counter", "{}")]
    lines = ["workflow:", "  id: video-memory", "  nodes:"]
    for k, (nid, type_id, params) in enumerate(nodes):
        lines += [f"    - id: {nid}", "      model:", f"        model_id: {nid}",
                  f"        model_type_id: {type_id}", f"        output_info: {{params: {params}}}"]
        if k:
            lines.append(f"      node_inputs: [{{node_id: {nodes[k - 1][0]}}}]")
    return Workflow.from_yaml("\n".join(lines) + "\n")


def _held(wf: Workflow, video: Path) -> tuple[int, object]:
    """Bytes still allocated while the result of ``predict(video)`` is kept."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        response = wf.predict(str(video), sample_ms=100)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, response
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_a_video_result_grows_at_most_2_kib_per_frame(tmp_path: Path) -> None:
    short, long = 16, 16 + 2 * BLOCK_FRAMES
    video_s, _ = _video(tmp_path, short)
    video_l, dets = _video(tmp_path, long)
    wf = _graph(dets)
    seen: list[dict[str, Data | None]] = []
    # the short run also warms up (imports, caches) and records what the graph produced
    wf.predict(str(video_s), sample_ms=100, keep_frames=False,
               on_frame=lambda i, info, ctx: seen.append(dict(ctx.outputs)))
    held_s, response = _held(wf, video_s)
    held_l, _ = _held(wf, video_l)
    per_frame = (held_l - held_s) / (long - short)
    assert per_frame <= 2048, f"{per_frame:.0f} bytes per processed frame"
    # the kept frames are the frames the graph produced, region for region
    result = response.results[0]  # type: ignore[attr-defined]
    assert result.status.code == 10000
    for k, nid in enumerate(wf.node_ids):
        frames = result.outputs[k].data.frames
        assert isinstance(frames, FrameList) and len(frames) == short
        for i, frame in enumerate(frames):
            got, want = frame.data, seen[i][nid]
            assert want is not None and got is not None
            assert got.regions == want.regions and got.metadata == want.metadata
            assert frame.frame_info.index == i
    assert len(result.outputs[1].data.frames[-1].data.regions) >= OBJECTS


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_leaves_the_collector_as_it_was(enabled: bool) -> None:
    (frames,), (plain,) = _recorded(3 * BLOCK_FRAMES, width=1)
    threshold = gc.get_threshold()
    if not enabled:
        gc.disable()
    try:
        assert list(frames) == plain
        assert Data.model_construct(frames=frames).to_dict() == Data(frames=plain).to_dict()
        assert gc.isenabled() == enabled
        assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0
    finally:
        gc.enable()
