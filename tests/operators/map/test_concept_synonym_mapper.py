"""concept-synonym-mapper: synonyms (transitive), hypernyms/hyponyms on request, graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import Context, Data, InputError, ParamsError, Workflow
from engine.app import App
from operators.map.concept_synonym_mapper import ConceptSynonymMapper
from tests.factories import concepts


@pytest.fixture
def app(tmp_path: Path) -> App:
    app = App(tmp_path / "app", base_workflow="empty")
    app.add_concept_relation("puppy", "pup", "synonym")
    app.add_concept_relation("pup", "doggy", "synonym")  # puppy ~ pup ~ doggy
    app.add_concept_relation("puppy", "dog", "hyponym")  # a puppy is a kind of dog
    app.add_concept_relation("animal", "dog", "hypernym")  # animal is a parent of dog
    app.add_concept_relation("puppy", "welpe", "synonym", knowledge_graph_id="de")
    return app


def _map(app: App, values: dict[str, float], **params: Any) -> list[tuple[str, float]]:
    data = Data(concepts=concepts(values))
    op = ConceptSynonymMapper(ConceptSynonymMapper.Params(**params))
    out = op.process(data, Context(root=data, app=app))
    assert out is not None
    return [(c.id, round(c.value, 3)) for c in out.concepts]


def test_synonyms_are_added_transitively_with_the_source_score(app: App) -> None:
    assert _map(app, {"puppy": 0.8}) == [("puppy", 0.8), ("pup", 0.8), ("doggy", 0.8)]


def test_the_best_score_wins_when_two_concepts_map_to_one(app: App) -> None:
    assert _map(app, {"puppy": 0.4, "doggy": 0.9}) == [("puppy", 0.4), ("doggy", 0.9), ("pup", 0.9)]


def test_hypernyms_and_hyponyms_only_when_asked(app: App) -> None:
    assert ("dog", 0.8) not in _map(app, {"puppy": 0.8})
    assert ("dog", 0.8) in _map(app, {"puppy": 0.8}, include_hypernyms=True)
    assert ("puppy", 0.5) in _map(app, {"dog": 0.5}, include_hyponyms=True)
    assert ("animal", 0.5) in _map(app, {"dog": 0.5}, include_hypernyms=True)


def test_relations_are_read_from_the_given_knowledge_graph(app: App) -> None:
    assert _map(app, {"puppy": 1.0}, knowledge_graph_id="de") == [("puppy", 1.0), ("welpe", 1.0)]


def test_no_concepts_pass_through_and_no_app_is_an_error(app: App) -> None:
    op = ConceptSynonymMapper(ConceptSynonymMapper.Params())
    data = Data()
    assert op.process(data, Context(root=data, app=app)) is data
    with pytest.raises(InputError, match=r"app\.predict"):
        op.process(Data(concepts=concepts({"a": 1.0})), Context(root=data))


def test_one_node_graph_through_app_predict(app: App) -> None:
    wf = Workflow("map")
    wf.add("concept-synonym-mapper", id="map")
    out = app.predict(wf, [{"data": {"concepts": [{"id": "pup", "value": 0.7}]}}])
    assert [c.id for c in out.results[0].outputs[0].data.concepts] == ["pup", "doggy", "puppy"]


def test_bad_params_are_refused() -> None:
    with pytest.raises(ParamsError, match="unknown param 'knowledge_graph'"):
        Workflow("w").add("concept-synonym-mapper", params={"knowledge_graph": "x"})
    with pytest.raises(ParamsError, match="include_hypernyms"):
        Workflow("w").add("concept-synonym-mapper", params={"include_hypernyms": "maybe"})
