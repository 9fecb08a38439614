"""engine/cli_app.py: `opgraph app create|add|search|annotations|reindex`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine.cli import main
from tests.clarifai_json import assert_clarifai_json
from tests.factories import image_array


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


@pytest.fixture
def app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "app"
    assert main(["app", "create", str(path)]) == 0
    capsys.readouterr()
    return path


def test_add_then_search_prints_multi_search_response(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["app", "add", str(app), "--text", "red bucket", "--text", "blue spade"]
    assert main([*args, "--dataset", "d1", "--metadata", '{"room": "porch"}']) == 0
    added = _json(capsys)
    assert [i["status"]["code"] for i in added["inputs"]] == [30000, 30000]
    assert main(["app", "search", str(app), "--text", "bucket", "--max-results", "1"]) == 0
    doc = _json(capsys)
    assert_clarifai_json(doc, service_pb2.MultiSearchResponse)
    assert doc["status"]["code"] == 10000
    [hit] = doc["hits"]
    assert hit["input"]["data"]["text"]["raw"] == "red bucket"
    assert hit["input"]["dataset_ids"] == ["d1"]
    assert hit["input"]["data"]["metadata"] == {"room": "porch"}


def test_add_files_and_a_failed_input_exits_1(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note, photo = tmp_path / "note.txt", tmp_path / "photo.png"
    note.write_text("a red bucket")
    cv2.imwrite(str(photo), image_array())
    assert main(["app", "add", str(app), str(note), str(photo)]) == 1  # text base workflow
    doc = _json(capsys)
    assert doc["status"]["code"] == 10010
    assert [i["id"].split("-")[0] for i in doc["inputs"]] == ["note", "photo"]
    assert [i["status"]["code"] for i in doc["inputs"]] == [30000, 30002]


def test_annotations_prints_multi_annotation_response(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / "label.yml"
    wf.write_text("""
workflow:
  id: label
  nodes:
    - id: cls
      model: {model_id: cls, model_type_id: regex-based-classifier,
              output_info: {params: {regex: bucket, concepts: [{id: bucket}]}}}
    - id: write
      model: {model_id: write, model_type_id: annotation-writer}
      node_inputs: [{node_id: cls}]
""")
    labelled = tmp_path / "labelled"
    assert main(["app", "create", str(labelled), "--base-workflow", str(wf)]) == 0
    assert main(["app", "add", str(labelled), "--text", "red bucket", "--text", "spade"]) == 0
    capsys.readouterr()
    assert (
        main(["app", "annotations", "list", str(labelled), "--status", "ANNOTATION_SUCCESS"]) == 0
    )
    doc = _json(capsys)
    assert_clarifai_json(doc, service_pb2.MultiAnnotationResponse)
    [annotation] = doc["annotations"]
    assert annotation["data"]["concepts"][0]["id"] == "bucket"
    assert annotation["status"]["code"] == 24150


def test_reindex_with_a_new_base_workflow(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["app", "add", str(app), "--text", "red bucket"])
    capsys.readouterr()
    assert main(["app", "reindex", str(app), "--base-workflow", "empty"]) == 0
    assert _json(capsys)["reindexed"] == 1
    assert main(["app", "search", str(app), "--text", "bucket"]) == 2
    assert "empty" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["app", "search", "{missing}", "--text", "x"], "no app here"),
        (["app", "add", "{app}", "--text", "x", "--metadata", "{bad"], "metadata is not JSON"),
        (["app", "add", "{app}"], "give FILES or --text"),
        (["app", "add", "{app}", "/no/such/file.jpg"], "no such file"),
        (["app", "search", "{app}", "--input-id", "nope"], "unknown input id"),
        (["app", "annotations", "list", "{app}", "--status", "bogus"], "unknown annotation status"),
        (["app", "search", "{app}", "--page", "0"], "page must be a whole number >= 1"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    argv = [a.replace("{app}", str(app)).replace("{missing}", str(tmp_path / "m")) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
