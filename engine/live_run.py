"""Running a workflow over a stream frame by frame: a live source or a video file.

Both keep one ``StreamState`` for the stream, sample frames every ``sample_ms`` (a live
source by arrival time) and yield one result per sampled frame as soon as it is done.  A
live source that was down longer than ``reset_after_s`` starts its nodes' state afresh
(trackers go on with new ids); a shorter drop keeps it, so a track survives a blip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from engine.errors import InputError
from engine.executor import Executor
from engine.live import LiveReader
from engine.operator import Context
from engine.proto import Data, FrameInfo, Image, Input, Status, StatusCode, WorkflowResult
from engine.streams import StreamState

__all__ = ["FrameHook", "stream_file", "stream_live"]

# Sees each frame's run (pixels in ctx.root.image, each node's Data in ctx.outputs).
FrameHook = Callable[[FrameInfo, Context], None]


def stream_live(
    executor: Executor,
    reader: LiveReader,
    *,
    sample_ms: int | None,
    app: Any = None,
    max_frames: int | None = None,
    on_frame: FrameHook | None = None,
) -> Iterator[WorkflowResult]:
    """One result per sampled frame of ``reader``'s source, until it ends or is closed;
    ``sample_ms=None`` runs every frame the graph keeps up with (the newest each time)."""
    from engine.media import decode_image_bytes

    stream = StreamState(reader.source)
    inp = Input(id=_shown(reader.source))
    reset_after = reader.settings.reset_after_s
    rate = None if sample_ms is None else 1000.0 / sample_ms  # None: trackers assume 30 fps
    next_ms, number, started = 0.0, -1, None
    try:
        for frame in reader.frames():
            number += 1
            started = frame.arrival if started is None else started
            t_ms = (frame.arrival - started) * 1000.0
            if frame.gap_s > reset_after:  # the source was down too long: a new scene
                executor.close_stream(stream)
                stream.reset()
            if sample_ms is not None:
                if t_ms + 1e-6 < next_ms:
                    continue
                next_ms = (math.floor((t_ms + 1e-6) / sample_ms) + 1) * sample_ms
            info = FrameInfo(index=stream.next_index, time=round(t_ms), number=number)
            payload = frame.payload
            try:
                if isinstance(payload, bytes):
                    payload = decode_image_bytes(payload, f"frame {number} of {inp.id}")
            except InputError as exc:  # one damaged frame fails alone
                stream.next_index += 1
                yield executor.failed_result(inp, _bad_frame(str(exc)))
            else:
                root = Data(image=Image.from_array(payload))
                yield _run(executor, stream, inp, info, root, app, rate, on_frame)
            if max_frames is not None and stream.next_index >= max_frames:
                return
    finally:
        reader.close()
        executor.close_stream(stream)


def stream_file(
    executor: Executor,
    inp: Input,
    *,
    sample_ms: int,
    app: Any = None,
    on_frame: FrameHook | None = None,
) -> Iterator[WorkflowResult]:
    """One result per sampled frame of a video input, decoded as a stream."""
    from engine import media

    assert inp.data.video is not None
    stream = StreamState("0")
    decoded = media.iter_frames(inp.data.video, sample_ms)
    try:
        for fi, time_ms, number, pixels in decoded:
            info = FrameInfo(index=fi, time=time_ms, number=number)
            root = Data(image=Image.from_array(pixels), metadata=inp.data.metadata)
            yield _run(executor, stream, inp, info, root, app, 1000.0 / sample_ms, on_frame)
    finally:
        decoded.close()
        executor.close_stream(stream)


def _run(
    executor: Executor,
    stream: StreamState,
    inp: Input,
    info: FrameInfo,
    root: Data,
    app: Any,
    frame_rate: float | None,
    on_frame: FrameHook | None = None,
) -> WorkflowResult:
    ctx, errors = executor.run_frame(root, stream, info, app=app, frame_rate=frame_rate)
    stream.next_index += 1
    if on_frame is not None:
        on_frame(info, ctx)
    return executor.frame_result(inp, info, ctx, errors)


def _bad_frame(msg: str) -> Status:
    return Status(code=StatusCode.INPUT_UNSUPPORTED_FORMAT, description="frame failed", details=msg)


def _shown(source: str) -> str:
    """The source as results name it: a URL without its user and password."""
    parts = urlsplit(source)
    if parts.scheme and parts.hostname and "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[1]
        return parts._replace(netloc=netloc).geturl()
    return source
