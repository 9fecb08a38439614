"""operators/track/kalman_tracker.py and the KalmanTracker it wraps."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Region
from operators.track import KalmanTracker
from tests.operators.track import _shared_cases as cases


def test_two_objects_crossing_keep_their_ids() -> None:
    cases.crossing_keeps_ids(KalmanTracker)


def test_an_occlusion_within_max_disappeared_keeps_the_id() -> None:
    cases.occlusion_keeps_id(KalmanTracker)


def test_a_track_is_reported_only_after_min_visible_frames() -> None:
    cases.reported_after_min_visible_frames(KalmanTracker)


def test_ids_are_unique_within_a_frame() -> None:
    cases.ids_unique_per_frame(KalmanTracker)


def test_class_aware_keeps_classes_apart() -> None:
    cases.classes_are_kept_apart(KalmanTracker)


def test_graph_tracks_each_stream_on_its_own(tmp_path: Path) -> None:
    cases.graph_restarts_ids_per_stream("kalman-filter-tracker", tmp_path)


def test_graph_gap_is_bridged_as_max_disappeared_says(tmp_path: Path) -> None:
    cases.graph_gap_follows_max_disappeared("kalman-filter-tracker", tmp_path)


def test_max_detection_keeps_the_best_scoring_detections() -> None:
    rows = [[cases.det(60, 100, 0.9), cases.det(160, 100, 0.5), cases.det(260, 100, 0.7)]] * 3
    tracker = KalmanTracker(max_detection=2, min_visible_frames=1)
    outputs = cases.run(tracker, cases.frames_of(*rows))
    assert sorted(outputs[-1][:, 7].astype(int).tolist()) == [0, 2]


def test_without_probability_every_detection_counts() -> None:
    rows = [[cases.det(60, 100, 0.05)]] * 3
    frames = cases.frames_of(*rows)
    assert len(cases.run(KalmanTracker(has_probability=False), frames)[-1]) == 1
    assert len(cases.run(KalmanTracker(), frames)[-1]) == 0


def test_filtered_probability_smooths_the_reported_score() -> None:
    rows = [[cases.det(60, 100, s)] for s in (0.9, 0.9, 0.9, 0.3)]
    raw = cases.run(KalmanTracker(), cases.frames_of(*rows))[-1][0, 5]
    smooth = cases.run(KalmanTracker(filtered_probability=True), cases.frames_of(*rows))[-1][0, 5]
    assert raw == pytest.approx(0.3) and smooth > 0.6


def test_embeddings_join_the_cost_only_with_has_embedding() -> None:
    # given two objects swapping places between frames, with telling embeddings
    import numpy as np

    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    f0 = cases.frames_of([cases.det(100, 100), cases.det(120, 100)])[0]
    f1 = cases.frames_of([cases.det(120, 100), cases.det(100, 100)])[0]
    tracker = KalmanTracker(has_embedding=True, min_visible_frames=1)
    first = tracker.update(f0, np.stack([a, b]))
    second = tracker.update(f1, np.stack([b, a]))
    # then each identity follows its appearance, not the nearer box
    id_of = {int(r[7]): int(r[4]) for r in first}
    assert {int(r[7]): int(r[4]) for r in second} == {0: id_of[1], 1: id_of[0]}


@pytest.mark.parametrize("params,match", [
    ("{max_detection: -1}", "max_detection"),
    ("{has_probability: maybe}", "has_probability"),
    ("{min_confidence: 1.2}", "min_confidence"),
    ("{max_disappeared: 0}", "max_disappeared"),
])
def test_bad_params_are_refused(params: str, match: str, tmp_path: Path) -> None:
    cases.refuses("kalman-filter-tracker", params, match, tmp_path)


def test_a_detection_without_embedding_is_tracked_on_overlap() -> None:
    # given has_embedding, one region with an embedding and one without (zeros)
    import numpy as np

    frames = cases.frames_of(*[[cases.det(60 + 2 * k, 100), cases.det(200, 100)]
                               for k in range(4)])
    embs = np.array([[1.0, 0.0], [0.0, 0.0]])
    tracker = KalmanTracker(has_embedding=True, min_visible_frames=1, max_projected_frames=0)
    outs = [tracker.update(f, embs) for f in frames]
    # then both are reported, each under one stable id
    assert all(sorted(o[:, 7].astype(int).tolist()) == [0, 1] for o in outs)
    assert {int(r[4]) for o in outs for r in o} == {1, 2}


def test_filtered_probability_is_written_to_the_region_value() -> None:
    from engine import Context, Data
    from operators.track.kalman_tracker import KalmanTrackerOperator
    from tests.operators.track._graph import frame_data

    def last_region(filtered: bool) -> Region:
        op = KalmanTrackerOperator(KalmanTrackerOperator.Params(filtered_probability=filtered))
        ctx = Context(root=Data())
        for k, s in enumerate((0.9, 0.9, 0.9, 0.3)):
            out = op.process(frame_data([(0.1 + 0.01 * k, 0.1, 0.2 + 0.01 * k, 0.5)], s), ctx)
        assert out is not None and len(out.regions) == 1
        return out.regions[0]

    raw, smooth = last_region(False), last_region(True)
    assert raw.value == pytest.approx(0.3) and smooth.value > 0.6
    # the concepts keep the detector's value either way
    assert smooth.data.concepts[0].value == pytest.approx(0.3)
