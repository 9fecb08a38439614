"""Runs a compiled graph over a batch of inputs, or over the frames of a video stream.

Still inputs run in chunks of ``BATCH_CHUNK``, node by node across a chunk (so an I/O-bound
node can serve the chunk, and independent I/O-bound branches, at once from a thread pool),
with Python's automatic full garbage collections paused (``engine._gcpause``) so the cost
of an input stays flat in the batch size.  A video input runs
frame by frame, every node in order on each frame, so stateful nodes (trackers) see frames
in order and memory stays flat in the video's length.

Rules every node gets for free: a node without inputs reads the workflow input; several
inputs are merged; a ``None`` output stops the branch for that input; a node whose
``reads`` include ``image``, given regions that carry images (crops, tiles), runs once per
region image and its output is nested into that region; an exception becomes that output's
error status and the rest of the batch goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from engine._gcpause import paused_gc, settle
from engine.errors import DeliveryError, OperatorError, OpgraphError
from engine.frames import FrameRecorder
from engine.graph import CompiledGraph, CompiledNode
from engine.operator import Context, Operator
from engine.proto import (
    Data,
    Frame,
    FrameInfo,
    Image,
    Input,
    Model,
    Output,
    Region,
    Status,
    StatusCode,
    WorkflowResult,
    assembled,
    trusted,
)
from engine.streams import StreamState

__all__ = [
    "BATCH_CHUNK",
    "DEFAULT_SAMPLE_MS",
    "Executor",
    "FrameCallback",
    "NodeCallback",
    "StepCallback",
    "merge_data",
]

DEFAULT_SAMPLE_MS = 1000
# still inputs run through the graph this many at a time: enough to keep the I/O thread pool
# busy, few enough that a chunk's data stays in the CPU's caches between nodes
BATCH_CHUNK = 32
_log = logging.getLogger(__name__)
_NESTED_FIELDS = ("regions", "concepts", "text", "embeddings", "colors", "metadata")
_MERGED_LISTS = ("concepts", "regions", "embeddings", "colors", "frames", "hits")
_OK = Status(code=StatusCode.SUCCESS, description="Ok")
_EMPTY = Data()  # shared by every empty output; outputs are never mutated in place

# (input index, frame info, the frame's Context: ctx.root is the frame, ctx.outputs by node id)
FrameCallback = Callable[[int, FrameInfo, Context], None]
# (node steps done, node steps in all) for a batch of still inputs: one step is one node on
# one input, so a progress bar can move while a batch runs node by node
StepCallback = Callable[[int, int], None]
# (node id, seconds) after a node ran on one input or frame (from the I/O pool's threads too)
NodeCallback = Callable[[str, float], None]


class _Run:
    """One input's (or one frame's) run: what each node produced or why it failed."""

    __slots__ = ("ctx", "errors", "on_node")

    def __init__(
        self,
        ctx: Context,
        errors: dict[str, str] | None = None,
        on_node: NodeCallback | None = None,
    ) -> None:
        if errors is not None:
            ctx.errors = errors
        self.ctx = ctx
        self.errors = ctx.errors  # a node may see why the nodes before it failed
        self.on_node = on_node


class Executor:
    def __init__(self, graph: CompiledGraph, *, max_workers: int = 8) -> None:
        graph.instantiate()
        self.graph = graph
        self.max_workers = max_workers
        # per level: the nodes run inline, then the I/O-bound ones run together in threads
        self._plan = [
            ([n for n in level if not _io(n)], [n for n in level if _io(n)])
            for level in graph.levels
        ]
        self._models = {n.id: _model_info(n) for n in graph.nodes}
        self._shown = [n for n in graph.nodes if not n.spec.suppress_output]
        self._counting = {
            n.id for n in graph.nodes if n.operator_cls is not None and n.operator_cls.counts_tokens
        }
        # per shown node: its id, whether it counts tokens, and its Output's fields but the
        # data (a copy of them is each input's Output: see _result)
        self._templates = [
            (n.id, n.id in self._counting, _output_fields(n.id, self._models[n.id]))
            for n in self._shown
        ]
        # a graph of CPU-bound nodes runs input by input (_run_inputs), in this order: each
        # node with the single input it reads (None: the workflow input) and the operator it
        # calls directly (None: the node takes _step, which handles every other case)
        self._depth_first: list[tuple[CompiledNode, str | None, Operator | None]] | None = None
        if not any(io for _, io in self._plan):
            self._depth_first = [
                (n, n.spec.inputs[0] if n.spec.inputs else None, _direct(n))
                for inline, _ in self._plan
                for n in inline
            ]

    # ---- public -------------------------------------------------------------------------

    def run(
        self,
        inputs: list[Input],
        *,
        app: Any = None,
        sample_ms: int = DEFAULT_SAMPLE_MS,
        on_frame: FrameCallback | None = None,
        keep_frames: bool = True,
        indices: Sequence[int] | None = None,
        on_step: StepCallback | None = None,
        on_node: NodeCallback | None = None,
    ) -> list[WorkflowResult]:
        """One ``WorkflowResult`` per input, in order, each with one output per shown node.

        ``indices`` number the inputs in the user's batch (``ctx.input_index``, messages) when
        some were refused before running; by default 0, 1, 2, ...  ``on_node(node_id,
        seconds)`` is told how long each node took on each input (or frame).
        """
        numbers = range(len(inputs)) if indices is None else indices
        for inp in inputs:
            if inp.data.video is not None:
                break
        else:  # the common case: no streams
            return self._run_still(inputs, numbers, app, on_step, on_node)
        results: list[WorkflowResult | None] = [None] * len(inputs)
        still = [i for i, inp in enumerate(inputs) if inp.data.video is None]
        done = self._run_still(
            [inputs[i] for i in still], [numbers[i] for i in still], app, on_step, on_node
        )
        for i, result in zip(still, done, strict=True):
            results[i] = result
        for i, inp in enumerate(inputs):
            if inp.data.video is not None:
                results[i] = self._run_video(
                    inp, numbers[i], app, sample_ms, on_frame, keep_frames, on_node
                )
        return [r for r in results if r is not None]

    def failed_result(self, inp: Input, status: Status) -> WorkflowResult:
        """The result for an input refused before running: every node carries the reason."""
        errors = {n.id: status.details or status.description for n in self.graph.nodes}
        result = self._result(inp, {}, errors)
        result.status = status
        return result

    # ---- still inputs --------------------------------------------------------------------

    def _run_still(
        self,
        inputs: list[Input],
        indices: Sequence[int],
        app: Any,
        on_step: StepCallback | None,
        on_node: NodeCallback | None,
    ) -> list[WorkflowResult]:
        if len(inputs) == 1:  # retains too little for the collector to matter: no pause
            (run,) = self._run_batch(inputs, indices, app, on_step, on_node)
            return [self._result(inputs[0], run.ctx.outputs, run.errors)]
        with paused_gc():
            runs = self._run_batch(inputs, indices, app, on_step, on_node)
            pairs = zip(inputs, runs, strict=True)
            # the results too: building them allocates as much as the run
            return [self._result(inp, r.ctx.outputs, r.errors) for inp, r in pairs]

    def _run_batch(
        self,
        inputs: list[Input],
        indices: Sequence[int],
        app: Any,
        on_step: StepCallback | None = None,
        on_node: NodeCallback | None = None,
    ) -> list[_Run]:
        runs = [
            _Run(
                Context(
                    root=inp.data,
                    input_id=inp.id,
                    input_index=i,
                    stream_id=str(i),
                    app=app,
                    ancestors=self.graph.ancestors,
                ),
                on_node=on_node,
            )
            for inp, i in zip(inputs, indices, strict=True)
        ]
        total = len(runs) * len(self.graph.nodes)
        if self._depth_first is not None and app is None:
            self._run_inputs(runs, total, on_step)
            return runs
        done = 0
        for start in range(0, len(runs), BATCH_CHUNK):
            done = self._run_chunk(runs[start : start + BATCH_CHUNK], done, total, on_step)
        return runs

    def _run_inputs(self, runs: list[_Run], total: int, on_step: StepCallback | None) -> None:
        """Each input through every node in turn (a graph of CPU-bound nodes outside an App).

        Depth first: an input's outputs are still in the CPU's caches when the next node
        reads them (node by node across 32 inputs of 50 regions cost 1.5x more).  Each node
        sees the inputs in batch order, as node by node, and an input sees the nodes in the
        same order.  The engine's hot loop: a node with one input (or none) whose input is
        there calls ``process`` here; the rest (a stopped branch, merges, region images,
        callbacks) takes ``_step``.
        """
        steps = self._depth_first
        assert steps is not None  # _run_batch comes here only for such graphs
        batch, done = len(runs) > 1, 0
        for run in runs:
            ctx, timed = run.ctx, on_step is not None or run.on_node is not None
            outputs = ctx.outputs
            for node, source, op in steps:
                data = ctx.root if source is None else outputs.get(source)
                if op is None or data is None or timed:
                    self._step(node, run, None)
                else:
                    ctx.node_id = node.id
                    ctx.state = {}
                    try:
                        outputs[node.id] = op.process(data, ctx)
                    except Exception as exc:
                        self._node_raised(node, run, exc)
                if on_step is not None:
                    done += 1
                    on_step(done, total)
            if batch:
                settle()  # this input's outputs are not scanned again during the batch

    def _run_chunk(
        self, runs: list[_Run], done: int, total: int, on_step: StepCallback | None
    ) -> int:
        """Every node, level by level, on a chunk of inputs; the node steps done after it.
        Level by level, so the I/O-bound nodes of a level serve the chunk at once."""
        for inline, io_nodes in self._plan:
            for node in inline:
                for run in runs:
                    self._step(node, run, None)
                    done += 1
                    if on_step is not None:
                        on_step(done, total)
                settle()  # this node's outputs are not scanned again during the batch
            if io_nodes:
                self._step_io(io_nodes, runs)
                done += len(io_nodes) * len(runs)
                settle()
                if on_step is not None:
                    on_step(done, total)
        return done

    def _step_io(self, nodes: list[CompiledNode], runs: list[_Run]) -> None:
        """Run I/O-bound nodes of one generation for every input at once."""

        def one(job: tuple[CompiledNode, _Run]) -> tuple[CompiledNode, _Run, _Run]:
            node, run = job
            # a private Context per thread: node_id and state differ between the jobs
            private = _Run(
                replace(run.ctx, outputs=dict(run.ctx.outputs)), dict(run.errors), run.on_node
            )
            self._step(node, private, None)
            return node, run, private

        jobs = [(n, r) for n in nodes for r in runs]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(jobs))) as pool:
            for node, run, private in pool.map(one, jobs):
                run.ctx.outputs[node.id] = private.ctx.outputs.get(node.id)
                if node.id in private.errors:
                    run.errors[node.id] = private.errors[node.id]

    def _step(
        self, node: CompiledNode, run: _Run, states: dict[str, dict[str, Any]] | None
    ) -> None:
        """Run one node on one input (or frame); ``states`` is None for a one-shot input."""
        ctx = run.ctx
        node_id = node.id
        sources = node.spec.inputs
        if not sources:
            data: Data | None = ctx.root
        elif len(sources) == 1:
            data = ctx.outputs.get(sources[0])
        else:
            data = self._merged_input(sources, run)
        op = node.operator
        if (
            data is None
            and states is not None
            and node.every_frame
            and not any(s in run.errors for s in sources)
        ):
            data = _EMPTY  # a stopped branch still ages a tracker's state on this frame
        if data is None or op is None:
            ctx.outputs[node_id] = None
            if op is None:  # an unbound model reference; compile_spec(strict=True) prevents it
                run.errors[node_id] = f"model '{node.spec.reference}' is not bound"
            elif any(s in run.errors for s in sources):
                failed = next(s for s in sources if s in run.errors)
                run.errors[node_id] = f"not run: input node '{failed}' failed"
            return
        ctx.node_id = node_id
        ctx.state = {} if states is None else states.setdefault(node_id, {})
        started = time.perf_counter()
        try:
            if node.per_region or (
                node.reads_image and data.image is None and _region_images(data)
            ):
                ctx.outputs[node_id] = _per_region_image(op, data, ctx)
            else:
                ctx.outputs[node_id] = op.process(data, ctx)
        except Exception as exc:
            self._node_raised(node, run, exc)
        if run.on_node is not None:
            run.on_node(node_id, time.perf_counter() - started)

    @staticmethod
    def _node_raised(node: CompiledNode, run: _Run, exc: Exception) -> None:
        """What a node that raised leaves for this input: its error, and the output a failed
        node has (its input passed on by an action node that could not deliver, else None)."""
        ctx, node_id = run.ctx, node.id
        if isinstance(exc, DeliveryError):
            run.errors[node_id] = str(exc)
            ctx.outputs[node_id] = exc.data
            _log.info("node %r could not deliver for input %s: %s", node_id, ctx.input_index, exc)
            return
        ctx.outputs[node_id] = None
        if isinstance(exc, OpgraphError):
            run.errors[node_id] = str(exc)
            _log.info("node %r failed on input %s: %s", node_id, ctx.input_index, exc)
            return
        err = OperatorError(
            f"{type(exc).__name__}: {exc}",
            node_id=node_id,
            type_id=node.type_id or "",
            input_index=ctx.input_index,
        )
        err.__cause__ = exc
        run.errors[node_id] = str(err)
        # the status carries the message; the traceback is for whoever debugs the node
        _log.info("%s", err)
        _log.debug("node %r raised", node_id, exc_info=exc)

    @staticmethod
    def _merged_input(sources: list[str], run: _Run) -> Data | None:
        present = [d for s in sources if (d := run.ctx.outputs.get(s)) is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else merge_data(present)

    # ---- video streams -------------------------------------------------------------------

    def _run_video(
        self,
        inp: Input,
        index: int,
        app: Any,
        sample_ms: int,
        on_frame: FrameCallback | None,
        keep_frames: bool,
        on_node: NodeCallback | None = None,
    ) -> WorkflowResult:
        from engine import media  # OpenCV is loaded only when a video is run

        nodes = self.graph.nodes
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
                        return self.failed_result(inp, _input_failed(str(exc)))
                    for node in self.graph.nodes:
                        errors.setdefault(node.id, f"decoding stopped after frame {fi}: {exc}")
                    break
                root = Data(image=Image.from_array(pixels), metadata=inp.data.metadata)
                info = FrameInfo(index=fi, time=time_ms, number=number)
                ctx, frame_errors = self.run_frame(
                    root,
                    stream,
                    info,
                    input_index=index,
                    app=app,
                    frame_rate=1000.0 / sample_ms,
                    on_node=on_node,
                )
                for node_id, msg in frame_errors.items():
                    errors.setdefault(node_id, f"frame {fi}: {msg}")
                if on_frame is not None:
                    on_frame(index, info, ctx)
                if keep_frames:
                    recorder.add(_frame_row(nodes, ctx.outputs, info))
        finally:
            decoded.close()  # stops the decoding thread now, even if a frame callback raised
            self.close_stream(stream)
        kept = recorder.finish()
        outputs: dict[str, Data | None] = {
            n.id: Data.model_construct(frames=frames) for n, frames in zip(nodes, kept, strict=True)
        }
        return self._result(inp, outputs, errors)

    def run_frame(
        self,
        root: Data,
        stream: StreamState,
        info: FrameInfo,
        *,
        input_index: int = 0,
        app: Any = None,
        frame_rate: float | None = None,
        on_node: NodeCallback | None = None,
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
            ancestors=self.graph.ancestors,
        )
        run = _Run(ctx, on_node=on_node)
        for node in self.graph.nodes:
            self._step(node, run, stream.states)
        stream.last_ctx = ctx
        return ctx, run.errors

    def frame_result(
        self, inp: Input, info: FrameInfo, ctx: Context, errors: dict[str, str]
    ) -> WorkflowResult:
        """One frame's result: each node's output as ``data.frames[0]`` with ``frame_info``,
        the shape a video's outputs have."""
        outputs: dict[str, Data | None] = {
            nid: Data(frames=[Frame(frame_info=info, data=_EMPTY if out is None else out)])
            for nid, out in ctx.outputs.items()
        }
        return self._result(inp, outputs, errors)

    def close_stream(self, stream: StreamState) -> None:
        """Tell every node that kept state for ``stream`` that the stream has ended."""
        last = stream.last_ctx
        if last is None:
            return
        for node in self.graph.nodes:
            if node.operator is not None and node.id in stream.states:
                last.node_id, last.state = node.id, stream.states[node.id]
                node.operator.close(last)

    # ---- results -------------------------------------------------------------------------

    def _result(
        self, inp: Input, outputs: dict[str, Data | None], errors: dict[str, str]
    ) -> WorkflowResult:
        # each Output is a copy of its node's template (id, status Ok, model: shared, never
        # mutated) with the node's data, and its error and token counts where it has them
        shown: list[Output] = []
        for node_id, counting, template in self._templates:
            fields = template.copy()
            data = outputs.get(node_id)
            if data is not None:
                fields["data"] = data
            if errors and node_id in errors:
                fields["status"] = _failed(f"node '{node_id}' failed", errors[node_id])
            if counting:
                tokens = _tokens(data)
                fields["prompt_tokens"], fields["completion_tokens"] = tokens[:2]
                fields["cached_tokens"] = tokens[2]
            shown.append(assembled(Output, fields))
        status = _OK
        if errors:
            details = "; ".join(f"{k}: {v}" for k, v in errors.items())
            status = _failed(f"{len(errors)} node(s) failed", details)
        return assembled(
            WorkflowResult,
            {"id": inp.id, "status": status, "created_at": None, "input": inp, "outputs": shown},
        )


def _tokens(data: Data | None) -> tuple[int | None, int | None, int | None]:
    """The token counts a generative node put in ``metadata.usage``, for its Output."""
    usage = data.metadata.get("usage") if data is not None and data.metadata else None
    if not isinstance(usage, dict):
        return None, None, None
    counts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "cached_tokens")]
    prompt, completion, cached = (
        int(v) if isinstance(v, int | float) and v >= 0 else None for v in counts
    )
    return prompt, completion, cached


def _direct(node: CompiledNode) -> Operator | None:
    """The node's operator when the executor may call its ``process`` directly: bound,
    reading one input (or none), no per-region images."""
    if len(node.spec.inputs) > 1 or node.per_region or node.reads_image:
        return None
    return node.operator


def _io(node: CompiledNode) -> bool:
    return node.operator_cls is not None and node.operator_cls.io_bound


def _per_region_image(op: Operator, data: Data, ctx: Context) -> Data:
    """Run an image node on each region's image and nest its output into that region."""
    regions = []
    for region in data.regions:
        inner = region.data
        if inner is not None and inner.image is not None:
            res = op.process(Data(image=inner.image), ctx)
            if res is not None:
                nested = {k: getattr(res, k) for k in _NESTED_FIELDS if getattr(res, k)}
                region = region.model_copy(update={"data": inner.model_copy(update=nested)})
        regions.append(region)
    return data.model_copy(update={"regions": regions})


def _region_images(data: Data) -> bool:
    """Whether any region carries an image (an image node then runs on each of them)."""
    return any(r.data is not None and r.data.image is not None for r in data.regions)


def merge_data(items: list[Data]) -> Data:
    """Several inputs' Data as one: lists concatenated, other fields from the first having them.

    An item that reaches the node along two branches (a diamond: both pass on the same
    region of a shared ancestor) is kept once.
    """
    update: dict[str, Any] = {}
    for name in Data.model_fields:
        if name in _MERGED_LISTS:
            update[name] = _unique(x for d in items for x in getattr(d, name))
        else:
            update[name] = next((v for d in items if (v := getattr(d, name)) is not None), None)
    return items[0].model_copy(update=update)


def _unique(values: Iterable[Any]) -> list[Any]:
    """``values`` without repeats of the same object, in order."""
    seen: set[int] = set()
    out = []
    for v in values:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _frame_row(
    nodes: Sequence[CompiledNode], outputs: dict[str, Data | None], info: FrameInfo
) -> list[Frame]:
    """Each node's output for one frame, as the ``Frame`` its video result keeps."""
    return [
        trusted(Frame, id=None, frame_info=info, data=_strip_pixels(outputs.get(n.id)))
        for n in nodes
    ]


def _strip_pixels(data: Data | None) -> Data:
    """Frame outputs keep no reference to the frame's pixels, so memory stays flat: the frame
    image goes, and region images (crops, tiles: often views of the frame) keep only their
    size."""
    if data is None:
        return _EMPTY
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


def _output_fields(node_id: str, model: Model) -> dict[str, Any]:
    """A node's Output fields, in proto order, as they are for an input it ran on: Ok."""
    return {
        "id": node_id,
        "status": _OK,
        "created_at": None,
        "model": model,
        "input": None,
        "data": _EMPTY,
        "prompt_tokens": None,
        "completion_tokens": None,
        "cached_tokens": None,
    }


def _failed(description: str, details: str) -> Status:
    return Status(code=StatusCode.FAILURE, description=description, details=details)


def _input_failed(msg: str) -> Status:
    return Status(code=StatusCode.INPUT_UNSUPPORTED_FORMAT, description="input failed", details=msg)


def _model_info(node: CompiledNode) -> Model:
    ns = node.spec
    meta = {"local_stand_in": node.binding.note} if node.binding and node.binding.note else None
    return Model(
        id=ns.model_id,
        user_id=ns.user_id,
        app_id=ns.app_id,
        model_type_id=node.type_id,
        description=ns.description,
        metadata=meta,
    )
