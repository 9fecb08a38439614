"""Models: ListModelTypes, ListModels, GetModel and PostModelOutputs (one model run alone).

``PostModelVersions`` of a model of a type an app trains (``embeddings-classifier``,
``clusterer``) trains it, as the SDK's ``model.train()`` asks: concepts from the version's
``output_info.data``, training params from its ``train_info.params``.
"""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf import json_format
from google.protobuf.message import Message

from engine.api.codec import to_proto
from engine.api.errors import ApiError
from engine.api.handlers._convert import answer, input_docs, metadata_of, owned
from engine.api.paging import page_args, page_of
from engine.api.service import Call, Reply, handler, ok, response_type
from engine.app.training import TRAINABLE
from engine.model_types import model_types
from engine.proto_app import (
    MultiModelResponse,
    MultiModelVersionResponse,
    SingleModelResponse,
    SingleModelVersionResponse,
)

__all__: list[str] = []


@handler("ListModelTypes", scope="models:read")
def list_model_types(call: Call, req: pb.ListModelTypesRequest) -> Message | Reply:
    response = to_proto(
        response_type("ListModelTypes"),
        {"model_types": page_of(model_types(), req.page, req.per_page)},
    )
    return ok(response)


@handler("ListModels", scope="models:read")
def list_models(call: Call, req: pb.ListModelsRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    found = app.list_models(req.page or 1, req.per_page or 128, req.model_type_id or None)
    return answer("ListModels", MultiModelResponse(models=owned(found, req.user_app_id)))


@handler("GetModel", scope="models:read")
def get_model(call: Call, req: pb.GetModelRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    model = app.get_model(req.model_id)
    if req.version_id:
        version = app.get_model_version(req.model_id, req.version_id)
        model = model.model_copy(
            update={"model_version": version, "output_info": version.output_info}
        )
    return answer("GetModel", SingleModelResponse(model=owned([model], req.user_app_id)[0]))


@handler("PostModels", scope="models:write")
def post_models(call: Call, req: pb.PostModelsRequest) -> Message | Reply:
    models = list(req.models) or ([req.model] if req.HasField("model") else [])
    if len(models) != 1:
        raise ApiError(codes.MODEL_INVALID_REQUEST, "post one model per request")
    m = models[0]
    made = call.app(req.user_app_id).create_model(
        m.id, m.model_type_id, m.name, m.description, m.notes, metadata_of(m)
    )
    return answer("PostModels", SingleModelResponse(model=owned([made], req.user_app_id)[0]))


@handler("PatchModels", scope="models:write")
def patch_models(call: Call, req: pb.PatchModelsRequest) -> Message | Reply:
    app = call.app(req.user_app_id)
    patched = [
        app.patch_model(
            m.id, m.name or None, m.description or None, m.notes or None, metadata_of(m)
        )
        for m in req.models
    ]
    return answer("PatchModels", MultiModelResponse(models=owned(patched, req.user_app_id)))


@handler("DeleteModel", scope="models:write")
def delete_model(call: Call, req: pb.DeleteModelRequest) -> Message | Reply:
    call.app(req.user_app_id).delete_model(req.model_id)
    return ok(response_type("DeleteModel")())


@handler("PostModelVersions", scope="models:write")
def post_model_versions(call: Call, req: pb.PostModelVersionsRequest) -> Message | Reply:
    versions = list(req.model_versions) or [resources_pb2.ModelVersion()]
    if len(versions) != 1:
        raise ApiError(codes.MODEL_INVALID_REQUEST, "post one model version per request")
    v = versions[0]
    app = call.app(req.user_app_id)
    model_type_id = app.get_model(req.model_id).model_type_id
    if model_type_id in TRAINABLE:
        made = _train(app, req.model_id, model_type_id, v, v.description or req.description)
    else:
        info = json_format.MessageToDict(v.output_info, preserving_proto_field_name=True)
        made = app.create_model_version(
            req.model_id, info, v.description or req.description, v.id or None
        )
    return answer("PostModelVersions", SingleModelResponse(model=owned([made], req.user_app_id)[0]))


def _train(
    app: Any, model_id: str, model_type_id: str, v: resources_pb2.ModelVersion, description: str
) -> Any:
    """A new version of a model trained in the app (what the SDK's ``model.train()`` posts):
    the concepts of ``output_info.data``, the params of ``train_info``."""
    concepts = [c.id for c in v.output_info.data.concepts if c.id]
    params: dict[str, Any] = {}
    if v.HasField("train_info") and v.train_info.HasField("params"):
        params = dict(json_format.MessageToDict(v.train_info.params))
    if v.output_info.output_config.concepts_mutually_exclusive:
        params.setdefault("concepts_mutually_exclusive", True)
    return app.train_model(
        model_id,
        model_type_id,
        concepts or None,
        params=params or None,
        description=description,
        version_id=v.id or None,
    )


@handler("GetModelVersion", scope="models:read")
def get_model_version(call: Call, req: pb.GetModelVersionRequest) -> Message | Reply:
    found = call.app(req.user_app_id).get_model_version(req.model_id, req.version_id)
    return answer("GetModelVersion", SingleModelVersionResponse(model_version=found))


@handler("ListModelVersions", scope="models:read")
def list_model_versions(call: Call, req: pb.ListModelVersionsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    found = call.app(req.user_app_id).list_model_versions(req.model_id, page, per_page)
    return answer("ListModelVersions", MultiModelVersionResponse(model_versions=found))


@handler("PostModelOutputs", scope="predict")
def post_model_outputs(call: Call, req: pb.PostModelOutputsRequest) -> Message | Reply:
    docs = input_docs(call, req.inputs)
    params: dict[str, Any] | None = None
    if req.model.HasField("model_version") and req.model.model_version.HasField("output_info"):
        info = req.model.model_version.output_info
        if info.HasField("params"):
            params = dict(json_format.MessageToDict(info.params))
    options: dict[str, Any] = {}
    if req.model.output_info.output_config.sample_ms:
        options["sample_ms"] = req.model.output_info.output_config.sample_ms
    model = call.app(req.user_app_id).model(req.model_id)
    return answer("PostModelOutputs", model.predict(docs, params=params, **options))
