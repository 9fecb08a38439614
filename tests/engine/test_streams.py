"""engine/streams.py: per-stream node state, the table of open streams, idle sweeps."""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine import Workflow
from engine.operator import STATE_CARRY
from engine.streams import StreamState, StreamTable
from tests.operators.track._graph import H, W, det, frames_of, tracker_yaml, write_replay


def test_reset_keeps_only_the_carried_part() -> None:
    s = StreamState("a")
    s.states = {"track": {"tracker": object(), STATE_CARRY: {"next_id": 7}}, "count": {"n": 3}}
    s.next_index = 5
    s.reset()
    assert s.states == {"track": {STATE_CARRY: {"next_id": 7}}}
    assert s.next_index == 5 and s.last_ctx is None


def test_table_bounds_ends_and_sweeps() -> None:
    closed: list[str] = []
    table = StreamTable(lambda s: closed.append(s.stream_id), max_streams=2, timer=False)
    a = table.open("a", idle_s=10)
    b = table.open("b", idle_s=5)
    with pytest.raises(RuntimeError, match="2 sessions are open"):
        table.open("c", idle_s=10)
    with b.lock:  # a stream in the middle of a frame is never swept
        assert table.sweep(now=b.last_used + 6) == []
    assert table.sweep(now=b.last_used + 6) == ["b"]
    assert not table.current(b) and table.current(a)
    table.end(b)  # already gone: nothing twice
    table.end(a)
    assert closed == ["b", "a"] and len(table) == 0


def test_idle_streams_are_swept_on_a_timer_without_any_call() -> None:
    # given one stream idle after 0.1 s and one that stays busy in a frame
    closed: list[str] = []
    table = StreamTable(lambda s: closed.append(s.stream_id))
    table.open("idle", idle_s=0.1)
    busy = table.open("busy", idle_s=0.1)
    busy.lock.acquire()
    # when nothing calls the table at all
    deadline = time.monotonic() + 10
    while "idle" in table and time.monotonic() < deadline:
        time.sleep(0.02)
    # then the sweeper thread has closed the idle one, never the busy one
    assert closed == ["idle"] and "busy" in table
    busy.lock.release()
    while table._sweeper is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    # and once the last stream is gone, the sweeper thread ends too
    assert closed == ["idle", "busy"] and table._sweeper is None


def test_a_tracker_reset_in_a_stream_never_reuses_an_id(tmp_path: object) -> None:
    # given one box, tracked, then the stream's state reset (a live source's long gap)
    frames = frames_of(*[[det(60 + 3 * k, 100)] for k in range(10)])
    _, dets = write_replay(tmp_path, frames)  # type: ignore[arg-type]
    wf = Workflow.from_yaml(tracker_yaml("byte-tracker", dets))
    black = np.zeros((H, W, 3), np.uint8)
    with wf.session("cam", frame_rate=10) as s:
        before = [s.predict(black).outputs[1].data.frames[0].data.regions for _ in range(5)]
        s._state.reset()
        after = [s.predict(black).outputs[1].data.frames[0].data.regions for _ in range(5)]
    ids_before = {r.track_id for f in before for r in f}
    ids_after = {r.track_id for f in after for r in f}
    # then the track after the reset has a new id, not the first one again
    assert ids_before == {"1"} and ids_after and not ids_after & ids_before
