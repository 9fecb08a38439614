"""Models over both transports: model types, the app's models, and one run alone."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from tests.engine.api.conftest import Server

APP = r.UserAppIDSet(user_id="me", app_id="m")


def test_model_types_describe_every_operator(server: Server, stub: Any) -> None:
    reply = stub.ListModelTypes(
        pb.ListModelTypesRequest(user_app_id=APP, per_page=1000), metadata=server.metadata()
    )
    assert reply.status.code == codes.SUCCESS, reply.status
    by_id = {t.id: t for t in reply.model_types}
    assert {"byte-tracker", "regex-based-classifier", "image-crop"} <= set(by_id)
    crop = {f.path: f for f in by_id["image-crop"].model_type_fields}
    margin = crop["output_info.params.margin"]
    assert margin.default_value.number_value > 0
    regex = {f.path: f for f in by_id["regex-based-classifier"].model_type_fields}
    assert regex["output_info.params.regex"].required


def test_run_one_operator_alone(server: Server, stub: Any) -> None:
    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="m")]),
        metadata=md,
    )
    models = stub.ListModels(pb.ListModelsRequest(user_app_id=APP, per_page=1000), metadata=md)
    assert "language-id-operator" in [m.id for m in models.models]
    got = stub.GetModel(
        pb.GetModelRequest(user_app_id=APP, model_id="language-id-operator"), metadata=md
    )
    assert got.model.model_type_id == "language-id-operator"

    reply = stub.PostModelOutputs(
        pb.PostModelOutputsRequest(
            user_app_id=APP,
            model_id="language-id-operator",
            inputs=[
                r.Input(data=r.Data(text=r.Text(raw="Le chat est assis sur le tapis rouge."))),
                r.Input(data=r.Data(text=r.Text(raw="The cat sat on the red mat today."))),
            ],
        ),
        metadata=md,
    )
    assert reply.status.code == codes.SUCCESS, reply.status
    langs = [o.data.concepts[0].id for o in reply.outputs]
    assert langs == ["fr", "en"]

    unknown = stub.PostModelOutputs(
        pb.PostModelOutputsRequest(
            user_app_id=APP,
            model_id="no-such-model",
            inputs=[r.Input(data=r.Data(text=r.Text(raw="x")))],
        ),
        metadata=md,
    )
    assert unknown.status.code != codes.SUCCESS
