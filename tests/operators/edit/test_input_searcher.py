"""input-searcher: a search in an app from the input's concepts, text or image."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Context, Data, InputError, ParamsError, Workflow
from engine.app import App
from operators.edit.input_searcher import InputSearcher
from tests.engine.app.conftest import hashing_base

Params = InputSearcher.Params
DOCS = {
    "repairs": "machinery repairs cost 480,000 dollars in 2020",
    "cafeteria": "the cafeteria reopened with a new menu in 2021",
    "parking": "the parking lot was repaved last spring",
}


@pytest.fixture
def app(tmp_path: Path) -> App:
    app = App(tmp_path / "apps" / "docs", base_workflow=hashing_base())
    app.add_inputs(
        [
            {"id": k, "data": {"text": {"raw": t}, "concepts": [{"id": "money", "value": 1}]}}
            if k == "repairs"
            else {"id": k, "data": {"text": {"raw": t}}}
            for k, t in DOCS.items()
        ]
    )
    return app


def search(app: App | None, data: Data, **params: object) -> Data:
    out = InputSearcher(Params(**params)).process(data, Context(root=data, app=app))
    assert out is not None
    return out


def test_text_query_hits_as_regions(app: App) -> None:
    out = search(app, Data.model_validate({"text": {"raw": "cafeteria menu"}}), max_results=2)
    assert out.hits[0].input is not None and out.hits[0].input.id == "cafeteria"
    assert len(out.regions) == len(out.hits) == 2
    first = out.regions[0]
    assert first.id == "cafeteria" and first.value == pytest.approx(out.hits[0].score)
    assert first.data is not None and first.data.text.raw == DOCS["cafeteria"]
    strict = search(app, Data.model_validate({"text": {"raw": "cafeteria menu"}}), min_score=0.99)
    assert strict.regions == [] and strict.hits == []


def test_concepts_come_first_then_text(app: App) -> None:
    data = Data.model_validate(
        {"text": {"raw": "cafeteria"}, "concepts": [{"id": "money", "value": 0.9}]}
    )
    assert [r.id for r in search(app, data).regions] == ["repairs"]
    assert search(app, data, rank_by="text").regions[0].id == "cafeteria"
    unsure = Data.model_validate(
        {"text": {"raw": "cafeteria"}, "concepts": [{"id": "money", "value": 0.2}]}
    )
    assert search(app, unsure).regions[0].id == "cafeteria"


def test_image_query_in_an_image_app(tmp_path: Path) -> None:
    app = App(tmp_path / "imgs", base_workflow="image")
    for name, colour in (("red", (20, 20, 230)), ("green", (20, 220, 20))):
        cv2.imwrite(str(tmp_path / f"{name}.png"), np.full((24, 24, 3), colour, np.uint8))
        app.add_inputs(
            [{"id": name, "data": {"image": {"base64": _b64(tmp_path / f"{name}.png")}}}]
        )
    query = Data.model_validate({"image": {"base64": _b64(tmp_path / "red.png")}})
    wf = Workflow.from_yaml("""
workflow:
  id: find
  nodes:
    - id: find
      model:
        {model_id: find, model_type_id: input-searcher, output_info: {params: {max_results: 1}}}
""")
    out = app.predict(wf, [query]).results[0].outputs[0]
    assert out.status.code == 10000, out.status
    assert [r.id for r in out.data.regions] == ["red"]


def _b64(path: Path) -> str:
    import base64

    return base64.b64encode(path.read_bytes()).decode()


def test_another_app_beside_this_one(app: App, tmp_path: Path) -> None:
    here = App(tmp_path / "apps" / "empty", base_workflow=hashing_base())
    wf = Workflow.from_yaml("""
workflow:
  id: find
  nodes:
    - id: find
      model: {model_id: find, model_type_id: input-searcher, output_info: {params: {app_id: docs}}}
""")
    out = here.predict(wf, [{"text": {"raw": "parking lot"}}]).results
    assert out[0].outputs[0].data.regions[0].id == "parking"
    lost = Workflow.from_yaml(wf.to_yaml().replace("app_id: docs", "app_id: nowhere"))
    failed = here.predict(lost, [{"text": {"raw": "x"}}]).results[0].outputs[0]
    assert failed.status.code != 10000 and "no app 'nowhere'" in failed.status.details
    assert not (tmp_path / "apps" / "nowhere").exists()  # never created by a search


def test_needs_an_app_and_something_to_search_with(app: App) -> None:
    with pytest.raises(InputError, match="searches an app"):
        search(None, Data.model_validate({"text": {"raw": "x"}}))
    with pytest.raises(InputError, match="has no concepts, text or an image"):
        search(app, Data())
    with pytest.raises(InputError, match="has no image"):
        search(app, Data.model_validate({"text": {"raw": "x"}}), rank_by="image")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{app_id: ../secrets}", "not an app id"),
        ("{app_id: /etc}", "not an app id"),
        ("{max_results: 0}", "max_results"),
        ("{max_results: 100000}", "max_results"),
        ("{rank_by: vibes}", "rank_by"),
        ("{min_score: 2}", "min_score"),
        ("{metadata: '[1'}", "metadata"),
    ],
)
def test_hostile_params_are_refused(params: str, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(
            "workflow:\n  id: w\n  nodes:\n    - id: s\n      model:\n        model_id: s\n"
            f"        model_type_id: input-searcher\n        output_info: {{params: {params}}}\n"
        ).compile().instantiate()
