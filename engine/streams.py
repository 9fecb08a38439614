"""Per-stream state: what stateful nodes (trackers, counters) keep between one stream's frames.

A video file, a live source and a ``Workflow.session`` are each one stream: one
``StreamState`` holds every node's ``ctx.state`` for it, the next frame index and when it
was last used.  A ``StreamTable`` holds the open streams of one workflow by id, bounded in
number, and drops a stream that has been idle past its timeout (its nodes are closed): on
every call, and from a sweeper thread that runs while any stream is open, so an idle
stream's state goes even when no call comes any more.

``ctx.carry`` is the one part of a node's state that survives a reset within a
stream (a live source that came back after a long gap): trackers keep their id counter
there, so a track that starts after the gap never reuses an id given before it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.operator import STATE_CARRY, Context

__all__ = ["DEFAULT_IDLE_S", "MAX_STREAMS", "StreamState", "StreamTable"]

DEFAULT_IDLE_S = 60.0
MAX_STREAMS = 1000  # open sessions of one workflow; each holds its nodes' state
# The sweeper wakes this often relative to the shortest idle timeout, within these bounds.
_SWEEP_FRACTION = 0.25
_SWEEP_MIN_S, _SWEEP_MAX_S = 0.05, 5.0


@dataclass
class StreamState:
    """One stream's node states (``states[node_id]`` is that node's ``ctx.state``)."""

    stream_id: str
    idle_s: float = DEFAULT_IDLE_S
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_index: int = 0  # the index the next frame gets
    last_time_ms: int = -1  # the last frame's time, so times never go back
    started: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    last_ctx: Context | None = None  # the last frame's Context, handed to close()
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def idle(self, now: float) -> bool:
        return now - self.last_used > self.idle_s

    def reset(self) -> None:
        """Forget every node's state but its ``STATE_CARRY`` part; frame numbering goes on."""
        self.states = {
            nid: {STATE_CARRY: s[STATE_CARRY]} for nid, s in self.states.items() if STATE_CARRY in s
        }
        self.last_ctx = None


class StreamTable:
    """The open streams of one workflow by id; ``close`` ends one stream's nodes."""

    def __init__(
        self,
        close: Callable[[StreamState], None],
        max_streams: int = MAX_STREAMS,
        *,
        timer: bool = True,
    ) -> None:
        self._close = close
        self._max = max_streams
        self._open: dict[str, StreamState] = {}
        self._lock = threading.Lock()
        self._timer = timer  # sweep from a thread too, not only on calls
        self._sweeper: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._open)

    def __contains__(self, stream_id: object) -> bool:
        return stream_id in self._open

    def open(self, stream_id: str, idle_s: float) -> StreamState:
        """A new stream; ``RuntimeError`` if the id is open or too many streams are."""
        self.sweep()
        with self._lock:
            if stream_id in self._open:
                raise RuntimeError(f"a session for stream '{stream_id}' is already open")
            if len(self._open) >= self._max:
                raise RuntimeError(
                    f"{self._max} sessions are open on this workflow: close one first"
                )
            state = self._open[stream_id] = StreamState(stream_id, idle_s)
            if self._timer and self._sweeper is None:
                self._sweeper = threading.Thread(
                    target=self._sweep_loop, name="opgraph-stream-sweeper", daemon=True
                )
                self._sweeper.start()
        return state

    def _sweep_loop(self) -> None:
        """Sweep while any stream is open; the thread ends with the last stream."""
        while True:
            with self._lock:
                if not self._open:
                    self._sweeper = None
                    return
                shortest = min(s.idle_s for s in self._open.values())
            pause = min(max(shortest * _SWEEP_FRACTION, _SWEEP_MIN_S), _SWEEP_MAX_S)
            time.sleep(pause)
            self.sweep()

    def current(self, state: StreamState) -> bool:
        """Whether ``state`` is still open (not ended, not dropped for being idle)."""
        with self._lock:
            return self._open.get(state.stream_id) is state

    def end(self, state: StreamState) -> None:
        """Close ``state``'s nodes and forget it (nothing if it was already dropped)."""
        with self._lock:
            if self._open.get(state.stream_id) is not state:
                return
            del self._open[state.stream_id]
        self._close(state)

    def sweep(self, now: float | None = None) -> list[str]:
        """End every stream idle past its timeout; their ids."""
        now = time.monotonic() if now is None else now
        gone: list[StreamState] = []
        with self._lock:
            for s in list(self._open.values()):
                # a stream in the middle of a frame is never swept; holding its lock, a
                # call that was about to start sees the stream gone and opens a new one
                if s.idle(now) and s.lock.acquire(blocking=False):
                    del self._open[s.stream_id]
                    gone.append(s)
        for s in gone:
            try:
                self._close(s)
            finally:
                s.lock.release()
        return [s.stream_id for s in gone]
