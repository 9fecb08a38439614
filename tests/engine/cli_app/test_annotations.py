"""engine/cli_app/annotations.py: `opgraph app annotations add|list|patch|delete`."""

from __future__ import annotations

import json

from clarifai_grpc.grpc.api import service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from tests.engine.cli_app.conftest import Run

MULTI = service_pb2.MultiAnnotationResponse


def test_annotations_lifecycle(run: Run) -> None:
    run("add", "--text", "a red bucket")
    [iid] = [i["id"] for i in run("inputs", "list")["inputs"]]
    made = run(
        "annotations",
        "add",
        "--input-id",
        iid,
        "--box",
        "bucket:0.1,0.1,0.5,0.6",
        "--concept",
        "red",
        "--user-id",
        "ann",
        "--task-id",
        "t1",
        "--status",
        "AWAITING_REVIEW",
        response=MULTI,
    )
    [a] = made["annotations"]
    assert (
        a["status"]["code"] == 24157
        and a["data"]["regions"][0]["data"]["concepts"][0]["id"] == "bucket"
    )
    body = {"input_id": iid, "id": "txt", "data": {"text": {"raw": "caption"}}, "user_id": "bob"}
    run("annotations", "add", "--json", json.dumps([body]), response=MULTI)
    assert len(run("annotations", "list", response=MULTI)["annotations"]) == 2
    assert [
        x["id"]
        for x in run("annotations", "list", "--user-id", "bob", response=MULTI)["annotations"]
    ] == ["txt"]
    assert (
        len(
            run("annotations", "list", "--concept", "bucket", "--task-id", "t1", response=MULTI)[
                "annotations"
            ]
        )
        == 1
    )
    assert (
        run("annotations", "list", "--page", "2", "--per-page", "1", response=MULTI)["annotations"][
            0
        ]["id"]
        == "txt"
    )
    patched = run(
        "annotations", "patch", "--json", '{"id": "txt", "user_id": "eve"}', response=MULTI
    )
    assert patched["annotations"][0]["user_id"] == "eve"
    run("annotations", "delete", "--id", "txt", response=status_pb2.BaseResponse)
    run("annotations", "delete", "--input-id", iid, response=status_pb2.BaseResponse)
    assert run("annotations", "list", response=MULTI).get("annotations") is None


def test_bad_annotation_commands_exit_2_with_clarifais_status(run: Run) -> None:
    run("add", "--text", "x")
    cases = [
        (("annotations", "add", "--input-id", "ghost", "--concept", "c"), 30102),
        (("annotations", "add", "--input-id", "ghost", "--box", "c:1,2"), 30104),
        (("annotations", "add", "--json", "{"), 30104),
        (("annotations", "list", "--status", "bogus"), 24155),
        (("annotations", "list", "--input-id", "ghost"), 30102),
        (("annotations", "patch", "--json", '{"id": "ghost"}'), 11101),
        (("annotations", "delete", "--id", "ghost"), 11101),
        (
            (
                "annotations",
                "delete",
            ),
            24155,
        ),
    ]
    for argv, code in cases:
        doc = run(*argv, expect=2, response=status_pb2.BaseResponse)
        assert doc["status"]["code"] == code, argv
