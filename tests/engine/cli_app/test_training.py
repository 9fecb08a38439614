"""``opgraph app models train|versions``: training in the app from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine.cli import main
from tests.clarifai_json import assert_clarifai_json
from tests.engine.app.test_training import CARS, PETS


def _run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> dict:  # type: ignore[type-arg]
    assert main(["app", *argv]) == code
    out, err = capsys.readouterr()
    if code == 2:
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return json.loads(out) if out.strip() else {}


@pytest.fixture
def labelled(app: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The app (on each store backend) with four texts labelled pets, four vehicles."""
    for texts, concept in ((PETS, "pets"), (CARS, "vehicles")):
        args = [a for t in texts for a in ("--text", t)]
        _run(capsys, "add", str(app), *args, "--concept", concept)
    return str(app)


def test_train_predict_and_versions(labelled: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(
        capsys,
        "models",
        "train",
        labelled,
        "--id",
        "topic",
        "--concept",
        "pets",
        "--concept",
        "vehicles",
    )
    assert_clarifai_json(doc, service_pb2.SingleModelResponse)
    assert doc["model"]["model_type_id"] == "embeddings-classifier"
    first = doc["model"]["model_version"]["id"]
    doc = _run(
        capsys,
        "models",
        "train",
        labelled,
        "--id",
        "topic",
        "--concept",
        "pets",
        "--concept",
        "vehicles",
        "--params",
        '{"concepts_mutually_exclusive": true}',
    )
    second = doc["model"]["model_version"]["id"]
    doc = _run(capsys, "models", "versions", labelled, "--id", "topic")
    assert_clarifai_json(doc, service_pb2.MultiModelVersionResponse)
    assert [v["id"] for v in doc["model_versions"]] == [second, first]
    doc = _run(capsys, "models", "predict", labelled, "--id", "topic", "--text", "a purring kitten")
    assert_clarifai_json(doc, service_pb2.MultiOutputResponse)
    concepts = doc["outputs"][0]["data"]["concepts"]
    assert concepts[0]["id"] == "pets"
    assert sum(c["value"] for c in concepts) == pytest.approx(1.0)  # the newest: softmax


def test_train_a_clusterer(labelled: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(
        capsys,
        "models",
        "train",
        labelled,
        "--id",
        "groups",
        "--type",
        "clusterer",
        "--params",
        '{"n_clusters": 2}',
    )
    assert len(doc["model"]["model_version"]["output_info"]["data"]["concepts"]) == 2
    doc = _run(capsys, "models", "predict", labelled, "--id", "groups", "--text", "a cat")
    assert_clarifai_json(doc, service_pb2.MultiOutputResponse)
    data = doc["outputs"][0]["data"]
    assert data["concepts"][0]["id"].startswith("cluster-")
    assert data["clusters"][0]["id"] == data["concepts"][0]["id"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "m", "--concept", "nothing"], "MODEL_TRAINING_NO_POSITIVES"),
        (["--id", "m", "--type", "clusterer", "--params", "[1]"], "MODEL_TRAINING_INVALID_PARAMS"),
        (["--id", "m", "--params", "{nope"], "INPUT_INVALID_ARGUMENT"),
        (["--id", "../x", "--concept", "pets"], "BAD_REQUEST"),
    ],
)
def test_refused(
    labelled: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    doc = _run(capsys, "models", "train", labelled, *args, code=2)
    assert doc["status"]["description"] == message
