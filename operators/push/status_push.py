"""``status-push``: POST each input's processing status, as Clarifai JSON, to a URL."""

from __future__ import annotations

from typing import Any

from engine import Context, Data, StatusCode, register
from operators.push._deliver import node_status, status
from operators.push.results_push import ResultsPush

__all__ = ["StatusPush", "status_body"]


def status_body(ctx: Context) -> dict[str, Any]:
    """A ``MultiInputResponse`` for this input: INPUT_SUCCESS when every node run so far
    succeeded, else INPUT_FAILED naming the failed nodes; each node's status after it."""
    failed = {nid: err for nid, err in ctx.errors.items() if nid != ctx.node_id}
    if failed:
        details = "; ".join(f"{nid}: {err}" for nid, err in failed.items())
        input_status = status(StatusCode.INPUT_FAILED, f"{len(failed)} node(s) failed", details)
    else:
        input_status = status(StatusCode.INPUT_SUCCESS, "Input processed")
    inp: dict[str, Any] = {"status": input_status}
    if ctx.input_id:
        inp["id"] = ctx.input_id
    body: dict[str, Any] = {
        "status": status(StatusCode.SUCCESS, "Ok"),
        "inputs": [inp],
        "outputs": [
            {"id": nid, "status": node_status(ctx, nid)}
            for nid in ctx.outputs
            if nid != ctx.node_id
        ],
    }
    if ctx.frame_index is not None:
        body["frame_info"] = {"index": ctx.frame_index, "time": ctx.frame_time_ms or 0}
    return body


@register
class StatusPush(ResultsPush):
    """POSTs each input's processing status to ``url``; passes its input on.

    The body is Clarifai's ``MultiInputResponse`` shape for the input (its ``id`` and a
    ``status``: INPUT_SUCCESS 30000, or INPUT_FAILED 30002 with the failed nodes and why in
    ``details``), plus ``outputs``: the status of every node already run for it; no data.
    Place it after the nodes whose outcome it should report.  Authorization, the address
    guard, the deadline, retries and failure handling are those of ``results-push``: a
    failed delivery is the node's status, and its input still passes on.

    Reads anything; writes nothing new (its input passes through).
    """

    type_id = "status-push"

    def body(self, data: Data, ctx: Context) -> dict[str, Any]:
        return status_body(ctx)
