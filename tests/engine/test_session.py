"""engine/session.py: frame-by-frame sessions that keep a stream's trackers between calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine import Session, StatusCode, Workflow
from tests.operators.track._graph import H, W, det, frames_of, track_ids, tracker_yaml, write_replay


def _comings_and_goings(n: int) -> list[np.ndarray]:
    """Given objects that appear every 40 frames, cross the frame for 120 frames and leave,
    on three lanes: ids keep being handed out over the whole run."""
    frames = []
    for k in range(n):
        live = [j for j in range(k // 40 - 2, k // 40 + 1) if j >= 0 and 0 <= k - 40 * j < 120]
        frames.append([det(20 + 2 * (k - 40 * j), 40 + 70 * (j % 3)) for j in live])
    return frames_of(*frames)


def _session_ids(s: Session, n: int, start: int = 0) -> list[list[str | None]]:
    black = np.zeros((H, W, 3), np.uint8)
    out = []
    for _ in range(start, start + n):
        result = s.predict(black)
        assert result.status.code == StatusCode.SUCCESS, result.status
        out.append([r.track_id for r in result.outputs[1].data.frames[0].data.regions])
    return out


@pytest.mark.slow
def test_a_thousand_single_frame_calls_give_the_video_file_track_ids(tmp_path: Path) -> None:
    # given 1,000 frames of boxes that come and go, as a video file and as single frames
    video, dets = write_replay(tmp_path, _comings_and_goings(1000))
    wf = Workflow.from_yaml(tracker_yaml("byte-tracker", dets))
    # when the file runs with predict and the frames one by one through a session at 10 fps
    from_file = track_ids(wf, [video], sample_ms=100)[0]
    with wf.session(stream_id="cam-1", frame_rate=10) as s:
        one_by_one = _session_ids(s, 1000)
    # then every frame carries the same ids, and many ids were handed out
    assert one_by_one == from_file
    assert len({i for f in one_by_one for i in f}) > 20


def test_frame_info_counts_frames_and_takes_the_callers_time(tmp_path: Path) -> None:
    wf = Workflow("w")
    wf.add("test-counter", id="count")
    img = np.zeros((8, 8, 3), np.uint8)
    with wf.session("s") as s:
        infos = [s.predict(img, timestamp_ms=t).outputs[0].data.frames[0] for t in (0, 40, 80)]
        clock = s.predict(img).outputs[0].data.frames[0].frame_info
        assert s.frames == 4
    assert [(f.frame_info.index, f.frame_info.time) for f in infos] == [(0, 0), (1, 40), (2, 80)]
    assert [f.data.metadata["n"] for f in infos] == [1, 2, 3]
    assert clock.index == 3 and clock.time >= 80  # the clock never runs behind a given time


def test_two_interleaved_sessions_keep_their_own_state(tmp_path: Path) -> None:
    # given two cameras whose boxes differ, each alone giving its own ids
    a_frames, b_frames = _comings_and_goings(120), _comings_and_goings(220)[100:]
    va, da = write_replay(tmp_path, a_frames, "a")
    vb, db = write_replay(tmp_path, b_frames, "b")
    wa = Workflow.from_yaml(tracker_yaml("byte-tracker", da))
    wb = Workflow.from_yaml(tracker_yaml("byte-tracker", db, "{track_id_prefix: 'b-'}"))
    alone_a, alone_b = track_ids(wa, [va])[0], track_ids(wb, [vb])[0]
    # when both are fed frame by frame, interleaved, with a counter beside each
    got_a, got_b = [], []
    with wa.session("a", frame_rate=10) as sa, wb.session("b", frame_rate=10) as sb:
        for _ in range(120):
            got_a += _session_ids(sa, 1)
            got_b += _session_ids(sb, 1)
    # then each session's ids are those of its stream alone: nothing leaked between them
    assert got_a == alone_a and got_b == alone_b
    assert not {i for f in got_a for i in f} & {i for f in got_b for i in f}


def test_sessions_of_one_workflow_do_not_share_counters() -> None:
    wf = Workflow("w")
    wf.add("test-counter", id="count")
    img = np.zeros((8, 8, 3), np.uint8)
    with wf.session("a") as a, wf.session("b") as b:
        results = [a.predict(img), a.predict(img), b.predict(img)]
    got = [r.outputs[0].data.frames[0].data.metadata for r in results]
    assert [(m["n"], m["stream"]) for m in got] == [(1, "a"), (2, "a"), (1, "b")]


def test_an_idle_session_loses_its_state() -> None:
    wf = Workflow("w")
    wf.add("test-counter", id="count")
    img = np.zeros((8, 8, 3), np.uint8)
    idle = wf.session("idle", idle_timeout_s=0.05)
    busy = wf.session("busy", idle_timeout_s=60)
    idle.predict(img)
    idle.predict(img)
    assert wf._streams is not None and "idle" in wf._streams
    idle._state.last_used -= 1.0  # as if a second had passed with no frame
    busy.predict(img)  # any session's call sweeps idle streams away
    assert "idle" not in wf._streams and idle.frames == 0
    again = idle.predict(img).outputs[0].data.frames[0]
    assert again.data.metadata["n"] == 1 and again.frame_info.index == 0  # a fresh stream
    idle.close()
    busy.close()
    assert len(wf._streams) == 0


def test_session_misuse_and_bad_frames() -> None:
    wf = Workflow("w")
    wf.add("test-counter", id="count")
    img = np.zeros((8, 8, 3), np.uint8)
    s = wf.session("x")
    with pytest.raises(RuntimeError, match="already open"):
        wf.session("x")
    bad = s.predict(np.zeros((0, 3), np.uint8))
    assert bad.status.code == StatusCode.INPUT_INVALID_ARGUMENT
    s.predict(img, timestamp_ms=100)
    back = s.predict(img, timestamp_ms=50)
    assert "before the previous frame" in (back.status.details or "")
    assert s.frames == 1  # refused frames take no index
    s.close()
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.predict(img)
    with pytest.raises(ValueError, match="frame_rate"):
        wf.session("y", frame_rate=0)
    with pytest.raises(ValueError, match="idle_timeout_s"):
        wf.session("y", idle_timeout_s=float("nan"))
    with pytest.raises(RuntimeError, match="no nodes"):
        Workflow("empty").session()
