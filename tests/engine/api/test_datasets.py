"""Datasets and versions over both transports with clarifai-grpc's clients."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from tests.engine.api.conftest import Server

APP = r.UserAppIDSet(user_id="me", app_id="data")


def test_dataset_lifecycle_with_a_frozen_version(server: Server, stub: Any) -> None:
    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="data")]),
        metadata=md,
    )
    stub.PostInputs(
        pb.PostInputsRequest(
            user_app_id=APP,
            inputs=[
                r.Input(id=f"t{i}", data=r.Data(text=r.Text(raw=f"note {i}"))) for i in range(3)
            ],
        ),
        metadata=md,
    )
    made = stub.PostDatasets(
        pb.PostDatasetsRequest(
            user_app_id=APP, datasets=[r.Dataset(id="train", description="first")]
        ),
        metadata=md,
    )
    assert made.status.code == codes.SUCCESS, made.status
    added = stub.PostDatasetInputs(
        pb.PostDatasetInputsRequest(
            user_app_id=APP,
            dataset_id="train",
            dataset_inputs=[r.DatasetInput(input=r.Input(id=i)) for i in ("t0", "t1")],
        ),
        metadata=md,
    )
    assert added.status.code == codes.SUCCESS, added.status

    version = stub.PostDatasetVersions(
        pb.PostDatasetVersionsRequest(
            user_app_id=APP, dataset_id="train", dataset_versions=[r.DatasetVersion(id="v1")]
        ),
        metadata=md,
    )
    assert version.status.code == codes.SUCCESS, version.status

    stub.DeleteDatasetInputs(
        pb.DeleteDatasetInputsRequest(user_app_id=APP, dataset_id="train", input_ids=["t0"]),
        metadata=md,
    )
    now = stub.ListDatasetInputs(
        pb.ListDatasetInputsRequest(user_app_id=APP, dataset_id="train"), metadata=md
    )
    assert [d.input.id for d in now.dataset_inputs] == ["t1"]
    frozen = stub.GetDatasetVersion(
        pb.GetDatasetVersionRequest(user_app_id=APP, dataset_id="train", dataset_version_id="v1"),
        metadata=md,
    )
    assert frozen.status.code == codes.SUCCESS, frozen.status
    assert frozen.dataset_version.metrics["/"].inputs_count.value == 2
    versions = stub.ListDatasetVersions(
        pb.ListDatasetVersionsRequest(user_app_id=APP, dataset_id="train"), metadata=md
    )
    assert [v.id for v in versions.dataset_versions] == ["v1"]

    patched = stub.PatchDatasets(
        pb.PatchDatasetsRequest(
            user_app_id=APP, action="merge", datasets=[r.Dataset(id="train", description="second")]
        ),
        metadata=md,
    )
    assert patched.datasets[0].description == "second"
    listed = stub.ListDatasets(pb.ListDatasetsRequest(user_app_id=APP), metadata=md)
    assert [d.id for d in listed.datasets] == ["train"]
    gone = stub.DeleteDatasets(
        pb.DeleteDatasetsRequest(user_app_id=APP, dataset_ids=["train"]), metadata=md
    )
    assert gone.status.code == codes.SUCCESS
    missing = stub.GetDataset(
        pb.GetDatasetRequest(user_app_id=APP, dataset_id="train"), metadata=md
    )
    assert missing.status.code != codes.SUCCESS


def test_a_version_of_an_empty_dataset_is_refused(server: Server, stub: Any) -> None:
    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="data")]),
        metadata=md,
    )
    stub.PostDatasets(
        pb.PostDatasetsRequest(user_app_id=APP, datasets=[r.Dataset(id="empty")]), metadata=md
    )
    reply = stub.PostDatasetVersions(
        pb.PostDatasetVersionsRequest(user_app_id=APP, dataset_id="empty"), metadata=md
    )
    assert reply.status.code != codes.SUCCESS
    assert reply.status.description
