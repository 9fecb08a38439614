"""Datasets: PostDatasets, GetDataset, ListDatasets, PatchDatasets, DeleteDatasets, their
inputs (PostDatasetInputs, ListDatasetInputs, DeleteDatasetInputs) and versions
(PostDatasetVersions, ListDatasetVersions, GetDatasetVersion)."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf.message import Message

from engine.api.errors import ApiError
from engine.api.handlers._convert import answer, metadata_of
from engine.api.paging import page_args
from engine.api.service import Call, Reply, handler, ok, response_type
from engine.proto_app import (
    MultiDatasetInputResponse,
    MultiDatasetResponse,
    MultiDatasetVersionResponse,
    SingleDatasetResponse,
    SingleDatasetVersionResponse,
)

__all__: list[str] = []


def _some(items: Any, what: str) -> Any:
    if not items:
        raise ApiError(codes.CONN_INVALID_REQUEST, f"the request has no {what}")
    return items


@handler("PostDatasets", scope="datasets:write")
def post_datasets(call: Call, req: pb.PostDatasetsRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    made = [
        app.create_dataset(d.id, d.description, d.notes, metadata_of(d))
        for d in _some(req.datasets, "datasets")
    ]
    return answer("PostDatasets", MultiDatasetResponse(datasets=made))


@handler("GetDataset", scope="datasets:read")
def get_dataset(call: Call, req: pb.GetDatasetRequest) -> Message | Reply:
    dataset = call.app(req.user_app_id).get_dataset(req.dataset_id)
    return answer("GetDataset", SingleDatasetResponse(dataset=dataset))


@handler("ListDatasets", scope="datasets:read")
def list_datasets(call: Call, req: pb.ListDatasetsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    app = call.app(req.user_app_id)
    found = [app.get_dataset(req.id)] if req.id else app.list_datasets(page, per_page)
    return answer("ListDatasets", MultiDatasetResponse(datasets=found))


@handler("PatchDatasets", scope="datasets:write")
def patch_datasets(call: Call, req: pb.PatchDatasetsRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    action = req.action or "merge"
    patched = [
        app.patch_dataset(d.id, action, d.description or None, d.notes or None, metadata_of(d))
        for d in _some(req.datasets, "datasets")
    ]
    return answer("PatchDatasets", MultiDatasetResponse(datasets=patched))


@handler("DeleteDatasets", scope="datasets:write")
def delete_datasets(call: Call, req: pb.DeleteDatasetsRequest) -> Message | Reply:
    call.app(req.user_app_id).delete_dataset(list(_some(req.dataset_ids, "dataset ids")))
    return ok(response_type("DeleteDatasets")())


@handler("PostDatasetInputs", scope="datasets:write")
def post_dataset_inputs(call: Call, req: pb.PostDatasetInputsRequest) -> Message | Reply:
    if req.HasField("search"):
        raise ApiError(
            codes.NOT_IMPLEMENTED,
            "adding a search's hits to a dataset is not "
            "implemented: name the inputs in dataset_inputs",
        )
    ids = [d.input.id for d in _some(req.dataset_inputs, "dataset inputs")]
    added = call.app(req.user_app_id).dataset(req.dataset_id).add_inputs(ids)
    return answer("PostDatasetInputs", MultiDatasetInputResponse(dataset_inputs=added))


@handler("ListDatasetInputs", scope="datasets:read")
def list_dataset_inputs(call: Call, req: pb.ListDatasetInputsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    found = call.app(req.user_app_id).dataset(req.dataset_id).list_inputs(page, per_page)
    return answer("ListDatasetInputs", MultiDatasetInputResponse(dataset_inputs=found))


@handler("DeleteDatasetInputs", scope="datasets:write")
def delete_dataset_inputs(call: Call, req: pb.DeleteDatasetInputsRequest) -> Message | Reply:
    ids = list(_some(req.input_ids, "input ids"))
    call.app(req.user_app_id).dataset(req.dataset_id).remove_inputs(ids)
    return ok(response_type("DeleteDatasetInputs")())


@handler("PostDatasetVersions", scope="datasets:write")
def post_dataset_versions(call: Call, req: pb.PostDatasetVersionsRequest) -> Message | Reply:
    dataset = call.app(req.user_app_id).dataset(req.dataset_id)
    versions: list[resources_pb2.DatasetVersion] = list(req.dataset_versions) or [
        resources_pb2.DatasetVersion()
    ]
    made = [dataset.create_version(v.id or None, v.description, metadata_of(v)) for v in versions]
    return answer("PostDatasetVersions", MultiDatasetVersionResponse(dataset_versions=made))


@handler("ListDatasetVersions", scope="datasets:read")
def list_dataset_versions(call: Call, req: pb.ListDatasetVersionsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    found = call.app(req.user_app_id).dataset(req.dataset_id).list_versions(page, per_page)
    return answer("ListDatasetVersions", MultiDatasetVersionResponse(dataset_versions=found))


@handler("GetDatasetVersion", scope="datasets:read")
def get_dataset_version(call: Call, req: pb.GetDatasetVersionRequest) -> Message | Reply:
    found = call.app(req.user_app_id).dataset(req.dataset_id).get_version(req.dataset_version_id)
    return answer("GetDatasetVersion", SingleDatasetVersionResponse(dataset_version=found))
