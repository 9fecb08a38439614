"""visual-detector: the OpenCV built-ins and a user's YOLO-style ONNX file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Context, Data, Image, InputError, ParamsError, Workflow
from operators.models.visual_detector import VisualDetector
from tests.operators.models._onnx_models import constant_detector
from tests.operators.models._samples import sample_portrait

Params = VisualDetector.Params


def _boxes(out: Data | None) -> list[tuple[float, ...]]:
    assert out is not None
    return [
        tuple(round(v, 4) for v in (b.left_col, b.top_row, b.right_col, b.bottom_row))
        for r in out.regions
        if (b := r.region_info.bounding_box) is not None
    ]


def _run(op: VisualDetector, img: np.ndarray) -> Data | None:
    data = Data(image=Image.from_array(img))
    return op.process(data, Context(root=data, node_id="det"))


# ---------------------------------------------------------------- built-ins


def test_haar_face_finds_nothing_in_a_blank_image() -> None:
    assert _run(VisualDetector(Params()), np.full((120, 160, 3), 200, np.uint8)).regions == []


def test_haar_face_finds_the_face_in_a_portrait() -> None:
    path = sample_portrait()
    if path is None:
        pytest.skip("no portrait photo installed")
    out = _run(VisualDetector(Params()), cv2.imread(str(path)))
    assert out is not None and len(out.regions) == 1
    face = out.regions[0]
    x1, y1, x2, y2 = _boxes(out)[0]
    # the face sits in the upper middle of the photo
    assert 0.2 < x1 < x2 < 0.8 and 0.1 < y1 < y2 < 0.6
    assert face.data.concepts[0].id == "face"
    assert 0.5 < face.value == face.data.concepts[0].value <= 1.0


def test_hog_person_loads_and_handles_blank_and_tiny_images() -> None:
    op = VisualDetector(Params(model="hog-person"))
    assert _run(op, np.full((160, 96, 3), 128, np.uint8)).regions == []
    assert _run(op, np.zeros((20, 20, 3), np.uint8)).regions == []  # smaller than its window


def test_no_image_names_the_node() -> None:
    op = VisualDetector(Params())
    with pytest.raises(InputError, match="node 'det' needs an image"):
        op.process(Data(), Context(root=Data(), node_id="det"))


# ---------------------------------------------------------------- onnx

# model-input pixels (64 x 64): cx, cy, w, h, objectness, p(cat), p(dog)
_V5_ROWS = [
    [32, 32, 16, 16, 0.9, 0.9, 0.1],  # cat, 0.81
    [33, 32, 16, 16, 0.8, 0.8, 0.2],  # the same cat, weaker: suppressed by NMS
    [10, 40, 8, 8, 0.9, 0.1, 0.6],  # dog, 0.54
    [50, 40, 8, 8, 0.9, 0.5, 0.0],  # another cat, apart from the first: 0.45
    [50, 20, 8, 8, 0.1, 0.9, 0.1],  # below min_value: 0.09
]


@pytest.fixture
def yolo5(tmp_path: Path) -> Path:
    return constant_detector(tmp_path / "yolo5.onnx", np.array(_V5_ROWS))


def test_onnx_yolov5_output_is_decoded_letterboxed_and_suppressed(yolo5: Path) -> None:
    op = VisualDetector(Params(model="onnx", model_path=str(yolo5), labels=["cat", "dog"]))
    # 128 x 64 image into a 64 x 64 model: scale 0.5, 16 px of padding above and below
    out = _run(op, np.zeros((64, 128, 3), np.uint8))
    assert _boxes(out) == [
        (0.375, 0.25, 0.625, 0.75),
        (0.0938, 0.625, 0.2188, 0.875),
        (0.7188, 0.625, 0.8438, 0.875),
    ]
    assert [(r.data.concepts[0].id, round(r.value, 3)) for r in out.regions] == [
        ("cat", 0.81), ("dog", 0.54), ("cat", 0.45)
    ]


def test_onnx_yolov8_layout_and_select_concepts(tmp_path: Path) -> None:
    rows = np.array([[32, 32, 16, 16, 0.9, 0.1], [10, 40, 8, 8, 0.2, 0.7]])
    path = constant_detector(tmp_path / "yolo8.onnx", rows.T)  # [4 + C, N]
    op = VisualDetector(Params(
        model="onnx", model_path=str(path), labels=["cat", "dog"], letterbox=False,
        select_concepts=[{"id": "dog"}],
    ))
    out = _run(op, np.zeros((64, 64, 3), np.uint8))
    assert [(r.data.concepts[0].id, round(r.value, 3)) for r in out.regions] == [("dog", 0.7)]
    assert _boxes(out) == [(0.0938, 0.5625, 0.2188, 0.6875)]


# ---------------------------------------------------------------- graph


def _yaml(params: str) -> str:
    return f"""
workflow:
  id: det
  nodes:
    - id: detect
      model:
        model_id: detector
        model_type_id: visual-detector
        output_info:
          params: {params}
"""


def test_one_node_graph_and_bundled_face_detection(yolo5: Path) -> None:
    wf = Workflow.from_yaml(_yaml(f"{{model: onnx, model_path: '{yolo5}', labels: [cat, dog]}}"))
    out = wf.predict([np.zeros((64, 64, 3), np.uint8)]).results[0].outputs[0]
    assert len(out.data.regions) == 3
    clarifai = Workflow.from_yaml(
        "workflow:\n  id: f\n  nodes:\n    - id: face\n      model: {model_id: face-detection}\n"
    )
    res = clarifai.predict([np.full((50, 50, 3), 255, np.uint8)]).results[0].outputs[0]
    assert res.status.code == 10000 and res.data.regions == []
    assert "local stand-in" in str(res.model.to_dict())


@pytest.mark.parametrize("params,match", [
    ("{model: yolo}", "model"),
    ("{model: onnx}", "model_path"),
    ("{model: onnx, model_path: /nonexistent.onnx}", "no ONNX model file"),
    ("{model: haar-face, labels: [a]}", "applies only to model 'onnx'"),
    ("{model: onnx, model_path: x, min_neighbors: 3}", "model_path|applies only"),
    ("{min_value: 2}", "min_value"),
    ("{min_neighbours: 3}", "min_neighbors"),
])
def test_rejections(params: str, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(_yaml(params))


def test_a_file_that_is_not_onnx_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ParamsError, match="cannot load ONNX model"):
        Workflow.from_yaml(_yaml(f"{{model: onnx, model_path: '{bad}'}}")).compile().instantiate()
