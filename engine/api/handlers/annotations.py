"""Annotations: PostAnnotations, ListAnnotations, PatchAnnotations, DeleteAnnotation(s)."""

from __future__ import annotations

from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf.message import Message

from engine.api.errors import ApiError
from engine.api.handlers._convert import answer, request_docs
from engine.api.paging import page_args
from engine.api.service import Call, Reply, handler, ok, response_type
from engine.proto import MultiAnnotationResponse

__all__: list[str] = []


@handler("PostAnnotations", scope="annotations:write")
def post_annotations(call: Call, req: pb.PostAnnotationsRequest) -> Message | Reply:
    stored = call.app(req.user_app_id).upload_annotations(
        request_docs(call, req.annotations, "annotations", enum_ints=True)
    )
    return answer("PostAnnotations", MultiAnnotationResponse(annotations=stored))


@handler("ListAnnotations", scope="annotations:read")
def list_annotations(call: Call, req: pb.ListAnnotationsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    found = call.app(req.user_app_id).list_annotations(
        input_ids=list(req.input_ids),
        user_ids=list(req.user_ids),
        statuses=[s.code for s in req.statuses if s.code],
        task_id=req.task_id or None,
        ids=list(req.ids),
        page=page,
        per_page=per_page,
    )
    return answer("ListAnnotations", MultiAnnotationResponse(annotations=found))


@handler("PatchAnnotations", scope="annotations:write")
def patch_annotations(call: Call, req: pb.PatchAnnotationsRequest) -> Message | Reply:
    patched = call.app(req.user_app_id).patch_annotations(
        request_docs(call, req.annotations, "annotations", enum_ints=True),
        action=req.action or "merge",
    )
    return answer("PatchAnnotations", MultiAnnotationResponse(annotations=patched))


@handler("DeleteAnnotation", scope="annotations:write")
def delete_annotation(call: Call, req: pb.DeleteAnnotationRequest) -> Message | Reply:
    call.app(req.user_app_id).delete_annotations(annotation_ids=[req.annotation_id])
    return ok(response_type("DeleteAnnotation")())


@handler("DeleteAnnotations", scope="annotations:write")
def delete_annotations(call: Call, req: pb.DeleteAnnotationsRequest) -> Message | Reply:
    if not req.ids and not req.input_ids:
        raise ApiError(codes.CONN_INVALID_REQUEST, "name annotation ids or input ids to delete")
    call.app(req.user_app_id).delete_annotations(
        input_ids=list(req.input_ids), annotation_ids=list(req.ids)
    )
    return ok(response_type("DeleteAnnotations")())
