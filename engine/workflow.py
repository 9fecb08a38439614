"""``Workflow``: the Python face of a workflow, from YAML, a dict or a builder.

>>> wf = Workflow("moderate")
>>> det = wf.add("visual-detector", model_id="face-detection")
>>> wf.add("region-thresholder", inputs=[det], concepts=[{"id": "face", "value": 0.8}])
'region-thresholder-2'
>>> response = wf.predict(["photo.jpg"])              # doctest: +SKIP
>>> response.results[0].outputs[1].data.regions      # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.catalog import load_catalog
from engine.errors import InputError
from engine.executor import (
    DEFAULT_SAMPLE_MS,
    Executor,
    FrameCallback,
    NodeCallback,
    StepCallback,
)
from engine.graph import CompiledGraph, CompiledNode, compile_spec
from engine.inputs import to_input
from engine.live import LiveReader, LiveSettings, is_live_source
from engine.live_run import FrameHook, stream_file, stream_live
from engine.media import MAX_SAMPLE_MS, MIN_SAMPLE_MS
from engine.operator import ModelBinding
from engine.proto import (
    Input,
    PostWorkflowResultsResponse,
    Status,
    StatusCode,
    WorkflowDefinition,
    WorkflowResult,
    assembled,
)
from engine.session import Session
from engine.spec import NodeSpec, WorkflowSpec, load_spec, spec_from_dict
from engine.streams import DEFAULT_IDLE_S, StreamTable
from engine.workflow_batch import run_batch
from engine.workflow_export import definition, workflow_dict, workflow_yaml

__all__ = ["Workflow"]

Models = str | Path | list[ModelBinding] | None
_log = logging.getLogger(__name__)


class Workflow:
    """A workflow that compiles on creation and runs with ``predict``."""

    def __init__(self, id: str = "workflow", *, models: Models = None) -> None:
        self.id = id
        self.file = "<workflow>"
        self.models = load_catalog(models)
        self._nodes: list[NodeSpec] = []
        self._graph: CompiledGraph | None = None
        self._executor: Executor | None = None
        self._streams: StreamTable | None = None
        self._defined: WorkflowDefinition | None = None
        # CPU seconds per still input of the last batch run here (choose_workers reads it)
        self._seconds_per_input: float | None = None

    # ---- construction --------------------------------------------------------------------

    @classmethod
    def from_yaml(cls, source: str | Path, models: Models = None) -> Workflow:
        """From a YAML file path or YAML text; every node must resolve (strict)."""
        return cls._from_spec(load_spec(source), models)

    @classmethod
    def from_dict(cls, d: dict[str, Any], models: Models = None) -> Workflow:
        return cls._from_spec(spec_from_dict(d), models)

    @classmethod
    def _from_spec(cls, spec: WorkflowSpec, models: Models) -> Workflow:
        wf = cls(spec.id, models=models)
        wf.file = spec.file
        wf._nodes = list(spec.nodes)
        wf.compile()
        return wf

    def add(
        self,
        model_type_id: str,
        *,
        id: str | None = None,
        inputs: Sequence[str] = (),
        params: dict[str, Any] | None = None,
        concepts: list[dict[str, Any]] | None = None,
        model_id: str | None = None,
        suppress_output: bool = False,
    ) -> str:
        """Append a node and return its id; bad types or params raise at once."""
        node_id = id or f"{model_type_id}-{len(self._nodes) + 1}"
        node = NodeSpec(
            id=node_id,
            model_id=model_id or node_id,
            model_type_id=model_type_id,
            params=dict(params or {}),
            concepts=concepts,
            inputs=list(inputs),
            suppress_output=suppress_output,
        )
        if any(n.id == node_id for n in self._nodes):
            raise ValueError(f"a node with id '{node_id}' already exists")
        self._nodes.append(node)
        try:
            self.compile()
        except Exception:
            self._nodes.pop()
            self.compile() if self._nodes else None
            raise
        return node_id

    def compile(self) -> CompiledGraph:
        self._graph = compile_spec(self.spec, models=self.models, strict=True)
        self._executor = None
        self._streams = None
        self._defined = None
        return self._graph

    @property
    def spec(self) -> WorkflowSpec:
        return WorkflowSpec(id=self.id, nodes=self._nodes, file=self.file)

    @property
    def node_ids(self) -> list[str]:
        return [n.id for n in self._nodes]

    # ---- running -------------------------------------------------------------------------

    def predict(
        self,
        inputs: Any,
        *,
        app: Any = None,
        sample_ms: int = DEFAULT_SAMPLE_MS,
        on_frame: FrameCallback | None = None,
        keep_frames: bool = True,
        on_step: StepCallback | None = None,
        on_node: NodeCallback | None = None,
        workers: int | None = None,
    ) -> PostWorkflowResultsResponse:
        """Run every input through the graph; one result per input, one output per node.

        ``on_frame(input_index, frame_info, ctx)`` is called after each sampled video frame,
        ``on_step(done, total)`` as a batch of still inputs advances node by node,
        ``on_node(node_id, seconds)`` after each node ran on an input or a frame.
        ``workers=N`` spreads the inputs (a video stream whole) over N worker processes,
        each holding this graph compiled once; ``workers=None`` chooses: see
        ``engine.run.workers.choose_workers``.  Results come back in input order either way.
        """
        if not self._nodes:
            raise RuntimeError("the workflow has no nodes")
        _check_sample_ms(sample_ms)
        self._get_executor()
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if type(workers) is int and workers == 1:  # asked for: this process, nothing to choose
            results = self.run_items(
                items,
                range(len(items)),
                app=app,
                sample_ms=sample_ms,
                on_frame=on_frame,
                keep_frames=keep_frames,
                on_step=on_step,
                on_node=on_node,
            )
        else:
            options: dict[str, Any] = {"sample_ms": sample_ms, "keep_frames": keep_frames}
            if on_node is not None and workers is not None and workers > 1:
                raise ValueError("workers: on_node runs in this process; use workers=1")
            here = {"app": app, "on_frame": on_frame, "on_node": on_node}
            results = run_batch(self, items, workers, here, on_step, options)
        return assembled(
            PostWorkflowResultsResponse,
            {
                "status": _overall(results),
                "workflow": self._definition(),
                "results": results,
                "workflow_state": None,
            },
        )

    def _graph_nodes(self) -> list[CompiledNode]:
        return (self._graph or self.compile()).nodes

    def run_items(
        self,
        items: Sequence[Any],
        indices: Sequence[int],
        *,
        app: Any = None,
        sample_ms: int = DEFAULT_SAMPLE_MS,
        on_frame: FrameCallback | None = None,
        keep_frames: bool = True,
        on_step: StepCallback | None = None,
        on_node: NodeCallback | None = None,
    ) -> list[WorkflowResult]:
        """``predict``'s results for ``items`` in this process, ``indices`` numbering them in
        the user's batch (a worker process runs its share of a batch with this)."""
        executor = self._get_executor()
        parsed: list[Input] = []
        accepted: list[int] = []
        refused: dict[int, WorkflowResult] = {}
        if len(indices) != len(items):
            raise ValueError(f"{len(items)} items but {len(indices)} indices")
        for k, item in enumerate(items):
            i = indices[k]
            try:
                parsed.append(to_input(item, i))
                accepted.append(i)
            except InputError as exc:
                _log.info("input %d refused: %s", i, exc)
                status = Status(
                    code=StatusCode.INPUT_INVALID_ARGUMENT,
                    description="input refused",
                    details=str(exc),
                )
                refused[k] = executor.failed_result(Input(id=_given_id(item)), status)
        results = executor.run(
            parsed,
            app=app,
            sample_ms=sample_ms,
            on_frame=on_frame,
            keep_frames=keep_frames,
            indices=accepted,
            on_step=on_step,
            on_node=on_node,
        )
        if refused:
            for k in sorted(refused):  # refused inputs keep their place in the batch
                results.insert(k, refused[k])
        return results

    def session(
        self,
        stream_id: str = "0",
        *,
        frame_rate: float | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_S,
        app: Any = None,
    ) -> Session:
        """A frame-by-frame stream whose trackers and counters keep their state between
        ``predict`` calls; close it (or use ``with``).  ``frame_rate`` (frames per second
        fed) scales trackers' frame-counted params as ``sample_ms`` does for a video; a
        session unused for ``idle_timeout_s`` loses its state (swept by a background thread).
        """
        if not self._nodes:
            raise RuntimeError("the workflow has no nodes")
        executor = self._get_executor()
        if self._streams is None:
            self._streams = StreamTable(executor.close_stream)
        return Session(
            executor,
            self._streams,
            str(stream_id),
            frame_rate=frame_rate,
            idle_timeout_s=idle_timeout_s,
            app=app,
        )

    def stream(
        self,
        source: Any,
        *,
        sample_ms: int | None = DEFAULT_SAMPLE_MS,
        app: Any = None,
        live: LiveSettings | None = None,
        max_frames: int | None = None,
        on_frame: FrameHook | None = None,
    ) -> Iterator[WorkflowResult]:
        """One result per sampled frame, yielded as each is done, with trackers' state kept
        for the stream.  ``source``: a live source (an http(s) MJPEG URL, ``/dev/videoN`` or a
        camera index, or a ``LiveReader``) read in a thread that keeps only the newest frames,
        or a video input as
        ``predict`` takes it.  ``sample_ms=None`` (live sources only) runs every frame the
        graph keeps up with.  ``live`` sets reconnecting and limits; ``max_frames`` stops
        after that many frames.  ``on_frame(info, ctx)`` sees each frame's run before its
        result is yielded (``ctx.root.image`` holds the pixels, ``ctx.outputs`` each node's
        Data): drawing and previews use it.  Closing the generator stops the reader."""
        if not self._nodes:
            raise RuntimeError("the workflow has no nodes")
        live_source = isinstance(source, LiveReader) or is_live_source(source)
        if sample_ms is not None or not live_source:
            _check_sample_ms(-1 if sample_ms is None else sample_ms)
        executor = self._get_executor()
        if live_source:
            reader = source if isinstance(source, LiveReader) else LiveReader(source, live)
            return stream_live(
                executor,
                reader,
                sample_ms=sample_ms,
                app=app,
                max_frames=max_frames,
                on_frame=on_frame,
            )
        inp = to_input(source)
        if inp.data.video is None:
            raise InputError("stream() takes a live source or a video; use predict for images")
        return stream_file(
            executor, inp, sample_ms=sample_ms or DEFAULT_SAMPLE_MS, app=app, on_frame=on_frame
        )

    def _get_executor(self) -> Executor:
        if self._executor is None:
            self._executor = Executor(self._graph or self.compile())
        return self._executor

    def draw(self, result: WorkflowResult, node: str | int = -1) -> Any:
        """The result's input image with one node's boxes, labels, track ids and text drawn."""
        from engine import draw

        return draw.draw_result(result, node)

    # ---- export --------------------------------------------------------------------------

    def with_catalog_resolved(self) -> Workflow:
        """This workflow with every node bound by its own catalog (``models=``) written out
        as ``model_type_id`` + params, so its YAML alone runs anywhere (the bundled catalog's
        bindings stay references: every install has them)."""
        graph = self._graph or self.compile()
        nodes = []
        for node in graph.nodes:
            spec, binding = node.spec, node.binding
            if binding is not None and binding in self.models:
                spec = replace(
                    spec,
                    model_type_id=binding.model_type_id,
                    model_version_id=None,
                    params={**binding.params, **spec.params},
                )
            nodes.append(spec)
        wf = Workflow(self.id)
        wf.file = self.file
        wf._nodes = nodes
        wf.compile()
        return wf

    def to_dict(self) -> dict[str, Any]:
        return workflow_dict(self.id, self._nodes)

    def to_yaml(self) -> str:
        return workflow_yaml(self.id, self._nodes)

    def _definition(self) -> WorkflowDefinition:
        if self._defined is None:
            self._defined = definition(self.id, self._nodes)
        return self._defined


_SUCCESS = Status(code=StatusCode.SUCCESS, description="Ok")


def _overall(results: list[WorkflowResult]) -> Status:
    failed = 0
    for r in results:
        if r.status.code != StatusCode.SUCCESS:
            failed += 1
    if not failed:
        return _SUCCESS
    if failed == len(results):
        return Status(code=StatusCode.FAILURE, description="Failure")
    return Status(code=StatusCode.MIXED_STATUS, description="Mixed Status")


def _check_sample_ms(sample_ms: int) -> None:
    if not MIN_SAMPLE_MS <= sample_ms <= MAX_SAMPLE_MS:
        raise InputError(
            f"sample_ms must be between {MIN_SAMPLE_MS} and {MAX_SAMPLE_MS}, got {sample_ms}"
        )


def _given_id(item: Any) -> str | None:
    """The id a refused Clarifai-JSON input was given, so its result can be matched to it."""
    given = item.get("id") if isinstance(item, dict) else None
    return given if isinstance(given, str) else None
