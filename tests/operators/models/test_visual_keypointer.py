"""visual-keypointer: YOLO pose exports into regions with keypoint_locations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Region, Workflow
from operators.models.visual_keypointer import VisualKeypointer
from tests.operators.models._onnx_models import constant_outputs

Params = VisualKeypointer.Params

# YOLOv8-pose rows in a 64 x 64 model input: cx, cy, w, h, p(person), then 3 keypoints of
# x, y, confidence
_ROWS = np.array([
    [32, 32, 16, 32, 0.9, 30, 20, 0.9, 34, 20, 0.8, 32, 40, 0.2],
    [33, 32, 16, 32, 0.6, 30, 20, 0.9, 34, 20, 0.8, 32, 40, 0.9],  # suppressed by NMS
    [8, 8, 8, 8, 0.5, 6, 6, 0.9, 10, 6, 0.9, -4, 8, 0.9],  # a keypoint off the image
])


@pytest.fixture
def pose(tmp_path: Path) -> Path:
    return constant_outputs(tmp_path / "pose.onnx", [_ROWS.T[None]])


def _run(op: VisualKeypointer, img: np.ndarray) -> list[Region]:
    data = Data(image=Image.from_array(img))
    out = op.process(data, Context(root=data, node_id="pose"))
    assert out is not None
    return out.regions


def _params(path: Path, **kw: object) -> VisualKeypointer.Params:
    return Params(model_path=str(path), labels=["person"], num_keypoints=3,
                  keypoint_names=["left_eye", "right_eye", "chin"], skeleton=[(0, 1), (0, 2)],
                  **kw)


def test_keypoints_come_back_in_image_fractions_with_visibility(pose: Path) -> None:
    # 128 x 64 image: letterboxed at scale 0.5 with 16 px above and below
    regions = _run(VisualKeypointer(_params(pose)), np.zeros((64, 128, 3), np.uint8))
    assert [round(r.value, 2) for r in regions] == [0.9, 0.5]
    person = regions[0]
    bb = person.region_info.bounding_box
    assert (bb.left_col, bb.top_row, bb.right_col, bb.bottom_row) == (0.375, 0.0, 0.625, 1.0)
    located = [(p.col, p.row, p.visibility) for p in person.region_info.keypoint_locations]
    # model (30, 20) -> image (60, 8) -> (60/128, 8/64)
    assert located == [
        (0.46875, 0.125, "VISIBLE"), (0.53125, 0.125, "VISIBLE"), (0.5, 0.75, "NOT_VISIBLE")
    ]
    info = person.data.concepts[0].keypoint_info
    assert info.keypoint_names == ["left_eye", "right_eye", "chin"]
    assert [(e.k1, e.k2) for e in info.skeleton] == [(0, 1), (0, 2)]
    # the third keypoint of the small person lies left of the image: clipped, not visible
    edge = regions[1].region_info.keypoint_locations[2]
    assert (edge.col, edge.visibility) == (0.0, "NOT_VISIBLE")


def test_two_number_keypoints_and_threshold(tmp_path: Path) -> None:
    rows = _ROWS[:1, [0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 12]]  # drop the confidences
    path = constant_outputs(tmp_path / "xy.onnx", [rows.T[None]])
    op = VisualKeypointer(_params(path, keypoint_dims=2, letterbox=False))
    (person,) = _run(op, np.zeros((64, 64, 3), np.uint8))
    assert [p.visibility for p in person.region_info.keypoint_locations] == ["VISIBLE"] * 3


def test_coco_names_and_skeleton_by_default(tmp_path: Path) -> None:
    row = np.zeros((1, 5 + 17 * 3))
    row[0, :5] = [32, 32, 20, 40, 0.8]
    row[0, 5:] = np.tile([32, 32, 1.0], 17)
    path = constant_outputs(tmp_path / "coco.onnx", [row.T[None]])
    (person,) = _run(VisualKeypointer(Params(model_path=str(path), labels=["person"])),
                     np.zeros((64, 64, 3), np.uint8))
    info = person.data.concepts[0].keypoint_info
    assert info.keypoint_names[:3] == ["nose", "left_eye", "right_eye"]
    assert len(info.skeleton) == 19 and len(person.region_info.keypoint_locations) == 17


def test_select_concepts_and_max_detections(pose: Path) -> None:
    op = VisualKeypointer(_params(pose, max_detections=1))
    assert len(_run(op, np.zeros((64, 64, 3), np.uint8))) == 1
    op = VisualKeypointer(_params(pose, select_concepts=[{"id": "cat"}]))
    assert _run(op, np.zeros((64, 64, 3), np.uint8)) == []


def _yaml(params: str) -> str:
    return f"""
workflow:
  id: pose
  nodes:
    - id: pose
      model:
        model_id: pose
        model_type_id: visual-keypointer
        output_info:
          params: {params}
"""


def test_one_node_graph_gives_clarifai_json(pose: Path) -> None:
    wf = Workflow.from_yaml(_yaml(
        f"{{model_path: '{pose}', labels: [person], num_keypoints: 3}}"))
    out = wf.predict([np.zeros((64, 64, 3), np.uint8)]).results[0].outputs[0].to_dict()
    region = out["data"]["regions"][0]
    assert region["region_info"]["keypoint_locations"][0]["visibility"] == "VISIBLE"
    assert region["data"]["concepts"][0]["keypoint_info"]["keypoint_names"] == ["0", "1", "2"]


@pytest.mark.parametrize("params,match", [
    ("{}", "model_path"),
    ("{model_path: M, num_keypoints: 0}", "num_keypoints"),
    ("{model_path: M, keypoint_dims: 4}", "keypoint_dims"),
    ("{model_path: M, num_keypoints: 3, keypoint_names: [a, b]}", "names 2 keypoints"),
    ("{model_path: M, num_keypoints: 3, skeleton: [[0, 3]]}", r"skeleton edge \[0, 3\]"),
    ("{model_path: M, keypoint_threshold: 2}", "keypoint_threshold"),
])
def test_rejections(params: str, match: str, pose: Path) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(_yaml(params.replace("M", f"'{pose}'")))


def test_a_model_whose_rows_do_not_hold_the_keypoints_is_refused_at_load(pose: Path) -> None:
    # 14 columns: 4 + 1 class + 3 x 3, not 4 + 1 + 17 x 3
    wf = Workflow.from_yaml(_yaml(f"{{model_path: '{pose}', labels: [person]}}"))
    with pytest.raises(ParamsError, match=r"fits neither \[N, 5\+1\+51\]"):
        wf.compile().instantiate()


# ---------------------------------------------------------------- one object per image


def test_landmark_coordinates_as_fractions_and_as_pixels(tmp_path: Path) -> None:
    marks = np.array([[0.25, 0.5], [0.75, 0.5], [0.5, 0.875]])  # exact in float32
    path = constant_outputs(tmp_path / "pfld.onnx", [marks.reshape(1, -1)])
    op = VisualKeypointer(Params(model_path=str(path), format="landmarks", num_keypoints=3,
                                 keypoint_dims=2, labels=["face"]))
    # 128 x 64 crop squeezed into the 64 x 64 model (no letterbox): fractions stay fractions
    (face,) = _run(op, np.zeros((64, 128, 3), np.uint8))
    assert [(p.col, p.row, p.visibility) for p in face.region_info.keypoint_locations] == [
        (0.25, 0.5, "VISIBLE"), (0.75, 0.5, "VISIBLE"), (0.5, 0.875, "VISIBLE")
    ]
    bb = face.region_info.bounding_box
    assert (bb.left_col, bb.top_row, bb.right_col, bb.bottom_row) == (0.0, 0.0, 1.0, 1.0)
    assert face.value == 1.0 and face.data.concepts[0].id == "face"
    # [1, K, 3] in model pixels, with confidences
    rows = np.array([[[16, 32, 0.9], [48, 32, 0.8], [32, 60, 0.1]]])
    path = constant_outputs(tmp_path / "px.onnx", [rows])
    op = VisualKeypointer(Params(model_path=str(path), format="landmarks", num_keypoints=3,
                                 landmark_units="pixels"))
    (face,) = _run(op, np.zeros((64, 128, 3), np.uint8))
    located = [(p.col, p.row, p.visibility) for p in face.region_info.keypoint_locations]
    assert located == [(0.25, 0.5, "VISIBLE"), (0.75, 0.5, "VISIBLE"),
                       (0.5, 0.9375, "NOT_VISIBLE")]
    assert face.value == pytest.approx(0.6)


def test_heatmap_peaks_with_their_quarter_pixel_shift(tmp_path: Path) -> None:
    maps = np.zeros((1, 2, 16, 16))
    maps[0, 0, 8, 4], maps[0, 0, 8, 5] = 0.9, 0.5  # right neighbour higher: x + 1/4
    maps[0, 1, 2, 12] = 0.3  # an unsure keypoint
    path = constant_outputs(tmp_path / "hrnet.onnx", [maps])
    op = VisualKeypointer(Params(model_path=str(path), format="heatmaps", num_keypoints=2))
    (body,) = _run(op, np.zeros((64, 64, 3), np.uint8))
    first, second = body.region_info.keypoint_locations
    # heatmap (4.25, 8) -> centre (4.75, 8.5) x 4 model pixels each -> (19, 34) of 64
    assert (first.col, first.row, first.visibility) == (19 / 64, 34 / 64, "VISIBLE")
    assert (second.col, second.row, second.visibility) == (50 / 64, 10 / 64, "NOT_VISIBLE")
    assert body.value == pytest.approx(0.6)
    quiet = VisualKeypointer(Params(model_path=str(path), format="heatmaps", num_keypoints=2,
                                    min_value=0.7))
    assert _run(quiet, np.zeros((64, 64, 3), np.uint8)) == []


@pytest.mark.parametrize("params,match", [
    ("{model_path: M, format: landmarks, nms_threshold: 0.5}", "does not apply to format"),
    ("{model_path: M, landmark_units: pixels}", "does not apply to format 'yolo'"),
    ("{model_path: M, format: heatmaps, keypoint_dims: 2}", "keypoint_dims"),
    ("{model_path: M, format: skeleton}", "format"),
])
def test_format_rejections(params: str, match: str, pose: Path) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(_yaml(params.replace("M", f"'{pose}'")))


def test_single_object_outputs_of_the_wrong_shape_are_refused_at_load(tmp_path: Path) -> None:
    seven = constant_outputs(tmp_path / "seven.onnx", [np.zeros((1, 7))])
    wf = Workflow.from_yaml(_yaml(f"{{model_path: '{seven}', format: landmarks, "
                                  "num_keypoints: 3, keypoint_dims: 2}"))
    with pytest.raises(ParamsError, match=r"not 3 landmarks of 2 numbers"):
        wf.compile().instantiate()
    wf = Workflow.from_yaml(_yaml(f"{{model_path: '{seven}', format: heatmaps, "
                                  "num_keypoints: 3}"))
    with pytest.raises(ParamsError, match=r"not 3 keypoint heatmaps"):
        wf.compile().instantiate()
