"""A graph over the frames of a video: frame by frame, every node in order on each frame, so
stateful nodes (trackers) see frames in order and memory stays flat in the video's length.

A video's result keeps each node's output per frame (``engine.frames``) without the frame's
pixels; a frame callback sees each frame's outputs as they come.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.errors import OpgraphError
from engine.executor_node import EMPTY, NodeCallback, NodeRun, step
from engine.executor_results import ResultBuilder, input_failed
from engine.frames import FrameRecorder
from engine.graph import CompiledGraph, CompiledNode
from engine.operator import Context
from engine.proto import Data, Frame, FrameInfo, Image, Input, Region, WorkflowResult
from engine.proto_build import trusted
from engine.streams import StreamState

__all__ = ["FrameCallback", "close_stream", "run_frame", "run_video", "strip_pixels"]

# (input index, frame info, the frame's Context: ctx.root is the frame, ctx.outputs by node id)
FrameCallback = Callable[[int, FrameInfo, Context], None]


def run_video(
    graph: CompiledGraph,
    results: ResultBuilder,
    inp: Input,
    index: int,
    *,
    app: Any,
    sample_ms: int,
    on_frame: FrameCallback | None,
    keep_frames: bool,
    on_node: NodeCallback | None = None,
) -> WorkflowResult:
    """``inp``'s video, frame by frame, as one result: each node's outputs as its frames."""
    from engine import media  # OpenCV is loaded only when a video is run

    nodes = graph.nodes
    recorder = FrameRecorder(len(nodes))
    errors: dict[str, str] = {}
    stream = StreamState(str(index))
    video = inp.data.video
    assert video is not None  # run() sends only video inputs here
    decoded = media.iter_frames(video, sample_ms)
    try:
        while True:
            try:
                fi, time_ms, number, pixels = next(decoded)
            except StopIteration:
                break
            except OpgraphError as exc:  # the video, not a node or the caller's callback
                if stream.last_ctx is None:
                    return results.failed(inp, input_failed(str(exc)))
                for node in nodes:
                    errors.setdefault(node.id, f"decoding stopped after frame {fi}: {exc}")
                break
            root = Data(image=Image.from_array(pixels), metadata=inp.data.metadata)
            info = FrameInfo(index=fi, time=time_ms, number=number)
            ctx, frame_errors = run_frame(
                graph, root, stream, info, index, app, 1000.0 / sample_ms, on_node
            )
            for node_id, msg in frame_errors.items():
                errors.setdefault(node_id, f"frame {fi}: {msg}")
            if on_frame is not None:
                on_frame(index, info, ctx)
            if keep_frames:
                recorder.add(_frame_row(nodes, ctx.outputs, info))
    finally:
        decoded.close()  # stops the decoding thread now, even if a frame callback raised
        close_stream(graph, stream)
    kept = recorder.finish()
    outputs: dict[str, Data | None] = {
        n.id: Data.model_construct(frames=frames) for n, frames in zip(nodes, kept, strict=True)
    }
    return results.result(inp, outputs, errors)


def run_frame(
    graph: CompiledGraph,
    root: Data,
    stream: StreamState,
    info: FrameInfo,
    input_index: int,
    app: Any,
    frame_rate: float | None,
    on_node: NodeCallback | None,
) -> tuple[Context, dict[str, str]]:
    """Run every node on one frame of ``stream`` (whose node states it reads and updates);
    the frame's Context (``ctx.outputs`` by node id) and the errors by node id."""
    ctx = Context(
        root=root,
        input_index=input_index,
        stream_id=stream.stream_id,
        app=app,
        frame_index=info.index,
        frame_time_ms=info.time,
        frame_rate=frame_rate,
        frame_number=info.number,
        ancestors=graph.ancestors,
    )
    run = NodeRun(ctx, on_node=on_node)
    for node in graph.nodes:
        step(node, run, stream.states)
    stream.last_ctx = ctx
    return ctx, run.errors


def close_stream(graph: CompiledGraph, stream: StreamState) -> None:
    """Tell every node that kept state for ``stream`` that the stream has ended."""
    last = stream.last_ctx
    if last is None:
        return
    for node in graph.nodes:
        if node.operator is not None and node.id in stream.states:
            last.node_id, last.state = node.id, stream.states[node.id]
            node.operator.close(last)


def _frame_row(
    nodes: Sequence[CompiledNode], outputs: dict[str, Data | None], info: FrameInfo
) -> list[Frame]:
    """Each node's output for one frame, as the ``Frame`` its video result keeps."""
    return [
        trusted(Frame, id=None, frame_info=info, data=strip_pixels(outputs.get(n.id)))
        for n in nodes
    ]


def strip_pixels(data: Data | None) -> Data:
    """Frame outputs keep no reference to the frame's pixels, so memory stays flat: the frame
    image goes, and region images (crops, tiles: often views of the frame) keep only their
    size."""
    if data is None:
        return EMPTY
    update: dict[str, Any] = {}
    if data.image is not None:
        update["image"] = None
    if any(
        r.data is not None and (r.data.image is not None or r.data.regions) for r in data.regions
    ):
        update["regions"] = [_strip_region(r) for r in data.regions]
    return data.model_copy(update=update) if update else data


def _strip_region(region: Region) -> Region:
    inner = region.data
    if inner is None:
        return region
    update: dict[str, Any] = {}
    if inner.image is not None:
        update["image"] = Image(image_info=inner.image.image_info)  # the size, not the pixels
    if inner.regions:
        update["regions"] = [_strip_region(r) for r in inner.regions]
    return region.model_copy(update={"data": inner.model_copy(update=update)}) if update else region
