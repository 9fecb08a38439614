"""optical-character-recognizer: PP-OCRv4 from the OCR extra, on text these tests draw."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Workflow
from operators.models import _ocr
from operators.models.optical_character_recognizer import OpticalCharacterRecognizer
from tests.operators.models._text_images import text_page

Params = OpticalCharacterRecognizer.Params
_LINES = ["Invoice 2024-117 total 86.40", "Thank you for your order"]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("rapidocr_onnxruntime") is None,
    reason="the ocr extra (rapidocr-onnxruntime) is not installed",
)


@pytest.fixture(scope="module")
def ocr() -> OpticalCharacterRecognizer:
    return OpticalCharacterRecognizer(Params())


def _read(op: OpticalCharacterRecognizer, bgr: np.ndarray) -> Data:
    data = Data(image=Image.from_array(bgr))
    out = op.process(data, Context(root=data))
    assert out is not None
    return out


def _texts(out: Data) -> list[str]:
    return [r.data.text.raw for r in out.regions if r.data and r.data.text and r.data.text.raw]


def test_reads_each_line_as_a_region_with_its_box_text_and_score(
    ocr: OpticalCharacterRecognizer,
) -> None:
    # given two lines drawn on a page, whose ink boxes are known
    bgr, ink = text_page(_LINES)
    h, w = bgr.shape[:2]
    # when read
    out = _read(ocr, bgr)
    # then one region per line, top to bottom, with the text as drawn (spaces included)
    assert _texts(out) == _LINES
    for region, (x1, y1, x2, y2) in zip(out.regions, ink, strict=True):
        box = region.region_info.bounding_box  # type: ignore[union-attr]
        assert box is not None
        # the box holds the line's ink, give or take a few pixels, and no more than a margin
        assert box.left_col * w <= x1 + 3 and box.right_col * w >= x2 - 3
        assert box.top_row * h <= y1 + 3 and box.bottom_row * h >= y2 - 3
        assert (box.bottom_row - box.top_row) * h < 2.5 * (y2 - y1)
        assert region.value is not None and 0.8 < region.value <= 1.0
        assert len(region.region_info.polygon.points) == 4  # type: ignore[union-attr]
    assert len({r.id for r in out.regions}) == 2


def test_slanted_text_is_read_and_its_corners_follow_the_slant(
    ocr: OpticalCharacterRecognizer,
) -> None:
    bgr, _ = text_page(["Slanted line of text 42"], angle=3.0)
    out = _read(ocr, bgr)
    assert _texts(out) == ["Slanted line of text 42"]
    points = out.regions[0].region_info.polygon.points  # type: ignore[union-attr]
    top_left, top_right = points[0], points[1]
    assert top_right.row < top_left.row  # turned counter-clockwise: the right end is higher


def test_upside_down_lines_are_turned_with_the_angle_classifier() -> None:
    bgr, _ = text_page(["Upside down 2024"])
    flipped = np.ascontiguousarray(bgr[::-1, ::-1])
    op = OpticalCharacterRecognizer(Params(use_angle_cls=True))
    assert _texts(_read(op, flipped)) == ["Upside down 2024"]
    assert _texts(_read(op, bgr)) == ["Upside down 2024"]  # upright lines stay as they are


def test_a_page_without_text_gives_no_regions(ocr: OpticalCharacterRecognizer) -> None:
    assert _read(ocr, np.full((120, 300, 3), 255, np.uint8)).regions == []
    assert _read(ocr, np.zeros((1, 1, 3), np.uint8)).regions == []


def test_a_line_cut_tight_is_still_read(ocr: OpticalCharacterRecognizer) -> None:
    # a crop around one line (as image-crop hands it over) has almost no margin; scaled up
    # for detection, its words may come apart as regions of their own
    bgr, ink = text_page(["CROP 7781"], size=30)
    x1, y1, x2, y2 = ink[0]
    out = _read(ocr, np.ascontiguousarray(bgr[y1 - 2 : y2 + 2, x1 - 2 : x2 + 2]))
    assert " ".join(_texts(out)) == "CROP 7781"


def test_min_value_drops_unsure_lines() -> None:
    bgr, _ = text_page(["Noisy 42"], size=20)
    noisy = np.clip(bgr + np.random.default_rng(0).normal(0, 40, bgr.shape), 0, 255)
    sure = OpticalCharacterRecognizer(Params(min_value=1.0))
    assert _read(sure, noisy.astype(np.uint8)).regions == []


def test_large_images_are_scaled_down_first() -> None:
    big = np.zeros((5000, 300, 3), np.uint8)
    small, scale = _ocr._bounded(big, 2000)
    assert small.shape[:2] == (2000, 120) and scale == pytest.approx(0.4)


def _yaml(params: str = "{}", extra: str = "") -> str:
    return f"""
workflow:
  id: ocr
  nodes:
    - id: ocr
      model:
        model_id: ocr
        model_type_id: optical-character-recognizer
        output_info:
          params: {params}
{extra}"""


def test_one_node_graph_and_text_aggregation_read_the_page() -> None:
    aggregate = """    - id: text
      model:
        model_id: text
        model_type_id: text-aggregation-operator
      node_inputs: [{node_id: ocr}]
"""
    bgr, _ = text_page(_LINES)
    result = Workflow.from_yaml(_yaml(extra=aggregate)).predict([bgr]).results[0]
    regions = result.outputs[0].data.regions
    assert [r.data.text.raw for r in regions] == _LINES  # type: ignore[union-attr]
    assert result.outputs[1].data.text.raw == "\n".join(_LINES)  # type: ignore[union-attr]
    as_json = json.loads(json.dumps(result.to_dict()))
    first = as_json["outputs"][0]["data"]["regions"][0]
    assert set(first) == {"id", "region_info", "data", "value"}
    assert set(first["region_info"]["bounding_box"]) == {
        "top_row", "left_col", "bottom_row", "right_col"
    }


def test_runs_on_each_crop_after_a_cropper(tmp_path: Path) -> None:
    # given a page with two lines and a detections file that boxes each of them
    bgr, ink = text_page(["FIRST 123", "SECOND 456"], size=30)
    boxes = tmp_path / "boxes.json"
    lines = [{"box": [x1 - 4, y1 - 4, x2 + 4, y2 + 4], "score": 1.0, "label": "line"}
             for x1, y1, x2, y2 in ink]
    boxes.write_text(json.dumps({"0": lines}))
    flow = f"""
workflow:
  id: crops
  nodes:
    - id: lines
      model:
        model_id: lines
        model_type_id: detections-file
        output_info: {{params: {{path: '{boxes}', format: json}}}}
    - id: crop
      model: {{model_id: crop, model_type_id: image-crop}}
      node_inputs: [{{node_id: lines}}]
    - id: ocr
      model: {{model_id: ocr, model_type_id: optical-character-recognizer}}
      node_inputs: [{{node_id: crop}}]
"""
    # when run
    out = Workflow.from_yaml(flow).predict([bgr]).results[0].outputs[2]
    # then each crop's text lands inside that crop's region
    assert out.status.code == 10000, out.status
    read = [" ".join(r.data.text.raw for r in crop.data.regions) for crop in out.data.regions]
    assert read == ["FIRST 123", "SECOND 456"]


def _build(params: str) -> None:
    Workflow.from_yaml(_yaml(params)).compile().instantiate()  # builds the node, as validate


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{det_db_thresh: 0}", "det_db_thresh"),
        ("{det_db_box_thresh: 1.5}", "det_db_box_thresh"),
        ("{max_lines: 0}", "max_lines"),
        ("{max_side_len: 100000}", "max_side_len"),
        ("{min_value: -1}", "min_value"),
        ("{language: fr}", "language"),
        ("{det_model_path: /no/such/det.onnx}", "det_model_path .* is not a file"),
        ("{rec_char_dict_path: /etc/hostname}", "goes with rec_model_path"),
    ],
)
def test_bad_params_are_refused_at_their_position(params: str, match: str) -> None:
    with pytest.raises(ParamsError, match=rf"<workflow>:\d+:\d+: .*{match}"):
        _build(params)


def test_a_model_file_that_is_not_onnx_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "rec.onnx"
    junk.write_bytes(b"\x00not an onnx model" * 10)
    with pytest.raises(ParamsError, match=r"<workflow>:\d+:\d+: .*cannot load OCR model"):
        _build(f"{{rec_model_path: '{junk}'}}")


def test_an_alphabet_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    _, rec = _ocr.bundled_models()
    latin1 = tmp_path / "dict.txt"
    latin1.write_bytes("é\nà\n".encode("latin-1"))
    with pytest.raises(ParamsError, match="is not UTF-8 text"):
        _build(f"{{rec_model_path: '{rec}', rec_char_dict_path: '{latin1}'}}")


def test_without_the_ocr_extra_the_workflow_is_refused_with_the_pip_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "rapidocr_onnxruntime" else real(name, *a),
    )
    with pytest.raises(ParamsError, match=r"<workflow>:\d+:\d+: .*pip install 'opgraph\[ocr\]'"):
        _build("{}")
