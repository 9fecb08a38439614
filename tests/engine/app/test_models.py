"""The app's models: workflow nodes, catalog bindings and operators; run one alone."""

from __future__ import annotations

import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine.app import App
from engine.errors import AppError
from engine.proto import StatusCode
from engine.proto_app import MultiModelResponse, SingleModelResponse
from tests.clarifai_json import assert_clarifai_json
from tests.engine.app.test_workflows import flow


def test_models_list_get_and_page(app: App) -> None:
    app.create_workflow(flow("cat"))
    models = app.list_models(per_page=1000)
    ids = [m.id for m in models]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert {"tag", "embed", "regex-based-classifier", "face-detection"} <= set(ids)
    assert_clarifai_json(
        MultiModelResponse(models=models).to_dict(), service_pb2.MultiModelResponse
    )
    tag = app.get_model("tag")
    assert tag.model_type_id == "regex-based-classifier"
    assert tag.output_info is not None and tag.output_info.params is not None
    assert tag.output_info.params["regex"] == "cat"
    assert_clarifai_json(SingleModelResponse(model=tag).to_dict(), service_pb2.SingleModelResponse)
    assert [m.id for m in app.list_models(page=2, per_page=1)] == ids[1:2]
    only = app.list_models(model_type_id="text-embedder")
    assert {m.model_type_id for m in only} == {"text-embedder"} and len(only) >= 2


def test_predict_runs_one_model_alone(app: App) -> None:
    app.create_workflow(flow("bird"))
    response = app.model("tag").predict(
        [{"text": {"raw": "a bird"}}, {"text": {"raw": "no"}}, {"image": {"base64": "aGVsbG8="}}]
    )
    doc = response.to_dict()
    assert_clarifai_json(doc, service_pb2.MultiOutputResponse)
    assert [[c.id for c in o.data.concepts] for o in response.outputs[:2]] == [["bird"], []]
    assert response.status.code == StatusCode.MIXED_STATUS
    assert response.outputs[2].status.code != StatusCode.SUCCESS
    op = app.model("regex-based-classifier").predict(
        [{"text": {"raw": "a bird"}}], params={"regex": "bird", "concepts": [{"id": "b"}]}
    )
    assert [c.id for c in op.outputs[0].data.concepts] == ["b"]
    assert op.status.code == StatusCode.SUCCESS


def test_unknown_model_is_model_does_not_exist(app: App) -> None:
    with pytest.raises(AppError) as info:
        app.model("nope")
    assert info.value.code == StatusCode.MODEL_DOES_NOT_EXIST
