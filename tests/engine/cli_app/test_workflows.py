"""`opgraph app workflows|models ...`: store, patch, run versions; list and run models."""

from __future__ import annotations

from pathlib import Path

import pytest
from clarifai_grpc.grpc.api import service_pb2

from tests.clarifai_json import assert_clarifai_json
from tests.engine.app.test_workflows import flow
from tests.engine.cli_app.test_datasets import _run, app  # noqa: F401  (the fixture)


def test_workflows_and_models_in_the_cli(
    app: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    files = {}
    for word in ("cat", "dog", "bird"):
        files[word] = tmp_path / f"{word}.yml"
        files[word].write_text(flow(word))
    doc = _run(capsys, "workflows", "add", app, str(files["cat"]))
    assert_clarifai_json(doc, service_pb2.MultiWorkflowResponse)
    for word in ("dog", "bird"):
        doc = _run(capsys, "workflows", "patch", app, "--id", "tagger", "--workflow",
                   str(files[word]))
        assert_clarifai_json(doc, service_pb2.MultiWorkflowResponse)
    doc = _run(capsys, "workflows", "versions", app, "--id", "tagger")
    assert_clarifai_json(doc, service_pb2.MultiWorkflowVersionResponse)
    v3, _, v1 = (v["id"] for v in doc["workflow_versions"])
    for version, word in ((v1, "cat"), (v3, "bird")):
        doc = _run(capsys, "workflows", "run", app, "--id", "tagger", "--version-id", version,
                   "--text", "cat dog bird")
        assert_clarifai_json(doc, service_pb2.PostWorkflowResultsResponse)
        assert [c["id"] for c in doc["results"][0]["outputs"][0]["data"]["concepts"]] == [word]
    doc = _run(capsys, "workflows", "list", app)
    assert_clarifai_json(doc, service_pb2.MultiWorkflowResponse)
    assert [w["id"] for w in doc["workflows"]] == ["hashing-base", "tagger"]
    doc = _run(capsys, "workflows", "get", app, "--id", "tagger")
    assert_clarifai_json(doc, service_pb2.SingleWorkflowResponse)
    doc = _run(capsys, "workflows", "delete", app, "--id", "hashing-base", code=2)
    assert doc["status"]["code"] == 22104
    doc = _run(capsys, "workflows", "delete", app, "--id", "tagger")
    assert doc["status"]["code"] == 10000

    doc = _run(capsys, "models", "list", app, "--model-type-id", "regex-based-classifier")
    assert_clarifai_json(doc, service_pb2.MultiModelResponse)
    assert [m["id"] for m in doc["models"]] == ["regex-based-classifier"]
    doc = _run(capsys, "models", "get", app, "--id", "embed")
    assert_clarifai_json(doc, service_pb2.SingleModelResponse)
    doc = _run(capsys, "models", "predict", app, "--id", "regex-based-classifier", "--params",
               '{"regex": "cat", "concepts": [{"id": "cat"}]}', "--text", "a cat", "--text", "no")
    assert_clarifai_json(doc, service_pb2.MultiOutputResponse)
    assert [len(o["data"].get("concepts", [])) for o in doc["outputs"]] == [1, 0]
    doc = _run(capsys, "models", "get", app, "--id", "nope", code=2)
    assert doc["status"]["code"] == 21200
