"""Runs a compiled graph over a batch of inputs, or over the frames of a video stream.

Still inputs run in chunks of ``BATCH_CHUNK``, node by node across a chunk (so an I/O-bound
node can serve the chunk, and independent I/O-bound branches, at once from a thread pool),
with Python's automatic full garbage collections paused (``engine._gcpause``) so the cost
of an input stays flat in the batch size.  A graph of CPU-bound nodes outside an App runs
depth first instead, each input through every node in turn.  A video input runs frame by
frame (``engine.executor_video``).

The rules every node gets for free (merged inputs, stopped branches, region images, errors
as statuses) are in ``engine.executor_node``; the results are built by
``engine.executor_results``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from engine import executor_video
from engine._gcpause import paused_gc, settle
from engine.executor_node import EMPTY, NodeCallback, NodeRun, merge_data, node_raised, step
from engine.executor_results import ResultBuilder
from engine.executor_video import FrameCallback
from engine.graph import CompiledGraph, CompiledNode
from engine.operator import Context, Operator
from engine.proto import Data, Frame, FrameInfo, Input, Status, WorkflowResult
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

# (node steps done, node steps in all) for a batch of still inputs: one step is one node on
# one input, so a progress bar can move while a batch runs node by node
StepCallback = Callable[[int, int], None]


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
        self._results = ResultBuilder(graph.nodes)
        # a graph of CPU-bound nodes runs input by input (_run_inputs), in this order: each
        # node with the single input it reads (None: the workflow input) and the operator it
        # calls directly (None: the node takes step(), which handles every other case)
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
                results[i] = executor_video.run_video(
                    self.graph,
                    self._results,
                    inp,
                    numbers[i],
                    app=app,
                    sample_ms=sample_ms,
                    on_frame=on_frame,
                    keep_frames=keep_frames,
                    on_node=on_node,
                )
        return [r for r in results if r is not None]

    def failed_result(self, inp: Input, status: Status) -> WorkflowResult:
        """The result for an input refused before running: every node carries the reason."""
        return self._results.failed(inp, status)

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
        return executor_video.run_frame(
            self.graph, root, stream, info, input_index, app, frame_rate, on_node
        )

    def frame_result(
        self, inp: Input, info: FrameInfo, ctx: Context, errors: dict[str, str]
    ) -> WorkflowResult:
        """One frame's result: each node's output as ``data.frames[0]`` with ``frame_info``,
        the shape a video's outputs have."""
        outputs: dict[str, Data | None] = {
            nid: Data(frames=[Frame(frame_info=info, data=EMPTY if out is None else out)])
            for nid, out in ctx.outputs.items()
        }
        return self._results.result(inp, outputs, errors)

    def close_stream(self, stream: StreamState) -> None:
        """Tell every node that kept state for ``stream`` that the stream has ended."""
        executor_video.close_stream(self.graph, stream)

    # ---- still inputs --------------------------------------------------------------------

    def _run_still(
        self,
        inputs: list[Input],
        indices: Sequence[int],
        app: Any,
        on_step: StepCallback | None,
        on_node: NodeCallback | None,
    ) -> list[WorkflowResult]:
        result = self._results.result
        if len(inputs) == 1:  # retains too little for the collector to matter: no pause
            (run,) = self._run_batch(inputs, indices, app, on_step, on_node)
            return [result(inputs[0], run.ctx.outputs, run.errors)]
        with paused_gc():
            runs = self._run_batch(inputs, indices, app, on_step, on_node)
            pairs = zip(inputs, runs, strict=True)
            # the results too: building them allocates as much as the run
            return [result(inp, r.ctx.outputs, r.errors) for inp, r in pairs]

    def _run_batch(
        self,
        inputs: list[Input],
        indices: Sequence[int],
        app: Any,
        on_step: StepCallback | None = None,
        on_node: NodeCallback | None = None,
    ) -> list[NodeRun]:
        runs = [
            NodeRun(
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

    def _run_inputs(self, runs: list[NodeRun], total: int, on_step: StepCallback | None) -> None:
        """Each input through every node in turn (a graph of CPU-bound nodes outside an App).

        Depth first: an input's outputs are still in the CPU's caches when the next node
        reads them (node by node across 32 inputs of 50 regions cost 1.5x more).  Each node
        sees the inputs in batch order, as node by node, and an input sees the nodes in the
        same order.  The engine's hot loop: a node with one input (or none) whose input is
        there calls ``process`` here; the rest (a stopped branch, merges, region images,
        callbacks) takes ``step``.
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
                    step(node, run, None)
                else:
                    ctx.node_id = node.id
                    ctx.state = {}
                    try:
                        outputs[node.id] = op.process(data, ctx)
                    except Exception as exc:
                        node_raised(node, run, exc)
                if on_step is not None:
                    done += 1
                    on_step(done, total)
            if batch:
                settle()  # this input's outputs are not scanned again during the batch

    def _run_chunk(
        self, runs: list[NodeRun], done: int, total: int, on_step: StepCallback | None
    ) -> int:
        """Every node, level by level, on a chunk of inputs; the node steps done after it.
        Level by level, so the I/O-bound nodes of a level serve the chunk at once."""
        for inline, io_nodes in self._plan:
            for node in inline:
                for run in runs:
                    step(node, run, None)
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

    def _step_io(self, nodes: list[CompiledNode], runs: list[NodeRun]) -> None:
        """Run I/O-bound nodes of one generation for every input at once."""

        def one(job: tuple[CompiledNode, NodeRun]) -> tuple[CompiledNode, NodeRun, NodeRun]:
            node, run = job
            # a private Context per thread: node_id and state differ between the jobs
            private = NodeRun(
                replace(run.ctx, outputs=dict(run.ctx.outputs)), dict(run.errors), run.on_node
            )
            step(node, private, None)
            return node, run, private

        jobs = [(n, r) for n in nodes for r in runs]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(jobs))) as pool:
            for node, run, private in pool.map(one, jobs):
                run.ctx.outputs[node.id] = private.ctx.outputs.get(node.id)
                if node.id in private.errors:
                    run.errors[node.id] = private.errors[node.id]


def _direct(node: CompiledNode) -> Operator | None:
    """The node's operator when the executor may call its ``process`` directly: bound,
    reading one input (or none), no per-region images."""
    if len(node.spec.inputs) > 1 or node.per_region or node.reads_image:
        return None
    return node.operator


def _io(node: CompiledNode) -> bool:
    return node.operator_cls is not None and node.operator_cls.io_bound
