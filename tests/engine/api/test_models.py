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


def test_the_sdk_create_workflow_path(server: Server, stub: Any) -> None:
    """What clarifai's App.create_workflow(config_filepath) sends: GetModel (missing) ->
    PostModels -> PostModelVersions with the node's output_info -> PostWorkflows with each
    node's model as the version call returned it -> PostWorkflowResults."""
    from google.protobuf import struct_pb2

    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="m")]),
        metadata=md,
    )
    missing = stub.GetModel(pb.GetModelRequest(user_app_id=APP, model_id="money"), metadata=md)
    assert "Model does not exist" in missing.status.description

    made = stub.PostModels(
        pb.PostModelsRequest(
            user_app_id=APP, models=[r.Model(id="money", model_type_id="regex-based-classifier")]
        ),
        metadata=md,
    )
    assert made.status.code == codes.SUCCESS, made.status
    params = struct_pb2.Struct()
    params.update({"regex": r"\$[0-9,]+"})
    version = stub.PostModelVersions(
        pb.PostModelVersionsRequest(
            user_app_id=APP,
            model_id="money",
            model_versions=[
                r.ModelVersion(
                    output_info=r.OutputInfo(
                        params=params, data=r.Data(concepts=[r.Concept(id="money", value=1)])
                    )
                )
            ],
        ),
        metadata=md,
    )
    assert version.status.code == codes.SUCCESS, version.status
    assert version.model.model_version.id

    node_model = r.Model(
        id="money", model_version=r.ModelVersion(id=version.model.model_version.id)
    )
    stored = stub.PostWorkflows(
        pb.PostWorkflowsRequest(
            user_app_id=APP,
            workflows=[
                r.Workflow(id="sums", nodes=[r.WorkflowNode(id="find", model=version.model)]),
            ],
        ),
        metadata=md,
    )
    assert stored.status.code == codes.SUCCESS, stored.status
    by_ref = stub.PostWorkflows(
        pb.PostWorkflowsRequest(
            user_app_id=APP,
            workflows=[
                r.Workflow(id="sums-by-id", nodes=[r.WorkflowNode(id="find", model=node_model)]),
            ],
        ),
        metadata=md,
    )
    assert by_ref.status.code == codes.SUCCESS, by_ref.status
    for workflow_id in ("sums", "sums-by-id"):
        ran = stub.PostWorkflowResults(
            pb.PostWorkflowResultsRequest(
                user_app_id=APP,
                workflow_id=workflow_id,
                inputs=[r.Input(data=r.Data(text=r.Text(raw="it cost $480,000")))],
            ),
            metadata=md,
        )
        assert ran.status.code == codes.SUCCESS, ran.status
        assert [c.id for c in ran.results[0].outputs[0].data.concepts] == ["money"]

    versions = stub.ListModelVersions(
        pb.ListModelVersionsRequest(user_app_id=APP, model_id="money"), metadata=md
    )
    assert [v.id for v in versions.model_versions] == [version.model.model_version.id]
    got = stub.GetModelVersion(
        pb.GetModelVersionRequest(
            user_app_id=APP, model_id="money", version_id=version.model.model_version.id
        ),
        metadata=md,
    )
    assert got.model_version.output_info.params["regex"] == r"\$[0-9,]+"
    bad = stub.PostModelVersions(
        pb.PostModelVersionsRequest(
            user_app_id=APP, model_id="money", model_versions=[r.ModelVersion()]
        ),
        metadata=md,
    )
    assert bad.status.code == codes.MODEL_INVALID_ARGUMENT  # a regex classifier needs a regex
    gone = stub.DeleteModel(pb.DeleteModelRequest(user_app_id=APP, model_id="money"), metadata=md)
    assert gone.status.code == codes.SUCCESS
