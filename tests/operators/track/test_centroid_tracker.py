"""operators/track/centroid_tracker.py and the CentroidTracker it wraps."""

from __future__ import annotations

from pathlib import Path

import pytest

from operators.track import CentroidTracker
from tests.operators.track import _shared_cases as cases


def test_two_objects_crossing_keep_their_ids() -> None:
    cases.crossing_keeps_ids(CentroidTracker)


def test_an_occlusion_within_max_disappeared_keeps_the_id() -> None:
    cases.occlusion_keeps_id(CentroidTracker)


def test_a_track_is_reported_only_after_min_visible_frames() -> None:
    cases.reported_after_min_visible_frames(CentroidTracker)


def test_ids_are_unique_within_a_frame() -> None:
    cases.ids_unique_per_frame(CentroidTracker)


def test_class_aware_keeps_classes_apart() -> None:
    cases.classes_are_kept_apart(CentroidTracker)


def test_graph_tracks_each_stream_on_its_own(tmp_path: Path) -> None:
    cases.graph_restarts_ids_per_stream("centroid-tracker", tmp_path)


def test_graph_gap_is_bridged_as_max_disappeared_says(tmp_path: Path) -> None:
    cases.graph_gap_follows_max_disappeared("centroid-tracker", tmp_path)


def test_a_jump_beyond_max_distance_starts_a_new_track() -> None:
    # given an object that suddenly appears far away (more than max_distance diagonals)
    frames = cases.frames_of([cases.det(100, 100)], [cases.det(100, 100)], [cases.det(250, 100)])
    outputs = cases.run(CentroidTracker(max_distance=0.5), frames)
    # then it is a different track
    assert int(outputs[1][0, 4]) != int(outputs[2][0, 4])


def test_scores_below_min_confidence_are_ignored() -> None:
    frames = cases.frames_of(*[[cases.det(100, 100, score=0.3)]] * 3)
    assert all(len(o) == 0 for o in cases.run(CentroidTracker(min_confidence=0.5), frames))


@pytest.mark.parametrize("params,match", [
    ("{max_distance: 0}", "max_distance"),
    ("{min_visible_frames: 0}", "min_visible_frames"),
    ("{max_disapeared: 3}", "max_disapeared"),
    ("{max_disappeared: 0}", "max_disappeared"),
])
def test_bad_params_are_refused(params: str, match: str, tmp_path: Path) -> None:
    cases.refuses("centroid-tracker", params, match, tmp_path)
