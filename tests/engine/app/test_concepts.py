"""engine/app/concepts.py: concepts and relations, as the SDK's App calls them."""

from __future__ import annotations

from typing import Any

import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine import App, AppError
from engine.proto import MultiConceptRelationResponse, MultiConceptResponse, StatusCode
from tests.clarifai_json import assert_clarifai_json


@pytest.fixture
def app(app_location: Any) -> App:
    return App(app_location())


def test_create_get_list_and_patch_concepts(app: App) -> None:
    app.create_concepts(["cat", "dog"], ["Cat", "Dog"])
    app.add_inputs([{"id": "a", "data": {"text": {"raw": "x"}, "concepts": [{"id": "lynx"}]}}])
    found = app.list_concepts()
    doc = MultiConceptResponse(concepts=found).to_dict()
    assert_clarifai_json(doc, service_pb2.MultiConceptResponse)
    assert [(c.id, c.name) for c in found] == [("cat", "Cat"), ("dog", "Dog"), ("lynx", "lynx")]
    assert [c.id for c in app.list_concepts(page=2, per_page=2)] == ["lynx"]
    app.patch_concepts(["dog"], ["Hound"])
    assert app.get_concept("dog").name == "Hound"


def test_bad_concept_requests_change_nothing(app: App) -> None:
    app.create_concepts(["cat"])
    with pytest.raises(AppError, match="already in the app: cat") as err:
        app.create_concepts(["new", "cat"])
    assert err.value.code == StatusCode.CONCEPTS_INVALID_REQUEST
    with pytest.raises(AppError, match="unknown concept id") as err:
        app.get_concept("new")
    assert err.value.code == StatusCode.CONN_DOES_NOT_EXIST
    with pytest.raises(AppError, match="unknown concept id"):
        app.patch_concepts(["cat", "ghost"], ["Kitty", "Boo"])
    assert app.get_concept("cat").name == "cat"
    for bad in (["a", "a"], [""], "cat", []):
        with pytest.raises(AppError):
            app.create_concepts(bad)
    with pytest.raises(AppError, match="overwrite"):
        app.patch_concepts(["cat"], ["x"], action="merge")


def test_relations_are_listed_from_both_sides_and_deleted_by_id(app: App) -> None:
    made = app.create_concept_relations("animal", ["dog", "cat"], ["hypernym", "hypernym"])
    app.create_concept_relations("dog", ["hound"], ["synonym"], knowledge_graph_id="kg1")
    rels = app.search_concept_relations("dog")
    doc = MultiConceptRelationResponse(concept_relations=rels).to_dict()
    assert_clarifai_json(doc, service_pb2.MultiConceptRelationResponse)
    seen = [
        (r.object_concept.id, r.predicate, r.knowledge_graph_id) for r in rels if r.object_concept
    ]
    assert seen == [("animal", "hyponym", None), ("hound", "synonym", "kg1")]
    assert [r.id for r in app.search_concept_relations("dog", knowledge_graph_id="")] == [
        made[0].id
    ]
    assert len(app.search_concept_relations("animal", predicate="hypernym")) == 2
    assert app.search_concept_relations("animal", predicate="hyponym") == []
    # the synonym mapper still sees relations as before
    assert {r.object for r in app.concept_relations(["animal"])} == {"dog", "cat"}
    with pytest.raises(AppError, match="nothing was deleted"):
        app.delete_concept_relations("animal", [made[0].id, "ghost"])
    app.delete_concept_relations("animal", [made[0].id])  # the id is the same from either side
    assert [
        r.object_concept.id for r in app.search_concept_relations("animal") if r.object_concept
    ] == ["cat"]
    app.delete_concept_relations("dog")
    assert app.search_concept_relations("dog") == []


@pytest.mark.parametrize(
    ("objects", "predicates", "message"),
    [
        (["b"], ["cousin"], "predicate must be"),
        (["a"], ["synonym"], "two different"),
        (["b", "c"], ["synonym"], "one predicate for each"),
    ],
)
def test_bad_relations_are_refused_whole(
    app: App, objects: list[str], predicates: list[str], message: str
) -> None:
    with pytest.raises(AppError, match=message) as err:
        app.create_concept_relations("a", objects, predicates)
    assert err.value.code == StatusCode.CONCEPTS_INVALID_REQUEST
    assert app.list_concepts() == []
