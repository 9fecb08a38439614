"""A workflow's nodes written out: as Clarifai's workflow YAML (the dict ``to_yaml`` dumps)
and as the ``WorkflowDefinition`` proto a ``PostWorkflowResultsResponse`` carries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from engine.proto import Model, NodeInput, WorkflowDefinition, WorkflowNode
from engine.spec import NodeSpec

__all__ = ["definition", "workflow_dict", "workflow_yaml"]


def workflow_dict(workflow_id: str, nodes: Sequence[NodeSpec]) -> dict[str, Any]:
    """The workflow as the mapping its YAML file holds (``load_spec`` reads it back)."""
    return {"workflow": {"id": workflow_id, "nodes": [_node_dict(n) for n in nodes]}}


def workflow_yaml(workflow_id: str, nodes: Sequence[NodeSpec]) -> str:
    """The workflow as YAML text, keys in the order Clarifai writes them."""
    return yaml.safe_dump(
        workflow_dict(workflow_id, nodes), sort_keys=False, default_flow_style=False
    )


def definition(workflow_id: str, nodes: Sequence[NodeSpec]) -> WorkflowDefinition:
    """The workflow as the ``WorkflowDefinition`` proto."""
    return WorkflowDefinition(
        id=workflow_id,
        nodes=[
            WorkflowNode(
                id=n.id,
                model=Model(
                    id=n.model_id,
                    user_id=n.user_id,
                    app_id=n.app_id,
                    model_type_id=n.model_type_id,
                ),
                node_inputs=[NodeInput(node_id=s) for s in n.inputs],
                suppress_output=n.suppress_output or None,
            )
            for n in nodes
        ],
    )


def _node_dict(n: NodeSpec) -> dict[str, Any]:
    model: dict[str, Any] = {"model_id": n.model_id}
    for key in ("model_version_id", "user_id", "app_id", "model_type_id", "description"):
        if getattr(n, key):
            model[key] = getattr(n, key)
    output_info: dict[str, Any] = {}
    if n.params:
        output_info["params"] = n.params
    if n.concepts is not None:
        output_info["data"] = {"concepts": n.concepts}
    if output_info:
        model["output_info"] = output_info
    out: dict[str, Any] = {"id": n.id, "model": model}
    if n.inputs:
        out["node_inputs"] = [{"node_id": s} for s in n.inputs]
    if n.suppress_output:
        out["suppress_output"] = True
    return out
