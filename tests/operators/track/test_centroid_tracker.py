"""operators/track/centroid_tracker.py and the CentroidTracker it wraps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


CENTROID_DEFAULTS = """
workflow:
  id: centroid-defaults
  nodes:
    - id: detect
      model:
        model_id: replay
        model_type_id: detections-file
        output_info:
          params: {{path: '{dets}', fps: 10}}
    - id: track
      model:
        model_id: tracker
        model_type_id: centroid-tracker
      node_inputs:
        - node_id: detect
"""


@pytest.mark.parametrize("sample_ms", [100, 200, 1000])
def test_defaults_keep_three_moving_boxes_at_any_sampled_rate(
    sample_ms: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from engine.cli import main
    from tests.sample_media import moving_boxes

    # given the sample video: three boxes moving 5..10 px a frame at 10 fps, two crossing
    video, dets = moving_boxes(tmp_path)
    flow = tmp_path / "flow.yml"
    flow.write_text(CENTROID_DEFAULTS.format(dets=dets))
    # when the centroid-tracker runs with its defaults at this sample_ms, from the CLI
    assert main(["run", str(flow), "--input", str(video), "--sample-ms", str(sample_ms)]) == 0
    frames = json.loads(capsys.readouterr().out)["results"][0]["outputs"][1]["data"]["frames"]
    # then each box keeps one id from start to end (the gate follows the sampled rate) ...
    path: dict[str, list[float]] = {}
    for f in frames:
        for r in f["data"]["regions"]:
            path.setdefault(r["track_id"], []).append(r["region_info"]["bounding_box"]["left_col"])
    assert sorted(path) == ["1", "2", "3"]
    assert all(len(xs) == len(frames) for xs in path.values())
    # ... and the two crossing boxes do not swap: each id keeps moving its own way
    moves = {tid: np.sign(np.diff(xs)) for tid, xs in path.items()}
    assert all(len(set(m.tolist())) == 1 for m in moves.values())


def test_max_distance_is_scaled_to_the_frame_rate() -> None:
    # given a 5 fps stream (sample_ms 200): six 30 fps steps between two frames
    assert CentroidTracker(frame_rate=5, max_distance=0.3).max_distance == pytest.approx(1.8)
    assert CentroidTracker(frame_rate=30, max_distance=0.3).max_distance == pytest.approx(0.3)
