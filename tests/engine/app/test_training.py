"""Models trained in an app: embeddings-classifier and clusterer, versions, refusals."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.app import App
from engine.errors import AppError
from engine.operator import ModelBinding
from engine.proto import StatusCode
from engine.workflow import Workflow
from tests.engine.app.conftest import hashing_base

PETS = [
    "my cat sleeps on the sofa",
    "the kitten chases a mouse",
    "cats purr when happy",
    "a cat and her kittens nap",
]
CARS = [
    "the car needs new tyres",
    "my truck engine stalls",
    "an electric car charges overnight",
    "the sedan has a dented bumper",
]


def labelled(app: App, texts: list[str], concept: str, prefix: str, value: float = 1) -> None:
    app.add_inputs(
        [
            {
                "id": f"{prefix}{i}",
                "data": {"text": {"raw": t}, "concepts": [{"id": concept, "value": value}]},
            }
            for i, t in enumerate(texts)
        ]
    )


def classifier_node(model_id: str, **params: object) -> Workflow:
    model: dict[str, object] = {"model_id": model_id, "model_type_id": "embeddings-classifier"}
    if params:
        model["output_info"] = {"params": params}
    return Workflow.from_dict({"workflow": {"id": "w", "nodes": [{"id": "clf", "model": model}]}})


@pytest.fixture
def topics(tmp_path: Path) -> App:
    app = App(tmp_path / "app", base_workflow=hashing_base())
    labelled(app, PETS, "pets", "p")
    labelled(app, CARS, "vehicles", "c")
    return app


def best(app: App, wf: Workflow, text: str) -> tuple[str, float]:
    out = app.predict(wf, [{"text": {"raw": text}}]).results[0].outputs[0]
    assert out.status.code == StatusCode.SUCCESS, out.status
    return out.data.concepts[0].id, out.data.concepts[0].value


def test_classifier_learns_the_labelled_concepts(topics: App) -> None:
    model = topics.train_model("topic", concepts=["pets", "vehicles"])
    assert model.model_type_id == "embeddings-classifier"
    assert model.model_version is not None
    assert [c.id for c in model.model_version.output_info.data.concepts] == ["pets", "vehicles"]
    wf = classifier_node("topic")
    assert best(topics, wf, "a cat sleeps")[0] == "pets"
    assert best(topics, wf, "the truck engine")[0] == "vehicles"
    # the stored version is applied with numpy alone: same scores as scikit-learn's own
    from sklearn.linear_model import LogisticRegression

    _, ids, x = topics._store.load_vectors(1, 0)
    y = np.array([i.startswith("p") for i in ids])
    ref = LogisticRegression(C=10.0, max_iter=1000, class_weight="balanced").fit(x, y)
    query = topics.embed(topics.get_input("p0").data)
    _, _, scores = topics.trained_scores("topic", None, query[None, :])
    assert scores[0, 0] == pytest.approx(
        ref.predict_proba(query[None, :].astype(np.float64))[0, 1], abs=1e-6
    )


def test_retrain_makes_a_new_version_and_old_ones_still_run(topics: App) -> None:
    v1 = topics.train_model("topic", concepts=["pets", "vehicles"]).model_version
    labelled(topics, ["a rusty old car in the garage", "my car radio is broken"], "vehicles", "x")
    v2 = topics.train_model("topic", concepts=["pets", "vehicles"]).model_version
    assert v1 is not None and v2 is not None and v1.id != v2.id
    assert [v.id for v in topics.list_model_versions("topic")] == [v2.id, v1.id]
    assert "8 labelled" in (v1.description or "") and "10 labelled" in (v2.description or "")
    q = "my car radio"
    new = best(topics, classifier_node("topic"), q)
    old = best(topics, classifier_node("topic", model_version_id=v1.id), q)
    assert new[0] == old[0] == "vehicles" and new[1] != old[1]
    # a node naming the model and its version (bound by a catalog, as Clarifai's files do)
    wf = Workflow.from_dict(
        {
            "workflow": {
                "id": "w",
                "nodes": [{"id": "clf", "model": {"model_id": "topic", "model_version_id": v1.id}}],
            }
        },
        models=[ModelBinding("topic", "embeddings-classifier")],
    )
    assert best(topics, wf, q) == pytest.approx(old)
    assert v1.output_info is not None and v1.output_info.params == {"model_version_id": v1.id}


def test_version_id_given_and_taken(topics: App) -> None:
    vid = "3867629b155b4d3ca852e20083d30788"
    v = topics.train_model("topic", concepts=["pets", "vehicles"], version_id=vid).model_version
    assert v is not None and v.id == vid
    with pytest.raises(AppError, match="already has a version") as info:
        topics.train_model("topic", concepts=["pets", "vehicles"], version_id=vid)
    assert info.value.code == StatusCode.DATABASE_DUPLICATE_KEY
    assert len(topics.list_model_versions("topic")) == 1


def test_mutually_exclusive_concepts_sum_to_one(topics: App) -> None:
    topics.train_model(
        "topic", concepts=["pets", "vehicles"], params={"concepts_mutually_exclusive": True}
    )
    out = topics.predict(classifier_node("topic"), [{"text": {"raw": "kitten"}}])
    concepts = out.results[0].outputs[0].data.concepts
    assert sum(c.value for c in concepts) == pytest.approx(1.0)
    assert concepts[0].id == "pets"


def test_explicit_negatives_train_a_single_concept(tmp_path: Path) -> None:
    app = App(tmp_path / "app", base_workflow=hashing_base())
    labelled(app, PETS, "pets", "p")
    labelled(app, CARS, "pets", "n", value=0)  # Clarifai's "not pets"
    app.train_model("is-pet", concepts=["pets"])
    assert best(app, classifier_node("is-pet"), "a kitten")[1] > 0.5
    assert best(app, classifier_node("is-pet"), "the truck tyres")[1] < 0.5


def test_classifier_after_an_embedder_and_filters(topics: App) -> None:
    topics.train_model("topic", concepts=["pets", "vehicles"])
    wf = Workflow.from_dict(
        {
            "workflow": {
                "id": "w",
                "nodes": [
                    {
                        "id": "embed",
                        "model": {
                            "model_id": "embed",
                            "model_type_id": "text-embedder",
                            "output_info": {"params": {"model": "hashing"}},
                        },
                    },
                    {
                        "id": "clf",
                        "model": {
                            "model_id": "topic",
                            "model_type_id": "embeddings-classifier",
                            "output_info": {"params": {"max_concepts": 1}},
                        },
                        "node_inputs": [{"node_id": "embed"}],
                    },
                ],
            }
        }
    )
    out = topics.predict(wf, [{"text": {"raw": "cats purr"}}]).results[0].outputs[1]
    assert [c.id for c in out.data.concepts] == ["pets"]
    only = classifier_node("topic", concepts=[{"id": "vehicles"}])
    out = topics.predict(only, [{"text": {"raw": "cats purr"}}]).results[0].outputs[0]
    assert [c.id for c in out.data.concepts] == ["vehicles"]
    high = classifier_node("topic", min_value=0.99)
    out = topics.predict(high, [{"text": {"raw": "cats purr"}}]).results[0].outputs[0]
    assert out.data.concepts == []


def test_app_model_predict_runs_the_newest_version(topics: App) -> None:
    topics.train_model("topic", concepts=["pets", "vehicles"])
    response = topics.model("topic").predict([{"text": {"raw": "a kitten"}}])
    assert response.outputs[0].data.concepts[0].id == "pets"


def _blob(colour: tuple[int, int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((32, 32, 3), colour, np.int64) + rng.integers(-25, 25, (32, 32, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("faiss", [False, True], ids=["scikit-learn", "faiss"])
def test_clusterer_finds_generated_colour_clusters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faiss: bool
) -> None:
    if faiss:
        pytest.importorskip("faiss")
        monkeypatch.setattr("engine.app.training.FAISS_CLUSTER_ROWS", 5)
    app = App(tmp_path / "app", base_workflow="image")
    colours = {"red": (30, 30, 220), "green": (30, 200, 40), "blue": (210, 60, 20)}
    truth = {}
    for name, colour in colours.items():
        for k in range(6):
            path = tmp_path / f"{name}{k}.png"
            cv2.imwrite(str(path), _blob(colour, seed=len(truth)))
            truth[path] = name
    ids = app.add_inputs(list(map(str, truth)), progress=False)
    model = app.train_model("groups", "clusterer", params={"n_clusters": 3})
    assert model.model_version is not None
    assert (model.model_version.description or "").startswith("faiss" if faiss else "k-means")
    assert [c.id for c in model.model_version.output_info.data.concepts] == [
        "cluster-0",
        "cluster-1",
        "cluster-2",
    ]
    wf = Workflow.from_dict(
        {
            "workflow": {
                "id": "w",
                "nodes": [
                    {"id": "cl", "model": {"model_id": "groups", "model_type_id": "clusterer"}}
                ],
            }
        }
    )
    found = app.predict(wf, list(map(str, truth)))
    labels = [r.outputs[0].data.concepts[0].id for r in found.results]
    by_truth: dict[str, set[str]] = {}
    for name, label in zip(truth.values(), labels, strict=True):
        by_truth.setdefault(name, set()).add(label)
    assert all(len(s) == 1 for s in by_truth.values())  # each colour is one cluster ...
    assert len(set.union(*by_truth.values())) == 3  # ... and the three differ
    assert len(ids) == 18
    assert all(0.5 < r.outputs[0].data.concepts[0].value <= 1 for r in found.results)


@pytest.mark.parametrize(
    ("call", "code", "match"),
    [
        (
            lambda a: a.train_model("m", concepts=["pets"]),
            StatusCode.MODEL_TRAINING_INSUFFICIENT_DATA,
            "no negative",
        ),
        (
            lambda a: a.train_model("m", concepts=["nothing"]),
            StatusCode.MODEL_TRAINING_NO_POSITIVES,
            "no embedded input",
        ),
        (
            lambda a: a.train_model("m"),
            StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            "needs the concepts",
        ),
        (
            lambda a: a.train_model("m", "visual-detector"),
            StatusCode.MODEL_INVALID_ARGUMENT,
            "cannot be trained",
        ),
        (
            lambda a: a.train_model("m", concepts=["pets"], params={"C": 3}),
            StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            "'C'",
        ),
        (
            lambda a: a.train_model("m", "clusterer", params={"n_clusters": 1}),
            StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            "n_clusters",
        ),
        (
            lambda a: a.train_model("m", "clusterer", params={"n_clusters": 50}),
            StatusCode.MODEL_TRAINING_INSUFFICIENT_DATA,
            "at least 50",
        ),
        (
            lambda a: a.train_model("m", concepts=[f"c{i}" for i in range(1001)]),
            StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            "at most 1000 concepts",
        ),
        (
            lambda a: a.train_model("m", concepts="pets"),
            StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            "a list of concept ids",
        ),
        (
            lambda a: a.train_model("m", concepts=["pets", 3]),
            StatusCode.MODEL_TRAINING_INVALID_PARAMS,
            "a list of concept ids",
        ),
        (
            lambda a: a.train_model("m", concepts=["pets", "vehicles"], version_id="../v"),
            StatusCode.BAD_REQUEST,
            "version id",
        ),
        (
            lambda a: a.train_model("bad id!", concepts=["pets", "vehicles"]),
            StatusCode.BAD_REQUEST,
            "model id",
        ),
        (
            lambda a: a.train_model(
                "m", concepts=["pets"], params={"concepts_mutually_exclusive": True}
            ),
            StatusCode.MODEL_TRAINING_INSUFFICIENT_DATA,
            "at least two",
        ),
    ],
)
def test_refusals_change_nothing(
    tmp_path: Path, call: object, code: StatusCode, match: str
) -> None:
    app = App(tmp_path / "app", base_workflow=hashing_base())
    labelled(app, PETS, "pets", "p")
    labelled(app, CARS, "vehicles", "c")
    app.delete_annotations(input_ids=[f"c{i}" for i in range(4)])
    with pytest.raises(AppError, match=match) as info:
        call(app)  # type: ignore[operator]
    assert info.value.code == code
    assert app._store.models.get("m") is None


def test_model_of_another_type_and_untrained_model(topics: App) -> None:
    topics.create_model("det", "embeddings-classifier")
    with pytest.raises(AppError, match="no trained version") as info:
        topics.trained_scores("det", None, np.ones((1, 4)))
    assert info.value.code == StatusCode.MODEL_UNTRAINED
    topics.train_model("groups", "clusterer", params={"n_clusters": 2})
    with pytest.raises(AppError, match="is a clusterer"):
        topics.train_model("groups", concepts=["pets", "vehicles"])
    out = topics.predict(classifier_node("det"), [{"text": {"raw": "x"}}]).results[0].outputs[0]
    assert out.status.code != StatusCode.SUCCESS and "no trained version" in out.status.details


def test_empty_app_has_nothing_to_train_on(tmp_path: Path) -> None:
    app = App(tmp_path / "app", base_workflow=hashing_base())
    with pytest.raises(AppError, match="no embedded inputs") as info:
        app.train_model("g", "clusterer")
    assert info.value.code == StatusCode.MODEL_TRAINING_NO_DATA


def test_versions_and_arrays_survive_reopening(topics: App, tmp_path: Path) -> None:
    v = topics.train_model("topic", concepts=["pets", "vehicles"]).model_version
    assert v is not None
    before = best(topics, classifier_node("topic"), "kitten")
    topics.close()
    again = App(tmp_path / "app")
    assert best(again, classifier_node("topic"), "kitten") == pytest.approx(before)
    arrays = again._store.models.arrays("topic", v.id)
    assert sorted(arrays) == ["coef", "intercept", "softmax"]
    assert arrays["coef"].dtype == np.float64 and arrays["coef"].shape[0] == 2
    again.delete_model("topic")
    assert again._store.models.arrays("topic", v.id) == {}


def test_a_trained_node_inside_the_base_workflow_needs_an_embedder(topics: App) -> None:
    topics.train_model("topic", concepts=["pets", "vehicles"])
    alone = classifier_node("topic")
    topics.set_base_workflow(alone, reindex=False)
    ids = topics.add_inputs([{"text": {"raw": "a kitten"}}], progress=False)
    stored = topics.get_input(ids[0])
    assert stored.status is not None and stored.status.code == StatusCode.INPUT_FAILED
    assert "needs an embedder before it" in (stored.status.description or "") + str(
        stored.status.details or ""
    )
