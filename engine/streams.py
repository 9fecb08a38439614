"""Per-stream state: what stateful nodes (trackers, counters) keep between one stream's frames.

A video file, a live source and a ``Workflow.session`` are each one stream: one
``StreamState`` holds every node's ``ctx.state`` for it, the next frame index and when it
was last used.  A ``StreamTable`` holds the open streams of one workflow by id, bounded in
number, and drops a stream that has been idle past its timeout (its nodes are closed).

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
        self, close: Callable[[StreamState], None], max_streams: int = MAX_STREAMS
    ) -> None:
        self._close = close
        self._max = max_streams
        self._open: dict[str, StreamState] = {}
        self._lock = threading.Lock()

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
        return state

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
        with self._lock:
            gone = [s for s in self._open.values() if s.idle(now) and not s.lock.locked()]
            for s in gone:
                del self._open[s.stream_id]
        for s in gone:
            self._close(s)
        return [s.stream_id for s in gone]
