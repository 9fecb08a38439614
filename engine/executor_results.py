"""A run's outputs and errors as the ``WorkflowResult`` a user sees: one ``Output`` per shown
node, in YAML order, each with its own status, model and token counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.executor_node import EMPTY
from engine.graph import CompiledNode
from engine.proto import Data, Input, Model, Output, Status, StatusCode, WorkflowResult
from engine.proto_build import assembled

__all__ = ["ResultBuilder", "failed_status", "input_failed"]

_OK = Status(code=StatusCode.SUCCESS, description="Ok")


class ResultBuilder:
    """Builds a graph's results from per-node templates made once: each Output is a copy of
    its node's template (id, status Ok, model: shared, never mutated) with the node's data,
    and its error and token counts where it has them."""

    def __init__(self, nodes: Sequence[CompiledNode]) -> None:
        self._node_ids = [n.id for n in nodes]
        counting = {
            n.id for n in nodes if n.operator_cls is not None and n.operator_cls.counts_tokens
        }
        # per shown node: its id, whether it counts tokens, and its Output's fields but the
        # data (a copy of them is each input's Output: see result)
        self._templates = [
            (n.id, n.id in counting, _output_fields(n.id, _model_info(n)))
            for n in nodes
            if not n.spec.suppress_output
        ]

    def result(
        self, inp: Input, outputs: dict[str, Data | None], errors: dict[str, str]
    ) -> WorkflowResult:
        """``inp``'s result, from its outputs and errors by node id."""
        shown: list[Output] = []
        for node_id, counting, template in self._templates:
            fields = template.copy()
            data = outputs.get(node_id)
            if data is not None:
                fields["data"] = data
            if errors and node_id in errors:
                fields["status"] = failed_status(f"node '{node_id}' failed", errors[node_id])
            if counting:
                tokens = _tokens(data)
                fields["prompt_tokens"], fields["completion_tokens"] = tokens[:2]
                fields["cached_tokens"] = tokens[2]
            shown.append(assembled(Output, fields))
        status = _OK
        if errors:
            details = "; ".join(f"{k}: {v}" for k, v in errors.items())
            status = failed_status(f"{len(errors)} node(s) failed", details)
        return assembled(
            WorkflowResult,
            {"id": inp.id, "status": status, "created_at": None, "input": inp, "outputs": shown},
        )

    def failed(self, inp: Input, status: Status) -> WorkflowResult:
        """The result for an input that did not run: every node carries the reason."""
        errors = {node_id: status.details or status.description for node_id in self._node_ids}
        result = self.result(inp, {}, errors)
        result.status = status
        return result


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


def _output_fields(node_id: str, model: Model) -> dict[str, Any]:
    """A node's Output fields, in proto order, as they are for an input it ran on: Ok."""
    return {
        "id": node_id,
        "status": _OK,
        "created_at": None,
        "model": model,
        "input": None,
        "data": EMPTY,
        "prompt_tokens": None,
        "completion_tokens": None,
        "cached_tokens": None,
    }


def failed_status(description: str, details: str) -> Status:
    """A failed node's (or run's) status."""
    return Status(code=StatusCode.FAILURE, description=description, details=details)


def input_failed(msg: str) -> Status:
    """The status of an input that could not be read (a video that would not decode)."""
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
