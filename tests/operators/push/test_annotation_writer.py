"""annotation-writer: what it writes, idempotent re-runs, auto-annotation on upload, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from clarifai_grpc.grpc.api import service_pb2
from pydantic import Field

from engine import (
    BaseParams,
    Concept,
    ConceptSpec,
    Context,
    Data,
    InputError,
    MultiAnnotationResponse,
    Operator,
    ParamsError,
    Workflow,
    register,
)
from engine.app import App
from engine.app._core import Scope
from operators.push.annotation_writer import AnnotationWriter
from tests.clarifai_json import assert_clarifai_json
from tests.factories import concepts, region, text_data


@register
class _KeywordScorer(Operator):
    """Test stand-in for a text classifier: a concept's score is the share of its keywords
    found in the text, so thresholds can route inputs as a real model's scores would."""

    type_id = "test-keyword-scorer"
    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("concepts",)

    class Params(BaseParams):
        keywords: dict[str, list[str]] = Field(description="concept id -> its keywords")

    def process(self, data: Data, ctx: Context) -> Data | None:
        words = set((data.text.raw or "").lower().split()) if data.text else set()
        keywords: dict[str, list[str]] = self.params.keywords  # type: ignore[attr-defined]
        scores = {c: len(words & set(k)) / len(k) for c, k in keywords.items()}
        return Data(concepts=[Concept(id=c, name=c, value=v) for c, v in scores.items() if v])


AUTO_ANNOTATION = """
workflow:
  id: auto-annotation
  nodes:
    - id: classify
      model:
        model_id: classify
        model_type_id: test-keyword-scorer
        output_info: {params: {keywords: {bucket: [bucket, water, handle, red]}}}
    - id: greater-than
      model:
        model_id: greater-than
        model_type_id: concept-thresholder
        output_info:
          params: {concept_threshold_type: GREATER_THAN}
          data: {concepts: [{id: bucket, value: 0.7}]}
      node_inputs: [{node_id: classify}]
    - id: write-success
      model:
        model_id: write-success
        model_type_id: annotation-writer
        output_info: {params: {annotation_status: 24150, annotation_user_id: auto}}
      node_inputs: [{node_id: greater-than}]
    - id: less-than
      model:
        model_id: less-than
        model_type_id: concept-thresholder
        output_info:
          params: {concept_threshold_type: LESS_THAN}
          data: {concepts: [{id: bucket, value: 0.7}]}
      node_inputs: [{node_id: classify}]
    - id: write-pending
      model:
        model_id: write-pending
        model_type_id: annotation-writer
        output_info:
          params:
            annotation_status: ANNOTATION_PENDING
            annotation_user_id: auto
            task_id: review-1
            annotation_info: '{"reason": "low confidence"}'
      node_inputs: [{node_id: less-than}]
"""


class _FakeApp:
    def __init__(self) -> None:
        self.writes: list[dict[str, Any]] = []

    def write_annotation(self, ctx: Context, data: Data, **kwargs: Any) -> None:
        self.writes.append({"node": ctx.node_id, "data": data, **kwargs})


def test_input_without_concepts_or_regions_writes_nothing() -> None:
    app = _FakeApp()
    data = text_data("x")
    op = AnnotationWriter(AnnotationWriter.Params())
    assert op.process(data, Context(root=data, app=app)) is data
    assert app.writes == []


def test_unit_writes_its_input_with_the_params_and_passes_it_on() -> None:
    app = _FakeApp()
    params = AnnotationWriter.Params(
        annotation_status=24157,
        annotation_user_id="u1",
        task_id="t1",
        annotation_info={"k": 1},
    )
    data = Data(concepts=concepts({"dog": 0.9}), regions=[region()])
    out = AnnotationWriter(params).process(data, Context(root=data, app=app, node_id="w"))
    assert out is data
    assert app.writes == [
        {
            "node": "w",
            "data": data,
            "status": 24157,
            "user_id": "u1",
            "task_id": "t1",
            "annotation_info": {"k": 1},
        }
    ]


def test_without_an_app_it_is_an_input_error() -> None:
    data = text_data("x")
    with pytest.raises(InputError, match="writes to an app"):
        AnnotationWriter(AnnotationWriter.Params()).process(data, Context(root=data))


def test_auto_annotation_base_workflow_labels_inputs_on_upload(tmp_path: Path) -> None:
    app = App(tmp_path / "app", base_workflow=AUTO_ANNOTATION)
    sure, unsure, none = app.add_inputs(
        [
            {"text": {"raw": "a red bucket of water with a handle"}},
            {"text": {"raw": "a red bucket"}},
            {"text": {"raw": "a garden spade"}},
        ]
    )
    [success] = app.annotations(input_id=sure)
    assert success.status.code == 24150 and success.user_id == "auto"
    assert [c.id for c in success.data.concepts] == ["bucket"]
    [pending] = app.annotations(input_id=unsure)
    assert pending.status.code == 24151 and pending.task_id == "review-1"
    assert pending.annotation_info == {"reason": "low confidence"}
    assert app.annotations(input_id=none) == []
    assert [a.input_id for a in app.annotations(status=24151)] == [unsure]
    listing = MultiAnnotationResponse(annotations=app.annotations()).to_dict()
    assert_clarifai_json(listing, service_pb2.MultiAnnotationResponse)


def test_re_running_a_workflow_on_an_input_does_not_duplicate_its_annotation(
    tmp_path: Path,
) -> None:
    app = App(tmp_path / "app")
    [iid] = app.add_inputs([{"text": {"raw": "red bucket"}}])
    wf = Workflow("label")
    wf.add(
        "regex-based-classifier",
        id="cls",
        params={"regex": "bucket", "concepts": [{"id": "bucket"}]},
    )
    wf.add("annotation-writer", id="write", inputs=["cls"])
    stored = {"id": iid, "data": {"text": {"raw": "red bucket"}}}
    for _ in range(3):
        assert app.predict(wf, [stored]).results[0].status.code == 10000
    [annotation] = app.annotations(input_id=iid)
    assert annotation.status.code == 24150
    assert annotation.to_dict()["data"]["concepts"][0]["id"] == "bucket"


def test_app_predict_on_an_input_the_app_does_not_store_fails_that_input(tmp_path: Path) -> None:
    app = App(tmp_path / "app")
    wf = Workflow("label")
    wf.add("annotation-writer", id="write")
    unknown = {"text": {"raw": "not stored"}, "concepts": [{"id": "x", "value": 1.0}]}
    result = app.predict(wf, [unknown]).results[0]
    assert "needs an input stored in this app" in (result.outputs[0].status.details or "")
    assert app.annotations() == []


def test_regions_are_written_without_their_crop_pixels(tmp_path: Path) -> None:
    app = App(tmp_path / "app", base_workflow="empty")
    [iid] = app.add_inputs([{"text": {"raw": "x"}}])
    ctx_data = Data(regions=[region(concept_values={"face": 0.9})])
    with app._core.scoped(Scope("predict", "wf", [iid])):
        app.write_annotation(Context(root=ctx_data, node_id="w"), ctx_data, status=24150)
    [annotation] = app.annotations(input_id=iid)
    assert annotation.data.regions[0].data.concepts[0].id == "face"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"annotation_status": 24152}, "annotation_status must be one of"),
        ({"annotation_status": "ANNOTATION_BOGUS"}, "annotation_status must be one of"),
        ({"annotation_info": "{nope"}, "annotation_info.*not JSON"),
        ({"status": 24150}, "unknown param 'status'"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("annotation-writer", params=params)


def test_concept_specs_are_not_params() -> None:
    with pytest.raises(ParamsError, match="unknown param 'concepts'"):
        Workflow("w").add("annotation-writer", concepts=[ConceptSpec(id="x").model_dump()])


@register
class _FrameLabeller(Operator):
    """Test stand-in for a video classifier: frame k gets the concept f"f{k}"."""

    type_id = "test-frame-labeller"
    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("concepts",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        return Data(concepts=[Concept(id=f"f{ctx.frame_index}", value=1.0)])


def _video(path: Path, n_frames: int) -> Path:
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (32, 24))
    for _ in range(n_frames):
        writer.write(np.zeros((24, 32, 3), np.uint8))
    writer.release()
    return path


def test_a_video_annotation_keeps_every_labelled_frame_and_re_runs_replace_it(
    tmp_path: Path,
) -> None:
    wf = Workflow("label-frames")
    wf.add("test-frame-labeller", id="label")
    wf.add("annotation-writer", id="write", inputs=["label"])
    app = App(tmp_path / "app")
    video = str(_video(tmp_path / "v.mp4", 4))
    [iid] = app.add_inputs([video])
    stored = app.get_inputs([iid])[0]
    for _ in range(2):
        result = app.predict(wf, [stored], sample_ms=100).results[0]
        assert result.status.code == 10000
    [annotation] = app.annotations(input_id=iid)
    frames = annotation.data.frames
    assert [f.frame_info.index for f in frames] == [0, 1, 2, 3]
    assert [f.data.concepts[0].id for f in frames if f.data] == ["f0", "f1", "f2", "f3"]
    assert [f.frame_info.time for f in frames] == [0, 100, 200, 300]


def test_a_video_labelled_on_upload_keeps_every_frame(tmp_path: Path) -> None:
    wf = Workflow("label-frames")
    wf.add("test-frame-labeller", id="label")
    wf.add("annotation-writer", id="write", inputs=["label"])
    app = App(tmp_path / "app", base_workflow=wf)
    [iid] = app.add_inputs([str(_video(tmp_path / "v.mp4", 25))])  # 2.5 s: 3 samples
    [annotation] = app.annotations(input_id=iid)
    assert [f.frame_info.time for f in annotation.data.frames] == [0, 1000, 2000]
    assert [f.data.concepts[0].id for f in annotation.data.frames if f.data] == ["f0", "f1", "f2"]
