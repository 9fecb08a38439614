"""Scripted scenarios every tracker must pass; each test module runs them on its class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine import ParamsError, Workflow
from tests.operators.track._graph import (
    crossing,
    det,
    frames_of,
    ids_by_side,
    track_ids,
    tracker_yaml,
    write_replay,
)


def run(tracker: Any, frames: list[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(tracker.update(f)) for f in frames]


def crossing_keeps_ids(cls: type[Any], **kw: Any) -> None:
    # given two objects walking towards each other, boxes overlapping half-way
    outputs = run(cls(**kw), crossing())
    left, right = ids_by_side(outputs)
    # when they have passed each other
    last = {int(r[4]): r[0] for r in outputs[-1]}
    # then the one now on the right is the one that started on the left
    assert set(last) == left | right
    assert last[left.pop()] > last[right.pop()]


def occlusion_keeps_id(cls: type[Any], **kw: Any) -> None:
    # given an object walking right, unseen for 8 frames in the middle
    rows = [[det(40 + 4 * k, 120)] if not 10 <= k < 18 else [] for k in range(30)]
    outputs = run(cls(max_disappeared=15, **kw), frames_of(*rows))
    # then it comes back under the same id
    assert len(outputs[25]) == 1
    assert {int(r[4]) for o in outputs for r in o} == {1}


def reported_after_min_visible_frames(cls: type[Any], **kw: Any) -> None:
    # given min_visible_frames 3, when an object is seen on frames 1..4
    outputs = run(cls(min_visible_frames=3, **kw), frames_of(*[[det(100, 100)]] * 4))
    # then it is reported from the third frame on
    assert [len(o) for o in outputs] == [0, 0, 1, 1]


def ids_unique_per_frame(cls: type[Any], **kw: Any) -> None:
    rng = np.random.default_rng(0)
    tracker = cls(**kw)
    for k in range(30):
        rows = [det(30 + 25 * i + rng.normal(), 60 + 2 * k + 30 * (i % 3)) for i in range(10)]
        ids = np.asarray(tracker.update(frames_of(rows)[0]))[:, 4]
        assert len(set(ids.tolist())) == len(ids)


def classes_are_kept_apart(cls: type[Any], **kw: Any) -> None:
    # given an object of class 0, replaced in place by one of class 1
    rows = [[det(100 + k, 100)] for k in range(4)]
    frames = frames_of(*rows)
    for f in frames[2:]:
        f[:, 5] = 1
    ids = {}
    for aware in (True, False):
        out = run(cls(class_aware=aware, min_visible_frames=1, **kw), frames)
        detected = [o[o[:, 7] >= 0] for o in out]  # not the tracks kept at predicted boxes
        ids[aware] = (int(detected[1][0, 4]), int(detected[3][0, 4]))
    # then class_aware gives the newcomer its own track; without it the track carries on
    assert ids[True][0] != ids[True][1]
    assert ids[False][0] == ids[False][1]


def graph_restarts_ids_per_stream(type_id: str, tmp_path: Path) -> None:
    # given two videos replaying the same crossing pair through one graph
    v1, d1 = write_replay(tmp_path, crossing(20), "a")
    v2, _ = write_replay(tmp_path, crossing(20), "b")
    wf = Workflow.from_yaml(tracker_yaml(type_id, d1, "{track_id_prefix: x}"))
    first, second = track_ids(wf, [v1, v2])
    # then the ids are stable within each video and never carried over to the other
    assert all(sorted(ids) == ["x1", "x2"] for ids in first[2:])
    assert second == first


def graph_gap_follows_max_disappeared(type_id: str, tmp_path: Path) -> None:
    # given a 10 fps video of an object unseen for 2 seconds (frames 10..29)
    rows = [[] if 10 <= k < 30 else [det(160, 120)] for k in range(40)]
    video, dets = write_replay(tmp_path, frames_of(*rows))
    ids = {}
    for seconds in (1, 3):
        # when max_disappeared (frames at 30 fps) allows 1 s, then 3 s, at 100 ms a frame
        params = f"{{max_disappeared: {30 * seconds}}}"
        wf = Workflow.from_yaml(tracker_yaml(type_id, dets, params))
        (frames,) = track_ids(wf, [video], sample_ms=100)
        ids[seconds] = {i for f in frames for i in f}
    # then a 1 s memory loses the object (a new id), a 3 s memory bridges the gap
    assert ids[1] == {"1", "2"}
    assert ids[3] == {"1"}


def refuses(type_id: str, params: str, match: str, tmp_path: Path) -> None:
    dets = tmp_path / "d.json"
    dets.write_text("{}")
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(tracker_yaml(type_id, dets, params))
