"""``results-push``: POST what reached the node, as Clarifai JSON, to a configured URL."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field, field_validator

from engine import Context, Data, Operator, StatusCode, register
from operators.push._deliver import (
    DeliveryParams,
    clarifai_json,
    http_url,
    node_status,
    post,
    retrying,
    secret,
    status,
)

__all__ = ["ResultsPush", "results_body"]


def results_body(data: Data, ctx: Context) -> dict[str, Any]:
    """One input's results so far as a ``PostWorkflowResultsResponse`` (media bytes left
    out): the input, then each node already run for it with its status, this node last."""
    ok = status(StatusCode.SUCCESS, "Ok")
    outputs = [
        {"id": nid, "status": node_status(ctx, nid), "data": clarifai_json(out) if out else {}}
        for nid, out in ctx.outputs.items()
        if nid != ctx.node_id
    ]
    outputs.append({"id": ctx.node_id, "status": ok, "data": clarifai_json(data)})
    inp: dict[str, Any] = {"data": clarifai_json(ctx.root)}
    if ctx.input_id:
        inp["id"] = ctx.input_id
    result: dict[str, Any] = {"status": ok, "input": inp, "outputs": outputs}
    if ctx.frame_index is not None:
        result["frame_info"] = {"index": ctx.frame_index, "time": ctx.frame_time_ms or 0}
    return {"status": ok, "results": [result]}


@register
class ResultsPush(Operator):
    """POSTs each input's results so far to ``url`` as Clarifai JSON; passes its input on.

    The body is a ``PostWorkflowResultsResponse`` with one result: the workflow input and
    the output of every node already run for it (its own input last), each with its status;
    media bytes are left out (URLs stay).  ``Authorization: Bearer`` is sent when
    ``api_key_env`` names a variable (``OPGRAPH_*`` or listed in ``OPGRAPH_API_KEY_ENVS``).
    The URL goes through the same address guard as input URLs; each attempt takes at most
    ``timeout`` seconds, and 429, 5xx, timeouts and connection errors are retried
    ``max_retries`` times with doubling ``backoff``.  When delivery fails the node's status
    is the error, and its input still passes on: the branch never stops here.

    Reads anything; writes nothing new (its input passes through).
    """

    type_id = "results-push"
    io_bound = True

    class Params(DeliveryParams):
        url: str = Field(description="where the JSON is POSTed (http or https)")
        api_key_env: str | None = Field(
            default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="variable whose value is sent as 'Authorization: Bearer ...'",
        )

        @field_validator("url")
        @classmethod
        def _http(cls, value: str) -> str:
            return http_url(value)

    writes: ClassVar[tuple[str, ...]] = ("*",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._p = params
        self._key = secret(params.api_key_env, "api_key_env") if params.api_key_env else None

    def body(self, data: Data, ctx: Context) -> dict[str, Any]:
        """What is POSTed for ``data`` (status-push sends another body the same way)."""
        return results_body(data, ctx)

    def process(self, data: Data, ctx: Context) -> Data | None:
        body = json.dumps(self.body(data, ctx)).encode()
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        p = self._p
        what = f"{self.type_id} to {p.url}"
        retrying(p, what, data, lambda: post(p.url, body, headers, p.timeout))
        return data
