"""``Session``: one stream fed frame by frame, with its trackers and counters kept between calls.

>>> with wf.session(stream_id="cam-1", frame_rate=15) as s:      # doctest: +SKIP
...     for frame in frames:
...         result = s.predict(frame)                               # one WorkflowResult
...         regions = result.outputs[-1].data.frames[0].data.regions

Each call is one frame of the stream: its ``frame_info`` has the next index and a time in
ms (the caller's ``timestamp_ms``, else a monotonic clock from the session's start).  The
stream's state ends when the session closes, or when it has been idle longer than
``idle_timeout_s``: the next call then starts a new stream with fresh state.
"""

from __future__ import annotations

import math
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from engine.errors import InputError
from engine.inputs import to_input
from engine.proto import FrameInfo, Input, Status, StatusCode, WorkflowResult
from engine.streams import StreamState, StreamTable

if TYPE_CHECKING:
    from engine.executor import Executor

__all__ = ["Session"]


class Session:
    """A frame-by-frame stream of one workflow; make it with ``Workflow.session``."""

    def __init__(
        self,
        executor: Executor,
        table: StreamTable,
        stream_id: str,
        *,
        frame_rate: float | None,
        idle_timeout_s: float,
        app: Any = None,
    ) -> None:
        if frame_rate is not None and not (math.isfinite(frame_rate) and frame_rate > 0):
            raise ValueError(f"frame_rate must be a positive number, got {frame_rate}")
        if not (math.isfinite(idle_timeout_s) and idle_timeout_s > 0):
            raise ValueError(f"idle_timeout_s must be a positive number, got {idle_timeout_s}")
        self.stream_id = stream_id
        self.frame_rate = frame_rate
        self.idle_timeout_s = idle_timeout_s
        self._executor = executor
        self._table = table
        self._app = app
        self._closed = False
        self._state: StreamState = table.open(stream_id, idle_timeout_s)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def frames(self) -> int:
        """Frames run in the current stream (0 again after an idle timeout)."""
        return self._state.next_index if self._table.current(self._state) else 0

    def predict(self, frame: Any, *, timestamp_ms: int | None = None) -> WorkflowResult:
        """Run the workflow on one frame (a numpy image, a path, bytes, ``Data``, ``Input``
        or Clarifai JSON) as the next frame of this stream."""
        if self._closed:
            raise RuntimeError(f"the session for stream '{self.stream_id}' is closed")
        state = self._locked_state()
        try:
            try:
                inp = _frame_input(frame, state.next_index)
                info = _frame_info(state, timestamp_ms)
            except InputError as exc:
                status = Status(
                    code=StatusCode.INPUT_INVALID_ARGUMENT,
                    description="frame refused",
                    details=str(exc),
                )
                return self._executor.failed_result(Input(id=None), status)
            ctx, errors = self._executor.run_frame(
                inp.data, state, info, app=self._app, frame_rate=self.frame_rate
            )
            state.next_index += 1
            state.last_time_ms = info.time or 0
            state.last_used = time.monotonic()
        finally:
            state.lock.release()
        return self._executor.frame_result(inp, info, ctx, errors)

    def _locked_state(self) -> StreamState:
        """This session's stream with its lock held: a new stream if the old one was
        dropped for being idle (also while this call waited for the lock)."""
        self._table.sweep()
        while True:
            if not self._table.current(self._state):
                self._state = self._table.open(self.stream_id, self.idle_timeout_s)
            state = self._state
            state.lock.acquire()
            if self._table.current(state):
                return state
            state.lock.release()

    def close(self) -> None:
        """End the stream: its nodes' state goes (``close`` is called on them)."""
        if not self._closed:
            self._closed = True
            self._table.end(self._state)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _frame_input(frame: Any, index: int) -> Input:
    inp = to_input(frame, index)
    if inp.data.video is not None:
        raise InputError("a session takes one frame per call, not a video (use predict)")
    return inp


def _frame_info(state: StreamState, timestamp_ms: int | None) -> FrameInfo:
    """The next frame's index and time; a caller's time may not go back."""
    if timestamp_ms is None:
        now = round((time.monotonic() - state.started) * 1000)
        return FrameInfo(index=state.next_index, time=max(now, state.last_time_ms, 0))
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, int) or timestamp_ms < 0:
        raise InputError(f"timestamp_ms must be a whole number of ms >= 0, got {timestamp_ms!r}")
    if timestamp_ms < state.last_time_ms:
        raise InputError(
            f"timestamp_ms {timestamp_ms} is before the previous frame's {state.last_time_ms}"
        )
    return FrameInfo(index=state.next_index, time=timestamp_ms)
