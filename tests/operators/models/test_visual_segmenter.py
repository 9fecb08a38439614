"""visual-segmenter: YOLO segmentation and semantic exports, masks checked pixel by pixel."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Region, Workflow
from operators.models.visual_segmenter import VisualSegmenter
from tests.operators.models._onnx_models import constant_outputs, pixel_classifier

Params = VisualSegmenter.Params

# the colour classes of the semantic model: class k's score is 10 x one RGB channel
_LABELS = ["apple", "leaf", "sky"]
_WEIGHTS = np.array([[10, 0, 0], [0, 10, 0], [0, 0, 10]])
_RED, _GREEN, _BLUE = (0, 0, 255), (0, 255, 0), (255, 0, 0)  # BGR


def _run(op: VisualSegmenter, img: np.ndarray) -> list[Region]:
    data = Data(image=Image.from_array(img))
    out = op.process(data, Context(root=data, node_id="seg"))
    assert out is not None
    return out.regions


def _box_px(region: Region, w: int, h: int) -> tuple[int, int, int, int]:
    bb = region.region_info.bounding_box
    return (round(bb.left_col * w), round(bb.top_row * h),
            round(bb.right_col * w), round(bb.bottom_row * h))


def _mask(region: Region) -> np.ndarray:
    """The mask as a client reads it: the PNG in ``mask.image.base64``, decoded."""
    raw = base64.b64decode(region.region_info.mask.image.base64)
    pixels = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
    assert pixels.ndim == 2 and set(np.unique(pixels)) <= {0, 255}
    return pixels > 0


def _full_mask(region: Region, w: int, h: int) -> np.ndarray:
    full = np.zeros((h, w), bool)
    x0, y0, x1, y1 = _box_px(region, w, h)
    full[y0:y1, x0:x1] = _mask(region)
    return full


def _scene() -> np.ndarray:
    """Sky with a red disc and a green bar, 64 x 48."""
    img = np.zeros((48, 64, 3), np.uint8)
    img[:] = _BLUE
    cv2.circle(img, (20, 20), 11, _RED, -1)
    img[34:44, 30:60] = _GREEN
    return img


@pytest.fixture
def semantic(tmp_path: Path) -> Path:
    return pixel_classifier(tmp_path / "seg.onnx", _WEIGHTS, width=64, height=48)


# ---------------------------------------------------------------- semantic


def test_semantic_masks_match_the_drawn_shapes_pixel_by_pixel(semantic: Path) -> None:
    img = _scene()
    regions = _run(VisualSegmenter(Params(model_path=str(semantic), labels=_LABELS)), img)
    by_label = {r.data.concepts[0].id: r for r in regions}
    assert sorted(by_label) == ["apple", "leaf", "sky"]
    for label, colour in (("apple", _RED), ("leaf", _GREEN), ("sky", _BLUE)):
        expected = (img == colour).all(axis=2)
        np.testing.assert_array_equal(_full_mask(by_label[label], 64, 48), expected)
    # the box is the tight box of the class's pixels
    assert _box_px(by_label["apple"], 64, 48) == (9, 9, 32, 32)
    assert _box_px(by_label["leaf"], 64, 48) == (30, 34, 60, 44)
    # a pure colour scores softmax(10, 0, 0) ~ 1
    assert by_label["apple"].value == pytest.approx(1.0, abs=1e-3)


def test_semantic_masks_scale_back_from_a_smaller_model(tmp_path: Path) -> None:
    # model input 32 x 24: each model pixel is a 2 x 2 block of the 64 x 48 image
    path = pixel_classifier(tmp_path / "half.onnx", _WEIGHTS, width=32, height=24)
    img = np.zeros((48, 64, 3), np.uint8)
    img[:] = _BLUE
    img[10:30, 6:26] = _RED  # aligned on even pixels: exact at half resolution
    regions = _run(VisualSegmenter(Params(model_path=str(path), labels=_LABELS)), img)
    apple = next(r for r in regions if r.data.concepts[0].id == "apple")
    np.testing.assert_array_equal(_full_mask(apple, 64, 48), (img == _RED).all(axis=2))


def test_a_one_plane_model_is_a_foreground_class(tmp_path: Path) -> None:
    # logit 10 R - 5 G - 5 B: the red disc is in, the rest (green, blue: -5) is out
    path = pixel_classifier(tmp_path / "fg.onnx", np.array([[10, -5, -5]]), width=64, height=48)
    img = _scene()
    (apple,) = _run(VisualSegmenter(Params(model_path=str(path), labels=["apple"])), img)
    assert apple.data.concepts[0].id == "apple"
    assert apple.value == pytest.approx(1 / (1 + np.exp(-10)), abs=1e-4)
    np.testing.assert_array_equal(_full_mask(apple, 64, 48), (img == _RED).all(axis=2))
    # softmax off: the raw scores are the probabilities, split at 0.5.  A faint red scores
    # 10 x 10/255 = 0.39: in as a logit (sigmoid 0.6), out as a probability
    img[:4, :4] = (0, 0, 10)
    as_logits = _full_mask(_run(VisualSegmenter(Params(model_path=str(path))), img)[0], 64, 48)
    as_probs = _run(VisualSegmenter(Params(model_path=str(path), softmax=False)), img)[0]
    assert as_logits[:4, :4].all() and not _full_mask(as_probs, 64, 48)[:4, :4].any()
    assert as_probs.value == 1.0  # raw scores above 1 are clipped


def test_semantic_filters_select_concepts_and_min_area(semantic: Path) -> None:
    img = _scene()
    op = VisualSegmenter(Params(model_path=str(semantic), labels=_LABELS,
                                select_concepts=[{"id": "apple"}, {"id": "leaf"}],
                                min_area=0.12))
    # the disc covers 0.12+ of the image; the bar only 300 / 3072 pixels
    assert [r.data.concepts[0].id for r in _run(op, img)] == ["apple"]


# ---------------------------------------------------------------- yolo

# 64 x 64 model input; two prototypes at 16 x 16: left half on, top half on
_PROTOS = np.full((1, 2, 16, 16), -10.0)
_PROTOS[0, 0, :, :8] = 10.0
_PROTOS[0, 1, :8, :] = 10.0
# YOLOv8-seg rows: cx, cy, w, h, p(cat), p(dog), coefficient 0, coefficient 1
_ROWS = np.array([
    [32, 32, 32, 32, 0.9, 0.1, 1.0, 0.0],  # cat: the left half of its box
    [33, 32, 32, 32, 0.8, 0.1, 1.0, 0.0],  # the same cat, weaker: suppressed
    [16, 40, 16, 32, 0.2, 0.7, 0.0, 1.0],  # dog: the top half of the model input
    [50, 10, 8, 8, 0.1, 0.1, 1.0, 1.0],  # below min_value
])


@pytest.fixture
def yolo_seg(tmp_path: Path) -> Path:
    return constant_outputs(tmp_path / "yoloseg.onnx", [_ROWS.T[None], _PROTOS])


def test_yolo_masks_are_cropped_to_their_box_and_letterbox_is_undone(yolo_seg: Path) -> None:
    op = VisualSegmenter(Params(model_path=str(yolo_seg), labels=["cat", "dog"]))
    # 128 x 64 image: scale 0.5, 16 px of padding above and below in the model input
    regions = _run(op, np.zeros((64, 128, 3), np.uint8))
    assert [(r.data.concepts[0].id, round(r.value, 2)) for r in regions] == [
        ("cat", 0.9), ("dog", 0.7)
    ]
    cat, dog = regions
    assert _box_px(cat, 128, 64) == (32, 0, 96, 64)
    expected = np.zeros((64, 64), bool)
    expected[:, :32] = True  # image columns 32..63: the model's left half
    np.testing.assert_array_equal(_mask(cat), expected)
    assert _box_px(dog, 128, 64) == (16, 16, 48, 64)
    expected = np.zeros((48, 32), bool)
    expected[:16] = True  # image rows 16..31: the model's top half
    np.testing.assert_array_equal(_mask(dog), expected)


def test_yolo_mask_threshold_and_max_detections(yolo_seg: Path) -> None:
    op = VisualSegmenter(Params(model_path=str(yolo_seg), labels=["cat", "dog"],
                                max_detections=1, mask_threshold=0.99))
    regions = _run(op, np.zeros((64, 64, 3), np.uint8))
    assert [r.data.concepts[0].id for r in regions] == ["cat"]
    # the edge column 31 is half way to the right half's -10: 2.5, sigmoid 0.92 < 0.99
    mask = _mask(regions[0])
    assert mask[:, :15].all() and not mask[:, 15:].any()


def test_yolov5_layout_with_objectness(tmp_path: Path) -> None:
    rows = np.array([[32, 32, 32, 32, 0.5, 0.9, 0.1, 1.0, 0.0]])  # objectness 0.5
    path = constant_outputs(tmp_path / "v5.onnx", [rows[None], _PROTOS])
    regions = _run(VisualSegmenter(Params(model_path=str(path), labels=["cat", "dog"])),
                   np.zeros((64, 64, 3), np.uint8))
    assert [(r.data.concepts[0].id, round(r.value, 2)) for r in regions] == [("cat", 0.45)]


# ---------------------------------------------------------------- graph


def _yaml(params: str) -> str:
    return f"""
workflow:
  id: seg
  nodes:
    - id: segment
      model:
        model_id: segmenter
        model_type_id: visual-segmenter
        output_info:
          params: {params}
"""


def test_one_node_graph_gives_clarifai_json(semantic: Path) -> None:
    wf = Workflow.from_yaml(_yaml(f"{{model_path: '{semantic}', labels: [apple, leaf, sky]}}"))
    out = wf.predict([_scene()]).results[0].outputs[0]
    assert out.status.code == 10000
    region = out.to_dict()["data"]["regions"][0]
    assert set(region["region_info"]) == {"bounding_box", "mask"}
    assert region["region_info"]["mask"]["image"]["base64"]
    assert region["data"]["concepts"][0]["id"] in _LABELS


@pytest.mark.parametrize("params,match", [
    ("{}", "model_path"),
    ("{model_path: /nonexistent.onnx}", "no ONNX model file"),
    ("{model_path: M, format: panoptic}", "format"),
    ("{model_path: M, mask_threshold: 1}", "mask_threshold"),
    ("{model_path: M, min_area: -0.1}", "min_area"),
    ("{model_path: M, format: semantic, nms_threshold: 0.5}", "applies only to yolo"),
    ("{model_path: M, format: yolo, softmax: false}", "applies only to semantic"),
])
def test_rejections(params: str, match: str, semantic: Path) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(_yaml(params.replace("M", f"'{semantic}'")))


def _load(path: Path, extra: str = "") -> None:
    Workflow.from_yaml(_yaml(f"{{model_path: '{path}'{extra}}}")).compile().instantiate()


def test_models_that_are_not_segmenters_are_refused_at_load(tmp_path: Path,
                                                            semantic: Path) -> None:
    detector = constant_outputs(tmp_path / "det.onnx", [np.zeros((1, 6, 10))])
    with pytest.raises(ParamsError, match=r"not a segmentation export.*prototypes"):
        _load(detector)
    with pytest.raises(ParamsError, match="not a yolo segmentation export"):
        _load(semantic, ", format: yolo")
    with pytest.raises(ParamsError, match="give 3 classes but 2 labels"):
        _load(semantic, ", labels: [a, b]")
    bad_width = constant_outputs(tmp_path / "w.onnx", [_ROWS.T[None], _PROTOS])
    with pytest.raises(ParamsError, match=r"fits neither .*5 labels, 2 extra"):
        _load(bad_width, ", labels: [a, b, c, d, e]")
    with pytest.raises(ParamsError, match="applies only to semantic"):
        _load(bad_width, ", labels: [cat, dog], softmax: false")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ParamsError, match="cannot load ONNX model"):
        _load(bad)


# ---------------------------------------------------------------- a real network


def test_a_real_segmentation_net_ppocr_text_detector() -> None:
    # PP-OCRv4's text detector (a DB segmentation net: one [1, 1, H, W] plane of text
    # probabilities) ships inside the rapidocr-onnxruntime wheel: real weights, no download
    rapidocr = pytest.importorskip("rapidocr_onnxruntime")
    det = Path(rapidocr.__file__).parent / "models" / "ch_PP-OCRv4_det_infer.onnx"
    if not det.is_file():
        pytest.skip("this rapidocr-onnxruntime has no PP-OCRv4 detector")
    op = VisualSegmenter(Params(
        model_path=str(det), input_size=(320, 96), labels=["text"], channel_order="bgr",
        mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), softmax=False,  # as PaddleOCR feeds it
    ))
    img = np.full((96, 320, 3), 255, np.uint8)
    cv2.putText(img, "HELLO WORLD", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (0, 0, 0), 3,
                cv2.LINE_AA)
    (text,) = _run(op, img)
    assert text.data.concepts[0].id == "text" and text.value > 0.9
    mask = _full_mask(text, 320, 96)
    ink = (img < 128).any(axis=2)
    ys, xs = np.nonzero(ink)
    # DB marks each word's shrunk kernel: all of the mask lies on the text's box, and it
    # spans both words along the line's middle
    assert mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].sum() == mask.sum()
    middle = mask[(ys.min() + ys.max()) // 2]
    assert middle[xs.min() + 15 : xs.min() + 40].all()
    assert middle[xs.max() - 40 : xs.max() - 20].all()
    assert _run(op, np.full((96, 320, 3), 255, np.uint8)) == []  # a blank page: no text
