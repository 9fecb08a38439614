"""clusterer: a node naming the k-means cluster (trained in the app) of its input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, Embedding, ParamsError, Workflow
from engine.app import App
from operators.models.clusterer import Clusterer
from tests.engine.app.conftest import hashing_base

Params = Clusterer.Params


@pytest.fixture
def app(tmp_path: Path) -> App:
    app = App(tmp_path / "app", base_workflow=hashing_base())
    words = {"a": "alpha apple avocado", "b": "bravo banana biscuit", "c": "charlie cherry cocoa"}
    app.add_inputs([{"text": {"raw": f"{w} {k}"}} for w in words.values() for k in range(4)])
    app.train_model("groups", "clusterer", params={"n_clusters": 3})
    return app


def test_unit_nearest_centroid_scores_and_max_concepts(app: App) -> None:
    vec = app.embed(Data.model_validate({"text": {"raw": "alpha apple avocado"}}))
    data = Data(embeddings=[Embedding(vector=vec.tolist())])
    one = Clusterer(Params(model_id="groups")).process(data, Context(root=data, app=app))
    three = Clusterer(Params(model_id="groups", max_concepts=3)).process(
        data, Context(root=data, app=app)
    )
    assert one is not None and three is not None
    assert len(one.concepts) == 1 and one.concepts[0].id.startswith("cluster-")
    assert [(c.id, c.score) for c in one.clusters] == [(one.concepts[0].id, one.concepts[0].value)]
    assert three.concepts[0].id == one.concepts[0].id
    values = [c.value for c in three.concepts]
    assert values == sorted(values, reverse=True) and len(set(c.id for c in three.concepts)) == 3
    centroids = app._store.models.arrays("groups", app.list_model_versions("groups")[0].id)
    expected = (1 + centroids["centroids"] @ (vec / np.linalg.norm(vec))) / 2
    assert one.concepts[0].value == pytest.approx(float(expected.max()))


def test_graph_same_words_same_cluster(app: App) -> None:
    wf = Workflow.from_yaml(
        """
workflow:
  id: cluster
  nodes:
    - id: groups
      model: {model_id: groups, model_type_id: clusterer}
"""
    )
    texts = ["alpha apple avocado 9", "alpha apple avocado 10", "bravo banana biscuit 9"]
    result = app.predict(wf, [{"text": {"raw": t}} for t in texts])
    ids = [r.outputs[0].data.concepts[0].id for r in result.results]
    assert ids[0] == ids[1] != ids[2]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{max_concepts: 0}", "max_concepts"),
        ("{n_clusters: 3}", "n_clusters"),
        ("{min_value: -1}", "min_value"),
    ],
)
def test_hostile_params_are_refused(params: str, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(
            "workflow:\n  id: w\n  nodes:\n    - id: c\n      model:\n        model_id: g\n"
            f"        model_type_id: clusterer\n        output_info: {{params: {params}}}\n"
        )
