"""Annotations, concepts and searches over both transports with clarifai-grpc's clients."""

from __future__ import annotations

from typing import Any

import requests
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from clarifai_grpc.grpc.api.status import status_pb2
from google.protobuf import struct_pb2

from tests.engine.api.conftest import Server

APP = r.UserAppIDSet(user_id="me", app_id="notes")
TEXTS = {
    "repairs": "$480,000 was spent on machinery repairs in 2020.",
    "cafe": "The cafeteria reopened in 2021 with a new menu.",
    "roof": "Roof repairs cost the plant $12,000 last spring.",
}


def _app_with_texts(stub: Any, md: Any) -> None:
    made = stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="notes")]),
        metadata=md,
    )
    assert made.status.code == codes.SUCCESS, made.status
    inputs = []
    for i, (input_id, text) in enumerate(TEXTS.items()):
        meta = struct_pb2.Struct()
        meta.update({"site": "plant" if i != 1 else "office", "n": i})
        inputs.append(r.Input(id=input_id, data=r.Data(text=r.Text(raw=text), metadata=meta)))
    added = stub.PostInputs(pb.PostInputsRequest(user_app_id=APP, inputs=inputs), metadata=md)
    assert added.status.code == codes.SUCCESS, added.status


def test_annotations(server: Server, stub: Any) -> None:
    md = server.metadata()
    _app_with_texts(stub, md)
    box = r.BoundingBox(top_row=0.1, left_col=0.1, bottom_row=0.5, right_col=0.6)
    posted = stub.PostAnnotations(
        pb.PostAnnotationsRequest(
            user_app_id=APP,
            annotations=[
                r.Annotation(
                    id="a1",
                    input_id="repairs",
                    user_id="ann",
                    data=r.Data(concepts=[r.Concept(id="money", value=1)]),
                ),
                r.Annotation(
                    id="a2",
                    input_id="cafe",
                    user_id="bob",
                    data=r.Data(
                        regions=[
                            r.Region(
                                region_info=r.RegionInfo(bounding_box=box),
                                data=r.Data(concepts=[r.Concept(id="menu", value=1)]),
                            )
                        ]
                    ),
                ),
            ],
        ),
        metadata=md,
    )
    assert posted.status.code == codes.SUCCESS, posted.status

    by_user = stub.ListAnnotations(
        pb.ListAnnotationsRequest(user_app_id=APP, user_ids=["bob"]), metadata=md
    )
    assert [a.id for a in by_user.annotations] == ["a2"]
    region = by_user.annotations[0].data.regions[0]
    assert abs(region.region_info.bounding_box.right_col - 0.6) < 1e-6

    unknown = stub.PostAnnotations(
        pb.PostAnnotationsRequest(
            user_app_id=APP,
            annotations=[
                r.Annotation(id="a3", input_id="nope", data=r.Data(concepts=[r.Concept(id="x")]))
            ],
        ),
        metadata=md,
    )
    assert unknown.status.code == codes.INPUT_DOES_NOT_EXIST

    patched = stub.PatchAnnotations(
        pb.PatchAnnotationsRequest(
            user_app_id=APP,
            action="merge",
            annotations=[
                r.Annotation(
                    id="a1",
                    input_id="repairs",
                    data=r.Data(concepts=[r.Concept(id="repair", value=1)]),
                )
            ],
        ),
        metadata=md,
    )
    assert patched.status.code == codes.SUCCESS, patched.status
    assert {c.id for c in patched.annotations[0].data.concepts} == {"money", "repair"}

    # review: an annotation awaiting review is found by its status and accepted
    awaiting = status_pb2.Status(code=codes.ANNOTATION_AWAITING_REVIEW)
    flagged = stub.PatchAnnotations(
        pb.PatchAnnotationsRequest(
            user_app_id=APP,
            action="merge",
            annotations=[r.Annotation(id="a2", input_id="cafe", status=awaiting)],
        ),
        metadata=md,
    )
    assert flagged.status.code == codes.SUCCESS, flagged.status
    # by status over REST as the web console asks (clarifai-grpc's JSON channel cannot put a
    # list of messages in a query string)
    url = f"{server.base_url}/v2/users/{APP.user_id}/apps/{APP.app_id}/annotations"
    key = {"Authorization": f"Key {server.token}"}
    query = {"statuses.code": str(codes.ANNOTATION_AWAITING_REVIEW)}
    listed = requests.get(url, params=query, headers=key, timeout=10).json()
    assert [a["id"] for a in listed["annotations"]] == ["a2"]
    accept = codes.ANNOTATION_SUCCESS
    accepted = stub.PatchAnnotations(
        pb.PatchAnnotationsRequest(
            user_app_id=APP,
            action="merge",
            annotations=[
                r.Annotation(id="a2", input_id="cafe", status=status_pb2.Status(code=accept))
            ],
        ),
        metadata=md,
    )
    assert accepted.annotations[0].status.code == codes.ANNOTATION_SUCCESS
    assert "annotations" not in requests.get(url, params=query, headers=key, timeout=10).json()

    gone = stub.DeleteAnnotation(
        pb.DeleteAnnotationRequest(user_app_id=APP, input_id="repairs", annotation_id="a1"),
        metadata=md,
    )
    assert gone.status.code == codes.SUCCESS
    left = stub.ListAnnotations(
        pb.ListAnnotationsRequest(user_app_id=APP, ids=["a1", "a2"]), metadata=md
    )
    assert [a.id for a in left.annotations] == ["a2"]


def test_concepts_and_relations(server: Server, stub: Any) -> None:
    md = server.metadata()
    _app_with_texts(stub, md)
    made = stub.PostConcepts(
        pb.PostConceptsRequest(
            user_app_id=APP,
            concepts=[
                r.Concept(id="car", name="Car"),
                r.Concept(id="vehicle"),
                r.Concept(id="auto"),
            ],
        ),
        metadata=md,
    )
    assert made.status.code == codes.SUCCESS, made.status
    got = stub.GetConcept(pb.GetConceptRequest(user_app_id=APP, concept_id="car"), metadata=md)
    assert got.concept.name == "Car"
    renamed = stub.PatchConcepts(
        pb.PatchConceptsRequest(
            user_app_id=APP, action="overwrite", concepts=[r.Concept(id="car", name="Automobile")]
        ),
        metadata=md,
    )
    assert renamed.concepts[0].name == "Automobile"
    listed = stub.ListConcepts(pb.ListConceptsRequest(user_app_id=APP, per_page=2), metadata=md)
    assert len(listed.concepts) == 2

    related = stub.PostConceptRelations(
        pb.PostConceptRelationsRequest(
            user_app_id=APP,
            concept_id="car",
            concept_relations=[
                r.ConceptRelation(object_concept=r.Concept(id="vehicle"), predicate="hyponym"),
                r.ConceptRelation(object_concept=r.Concept(id="auto"), predicate="synonym"),
            ],
        ),
        metadata=md,
    )
    assert related.status.code == codes.SUCCESS, related.status
    seen = stub.ListConceptRelations(
        pb.ListConceptRelationsRequest(user_app_id=APP, concept_id="vehicle"), metadata=md
    )
    assert [(x.object_concept.id, x.predicate) for x in seen.concept_relations] == [
        ("car", "hypernym")
    ]
    ids = [x.id for x in related.concept_relations]
    deleted = stub.DeleteConceptRelations(
        pb.DeleteConceptRelationsRequest(user_app_id=APP, concept_id="car", ids=ids), metadata=md
    )
    assert deleted.status.code == codes.SUCCESS
    none = stub.ListConceptRelations(
        pb.ListConceptRelationsRequest(user_app_id=APP, concept_id="car"), metadata=md
    )
    assert list(none.concept_relations) == []

    missing = stub.GetConcept(pb.GetConceptRequest(user_app_id=APP, concept_id="boat"), metadata=md)
    assert missing.status.code != codes.SUCCESS


def test_searches_with_ranks_filters_and_pages(server: Server, stub: Any) -> None:
    md = server.metadata()
    _app_with_texts(stub, md)
    rank = r.Rank(
        annotation=r.Annotation(
            data=r.Data(text=r.Text(raw="How much was spent on machinery repairs in 2020?"))
        )
    )
    found = stub.PostInputsSearches(
        pb.PostInputsSearchesRequest(
            user_app_id=APP,
            searches=[r.Search(query=r.Query(ranks=[rank]))],
            pagination=pb.Pagination(page=1, per_page=2),
        ),
        metadata=md,
    )
    assert found.status.code == codes.SUCCESS, found.status
    assert found.hits[0].input.id == "repairs"
    assert len(found.hits) == 2 and 0.5 < found.hits[0].score <= 1.0

    meta = struct_pb2.Struct()
    meta.update({"site": "office"})
    only_office = r.Filter(annotation=r.Annotation(data=r.Data(metadata=meta)))
    filtered = stub.PostSearches(
        pb.PostSearchesRequest(user_app_id=APP, query=r.Query(ranks=[rank], filters=[only_office])),
        metadata=md,
    )
    assert [h.input.id for h in filtered.hits] == ["cafe"]

    negated = r.Filter(annotation=r.Annotation(data=r.Data(metadata=meta)), negate=True)
    filter_only = stub.PostInputsSearches(
        pb.PostInputsSearchesRequest(
            user_app_id=APP, searches=[r.Search(query=r.Query(filters=[negated]))]
        ),
        metadata=md,
    )
    assert sorted(h.input.id for h in filter_only.hits) == ["repairs", "roof"]

    page2 = stub.PostInputsSearches(
        pb.PostInputsSearchesRequest(
            user_app_id=APP,
            searches=[r.Search(query=r.Query(ranks=[rank]))],
            pagination=pb.Pagination(page=2, per_page=2),
        ),
        metadata=md,
    )
    assert len(page2.hits) == 1

    legacy = stub.PostSearches(
        pb.PostSearchesRequest(
            user_app_id=APP,
            query=r.Query(ands=[r.And(output=r.Output(data=r.Data(concepts=[r.Concept(id="x")])))]),
        ),
        metadata=md,
    )
    assert legacy.status.code == codes.SEARCH_INVALID_REQUEST

    # a filter by status: the code reaches the query language as a number, not an enum name
    for code, expected in ((codes.INPUT_DOWNLOAD_SUCCESS, 3), (codes.INPUT_DOWNLOAD_FAILED, 0)):
        by_status = r.Filter(input=r.Input(status=status_pb2.Status(code=code)))
        found = stub.PostInputsSearches(
            pb.PostInputsSearchesRequest(
                user_app_id=APP, searches=[r.Search(query=r.Query(filters=[by_status]))]
            ),
            metadata=md,
        )
        assert found.status.code == codes.SUCCESS, found.status
        assert len(found.hits) == expected
