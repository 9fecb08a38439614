"""operators/track/byte_tracker.py and the ByteTracker it wraps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Workflow
from operators.track import ByteTracker
from operators.track.byte_tracker import ByteTrackerOperator
from tests.factories import region
from tests.operators.track._graph import (
    crossing,
    det,
    frames_of,
    ids_by_side,
    track_ids,
    tracker_yaml,
    write_replay,
)


def _run(tracker: ByteTracker, frames: list[np.ndarray]) -> list[np.ndarray]:
    return [tracker.update(f) for f in frames]


def test_two_objects_crossing_keep_their_ids() -> None:
    # given two people walking towards each other, boxes overlapping half-way
    outputs = _run(ByteTracker(), crossing())
    left, right = ids_by_side(outputs)
    # when they have passed each other
    last = {int(r[4]): r[0] for r in outputs[-1]}
    # then the one now on the right is the one that started on the left
    assert set(last) == left | right
    assert last[left.pop()] > last[right.pop()]


def test_an_occlusion_shorter_than_max_disappeared_keeps_the_id() -> None:
    # given an object walking right, unseen for 10 frames in the middle
    rows = [[det(40 + 4 * k, 120)] if not 10 <= k < 20 else [] for k in range(30)]
    outputs = _run(ByteTracker(max_disappeared=15), frames_of(*rows))
    # then it comes back under the same id
    assert {int(r[4]) for o in outputs for r in o} == {1}


def test_an_occlusion_longer_than_max_disappeared_gives_a_new_id() -> None:
    rows = [[det(40 + 4 * k, 120)] if not 10 <= k < 30 else [] for k in range(40)]
    outputs = _run(ByteTracker(max_disappeared=5, max_projected_frames=0), frames_of(*rows))
    assert int(outputs[9][0, 4]) != int(outputs[35][0, 4])


def test_a_track_is_reported_only_after_min_visible_frames() -> None:
    # given min_visible_frames 3, when an object is seen on frames 1, 2, 3
    outputs = _run(ByteTracker(min_visible_frames=3), frames_of(*[[det(100, 100)]] * 3))
    # then it is reported from the third frame on
    assert [len(o) for o in outputs] == [0, 0, 1]


def test_low_score_detections_extend_tracks_but_do_not_start_them() -> None:
    # given a confirmed track whose object then scores low (occluded), plus a stray low box
    rows = [[det(100 + 3 * k, 100)] for k in range(3)]
    rows += [[det(100 + 3 * k, 100, score=0.2), det(250, 60, score=0.3)] for k in range(3, 8)]
    outputs = _run(ByteTracker(max_projected_frames=0), frames_of(*rows))
    # then the track lives on through the low-score frames and the stray box is never tracked
    assert [len(o) for o in outputs] == [1] * 8
    assert {int(o[0, 4]) for o in outputs} == {1}
    assert (outputs[-1][:, 7] == 0).all()  # the detection index names the matched row


def test_a_missed_detection_is_bridged_at_the_predicted_box() -> None:
    rows = [[det(100 + 5 * k, 100)] if k != 6 else [] for k in range(10)]
    outputs = _run(ByteTracker(max_projected_frames=2), frames_of(*rows))
    assert len(outputs[6]) == 1 and outputs[6][0, 7] == -1
    assert abs((outputs[6][0, 0] + outputs[6][0, 2]) / 2 - 130) < 3


def test_greedy_strategy_tracks_the_crossing_too() -> None:
    outputs = _run(ByteTracker(strategy="greedy"), crossing())
    assert {int(r[4]) for o in outputs for r in o} == {1, 2}


def test_the_standalone_class_validates_its_params() -> None:
    with pytest.raises(ValueError, match="min_confidence"):
        ByteTracker(min_confidence=2.0)
    with pytest.raises(ValueError, match="frame_rate"):
        ByteTracker(frame_rate=0)


def test_frame_rate_scales_max_disappeared() -> None:
    assert ByteTracker(frame_rate=15, max_disappeared=30).max_missed == 15


# ---- the operator ----------------------------------------------------------------------------


def _frame(boxes: list[tuple[float, float, float, float]]) -> Data:
    img = Image.from_array(np.zeros((200, 400, 3), np.uint8))
    return Data(image=img, regions=[region(b, {"person": 0.9}, value=0.9) for b in boxes])


def test_process_returns_the_frames_regions_with_prefixed_track_ids() -> None:
    op = ByteTrackerOperator(ByteTrackerOperator.Params(track_id_prefix="p-"))
    ctx = Context(root=Data())
    outs = [op.process(_frame([(0.1 + 0.01 * k, 0.1, 0.2 + 0.01 * k, 0.5),
                               (0.6, 0.5, 0.7, 0.9)]), ctx) for k in range(4)]
    assert outs[-1] is not None
    assert [r.track_id for r in outs[-1].regions] == ["p-1", "p-2"]
    # the same regions come back (concepts and all), only track_id is new
    assert outs[-1].regions[0].data.concepts[0].id == "person"
    assert outs[-1].image is not None


def test_process_keeps_one_tracker_per_stream() -> None:
    # given two streams (two contexts) fed the same objects
    op = ByteTrackerOperator(ByteTrackerOperator.Params())
    a, b = Context(root=Data(), stream_id="a"), Context(root=Data(), stream_id="b")
    for _ in range(3):
        op.process(_frame([(0.1, 0.1, 0.2, 0.5), (0.5, 0.1, 0.6, 0.5)]), a)
    out_b = op.process(_frame([(0.3, 0.3, 0.4, 0.7)]), b)
    # then stream b numbers its own tracks: nothing of stream a leaks in
    assert out_b is not None and [r.track_id for r in out_b.regions] == ["1"]
    assert a.state["tracker"] is not b.state["tracker"]


def test_regions_without_boxes_are_not_tracked() -> None:
    op = ByteTrackerOperator(ByteTrackerOperator.Params())
    data = _frame([(0.1, 0.1, 0.2, 0.5)])
    data = data.model_copy(update={"regions": [*data.regions, region((0, 0, 0, 0))]})
    data.regions[1].region_info = None
    out = op.process(data, Context(root=Data()))
    assert out is not None and len(out.regions) == 1


# ---- through the engine ----------------------------------------------------------------------


def test_graph_tracks_a_replayed_video_and_restarts_ids_per_stream(tmp_path: Path) -> None:
    # given two videos: a crossing pair, and one lone walker
    v1, d1 = write_replay(tmp_path, crossing(20), "a")
    v2, _ = write_replay(tmp_path, frames_of(*[[det(50 + 3 * k, 100)] for k in range(20)]), "b")
    # (both videos replay the first file: the detector looks frames up by index)
    wf = Workflow.from_yaml(tracker_yaml("byte-tracker", d1, "{track_id_prefix: t}"))
    # when the same graph runs them in one batch
    first, second = track_ids(wf, [v1, v2])
    # then every frame has both tracks, with stable ids, unique within the frame
    assert all(sorted(ids) == ["t1", "t2"] for ids in first)
    assert second == first  # separate state: the second stream starts from scratch


@pytest.mark.parametrize("params,match", [
    ("{min_confidence: 1.5}", "min_confidence"),
    ("{track_thresh: 0.5}", "track_thresh"),
    ("{max_disappeared: -1}", "max_disappeared"),
    ("{strategy: random}", "strategy"),
    ("{high_confidence_match_thresh: 2}", "high_confidence_match_thresh"),
])
def test_bad_params_are_refused(params: str, match: str, tmp_path: Path) -> None:
    dets = tmp_path / "d.json"
    dets.write_text("{}")
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(tracker_yaml("byte-tracker", dets, params))


def test_without_any_image_the_boxes_are_tracked_in_fractions() -> None:
    # given frames that carry regions but no image anywhere upstream
    op = ByteTrackerOperator(ByteTrackerOperator.Params())
    ctx = Context(root=Data())
    outs = [op.process(Data(regions=[region((0.1 + 0.01 * k, 0.1, 0.2 + 0.01 * k, 0.4),
                                            value=0.9)]), ctx) for k in range(3)]
    # then tracking works the same (every cost is scale-free)
    assert all(o is not None and [r.track_id for r in o.regions] == ["1"] for o in outs)


def test_a_projected_track_keeps_its_last_concepts() -> None:
    op = ByteTrackerOperator(ByteTrackerOperator.Params(max_projected_frames=1))
    ctx = Context(root=Data())
    for k in range(3):
        op.process(_frame([(0.1 + 0.01 * k, 0.1, 0.2 + 0.01 * k, 0.5)]), ctx)
    out = op.process(_frame([]), ctx)
    assert out is not None and len(out.regions) == 1
    projected = out.regions[0]
    assert projected.track_id == "1" and projected.data is not None
    assert projected.data.metadata == {"projected": True}
    assert projected.data.concepts[0].id == "person"
