"""Workflows stored in an app: versions on every patch, old versions runnable, the base
workflow listed but never patched or deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine.app import App
from engine.errors import AppError
from engine.proto import StatusCode
from engine.proto_app import (
    MultiWorkflowResponse,
    MultiWorkflowVersionResponse,
    SingleWorkflowResponse,
)
from engine.workflow import Workflow
from tests.clarifai_json import assert_clarifai_json
from tests.engine.app.conftest import hashing_base


def flow(word: str, wid: str = "tagger") -> str:
    return f"""workflow:
  id: {wid}
  nodes:
    - id: tag
      model:
        model_id: tag
        model_type_id: regex-based-classifier
        output_info:
          params:
            regex: "{word}"
            concepts: [{{id: {word}, value: 1}}]
"""


def _tags(app: App, version_id: str | None) -> list[str]:
    response = app.workflow("tagger", version_id).predict([{"text": {"raw": "cat dog bird"}}])
    assert_clarifai_json(response.to_dict(), service_pb2.PostWorkflowResultsResponse)
    return [c.id for c in response.results[0].outputs[0].data.concepts]


def test_store_patch_twice_and_run_version_1_and_3(app: App, tmp_path: Path) -> None:
    first = app.create_workflow(flow("cat"), description="one")
    assert_clarifai_json(
        MultiWorkflowResponse(workflows=[first]).to_dict(), service_pb2.MultiWorkflowResponse
    )
    node = first.nodes[0]
    assert node.model is not None and node.model.model_type_id == "regex-based-classifier"
    assert node.model.output_info is not None and node.model.output_info.params == {
        "regex": "cat",
        "concepts": [{"id": "cat", "value": 1}],
    }
    path = tmp_path / "dog.yml"
    path.write_text(flow("dog"))
    app.patch_workflow("tagger", path)
    third = app.patch_workflow("tagger", flow("bird"), description="three", metadata={"a": 1})
    assert_clarifai_json(
        SingleWorkflowResponse(workflow=third).to_dict(), service_pb2.SingleWorkflowResponse
    )
    versions = app.list_workflow_versions("tagger")
    assert_clarifai_json(
        MultiWorkflowVersionResponse(workflow_versions=versions).to_dict(),
        service_pb2.MultiWorkflowVersionResponse,
    )
    assert len(versions) == 3 and versions[0].id == third.version.id  # type: ignore[union-attr]
    v1, v3 = versions[2].id, versions[0].id
    assert _tags(app, v1) == ["cat"]
    assert _tags(app, v3) == ["bird"] == _tags(app, None)
    assert (
        app.get_workflow_version("tagger", versions[1].id)
        .nodes[0]
        .model.output_info.params[  # type: ignore[union-attr]
            "regex"
        ]
        == "dog"
    )
    assert [v.id for v in app.list_workflow_versions("tagger", page=2, per_page=2)] == [v1]
    got = app.get_workflow("tagger")
    assert got.description == "three" and got.metadata == {"a": 1}
    # a patch without nodes is a new version with the same nodes
    app.patch_workflow("tagger", description="four")
    assert len(app.list_workflow_versions("tagger")) == 4 and _tags(app, None) == ["bird"]


def test_list_puts_the_base_workflow_first_and_pages(app: App) -> None:
    wf = Workflow("other")
    wf.add("regex-based-classifier", id="tag", params={"regex": "x", "concepts": [{"id": "x"}]})
    app.create_workflow(flow("cat"))
    app.create_workflow(wf)
    app.create_workflow(flow("dog"), workflow_id="renamed")
    listed = app.list_workflows()
    assert [w.id for w in listed] == ["hashing-base", "tagger", "other", "renamed"]
    assert_clarifai_json(
        MultiWorkflowResponse(workflows=listed).to_dict(), service_pb2.MultiWorkflowResponse
    )
    assert [w.id for w in app.list_workflows(page=2, per_page=2)] == ["other", "renamed"]
    assert [w.id for w in app.list_workflows(page=1, per_page=2)] == ["hashing-base", "tagger"]
    base = app.get_workflow("hashing-base")
    assert base.version is not None
    assert app.list_workflow_versions("hashing-base") == [base.version]
    ran = app.workflow("hashing-base", base.version.id).predict([{"text": {"raw": "hi"}}])
    assert ran.results[0].outputs[0].data.embeddings
    app.delete_workflow("other")
    assert [w.id for w in app.list_workflows()] == ["hashing-base", "tagger", "renamed"]


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda a: a.delete_workflow("hashing-base"), StatusCode.WORKFLOW_INVALID_ARGUMENT),
        (
            lambda a: a.patch_workflow("hashing-base", description="x"),
            StatusCode.WORKFLOW_INVALID_ARGUMENT,
        ),
        (lambda a: a.create_workflow(flow("x", "hashing-base")), StatusCode.WORKFLOW_DUPLICATE),
        (lambda a: a.create_workflow(flow("x")), StatusCode.WORKFLOW_DUPLICATE),
        (lambda a: a.get_workflow("nope"), StatusCode.WORKFLOW_DOES_NOT_EXIST),
        (lambda a: a.delete_workflow("nope"), StatusCode.WORKFLOW_DOES_NOT_EXIST),
        (lambda a: a.workflow("tagger", "v9"), StatusCode.WORKFLOW_DOES_NOT_EXIST),
        (lambda a: a.workflow("hashing-base", "v9"), StatusCode.WORKFLOW_DOES_NOT_EXIST),
        (lambda a: a.list_workflow_versions("nope"), StatusCode.WORKFLOW_DOES_NOT_EXIST),
        (lambda a: a.patch_workflow("tagger", action="x"), StatusCode.BAD_REQUEST),
        (lambda a: a.create_workflow("empty"), StatusCode.BAD_REQUEST),
        (lambda a: a.list_workflows(per_page=0), StatusCode.CONN_INVALID_REQUEST),
    ],
)
def test_bad_requests_change_nothing(app: App, call, code) -> None:
    app.create_workflow(flow("cat"))
    with pytest.raises(AppError) as info:
        call(app)
    assert info.value.code == code
    assert [w.id for w in app.list_workflows()] == ["hashing-base", "tagger"]
    assert len(app.list_workflow_versions("tagger")) == 1


def test_the_base_workflow_cannot_be_deleted_with_a_clear_message(app: App) -> None:
    with pytest.raises(AppError, match="base workflow and cannot be deleted; set another"):
        app.delete_workflow("hashing-base")


def test_a_run_never_uses_what_another_writer_changed(app_location, backend: str) -> None:
    # two App objects on one app stand for two server processes: what one resolves a
    # workflow name to is kept for speed, and must never outlive a change by the other
    where = app_location()
    with App(where, base_workflow=hashing_base()) as mine, App(where) as theirs:
        theirs.create_workflow(flow("cat"))
        assert _tags(mine, None) == ["cat"] == _tags(mine, None)
        kept = mine.workflow("tagger")
        theirs.patch_workflow("tagger", flow("dog"))
        assert _tags(mine, None) == ["dog"]
        mine.workflow("tagger")  # resolved again, and kept again
        theirs.delete_workflow("tagger")
        with pytest.raises(AppError) as info:
            mine.workflow("tagger")
        assert info.value.code == StatusCode.WORKFLOW_DOES_NOT_EXIST
        with pytest.raises(AppError):
            mine.workflow("tagger", kept.version_id)  # an old version of a deleted workflow
        theirs.create_workflow(flow("bird"))
        assert _tags(mine, None) == ["bird"]
        theirs.set_base_workflow(flow("x", "new-base"), reindex=False)
        assert mine.workflow("new-base").workflow.id == "new-base"
        if backend == "sqlite":  # nothing changed: the same resolution, read from nothing
            assert mine.workflow("tagger") is mine.workflow("tagger")
