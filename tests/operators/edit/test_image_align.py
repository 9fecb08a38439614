"""image-align: undoing a known rotation, scale and shift of a face-like pattern."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Point, Region, RegionInfo, Workflow
from operators.edit.image_align import FACE_TEMPLATE, ImageAlign
from tests.operators.models._onnx_models import constant_detector, constant_outputs

Params = ImageAlign.Params


def _canonical() -> np.ndarray:
    """A 112 x 112 'face': coloured blobs where the template's landmarks are, on a grey
    gradient, so a misalignment of a pixel or two shows."""
    img = np.zeros((112, 112, 3), np.uint8)
    img[:] = np.linspace(60, 180, 112, dtype=np.uint8)[None, :, None]
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]
    for (x, y), colour in zip(FACE_TEMPLATE, colours, strict=True):
        cv2.circle(img, (round(x * 112), round(y * 112)), 6, colour, -1, cv2.LINE_AA)
    return img


def _posed(angle: float, scale: float, at: tuple[float, float]) -> tuple[np.ndarray, list[Point]]:
    """The canonical face rotated, scaled and moved into a 320 x 240 photo, and where its
    landmarks landed (fractions of the photo)."""
    m = cv2.getRotationMatrix2D((56, 56), angle, scale)
    m[:, 2] += np.array(at) - 56
    photo = cv2.warpAffine(_canonical(), m, (320, 240), borderValue=(30, 30, 30))
    pts = np.array(FACE_TEMPLATE) * 112
    moved = pts @ m[:, :2].T + m[:, 2]
    return photo, [Point(col=x / 320, row=y / 240) for x, y in moved]


def _align(op: ImageAlign, photo: np.ndarray, points: list[Point]) -> Data | None:
    region = Region(region_info=RegionInfo(keypoint_locations=points))
    data = Data(image=Image.from_array(photo), regions=[region])
    return op.process(data, Context(root=data, node_id="align"))


@pytest.mark.parametrize("angle,scale", [(30.0, 2.0), (-75.0, 1.3), (0.0, 0.8)])
def test_alignment_undoes_rotation_scale_and_shift(angle: float, scale: float) -> None:
    photo, points = _posed(angle, scale, (170, 120))
    out = _align(ImageAlign(Params()), photo, points)
    assert out is not None and out.image is None
    crop = out.regions[0].data.image.array
    assert crop.shape == (112, 112, 3)
    inner = (slice(8, 104), slice(8, 104))  # away from the edges the warps leave black
    diff = np.abs(crop[inner].astype(int) - _canonical()[inner].astype(int))
    assert diff.mean() < 6  # resampling twice blurs a little, nothing more


def test_a_stray_keypoint_does_not_pull_the_fit_and_hidden_ones_are_left_out() -> None:
    photo, points = _posed(20.0, 1.5, (160, 120))
    points[4] = Point(col=0.01, row=0.99)  # a wild mouth corner
    out = _align(ImageAlign(Params()), photo, points)
    diff = np.abs(out.regions[0].data.image.array[8:90, 8:104].astype(int)
                  - _canonical()[8:90, 8:104].astype(int))
    assert diff.mean() < 6
    points[4] = Point(col=0.01, row=0.99, visibility="NOT_VISIBLE")
    assert _align(ImageAlign(Params()), photo, points) is not None


def test_a_custom_template_keypoint_indices_and_size() -> None:
    photo, points = _posed(45.0, 1.0, (160, 120))
    # align by the eyes only (keypoints 1 and 0, swapped), into a 64 x 32 strip
    op = ImageAlign(Params(template=[(0.75, 0.5), (0.25, 0.5)], keypoint_indices=[1, 0],
                           output_size=(64, 32)))
    crop = _align(op, photo, points).regions[0].data.image.array
    assert crop.shape == (32, 64, 3)
    assert tuple(crop[16, 16]) == pytest.approx((255, 0, 0), abs=40)  # left eye blob
    assert tuple(crop[16, 48]) == pytest.approx((0, 255, 0), abs=40)  # right eye blob


def test_regions_without_enough_keypoints_pass_through_and_none_stops_the_branch() -> None:
    photo, points = _posed(0.0, 1.0, (160, 120))
    op = ImageAlign(Params())
    assert _align(op, photo, []) is None
    hidden = [p.model_copy(update={"visibility": "NOT_VISIBLE"}) for p in points]
    assert _align(op, photo, hidden[:4] + points[4:]) is None  # one point: no fit
    same = [Point(col=0.5, row=0.5)] * 5  # all in one place: degenerate
    assert _align(op, photo, same) is None


def test_one_node_graph_aligns_the_input_regions() -> None:
    photo, points = _posed(30.0, 2.0, (170, 120))
    wf = Workflow.from_yaml("""
workflow:
  id: align
  nodes:
    - id: align
      model: {model_id: align, model_type_id: image-align}
""")
    region = Region(region_info=RegionInfo(keypoint_locations=points))
    data = Data(image=Image.from_array(photo), regions=[region])
    out = wf.predict([data]).results[0].outputs[0]
    assert out.status.code == 10000
    assert out.data.regions[0].data.image.array.shape == (112, 112, 3)


@pytest.mark.parametrize("params,match", [
    ("{template: [[0.5, 0.5]]}", "needs 2 to 1000 template points"),
    ("{method: affine, template: [[0.1, 0.1], [0.9, 0.9]]}", "needs 3"),
    ("{output_size: 4}", "output_size"),
    ("{template: [[5, 0.5], [0.5, 0.5]]}", "fractions of the crop"),
    ("{keypoint_indices: [0, 1]}", "gives 2 keypoints for 5 template points"),
    ("{keypoint_indices: [0, 1, 2, 3, -1]}", "0 or more"),
    ("{method: perspective}", "method"),
])
def test_rejections(params: str, match: str) -> None:
    yaml = f"""
workflow:
  id: align
  nodes:
    - id: align
      model:
        model_id: align
        model_type_id: image-align
        output_info:
          params: {params}
"""
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(yaml)


_FACE_SEARCH = """
workflow:
  id: Face-Search
  nodes:
    - id: face-detect
      model: {model_id: my-face-detector}
    - id: crop
      model: {model_id: margin-100-image-crop}
      node_inputs: [{node_id: face-detect}]
    - id: face-landmarks
      model: {model_id: face-landmarks}
      node_inputs: [{node_id: crop}]
    - id: face-alignment
      model: {model_id: landmarks-align}
      node_inputs: [{node_id: face-landmarks}]
    - id: face-embed
      model: {model_id: general-image-embedding}
      node_inputs: [{node_id: face-alignment}]
"""


def _landmarker(tmp_path: Path, points: list[Point], fmt: str) -> str:
    """A constant face-landmarks model for the 128 x 128 face crop at (96, 56) of the photo,
    and its keypointer params: a YOLO-pose head at half size, or PFLD-style fractions."""
    if fmt == "yolo":
        marks = [((p.col * 320 - 96) * 0.5, (p.row * 240 - 56) * 0.5, 0.95) for p in points]
        row = [32, 32, 64, 64, 0.9, *[v for m in marks for v in m]]
        path = constant_outputs(tmp_path / "marks.onnx", [np.array([row])])
        return f"{{model_path: '{path}', labels: [face], num_keypoints: 5, letterbox: false}}"
    fractions = [((p.col * 320 - 96) / 128, (p.row * 240 - 56) / 128) for p in points]
    path = constant_outputs(tmp_path / "pfld.onnx", [np.array(fractions).reshape(1, -1)])
    return (f"{{model_path: '{path}', format: landmarks, num_keypoints: 5, keypoint_dims: 2, "
            "labels: [face]}")


@pytest.mark.parametrize("fmt", ["yolo", "landmarks"])
def test_clarifai_face_search_aligns_each_face_crop_by_its_landmarks(
    tmp_path: Path, fmt: str
) -> None:
    photo, points = _posed(25.0, 1.1, (160, 120))
    # the detector finds the face in the box (96, 56)-(224, 184) of the 320 x 240 photo
    # (in its 64 x 64 letterboxed input: scale 0.2, 16 px of padding above and below)
    box = [(96 + 224) / 2 * 0.2, (56 + 184) / 2 * 0.2 + 8, 128 * 0.2, 128 * 0.2, 0.9, 0.9]
    detector = constant_detector(tmp_path / "face.onnx", np.array([box]))
    catalog = f"""
models:
  - model_id: my-face-detector
    model_type_id: visual-detector
    params: {{model: onnx, model_path: '{detector}', labels: [face]}}
  - model_id: face-landmarks
    model_type_id: visual-keypointer
    params: {_landmarker(tmp_path, points, fmt)}
"""  # landmarks-align: the bundled catalog binds it to image-align
    wf = Workflow.from_yaml(_FACE_SEARCH, models=catalog)
    result = wf.predict([photo]).results[0]
    assert [o.status.code for o in result.outputs] == [10000] * 5
    assert "stand-in for clarifai/main/landmarks-align" in str(result.outputs[3].model.to_dict())
    aligned = result.outputs[3].data.regions[0].data.image.array
    inner = (slice(8, 104), slice(8, 104))
    diff = np.abs(aligned[inner].astype(int) - _canonical()[inner].astype(int))
    assert diff.mean() < 8
    embedded = result.outputs[4].data.regions[0].data.embeddings
    assert len(embedded) == 1 and embedded[0].num_dimensions == 256
