"""An app's base workflow in Ray actors: ``App.add_inputs(..., engine="ray")`` and
``opgraph app reindex --engine ray`` (``pip install 'opgraph[ray]'``).

``RayRunner`` is a runner as ``engine.app.runners`` defines one: ``(workflow, inputs) ->
results``, one ``WorkflowResult`` per input in input order.  It keeps ``workers`` actors for
the whole call, each compiling the workflow once (models load once per actor); a batch is
split into chunks over them, a video alone in its chunk (one actor runs the whole stream, so
its trackers keep their state there).  ``prefetch`` hands the next batches to the actors
early, so they compute while the App writes the batch before.

The store is written by the App's own process (one transaction per batch), as without Ray:
actors send results, never rows.  That keeps one writer's rules (ids, generations,
annotations) in one place and works for both stores; an SQLite app can only be written by
its own machine anyway.  With a PostgreSQL app the driver's commits are the limit of one
``add_inputs`` call (see benchmarks/README.md); several calls on several machines write one
PostgreSQL app at once.

Inputs cross to the actors with their media as bytes (a file path is read here first: an
actor may run on a machine without the file); results come back without their input, which
is attached again here.  When an actor dies, Ray starts it again and its chunk is run again
one input per call, so only an input that kills an actor on its own fails, with a clear
status.  Operators are imported in the actors from their modules, as worker processes do.
"""

from __future__ import annotations

import importlib
import logging
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.proto import Input, Status, StatusCode, WorkflowResult
from engine.run.pool import with_input
from engine.workflow import Workflow

__all__ = ["RayRunner", "ray_module"]

_PER_ACTOR = 2  # chunks per actor and batch: a slow chunk does not leave the others idle
_RESTART_WAITS, _RESTART_PAUSE_S = 120, 0.5  # how long an input waits for a restarting actor
_log = logging.getLogger(__name__)


def ray_module() -> Any:
    """The ``ray`` module, or one clear error naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise InputError("engine='ray' needs Ray: pip install 'opgraph[ray]'") from None
    return ray


class _Indexer:
    """A Ray actor's body: one compiled workflow, run on chunks of inputs."""

    def __init__(self, yaml_text: str, modules: list[str]) -> None:
        for module in modules:  # operators registered by a module of the caller's
            importlib.import_module(module)
        self.workflow = Workflow.from_yaml(yaml_text)

    def run(self, inputs: list[Input]) -> list[WorkflowResult]:
        results = self.workflow.predict(inputs, workers=1).results
        return [with_input(r, None) for r in results]


class RayRunner:
    """Runs batches of an app's base workflow on ``workers`` Ray actors (default: 2)."""

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self._ray = ray_module()
        self._size = workers or 2
        self._started = False
        with warnings.catch_warnings():  # Ray's own deprecations are not the user's to see
            warnings.simplefilter("ignore", DeprecationWarning)
            if not self._ray.is_initialized():
                self._ray.init(
                    address=address,
                    log_to_driver=False,
                    include_dashboard=False,
                    logging_level=logging.WARNING,
                )
                self._started = True
        self._wf: Workflow | None = None
        self._actors: list[Any] = []
        self._next = 0
        self._ahead: dict[tuple[str, ...], list[tuple[list[int], Any]]] = {}

    # ---- the runner ----------------------------------------------------------------------

    def __call__(self, wf: Workflow, inputs: list[Input]) -> list[WorkflowResult]:
        """One result per input, in order (a batch handed to ``prefetch`` is not re-run)."""
        self._use(wf)
        sent = self._ahead.pop(_key(inputs), None)
        if sent is None:
            sent = self._send(inputs)
        return self._collect(wf, inputs, sent)

    def prefetch(self, wf: Workflow, batches: Sequence[list[Input]]) -> None:
        """Start ``batches`` (the ones a later call will ask for) now, unless started."""
        self._use(wf)
        for inputs in batches:
            key = _key(inputs)
            if inputs and key not in self._ahead:
                self._ahead[key] = self._send(inputs)

    def close(self) -> None:
        """Stop the actors (and Ray, if this runner started it)."""
        self._drop_actors()
        if self._started:
            self._ray.shutdown()
            self._started = False

    def __enter__(self) -> RayRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- actors --------------------------------------------------------------------------

    def _use(self, wf: Workflow) -> None:
        """Actors compiled for ``wf`` (new ones when the base workflow changed)."""
        if wf is self._wf and self._actors:
            return
        self._drop_actors()
        text = wf.with_catalog_resolved().to_yaml()
        cls = self._ray.remote(num_cpus=1, max_restarts=-1)(_Indexer)
        modules = _operator_modules(wf)
        self._actors = [cls.remote(text, modules) for _ in range(self._size)]
        self._wf = wf

    def _drop_actors(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors, self._ahead, self._wf = [], {}, None

    def _send(self, inputs: list[Input]) -> list[tuple[list[int], Any]]:
        """Hand the chunks of ``inputs`` to the actors in turn: (indices, result ref)."""
        sent = []
        for indices in _chunks(inputs, len(self._actors)):
            actor = self._actors[self._next % len(self._actors)]
            self._next += 1
            sent.append((indices, actor.run.remote([_portable(inputs[i]) for i in indices])))
        return sent

    def _collect(
        self, wf: Workflow, inputs: list[Input], sent: list[tuple[list[int], Any]]
    ) -> list[WorkflowResult]:
        results: list[WorkflowResult | None] = [None] * len(inputs)
        for indices, ref in sent:
            try:
                chunk = self._ray.get(ref)
            except self._ray.exceptions.RayError as exc:  # the actor died, or Ray failed
                chunk = self._one_by_one(wf, [inputs[i] for i in indices], exc)
            for i, result in zip(indices, chunk, strict=True):
                results[i] = with_input(result, inputs[i])
        return [r for r in results if r is not None]

    def _one_by_one(self, wf: Workflow, inputs: list[Input], exc: Exception) -> list[Any]:
        """A chunk whose actor died, run again one input per call (Ray restarts the
        actor): only an input that kills an actor on its own fails."""
        _log.warning("a Ray actor failed (%s): its inputs run again one by one", exc)
        return [self._alone(wf, inp) for inp in inputs]

    def _alone(self, wf: Workflow, inp: Input) -> Any:
        """One input in one call, on an actor seen alive just before: if the call fails,
        this input is what killed it."""
        for _ in range(len(self._actors)):
            actor = self._actors[self._next % len(self._actors)]
            self._next += 1
            if not self._ready(actor):
                continue
            try:
                return self._ray.get(actor.run.remote([_portable(inp)]))[0]
            except self._ray.exceptions.RayError as exc:
                why = f"the Ray actor running it failed: {type(exc).__name__}"
                _log.warning("%s (input %s failed)", why, inp.id)
                return _failed(wf, inp, why)
        return _failed(wf, inp, "no Ray actor came back to run it")

    def _ready(self, actor: Any) -> bool:
        """Wait (a while) for ``actor`` to be up again after a restart."""
        for _ in range(_RESTART_WAITS):
            try:
                self._ray.get(actor.__ray_ready__.remote())
                return True
            except self._ray.exceptions.ActorUnavailableError:
                time.sleep(_RESTART_PAUSE_S)
            except self._ray.exceptions.RayError:
                return False
        return False


def _operator_modules(wf: Workflow) -> list[str]:
    """The modules the actors import before compiling: those of the graph's operators
    (an operator defined in the calling script cannot be imported there: refused)."""
    ops = [n.operator_cls for n in wf._graph_nodes() if n.operator_cls is not None]
    in_script = sorted({op.type_id for op in ops if op.__module__ == "__main__"})
    if in_script:
        raise InputError(
            f"engine='ray': operator(s) {', '.join(in_script)} are defined in the script "
            "itself; Ray actors import operators from modules: move them into one"
        )
    return sorted({op.__module__ for op in ops})


def _key(inputs: list[Input]) -> tuple[str, ...]:
    return tuple(str(i.id) for i in inputs)


def _chunks(inputs: list[Input], actors: int) -> list[list[int]]:
    """Indices per chunk: each video alone, the stills split evenly over the actors."""
    videos = [[i] for i, inp in enumerate(inputs) if inp.data.video is not None]
    still = [i for i, inp in enumerate(inputs) if inp.data.video is None]
    size = max(1, -(-len(still) // (actors * _PER_ACTOR)))
    return videos + [still[k : k + size] for k in range(0, len(still), size)]


def _portable(inp: Input) -> Input:
    """``inp`` with any media given as a local path read into bytes (actors may run on
    another machine) and no decoded pixels (they would be sent for nothing)."""
    update: dict[str, Any] = {}
    for field in ("image", "video", "audio"):
        media = getattr(inp.data, field, None)
        if media is None:
            continue
        source = getattr(media, "_source", None)
        decoded = getattr(media, "_array", None) is not None
        if not isinstance(source, str) and not decoded:
            continue
        moved = media.model_copy()
        if decoded:
            moved._array = None
        if isinstance(source, str):
            try:
                moved._source = Path(source).read_bytes()
            except OSError:  # left as given: the actor refuses it as this process would
                pass
        update[field] = moved
    if not update:
        return inp
    return inp.model_copy(update={"data": inp.data.model_copy(update=update)})


def _failed(wf: Workflow, inp: Input, why: str) -> WorkflowResult:
    status = Status(code=StatusCode.FAILURE, description="Ray actor failed", details=why)
    return wf._get_executor().failed_result(inp, status)
