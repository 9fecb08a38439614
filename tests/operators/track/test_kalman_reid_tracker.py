"""operators/track/kalman_reid_tracker.py and the KalmanReidTracker it wraps."""

from __future__ import annotations

from pathlib import Path

import pytest

from operators.track import KalmanReidTracker, KalmanTracker
from tests.operators.track import _shared_cases as cases


def test_two_objects_crossing_keep_their_ids() -> None:
    cases.crossing_keeps_ids(KalmanReidTracker)


def test_an_occlusion_within_max_disappeared_keeps_the_id() -> None:
    cases.occlusion_keeps_id(KalmanReidTracker)


def test_a_track_is_reported_only_after_min_visible_frames() -> None:
    cases.reported_after_min_visible_frames(KalmanReidTracker)


def test_ids_are_unique_within_a_frame() -> None:
    cases.ids_unique_per_frame(KalmanReidTracker)


def test_class_aware_keeps_classes_apart() -> None:
    cases.classes_are_kept_apart(KalmanReidTracker)


def test_graph_tracks_each_stream_on_its_own(tmp_path: Path) -> None:
    cases.graph_restarts_ids_per_stream("kalman-reid-tracker", tmp_path)


def test_graph_gap_is_bridged_as_max_disappeared_says(tmp_path: Path) -> None:
    cases.graph_gap_follows_max_disappeared("kalman-reid-tracker", tmp_path)


def _walker(k: int, x0: float, hidden: range) -> list[list[float]]:
    return [] if k in hidden else [cases.det(x0 + 2 * k, 120)]


def test_appearance_reidentifies_a_track_that_reappears_elsewhere() -> None:
    # given an object lost for 10 frames that reappears 80 px from where motion expects it
    import numpy as np

    look = np.array([0.0, 1.0, 0.0])
    frames, embs = [], []
    for k in range(30):
        x = 60 + 2 * k + (80 if k >= 20 else 0)
        rows = [] if 10 <= k < 20 else [cases.det(x, 120)]
        frames.append(cases.frames_of(rows)[0])
        embs.append(np.tile(look, (len(rows), 1)))
    tracker = KalmanReidTracker(project_without_detect=False)
    outs = [tracker.update(f, e) for f, e in zip(frames, embs, strict=True)]
    # then the appearance brings the old id back
    assert {int(r[4]) for o in outs for r in o} == {1}
    # and without embeddings it is a new track
    plain = KalmanReidTracker(project_without_detect=False)
    ids = {int(r[4]) for f in frames for r in plain.update(f)}
    assert len(ids) == 2


def test_use_detect_box_reports_the_detection_box() -> None:
    frames = cases.frames_of(*[[cases.det(100 + 3 * k, 120)] for k in range(5)])
    out = cases.run(KalmanReidTracker(use_detect_box=True), frames)[-1]
    assert out[0, :4] == pytest.approx(frames[-1][0, :4])


@pytest.mark.parametrize("use_detect_box", [True, False])
def test_use_detect_box_decides_the_regions_box_in_a_workflow(use_detect_box: bool) -> None:
    # given a box whose width jitters frame to frame
    from engine import Context, Data, geometry
    from operators.track.kalman_reid_tracker import KalmanReidTrackerOperator
    from tests.operators.track._graph import frame_data

    op = KalmanReidTrackerOperator(
        KalmanReidTrackerOperator.Params(use_detect_box=use_detect_box)
    )
    ctx = Context(root=Data())
    for k in range(6):
        box = (0.1 + 0.02 * k, 0.1, 0.2 + 0.02 * k + 0.02 * (k % 2), 0.5)
        out = op.process(frame_data([box]), ctx)
    assert out is not None
    got = geometry.boxes_from_proto([out.regions[0].region_info.bounding_box])[0]
    # then the region keeps the detection's box, or gets the tracker's smoothed one
    assert (got == pytest.approx(box, abs=1e-6)) is use_detect_box


@pytest.mark.parametrize("cls,kw", [(KalmanReidTracker, {"distance_metric": "euclidean"}),
                                     (KalmanTracker, {"has_embedding": True})])
def test_embedding_size_may_change_only_once_the_tracks_are_gone(cls: type, kw: dict) -> None:
    import numpy as np

    tracker = cls(max_disappeared=1, **kw)
    f = cases.frames_of([cases.det(100, 100)])[0]
    tracker.update(f, np.ones((1, 4)))
    # a different size while a track holds the old one is refused, and changes nothing
    with pytest.raises(ValueError, match="embedding size changed from 4 to 5"):
        tracker.update(f, np.ones((1, 5)))
    assert len(tracker.book) == 1
    # once every track is gone, a new embedder's size starts afresh
    for _ in range(4):
        tracker.update(cases.frames_of([])[0])
    assert len(tracker.book) == 0
    out = [tracker.update(f, np.ones((1, 5))) for _ in range(3)]
    assert len(out[-1]) == 1


@pytest.mark.parametrize("params,match", [
    ("{distance_metric: manhattan}", "distance_metric"),
    ("{covariance_error: 0}", "covariance_error"),
    ("{association_confidence: 3}", "association_confidence"),
    ("{project_track: sometimes}", "project_track"),
    ("{max_disappeared: 0}", "max_disappeared"),
    ("{association_confidence: 0.6, initialization_confidence: 0.5}",
     "association_confidence .0.6. must not exceed initialization_confidence"),
])
def test_bad_params_are_refused(params: str, match: str, tmp_path: Path) -> None:
    cases.refuses("kalman-reid-tracker", params, match, tmp_path)
