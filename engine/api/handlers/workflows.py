"""Workflows: PostWorkflows, GetWorkflow, ListWorkflows, PatchWorkflows, DeleteWorkflow(s),
ListWorkflowVersions, GetWorkflowVersion and PostWorkflowResults.

A workflow arrives as Clarifai's ``Workflow`` proto; it becomes the same YAML that
Clarifai's SDK writes (``model_id``, ``model_type_id``, ``model_version_id``,
``output_info.params``, ``node_inputs``), so the App checks it exactly as it checks a file.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import yaml
from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf import json_format
from google.protobuf.message import Message

from engine.api.codec import to_proto
from engine.api.errors import ApiError
from engine.api.handlers._convert import answer, input_docs, metadata_of
from engine.api.paging import page_args
from engine.api.service import Call, Reply, handler, ok, response_type
from engine.errors import AppError
from engine.operator import find_binding
from engine.proto_app import (
    MultiWorkflowResponse,
    MultiWorkflowVersionResponse,
    SingleWorkflowResponse,
    SingleWorkflowVersionResponse,
)

__all__ = ["workflow_yaml"]


def _model(model: resources_pb2.Model, app: Any = None, bindings: Any = None) -> dict[str, Any]:
    if not model.model_type_id and app is not None:
        bound = _app_model(model, app) or _bound_model(model, bindings)
        if bound is not None:
            return bound
    doc: dict[str, Any] = {"model_id": model.id}
    for key in ("user_id", "app_id", "model_type_id"):
        if getattr(model, key):
            doc[key] = getattr(model, key)
    if model.model_version.id and not model.model_type_id:
        # Clarifai's schema takes a version id or the model's fields, not both: a node that
        # carries its type and output_info (as the SDK sends a version it made) is complete
        doc["model_version_id"] = model.model_version.id
    info = model.output_info if model.HasField("output_info") else model.model_version.output_info
    out = json_format.MessageToDict(info, preserving_proto_field_name=True)
    kept = {k: v for k, v in out.items() if k in ("params", "data") and v}
    if "data" in kept:
        kept["data"] = {"concepts": kept["data"].get("concepts", [])}
    if kept:
        doc["output_info"] = kept
    return doc


def _app_model(model: resources_pb2.Model, app: Any) -> dict[str, Any] | None:
    """A node naming one of the app's models (and perhaps its version) by id only: the
    model's type and the version's output_info go into the stored YAML."""
    try:
        found = app.get_model(model.id)
    except AppError:
        return None
    if found.model_type_id == model.id and not model.model_version.id:
        return None  # an operator's own id: leave the reference to the catalog
    info = found.output_info
    if model.model_version.id:
        info = app.get_model_version(model.id, model.model_version.id).output_info
    doc: dict[str, Any] = {"model_id": model.id, "model_type_id": found.model_type_id}
    if info is not None:
        kept = info.model_dump(mode="json", exclude_none=True, include={"params", "data"})
        if kept.get("data"):
            kept["data"] = {"concepts": kept["data"].get("concepts", [])}
        doc["output_info"] = {k: v for k, v in kept.items() if v}
    return doc


def _bound_model(model: resources_pb2.Model, bindings: Any) -> dict[str, Any] | None:
    """A node naming a model the server's catalog (or the bundled one) binds."""
    found = find_binding(model.id, model.user_id or None, model.app_id or None, bindings)
    if found is None:
        return None
    doc: dict[str, Any] = {"model_id": model.id, "model_type_id": found.model_type_id}
    if found.params:
        doc["output_info"] = {"params": dict(found.params)}
    return doc


def workflow_yaml(workflow: resources_pb2.Workflow, app: Any = None, bindings: Any = None) -> str:
    """A ``Workflow`` proto as the YAML Clarifai's SDK writes for it.  A node that names a
    model by id alone gets its type and output_info from ``app``'s own models, else from
    the server's model catalog ``bindings`` (then the bundled one)."""
    if not workflow.id:
        raise ApiError(codes.WORKFLOW_INVALID_ARGUMENT, "a workflow needs an id")
    if not workflow.nodes:
        raise ApiError(codes.WORKFLOW_INVALID_ARGUMENT, f"workflow '{workflow.id}' has no nodes")
    nodes = []
    for node in workflow.nodes:
        doc: dict[str, Any] = {"id": node.id, "model": _model(node.model, app, bindings)}
        if node.node_inputs:
            doc["node_inputs"] = [{"node_id": i.node_id} for i in node.node_inputs]
        if node.suppress_output:
            doc["suppress_output"] = True
        nodes.append(doc)
    return yaml.safe_dump({"workflow": {"id": workflow.id, "nodes": nodes}}, sort_keys=False)


@handler("PostWorkflows", scope="workflows:write")
def post_workflows(call: Call, req: pb.PostWorkflowsRequest) -> Message | Reply:
    if len(req.workflows) != 1:
        raise ApiError(codes.WORKFLOW_INVALID_REQUEST, "post one workflow per request")
    wf = req.workflows[0]
    app = call.app(req.user_app_id)
    stored = app.create_workflow(
        workflow_yaml(wf, app, call.server.models),
        wf.id,
        description=wf.description,
        notes=wf.notes,
        metadata=metadata_of(wf),
    )
    return answer("PostWorkflows", MultiWorkflowResponse(workflows=[stored]))


@handler("GetWorkflow", scope="workflows:read")
def get_workflow(call: Call, req: pb.GetWorkflowRequest) -> Message | Reply:
    stored = call.app(req.user_app_id).get_workflow(req.workflow_id)
    return answer("GetWorkflow", SingleWorkflowResponse(workflow=stored))


@handler("ListWorkflows", scope="workflows:read")
def list_workflows(call: Call, req: pb.ListWorkflowsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    app = call.app(req.user_app_id)
    found = [app.get_workflow(req.id)] if req.id else app.list_workflows(page, per_page)
    return answer("ListWorkflows", MultiWorkflowResponse(workflows=found))


@handler("PatchWorkflows", scope="workflows:write")
def patch_workflows(call: Call, req: pb.PatchWorkflowsRequest) -> Message | Reply:
    if len(req.workflows) != 1:
        raise ApiError(codes.WORKFLOW_INVALID_REQUEST, "patch one workflow per request")
    wf = req.workflows[0]
    app = call.app(req.user_app_id)
    stored = app.patch_workflow(
        wf.id,
        workflow_yaml(wf, app, call.server.models) if wf.nodes else None,
        action=req.action or "merge",
        description=wf.description or None,
        notes=wf.notes or None,
        metadata=metadata_of(wf),
    )
    return answer("PatchWorkflows", MultiWorkflowResponse(workflows=[stored]))


@handler("DeleteWorkflow", scope="workflows:write")
def delete_workflow(call: Call, req: pb.DeleteWorkflowRequest) -> Message | Reply:
    call.app(req.user_app_id).delete_workflow(req.workflow_id)
    return ok(response_type("DeleteWorkflow")())


@handler("DeleteWorkflows", scope="workflows:write")
def delete_workflows(call: Call, req: pb.DeleteWorkflowsRequest) -> Message | Reply:
    if req.delete_all or not req.ids:
        raise ApiError(codes.WORKFLOW_INVALID_REQUEST, "name the workflow ids to delete")
    app = call.app(req.user_app_id)
    for workflow_id in req.ids:
        app.get_workflow(workflow_id)  # all known, or nothing is deleted
    for workflow_id in req.ids:
        app.delete_workflow(workflow_id)
    return ok(response_type("DeleteWorkflows")())


@handler("ListWorkflowVersions", scope="workflows:read")
def list_workflow_versions(call: Call, req: pb.ListWorkflowVersionsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    found = call.app(req.user_app_id).list_workflow_versions(req.workflow_id, page, per_page)
    return answer("ListWorkflowVersions", MultiWorkflowVersionResponse(workflow_versions=found))


@handler("GetWorkflowVersion", scope="workflows:read")
def get_workflow_version(call: Call, req: pb.GetWorkflowVersionRequest) -> Message | Reply:
    found = call.app(req.user_app_id).get_workflow_version(req.workflow_id, req.workflow_version_id)
    return answer("GetWorkflowVersion", SingleWorkflowVersionResponse(workflow_version=found))


@handler("PostWorkflowResults", scope="predict")
def post_workflow_results(call: Call, req: pb.PostWorkflowResultsRequest) -> Message | Reply:
    docs = input_docs(call, req.inputs)
    flow = call.app(req.user_app_id).workflow(req.workflow_id, req.version_id or None)
    options: dict[str, Any] = {}
    if req.output_config.sample_ms:
        options["sample_ms"] = req.output_config.sample_ms
    times = _NodeTimes()
    result = flow.predict(docs, on_node=times.add, **options)
    reply = Reply("PostWorkflowResults", model=result, parts=_definition_part(result.workflow))
    timing = times.header()
    if timing:
        reply.headers["Server-Timing"] = timing
    return reply


_DEFINITIONS: dict[int, tuple[Any, resources_pb2.Workflow]] = {}
_MAX_DEFINITIONS = 256
_definitions_lock = threading.Lock()


def _definition_part(definition: Any) -> dict[str, Message]:
    """A run's ``workflow`` (the same object on every run of a compiled version) as its
    proto, made once: every response of a version carries it."""
    if definition is None:
        return {}
    found = _DEFINITIONS.get(id(definition))
    if found is None or found[0] is not definition:
        proto = to_proto(resources_pb2.Workflow, definition)
        with _definitions_lock:  # the definition is held, so its id is not reused meanwhile
            if len(_DEFINITIONS) >= _MAX_DEFINITIONS:
                _DEFINITIONS.clear()
            _DEFINITIONS[id(definition)] = found = (definition, proto)
    return {"workflow": found[1]}


class _NodeTimes:
    """How long each node ran in one request, over its inputs and frames, in the order the
    nodes first ran; sent as the standard ``Server-Timing`` header (``dur`` in ms, the
    node id percent-encoded as ``desc``): Clarifai's response has no field for it."""

    def __init__(self) -> None:
        self._times: list[tuple[str, float]] = []

    def add(self, node_id: str, seconds: float) -> None:
        self._times.append((node_id, seconds))  # atomic: I/O-bound nodes report from threads

    def header(self) -> str:
        seconds: dict[str, float] = {}
        for node_id, took in list(self._times):
            seconds[node_id] = seconds.get(node_id, 0.0) + took
        return ", ".join(
            f'node{i};desc="{_quoted(node_id)}";dur={took * 1000:.3f}'
            for i, (node_id, took) in enumerate(seconds.items())
        )


@lru_cache(maxsize=4096)  # a workflow's node ids, on every request that runs it
def _quoted(text: str) -> str:
    """``text`` percent-encoded (UTF-8), so any node id fits an HTTP quoted-string."""
    return quote(text, safe="")
