"""Inputs: PostInputs, GetInput, ListInputs, PatchInputs, DeleteInput(s), GetInputCount."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import service_pb2 as pb
from google.protobuf.message import Message

from engine.api.handlers._convert import answer, input_docs, with_media, without_media
from engine.api.paging import page_args
from engine.api.service import Call, Reply, handler, ok, response_type
from engine.proto import MultiInputResponse, SingleInputCountResponse, SingleInputResponse, Status

__all__: list[str] = []

_SKIP = 1  # InputIDConflictResolution.SKIP
_SUCCESS, _MIXED, _FAILURE, _INPUT_FAILED = 10000, 10010, 10020, 30002


def batch_status(inputs: list[Any]) -> Status:
    """SUCCESS, MIXED_STATUS or FAILURE for a batch, as Clarifai sums up per-input statuses."""
    failed = sum(1 for i in inputs if i.status is not None and i.status.code == _INPUT_FAILED)
    if not failed:
        return Status(code=_SUCCESS, description="Ok")
    if failed == len(inputs):
        return Status(code=_FAILURE, description="Failure", details="every input failed")
    return Status(
        code=_MIXED, description="Mixed Success", details=f"{failed} of {len(inputs)} inputs failed"
    )


@handler("PostInputs", scope="inputs:write")
def post_inputs(call: Call, req: pb.PostInputsRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    docs = input_docs(call, req.inputs)
    skip = req.input_id_conflict_resolution == _SKIP
    ids = app.add_inputs(docs, skip_existing=skip, progress=False)
    stored = without_media(app.get_inputs(ids))
    response = MultiInputResponse(inputs=stored, status=batch_status(stored))
    return answer("PostInputs", response)


@handler("GetInput", scope="inputs:read")
def get_input(call: Call, req: pb.GetInputRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    return answer("GetInput", SingleInputResponse(input=with_media(app.get_input(req.input_id))))


@handler("ListInputs", scope="inputs:read")
def list_inputs(call: Call, req: pb.ListInputsRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    page, per_page = page_args(req.page, req.per_page)
    if req.ids:
        found = app.get_inputs(list(req.ids))
        inputs = found[(page - 1) * per_page : page * per_page]
    else:
        status: Any = req.status.code if req.HasField("status") and req.status.code else None
        inputs = app.list_inputs(page=page, per_page=per_page, status=status)
    return answer("ListInputs", MultiInputResponse(inputs=without_media(inputs)))


@handler("PatchInputs", scope="inputs:write")
def patch_inputs(call: Call, req: pb.PatchInputsRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    patched = app.patch_inputs(input_docs(call, req.inputs), action=req.action or "merge")
    return answer("PatchInputs", MultiInputResponse(inputs=without_media(patched)))


@handler("DeleteInput", scope="inputs:write")
def delete_input(call: Call, req: pb.DeleteInputRequest) -> Message | Reply:
    call.app(req.user_app_id).delete_inputs([req.input_id])
    return ok(response_type("DeleteInput")())


@handler("DeleteInputs", scope="inputs:write")
def delete_inputs(call: Call, req: pb.DeleteInputsRequest) -> Message | Reply:
    call.app(req.user_app_id).delete_inputs(list(req.ids))
    return ok(response_type("DeleteInputs")())


@handler("GetInputCount", scope="inputs:read")
def get_input_count(call: Call, req: pb.GetInputCountRequest) -> Message | Reply:
    counts = call.app(req.user_app_id).get_input_count()
    return answer("GetInputCount", SingleInputCountResponse(counts=counts))
