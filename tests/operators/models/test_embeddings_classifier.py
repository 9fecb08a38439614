"""embeddings-classifier: a node running a classifier trained in the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Context, Data, Embedding, InputError, ParamsError, Region, Workflow
from engine.app import App
from operators.models.embeddings_classifier import EmbeddingsClassifier
from tests.engine.app.conftest import hashing_base
from tests.engine.app.test_training import CARS, PETS, labelled

Params = EmbeddingsClassifier.Params


@pytest.fixture
def app(tmp_path: Path) -> App:
    app = App(tmp_path / "app", base_workflow=hashing_base())
    labelled(app, PETS, "pets", "p")
    labelled(app, CARS, "vehicles", "c")
    app.train_model("topic", concepts=["pets", "vehicles"])
    return app


def test_unit_scores_a_given_embedding_and_embedded_regions(app: App) -> None:
    op = EmbeddingsClassifier(Params(model_id="topic"))
    cat = app.embed(Data.model_validate({"text": {"raw": "kitten on the sofa"}}))
    car = app.embed(Data.model_validate({"text": {"raw": "the car tyres"}}))
    data = Data(embeddings=[Embedding(vector=(cat * 3).tolist())])  # scale does not matter
    out = op.process(data, Context(root=data, app=app))
    assert out is not None and out.concepts[0].id == "pets" and out.concepts[0].value > 0.5
    regions = [
        Region(id=f"r{i}", data=Data(embeddings=[Embedding(vector=v.tolist())]))
        for i, v in enumerate((cat, car))
    ]
    data = Data(regions=regions)
    out = op.process(data, Context(root=data, app=app))
    assert out is not None
    assert [r.id for r in out.regions] == ["r0", "r1"]
    assert [r.data.concepts[0].id for r in out.regions if r.data] == ["pets", "vehicles"]
    assert all(not r.data.embeddings for r in out.regions if r.data)


def test_unit_embeds_a_raw_input_with_the_base_workflow(app: App) -> None:
    op = EmbeddingsClassifier(Params(model_id="topic", max_concepts=1))
    data = Data.model_validate({"text": {"raw": "an electric truck"}})
    out = op.process(data, Context(root=data, app=app))
    assert out is not None and [c.id for c in out.concepts] == ["vehicles"]


def test_unit_needs_an_app_and_a_matching_embedder(app: App) -> None:
    op = EmbeddingsClassifier(Params(model_id="topic"))
    data = Data(embeddings=[Embedding(vector=[1.0, 0.0])])
    with pytest.raises(InputError, match="run the workflow in that app"):
        op.process(data, Context(root=data))
    with pytest.raises(InputError, match="trained on 384-dimensional embeddings but got 2"):
        op.process(data, Context(root=data, app=app))


YAML = """
workflow:
  id: classify
  nodes:
    - id: embed
      model:
        model_id: embed
        model_type_id: text-embedder
        output_info: {params: {model: hashing}}
    - id: topic
      model:
        model_id: topic
        model_type_id: embeddings-classifier
        output_info:
          params: {min_value: 0.5}
      node_inputs: [{node_id: embed}]
"""


def test_graph_embedder_then_classifier(app: App) -> None:
    wf = Workflow.from_yaml(YAML)
    result = app.predict(wf, [{"text": {"raw": "cats purr"}}, {"text": {"raw": "my truck"}}])
    best = [r.outputs[1].data.concepts for r in result.results]
    assert [[c.id for c in cs] for cs in best] == [["pets"], ["vehicles"]]
    # the model id comes from the node; without an app the node fails, the batch goes on
    alone = wf.predict([{"text": {"raw": "cats"}}]).results[0].outputs[1]
    assert alone.status.code != 10000 and "in that app" in alone.status.details


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{min_value: 2}", "min_value"),
        ("{max_concepts: 0}", "max_concepts"),
        ("{model_id: [a, b]}", "model_id"),
        ("{learning_rate: 3}", "learning_rate"),
        ("{model_version_id: " + "x" * 200 + "}", "model_version_id"),
        ("{concepts: 'pets'}", "concepts"),
    ],
)
def test_hostile_params_are_refused(params: str, match: str) -> None:
    text = f"""
workflow:
  id: w
  nodes:
    - id: clf
      model:
        model_id: topic
        model_type_id: embeddings-classifier
        output_info: {{params: {params}}}
"""
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(text)


def test_params_without_a_node_need_a_model_id() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="needs the app's model"):
        Params()
    assert Params.model_validate({}, context={"model_id": "m", "model_version_id": "v"}).model_dump(
        include={"model_id", "model_version_id"}
    ) == {"model_id": "m", "model_version_id": "v"}


CORPUS = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "clarifai-workflows"
ROOMS = CORPUS / "examples__workflows__configs__Nodes__Predict__embeddings-classifier.yml"


@pytest.mark.skipif(not ROOMS.is_file(), reason="the conformance corpus is not beside the repo")
def test_clarifais_own_transfer_learning_workflow_runs_in_the_app(tmp_path: Path) -> None:
    """general-image-embedding -> room-types-transfer-learn, as Clarifai's file has it: the
    embedder is the bundled stand-in, the classifier the app's model trained with the
    version id the file names."""
    import cv2
    import numpy as np

    from engine.operator import ModelBinding

    app = App(tmp_path / "rooms", base_workflow="image")
    rng = np.random.default_rng(0)
    shades = {"kitchen": (230, 230, 230), "bedroom": (40, 60, 150)}
    for k in range(12):
        room = list(shades)[k % 2]
        img = np.clip(
            np.full((32, 32, 3), shades[room]) + rng.integers(-20, 20, (32, 32, 3)), 0, 255
        )
        cv2.imwrite(str(tmp_path / f"{k}.png"), img.astype(np.uint8))
        app.add_inputs(
            [
                {
                    "id": f"r{k}",
                    "data": {
                        "image": {"base64": _b64(tmp_path / f"{k}.png")},
                        "concepts": [{"id": room}],
                    },
                }
            ]
        )
    version = "3867629b155b4d3ca852e20083d30788"
    app.train_model(
        "room-types-transfer-learn", concepts=["kitchen", "bedroom"], version_id=version
    )
    wf = Workflow.from_yaml(
        str(ROOMS), models=[ModelBinding("room-types-transfer-learn", "embeddings-classifier")]
    )
    query = np.clip(np.full((40, 40, 3), shades["bedroom"]) + 5, 0, 255).astype(np.uint8)
    out = app.predict(wf, [query]).results[0].outputs[1]
    assert out.status.code == 10000, out.status
    assert out.data.concepts[0].id == "bedroom" and out.data.concepts[0].value > 0.5


def _b64(path: Path) -> str:
    import base64

    return base64.b64encode(path.read_bytes()).decode()


def test_a_catalog_binds_a_model_id_to_the_apps_trained_model(app: App) -> None:
    """A catalog entry with no params: the node's (and the entry's) model id names the
    app's model, as it does in a workflow file."""
    from engine.catalog import load_catalog

    catalog = load_catalog(
        "models:\n  - {model_id: topic, model_type_id: embeddings-classifier}\n"
        "  - {model_id: other, model_type_id: embeddings-classifier, "
        "params: {model_id: topic, max_concepts: 1}}\n"
    )
    flow = "workflow:\n  id: w\n  nodes:\n    - id: a\n      model: {model_id: topic}\n"
    flow += "    - id: b\n      model: {model_id: other}\n"
    outs = app.predict(Workflow.from_yaml(flow, models=catalog), [{"text": {"raw": "kitten"}}])
    a, b = outs.results[0].outputs
    assert a.data.concepts[0].id == b.data.concepts[0].id == "pets"
    assert len(a.data.concepts) == 2 and len(b.data.concepts) == 1
