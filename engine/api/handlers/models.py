"""Models: ListModelTypes, ListModels, GetModel and PostModelOutputs (one model run alone)."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import service_pb2 as pb
from google.protobuf import json_format
from google.protobuf.message import Message

from engine.api.codec import to_proto
from engine.api.handlers._convert import answer, input_docs
from engine.api.paging import page_of
from engine.api.service import Call, Reply, handler, ok, response_type
from engine.model_types import model_types
from engine.proto_app import MultiModelResponse, SingleModelResponse

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
    return answer("ListModels", MultiModelResponse(models=found))


@handler("GetModel", scope="models:read")
def get_model(call: Call, req: pb.GetModelRequest) -> Message | Reply:
    model = call.app(req.user_app_id).get_model(req.model_id)
    return answer("GetModel", SingleModelResponse(model=model))


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
