"""engine/cli_app/concepts.py: `opgraph app concepts ...`."""

from __future__ import annotations

from clarifai_grpc.grpc.api import service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from tests.engine.cli_app.conftest import Run

CONCEPTS, RELATIONS = service_pb2.MultiConceptResponse, service_pb2.MultiConceptRelationResponse


def test_concepts_lifecycle(run: Run) -> None:
    run("concepts", "add", "dog", "cat", "--name", "Dog", "--name", "Cat", response=CONCEPTS)
    assert [c["name"] for c in run("concepts", "list", response=CONCEPTS)["concepts"]] == [
        "Dog",
        "Cat",
    ]
    run("concepts", "patch", "dog", "--name", "Hound", response=CONCEPTS)
    got = run("concepts", "get", "dog", response=service_pb2.SingleConceptResponse)
    assert got["concept"]["name"] == "Hound"
    run("concepts", "relate", "animal", "dog", "cat", "--predicate", "hypernym", response=RELATIONS)
    seen = run("concepts", "relations", "dog", response=RELATIONS)["concept_relations"]
    assert [(r["object_concept"]["id"], r["predicate"]) for r in seen] == [("animal", "hyponym")]
    run("concepts", "unrelate", "animal", "--id", seen[0]["id"], response=status_pb2.BaseResponse)
    assert len(run("concepts", "relations", "animal", response=RELATIONS)["concept_relations"]) == 1
    assert (
        len(
            run("concepts", "list", "--per-page", "2", "--page", "2", response=CONCEPTS)["concepts"]
        )
        == 1
    )


def test_bad_concept_commands_exit_2_with_clarifais_status(run: Run) -> None:
    run("concepts", "add", "dog")
    cases = [
        (("concepts", "add", "dog"), 40003),
        (("concepts", "get", "ghost"), 11101),
        (("concepts", "patch", "ghost", "--name", "x"), 11101),
        (("concepts", "relate", "dog", "dog"), 40003),
        (("concepts", "unrelate", "dog", "--id", "nope"), 11101),
        (("concepts", "list", "--page", "0"), 11102),
    ]
    for argv, code in cases:
        doc = run(*argv, expect=2, response=status_pb2.BaseResponse)
        assert doc["status"]["code"] == code, argv
