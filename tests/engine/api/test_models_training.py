"""Training over the API: PostModelVersions of an embeddings-classifier or clusterer model."""

from __future__ import annotations

from typing import Any

import pytest
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf import struct_pb2

from tests.engine.api.conftest import Server
from tests.engine.app.test_training import CARS, PETS

APP = r.UserAppIDSet(user_id="me", app_id="t")


def _labelled(texts: list[str], concept: str) -> list[r.Input]:
    return [
        r.Input(data=r.Data(text=r.Text(raw=t), concepts=[r.Concept(id=concept, value=1)]))
        for t in texts
    ]


def test_post_model_versions_trains_and_outputs_predict(server: Server, stub: Any) -> None:
    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="t")]),
        metadata=md,
    )
    added = stub.PostInputs(
        pb.PostInputsRequest(
            user_app_id=APP, inputs=_labelled(PETS, "pets") + _labelled(CARS, "vehicles")
        ),
        metadata=md,
    )
    assert added.status.code == codes.SUCCESS, added.status
    made = stub.PostModels(
        pb.PostModelsRequest(
            user_app_id=APP, models=[r.Model(id="topic", model_type_id="embeddings-classifier")]
        ),
        metadata=md,
    )
    assert made.status.code == codes.SUCCESS, made.status
    params = struct_pb2.Struct()
    params.update({"regularization": 20})
    version = stub.PostModelVersions(
        pb.PostModelVersionsRequest(
            user_app_id=APP,
            model_id="topic",
            model_versions=[
                r.ModelVersion(
                    output_info=r.OutputInfo(
                        data=r.Data(concepts=[r.Concept(id="pets"), r.Concept(id="vehicles")]),
                        output_config=r.OutputConfig(concepts_mutually_exclusive=True),
                    ),
                    train_info=r.TrainInfo(params=params),
                )
            ],
        ),
        metadata=md,
    )
    assert version.status.code == codes.SUCCESS, version.status
    assert [c.id for c in version.model.model_version.output_info.data.concepts] == [
        "pets",
        "vehicles",
    ]
    reply = stub.PostModelOutputs(
        pb.PostModelOutputsRequest(
            user_app_id=APP,
            model_id="topic",
            inputs=[r.Input(data=r.Data(text=r.Text(raw="a sleepy kitten")))],
        ),
        metadata=md,
    )
    assert reply.status.code == codes.SUCCESS, reply.status
    concepts = reply.outputs[0].data.concepts
    assert concepts[0].id == "pets"
    assert sum(c.value for c in concepts) == pytest.approx(1.0, abs=1e-5)

    unlabelled = stub.PostModelVersions(
        pb.PostModelVersionsRequest(
            user_app_id=APP,
            model_id="topic",
            model_versions=[
                r.ModelVersion(output_info=r.OutputInfo(data=r.Data(concepts=[r.Concept(id="x")])))
            ],
        ),
        metadata=md,
    )
    assert unlabelled.status.code == codes.MODEL_TRAINING_NO_POSITIVES
    versions = stub.ListModelVersions(
        pb.ListModelVersionsRequest(user_app_id=APP, model_id="topic"), metadata=md
    )
    assert [v.id for v in versions.model_versions] == [version.model.model_version.id]
