"""Datasets: a whole lifecycle (upload, version, change, export, import), and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2

from engine.app import App
from engine.errors import AppError, InputError
from engine.proto import StatusCode
from engine.proto_app import (
    MultiDatasetInputResponse,
    MultiDatasetResponse,
    MultiDatasetVersionResponse,
    SingleDatasetResponse,
)
from engine.store import AnnotationRecord
from tests.clarifai_json import assert_clarifai_json
from tests.engine.app.conftest import hashing_base


def _snapshot(app: App, dataset_id: str, version_id: str) -> list[tuple[str, dict, list]]:
    return [
        (str(inp.id), inp.to_dict()["data"], [a.to_dict() for a in anns])
        for inp, anns in app.dataset(dataset_id).version_inputs(version_id)
    ]


def _media(app: App, dataset_id: str, version_id: str) -> dict[str, bytes]:
    out = {}
    for inp, _ in app.dataset(dataset_id).version_inputs(version_id):
        if inp.data.image is not None:
            assert isinstance(inp.data.image._source, bytes)
            out[str(inp.id)] = inp.data.image._source
    return out


def test_a_dataset_lifecycle_upload_version_change_export_import(
    app: App, folder: Path, rows: Path, tmp_path: Path
) -> None:
    created = app.create_dataset("ds", description="pets", metadata={"team": "a"})
    assert_clarifai_json(
        MultiDatasetResponse(datasets=[created]).to_dict(), service_pb2.MultiDatasetResponse
    )
    ds = app.dataset("ds")

    # a folder: both a.png files get their own ids; the stray file is reported
    report = ds.upload_from_folder(folder, labels=True)
    assert len(report.stored) == 4 and len(set(report.stored)) == 4
    assert report.errors == [("README.md", "not an image, video or text (.txt) file")]
    # the CSV: the bad row is reported, the others stored with concepts, metadata, geo
    report = ds.upload_from_csv(rows)
    assert sorted(report.stored)[:2] == ["r1", "r2"] and len(report.stored) == 3
    assert [w for w, _ in report.errors] == ["rows.csv:5"]
    assert_clarifai_json(report.to_response().to_dict(), service_pb2.MultiInputResponse)
    (r1,) = app.get_inputs(["r1"])
    assert [c.id for c in r1.data.concepts] == ["greet", "hi"]
    assert r1.data.metadata == {"k": 1, "deep": {"x": [1, 2]}}
    assert r1.data.geo is not None and r1.data.geo.geo_point is not None
    assert r1.data.geo.geo_point.longitude == pytest.approx(-122.4)

    # a hand-written annotation, then the version
    app._store.put_annotations(
        [
            AnnotationRecord(
                "hand-1",
                "r2",
                {"concepts": [{"id": "bye", "value": 1.0}]},
                24150,
                user_id="me",
                task_id="t1",
                created_at="2026-01-01T00:00:00Z",
                modified_at="2026-01-01T00:00:00Z",
            )
        ]
    )
    version = ds.create_version(description="first")
    assert_clarifai_json(
        MultiDatasetVersionResponse(dataset_versions=[version]).to_dict(),
        service_pb2.MultiDatasetVersionResponse,
    )
    metrics = version.metrics["/"] if version.metrics else None
    assert metrics is not None and metrics.inputs_count == 7
    assert metrics.inputs_with_metadata_count == 1 and metrics.inputs_with_geo_count == 1
    before, media = _snapshot(app, "ds", version.id), _media(app, "ds", version.id)
    assert len(media) == 2

    # the dataset changes: an input leaves it, one is patched, one deleted from the app
    ds.remove_inputs(["r1"])
    app.patch_inputs([{"id": "r2", "data": {"metadata": {"changed": True}}}], action="overwrite")
    deleted = next(i for i in report.stored if i.startswith("rows-csv"))
    app.delete_inputs([deleted])
    with app._store._tx() as c:  # type: ignore[attr-defined]  # edited by hand too
        c.execute("DELETE FROM annotations WHERE id = 'hand-1'")
    assert app.get_input("r2").data.metadata == {"changed": True}
    assert len(ds.list_inputs()) == 5
    assert _snapshot(app, "ds", version.id) == before  # the version is frozen
    assert ds.get_version(version.id).id == version.id

    # export, then import into a fresh app: the same inputs, annotations, metadata, media
    count = ds.export(tmp_path / "export")
    assert count == 7
    head = json.loads((tmp_path / "export" / "dataset.json").read_text())
    assert_clarifai_json({"dataset": head["dataset"]}, service_pb2.SingleDatasetResponse)
    assert_clarifai_json(
        {"dataset_version": head["dataset_version"]}, service_pb2.SingleDatasetVersionResponse
    )
    for line in (tmp_path / "export" / "inputs.jsonl").read_text().splitlines():
        doc = json.loads(line)
        assert_clarifai_json(doc["input"], resources_pb2.Input)
        for ann in doc["annotations"]:
            assert_clarifai_json(ann, resources_pb2.Annotation)
    fresh = App(tmp_path / "fresh", base_workflow=hashing_base())
    imported = fresh.import_dataset(tmp_path / "export")
    assert_clarifai_json(
        SingleDatasetResponse(dataset=imported).to_dict(), service_pb2.SingleDatasetResponse
    )
    assert imported.id == "ds" and imported.metadata == {"team": "a"}
    again = fresh.dataset("ds").create_version(id="copy")
    assert _snapshot(fresh, "ds", "copy") == before
    assert _media(fresh, "ds", "copy") == media
    # an import interrupted and rerun adds nothing twice
    fresh.import_dataset(tmp_path / "export")
    assert fresh.count_inputs() == 7 and again.metrics == version.metrics


def test_a_rerun_upload_skips_what_is_stored(app: App, folder: Path) -> None:
    app.create_dataset("ds")
    first = app.dataset("ds").upload_from_folder(folder, input_type="text")
    assert len(first.stored) == 2
    again = app.dataset("ds").upload_from_folder(folder)
    assert sorted(again.skipped) == sorted(first.stored) and len(again.stored) == 2
    assert app.count_inputs() == 4


def test_images_in_a_text_app_are_stored_failed_and_reported(app: App, folder: Path) -> None:
    app.create_dataset("ds")
    report = app.dataset("ds").upload_from_folder(folder, input_type="image")
    assert len(report.failed) == 2
    response = report.to_response()
    assert response.status.code == StatusCode.MIXED_STATUS
    assert [i.status.code for i in response.inputs if i.status] == [30002, 30002, 30104]


def test_datasets_get_list_patch_delete_and_their_inputs(app: App) -> None:
    ids = app.add_inputs([{"text": {"raw": t}} for t in ("a", "b", "c")])
    for name in ("one", "two", "three"):
        app.create_dataset(name)
    assert [d.id for d in app.list_datasets()] == ["three", "two", "one"]
    assert [d.id for d in app.list_datasets(page=2, per_page=2)] == ["one"]
    patched = app.patch_dataset("one", description="d", metadata={"a": {"b": 1, "c": 2}})
    patched = app.patch_dataset("one", metadata={"a": {"c": 3}})
    assert patched.metadata == {"a": {"b": 1, "c": 3}} and patched.description == "d"
    patched = app.patch_dataset("one", action="remove", metadata={"a": {"b": None}})
    assert patched.metadata == {"a": {"c": 3}}
    patched = app.patch_dataset("one", action="overwrite", metadata={"z": 1})
    assert app.get_dataset("one").metadata == {"z": 1}
    added = app.dataset("one").add_inputs(ids)
    assert_clarifai_json(
        MultiDatasetInputResponse(dataset_inputs=added).to_dict(),
        service_pb2.MultiDatasetInputResponse,
    )
    listed = app.dataset("one").list_inputs(page=2, per_page=2)
    assert [d.input.id for d in listed if d.input] == [ids[2]]
    assert_clarifai_json(
        MultiDatasetInputResponse(dataset_inputs=listed).to_dict(),
        service_pb2.MultiDatasetInputResponse,
    )
    app.delete_dataset(["one", "two"])
    assert [d.id for d in app.list_datasets()] == ["three"]
    assert app.count_inputs() == 3


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda a: a.get_dataset("nope"), StatusCode.CONN_DOES_NOT_EXIST),
        (lambda a: a.create_dataset("ds"), StatusCode.DATABASE_DUPLICATE_KEY),
        (lambda a: a.create_dataset("bad id!"), StatusCode.BAD_REQUEST),
        (lambda a: a.dataset("ds").create_version(), StatusCode.DATASET_VERSION_FAILURE),
        (lambda a: a.dataset("ds").add_inputs(["ghost"]), StatusCode.INPUT_DOES_NOT_EXIST),
        (lambda a: a.list_datasets(page=0), StatusCode.CONN_INVALID_REQUEST),
        (lambda a: a.list_datasets(per_page=1001), StatusCode.CONN_INVALID_REQUEST),
        (lambda a: a.dataset("ds").get_version("v9"), StatusCode.CONN_DOES_NOT_EXIST),
        (lambda a: a.dataset("ds").export("/nowhere"), StatusCode.DATASET_VERSION_FAILURE),
        (lambda a: a.patch_dataset("ds", action="replace"), StatusCode.BAD_REQUEST),
        (lambda a: a.delete_dataset(["ds", "nope"]), StatusCode.CONN_DOES_NOT_EXIST),
    ],
)
def test_bad_requests_are_one_clear_error_with_clarifai_status(app: App, call, code) -> None:
    app.create_dataset("ds")
    with pytest.raises(AppError) as info:
        call(app)
    assert info.value.code == code
    assert [d.id for d in app.list_datasets()] == ["ds"]  # nothing changed
    assert app.dataset("ds").list_versions() == []


def test_a_version_id_is_unique_per_dataset(app: App) -> None:
    app.create_dataset("ds")
    app.add_inputs([{"text": {"raw": "x"}}], dataset_id="ds")
    app.dataset("ds").create_version(id="v1")
    with pytest.raises(AppError) as info:
        app.dataset("ds").create_version(id="v1")
    assert info.value.code == StatusCode.DATASET_VERSION_CONFLICT
    app.dataset("ds").delete_version("v1")
    with pytest.raises(AppError):
        app.dataset("ds").delete_version("v1")


def test_export_refuses_a_non_empty_folder_and_import_a_crafted_one(
    app: App, tmp_path: Path
) -> None:
    app.create_dataset("ds")
    app.add_inputs([{"text": {"raw": "x"}}], dataset_id="ds")
    app.dataset("ds").create_version(id="v")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep").write_text("mine")
    with pytest.raises(InputError, match="not an empty folder"):
        app.dataset("ds").export(busy)
    assert (busy / "keep").read_text() == "mine"
    out = tmp_path / "out"
    app.dataset("ds").export(out, "v")
    line = {"input": {"id": "evil", "data": {"image": {"url": "../../etc/passwd"}}}}
    (out / "inputs.jsonl").write_text(json.dumps(line) + "\n")
    fresh = App(tmp_path / "fresh", base_workflow=hashing_base())
    with pytest.raises(InputError, match="leaves the export folder"):
        fresh.import_dataset(out)
    assert fresh.count_inputs() == 0
    (out / "inputs.jsonl").write_text("{not json\n")
    with pytest.raises(InputError, match=r"inputs\.jsonl:1"):
        fresh.import_dataset(out)
    with pytest.raises(AppError, match="not a dataset export"):
        fresh.import_dataset(tmp_path / "busy")
