"""One node on one input (or one frame): the rules every node gets for free.

A node without inputs reads the workflow input; several inputs are merged; a ``None``
output stops the branch for that input; a node whose ``reads`` include ``image``, given
regions that carry images (crops, tiles), runs once per region image and its output is
nested into that region; an exception becomes that output's error status and the rest of
the batch goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from engine.errors import DeliveryError, OperatorError, OpgraphError
from engine.graph import CompiledNode
from engine.operator import Context, Operator
from engine.proto import Data

__all__ = ["EMPTY", "NodeCallback", "NodeRun", "merge_data", "node_raised", "step"]

_log = logging.getLogger("engine.executor")  # the executor's log, as it always was
_NESTED_FIELDS = ("regions", "concepts", "text", "embeddings", "colors", "metadata")
_MERGED_LISTS = ("concepts", "regions", "embeddings", "colors", "frames", "hits")
EMPTY = Data()  # shared by every empty output; outputs are never mutated in place

# (node id, seconds) after a node ran on one input or frame (from the I/O pool's threads too)
NodeCallback = Callable[[str, float], None]


class NodeRun:
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


def step(node: CompiledNode, run: NodeRun, states: dict[str, dict[str, Any]] | None) -> None:
    """Run one node on one input (or frame); ``states`` is None for a one-shot input."""
    ctx = run.ctx
    node_id = node.id
    sources = node.spec.inputs
    if not sources:
        data: Data | None = ctx.root
    elif len(sources) == 1:
        data = ctx.outputs.get(sources[0])
    else:
        data = _merged_input(sources, run)
    op = node.operator
    if (
        data is None
        and states is not None
        and node.every_frame
        and not any(s in run.errors for s in sources)
    ):
        data = EMPTY  # a stopped branch still ages a tracker's state on this frame
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
        if node.per_region or (node.reads_image and data.image is None and _region_images(data)):
            ctx.outputs[node_id] = _per_region_image(op, data, ctx)
        else:
            ctx.outputs[node_id] = op.process(data, ctx)
    except Exception as exc:
        node_raised(node, run, exc)
    if run.on_node is not None:
        run.on_node(node_id, time.perf_counter() - started)


def node_raised(node: CompiledNode, run: NodeRun, exc: Exception) -> None:
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


def _merged_input(sources: list[str], run: NodeRun) -> Data | None:
    present = [d for s in sources if (d := run.ctx.outputs.get(s)) is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else merge_data(present)


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
