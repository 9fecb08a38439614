"""operators/track/byte_tracker.py and the ByteTracker it wraps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, Image
from operators.track import ByteTracker
from operators.track.byte_tracker import ByteTrackerOperator
from tests.factories import region
from tests.operators.track import _shared_cases as cases
from tests.operators.track._graph import crossing, det, frames_of


def _run(tracker: ByteTracker, frames: list[np.ndarray]) -> list[np.ndarray]:
    return [tracker.update(f) for f in frames]


def test_two_objects_crossing_keep_their_ids() -> None:
    cases.crossing_keeps_ids(ByteTracker)


def test_an_occlusion_within_max_disappeared_keeps_the_id() -> None:
    cases.occlusion_keeps_id(ByteTracker)


def test_a_track_is_reported_only_after_min_visible_frames() -> None:
    cases.reported_after_min_visible_frames(ByteTracker)


def test_ids_are_unique_within_a_frame() -> None:
    cases.ids_unique_per_frame(ByteTracker)


def test_class_aware_keeps_classes_apart() -> None:
    cases.classes_are_kept_apart(ByteTracker)


def test_graph_tracks_each_stream_on_its_own(tmp_path: Path) -> None:
    cases.graph_restarts_ids_per_stream("byte-tracker", tmp_path)


def test_graph_gap_is_bridged_as_max_disappeared_says(tmp_path: Path) -> None:
    cases.graph_gap_follows_max_disappeared("byte-tracker", tmp_path)


def test_an_occlusion_longer_than_max_disappeared_gives_a_new_id() -> None:
    rows = [[det(40 + 4 * k, 120)] if not 10 <= k < 30 else [] for k in range(40)]
    outputs = _run(ByteTracker(max_disappeared=5, max_projected_frames=0), frames_of(*rows))
    assert int(outputs[9][0, 4]) != int(outputs[35][0, 4])


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


def test_regions_without_boxes_are_not_tracked() -> None:
    op = ByteTrackerOperator(ByteTrackerOperator.Params())
    data = _frame([(0.1, 0.1, 0.2, 0.5)])
    data = data.model_copy(update={"regions": [*data.regions, region((0, 0, 0, 0))]})
    data.regions[1].region_info = None
    out = op.process(data, Context(root=Data()))
    assert out is not None and len(out.regions) == 1


@pytest.mark.parametrize("params,match", [
    ("{min_confidence: 1.5}", "min_confidence"),
    ("{track_thresh: 0.5}", "track_thresh"),
    ("{max_disappeared: -1}", "max_disappeared"),
    ("{strategy: random}", "strategy"),
    ("{high_confidence_match_thresh: 2}", "high_confidence_match_thresh"),
    ("{max_disappeared: 0}", "max_disappeared"),
    ("{new_track_confidence_thresh: 0.3}", "new_track_confidence_thresh .0.3. must not be below"),
    ("{min_confidence: 0.6}", "min_confidence .0.6. must not exceed confidence_thresh"),
])
def test_bad_params_are_refused(params: str, match: str, tmp_path: Path) -> None:
    cases.refuses("byte-tracker", params, match, tmp_path)


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


def test_lowering_both_thresholds_tracks_low_score_objects() -> None:
    # given detections at 0.35: below the default split, above a lowered one
    frames = frames_of(*[[det(100 + 3 * k, 100, score=0.35)] for k in range(3)])
    # then they start a track once new_track_confidence_thresh and confidence_thresh allow it
    assert all(len(o) == 0 for o in _run(ByteTracker(), frames))
    low = ByteTracker(confidence_thresh=0.3, new_track_confidence_thresh=0.3)
    assert [len(o) for o in _run(low, frames)] == [1, 1, 1]


def test_concepts_are_remembered_only_for_live_tracks() -> None:
    # given a track that is lost and then dropped (1 frame memory)
    op = ByteTrackerOperator(ByteTrackerOperator.Params(max_disappeared=1))
    ctx = Context(root=Data())
    for k in range(3):
        op.process(_frame([(0.1 + 0.01 * k, 0.1, 0.2 + 0.01 * k, 0.5)]), ctx)
    # then the memory holds its concepts (not the region's data) while it lives
    (concepts,) = ctx.state["concepts"].values()
    assert [c.id for c in concepts] == ["person"]
    for _ in range(3):
        op.process(_frame([]), ctx)
    # and forgets them once the tracker has dropped it
    assert ctx.state["concepts"] == {}
