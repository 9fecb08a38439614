"""`opgraph app datasets ...`: the dataset lifecycle from the shell, every response strict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine.cli import main
from tests.clarifai_json import assert_clarifai_json

HASHING = """workflow:
  id: hashing-base
  nodes:
    - id: embed
      model:
        model_id: embed
        model_type_id: text-embedder
        output_info:
          params: {model: hashing}
"""


STDERR = [""]  # what the last _run printed on stderr


def _run(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> dict[str, Any]:
    assert main(["app", *args]) == code
    captured = capsys.readouterr()
    STDERR[0] = captured.err
    doc: dict[str, Any] = json.loads(captured.out)
    return doc


@pytest.fixture
def app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    (tmp_path / "base.yml").write_text(HASHING)
    path = str(tmp_path / "app")
    assert main(["app", "create", path, "--base-workflow", str(tmp_path / "base.yml")]) == 0
    capsys.readouterr()
    return path


def test_datasets_lifecycle_in_the_cli(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src" / "cats"
    src.mkdir(parents=True)
    (src / "one.txt").write_text("a cat")
    (src / "two.txt").write_text("another cat")
    (tmp_path / "src" / "photo.png").write_bytes(
        cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()
    )
    rows = tmp_path / "rows.csv"
    rows.write_text('inputid,input,concepts,metadata\nr1,hello,"a,b","{""k"": 1}"\n')

    doc = _run(capsys, "datasets", "create", app, "--id", "ds", "--metadata", '{"t": 1}')
    assert_clarifai_json(doc, service_pb2.MultiDatasetResponse)
    # the image fails in a text app: stored failed, listed, exit 1
    doc = _run(capsys, "datasets", "upload", app, "--id", "ds", "--folder",
               str(tmp_path / "src"), "--labels", code=1)
    assert_clarifai_json(doc, service_pb2.MultiInputResponse)
    assert doc["status"]["code"] == 10010 and len(doc["inputs"]) == 3
    assert "photo-png" in STDERR[0] and "stored, but the base workflow failed" in STDERR[0]
    doc = _run(capsys, "datasets", "upload", app, "--id", "ds", "--csv", str(rows))
    assert_clarifai_json(doc, service_pb2.MultiInputResponse)
    assert [i["id"] for i in doc["inputs"]] == ["r1"]
    doc = _run(capsys, "datasets", "version", app, "--id", "ds", "--version-id", "v1")
    assert_clarifai_json(doc, service_pb2.MultiDatasetVersionResponse)
    assert doc["dataset_versions"][0]["metrics"]["/"]["inputs_count"] == 4
    doc = _run(capsys, "datasets", "remove", app, "--id", "ds", "r1")
    assert doc["status"]["code"] == 10000
    doc = _run(capsys, "datasets", "inputs", app, "--id", "ds", "--per-page", "2")
    assert_clarifai_json(doc, service_pb2.MultiDatasetInputResponse)
    assert len(doc["dataset_inputs"]) == 2
    doc = _run(capsys, "datasets", "add", app, "--id", "ds", "r1")
    assert_clarifai_json(doc, service_pb2.MultiDatasetInputResponse)
    doc = _run(capsys, "datasets", "versions", app, "--id", "ds")
    assert_clarifai_json(doc, service_pb2.MultiDatasetVersionResponse)
    out = tmp_path / "export"
    doc = _run(capsys, "datasets", "export", app, "--id", "ds", "--out", str(out))
    assert_clarifai_json(doc, service_pb2.MultiDatasetVersionExportResponse)
    assert len((out / "inputs.jsonl").read_text().splitlines()) == 4

    fresh = str(tmp_path / "fresh")
    assert main(["app", "create", fresh, "--base-workflow", str(tmp_path / "base.yml")]) == 0
    capsys.readouterr()
    doc = _run(capsys, "datasets", "import", fresh, str(out))
    assert_clarifai_json(doc, service_pb2.SingleDatasetResponse)
    assert doc["dataset"]["metadata"] == {"t": 1}
    doc = _run(capsys, "datasets", "list", fresh)
    assert_clarifai_json(doc, service_pb2.MultiDatasetResponse)
    doc = _run(capsys, "datasets", "patch", fresh, "--id", "ds", "--metadata", '{"u": 2}')
    assert_clarifai_json(doc, service_pb2.MultiDatasetResponse)
    doc = _run(capsys, "datasets", "get", fresh, "--id", "ds")
    assert_clarifai_json(doc, service_pb2.SingleDatasetResponse)
    assert doc["dataset"]["metadata"] == {"t": 1, "u": 2}
    doc = _run(capsys, "datasets", "inputs", fresh, "--id", "ds")
    got = {d["input"]["id"]: d["input"] for d in doc["dataset_inputs"]}
    assert got["r1"]["data"]["metadata"] == {"k": 1}
    assert [c["id"] for c in got["r1"]["data"]["concepts"]] == ["a", "b"]
    doc = _run(capsys, "datasets", "delete", fresh, "--id", "ds")
    assert doc["status"]["code"] == 10000


def test_refused_requests_print_clarifai_status_and_exit_2(
    app: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "datasets", "create", app, "--id", "empty")
    doc = _run(capsys, "datasets", "version", app, "--id", "empty", code=2)
    assert_clarifai_json(doc, service_pb2.MultiDatasetVersionResponse)
    assert doc["status"]["code"] == 64020
    assert "has no inputs" in STDERR[0]
    doc = _run(capsys, "datasets", "get", app, "--id", "nope", code=2)
    assert doc["status"]["code"] == 11101
    doc = _run(capsys, "datasets", "list", app, "--page", "0", code=2)
    assert doc["status"]["code"] == 11102
