"""engine/app/annotations.py: hand-written annotations beside annotation-writer's."""

from __future__ import annotations

from typing import Any

import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine import App, AppError, Workflow
from engine.proto import MultiAnnotationResponse, StatusCode
from tests.clarifai_json import assert_clarifai_json

BOX = {"top_row": 0.1, "left_col": 0.2, "bottom_row": 0.5, "right_col": 0.6}


@pytest.fixture
def app(app_location: Any) -> App:
    a = App(app_location())
    a.add_inputs([{"id": i, "data": {"text": {"raw": f"text {i}"}}} for i in ("a", "b")])
    return a


def _ids(app: App, **kw: Any) -> list[str]:
    found = app.list_annotations(**kw)
    doc = MultiAnnotationResponse(annotations=found).to_dict()
    assert_clarifai_json(doc, service_pb2.MultiAnnotationResponse)
    return [str(a.id) for a in found]


def _post(app: App) -> None:
    app.upload_annotations(
        [
            {"id": "n1", "input_id": "a", "user_id": "ann", "data": {"concepts": [{"id": "cat"}]}},
            {
                "id": "n2",
                "input_id": "a",
                "user_id": "bob",
                "task_id": "t1",
                "status": {"code": StatusCode.ANNOTATION_AWAITING_REVIEW},
                "data": {
                    "regions": [
                        {
                            "id": "r1",
                            "region_info": {"bounding_box": BOX},
                            "data": {"concepts": [{"id": "dog", "value": 1}]},
                        },
                        {
                            "id": "r2",
                            "region_info": {
                                "polygon": {
                                    "points": [{"row": 0.1, "col": 0.1}, {"row": 0.9, "col": 0.5}]
                                }
                            },
                        },
                        {"id": "r3", "region_info": {"point": {"row": 0.3, "col": 0.3}}},
                    ]
                },
            },
            {"id": "n3", "input_id": "b", "user_id": "ann", "data": {"text": {"raw": "a caption"}}},
        ]
    )


def test_hand_written_annotations_list_by_every_filter(app: App) -> None:
    _post(app)
    assert _ids(app) == ["n1", "n2", "n3"]
    assert _ids(app, input_ids=["a"]) == ["n1", "n2"]
    assert _ids(app, user_ids=["ann"]) == ["n1", "n3"]
    assert _ids(app, statuses=["AWAITING_REVIEW"]) == ["n2"]
    assert _ids(app, statuses=[StatusCode.ANNOTATION_SUCCESS]) == ["n1", "n3"]
    assert _ids(app, concept_ids=["dog"]) == ["n2"]  # a region's concept counts
    assert _ids(app, concept_ids=["cat", "dog"]) == ["n1", "n2"]
    assert _ids(app, task_id="t1") == ["n2"]
    assert _ids(app, page=2, per_page=2) == ["n3"]
    # labelled concepts are searchable like predicted ones
    assert [h.input.id for h in app.search(concept="cat").hits if h.input] == ["a"]


def test_annotation_writer_rows_show_up_beside_hand_written_ones(app: App) -> None:
    _post(app)
    wf = Workflow("label")
    wf.add(
        "regex-based-classifier", id="rx", params={"regex": "text", "concepts": [{"id": "word"}]}
    )
    wf.add("annotation-writer", id="w", inputs=["rx"], params={"annotation_user_id": "bot"})
    app.predict(wf, [{"id": "b", "data": {"text": {"raw": "text b"}}}])
    assert len(_ids(app)) == 4 and len(_ids(app, user_ids=["bot"])) == 1
    [written] = app.list_annotations(user_ids=["bot"])
    [patched] = app.patch_annotations([{"id": written.id, "status": {"code": 24151}}])
    assert patched.status is not None and patched.status.code == StatusCode.ANNOTATION_PENDING


def test_patch_merges_overwrites_and_removes(app: App) -> None:
    _post(app)
    [n2] = app.patch_annotations(
        [
            {
                "id": "n2",
                "data": {
                    "regions": [
                        {
                            "id": "r1",
                            "region_info": {"bounding_box": BOX},
                            "data": {"concepts": [{"id": "wolf"}]},
                        }
                    ]
                },
                "annotation_info": {"k": 1},
            }
        ]
    )
    assert n2.data is not None and [r.id for r in n2.data.regions] == ["r1", "r2", "r3"]
    assert n2.annotation_info == {"k": 1} and _ids(app, concept_ids=["wolf"]) == ["n2"]
    [n2] = app.patch_annotations(
        [{"id": "n2", "data": {"regions": [{"id": "r2"}]}}], action="remove"
    )
    assert n2.data is not None and [r.id for r in n2.data.regions] == ["r1", "r3"]
    [n1] = app.patch_annotations(
        [{"id": "n1", "data": {"concepts": [{"id": "lynx"}]}}], action="overwrite"
    )
    assert n1.data is not None and [c.id for c in n1.data.concepts] == ["lynx"]
    assert n1.modified_at is not None and n1.modified_at >= str(n1.created_at)


def test_delete_by_id_or_by_input_all_or_none(app: App) -> None:
    _post(app)
    with pytest.raises(AppError, match="nothing was deleted") as err:
        app.delete_annotations(annotation_ids=["n1", "ghost"])
    assert err.value.code == StatusCode.CONN_DOES_NOT_EXIST and len(_ids(app)) == 3
    app.delete_annotations(annotation_ids=["n1"])
    app.delete_annotations(input_ids=["b"])
    assert _ids(app) == ["n2"]
    with pytest.raises(AppError, match="unknown input id"):
        app.delete_annotations(input_ids=["ghost"])


@pytest.mark.parametrize(
    ("annotation", "message", "code"),
    [
        ({"input_id": "ghost", "data": {"concepts": [{"id": "c"}]}}, "unknown input id", 30102),
        ({"data": {"concepts": [{"id": "c"}]}}, "give the input_id", 24155),
        ({"input_id": "a"}, "nothing to annotate", 24155),
        (
            {
                "input_id": "a",
                "data": {
                    "regions": [
                        {
                            "region_info": {
                                "bounding_box": {"top_row": 0.9, "bottom_row": 0.1, "right_col": 1}
                            }
                        }
                    ]
                },
            },
            "bounding box",
            24155,
        ),
        (
            {
                "input_id": "a",
                "data": {"regions": [{"region_info": {"point": {"row": 2, "col": 0}}}]},
            },
            "points are fractions",
            24155,
        ),
        ({"input_id": "a", "data": {"concepts": []}, "bogus": 1}, "bad request", 24155),
        (
            {"id": "n1", "input_id": "a", "data": {"concepts": [{"id": "c"}]}},
            "already in the app",
            24155,
        ),
    ],
)
def test_bad_annotations_are_refused_whole(
    app: App, annotation: dict[str, Any], message: str, code: int
) -> None:
    _post(app)
    good = {"id": "fine", "input_id": "a", "data": {"concepts": [{"id": "ok"}]}}
    with pytest.raises(AppError, match=message) as err:
        app.upload_annotations([good, annotation])
    assert err.value.code == code and _ids(app) == ["n1", "n2", "n3"]


def test_bad_patches_and_listings_change_nothing(app: App) -> None:
    _post(app)
    with pytest.raises(AppError, match="unknown annotation id") as err:
        app.patch_annotations([{"id": "n1", "user_id": "eve"}, {"id": "ghost"}])
    assert err.value.code == StatusCode.CONN_DOES_NOT_EXIST
    assert _ids(app, user_ids=["eve"]) == []
    with pytest.raises(AppError, match="action must be"):
        app.patch_annotations([{"id": "n1"}], action="upsert")
    with pytest.raises(AppError, match="page must be"):
        app.list_annotations(page=-1)
    with pytest.raises(AppError, match="unknown annotation status"):
        app.list_annotations(statuses=["sleepy"])
