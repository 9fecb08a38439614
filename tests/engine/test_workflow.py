"""engine/workflow.py: the builder, YAML round trip, and what predict accepts."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine import Input, InputError, ParamsError, StatusCode, UnknownOperatorError, Workflow
from tests.factories import image_array


def test_builder_round_trips_through_yaml() -> None:
    wf = Workflow("round-trip")
    a = wf.add("test-keep-above", params={"min_value": 0.4}, concepts=[{"id": "cat", "value": 0.8}])
    wf.add("test-keep-above", inputs=[a], model_id="second", suppress_output=True)
    again = Workflow.from_yaml(wf.to_yaml())
    assert again.to_dict() == wf.to_dict()
    assert again.node_ids == ["test-keep-above-1", "test-keep-above-2"]
    assert Workflow.from_dict(wf.to_dict()).to_yaml() == wf.to_yaml()


def test_builder_refuses_bad_nodes_and_stays_usable() -> None:
    wf = Workflow("w")
    wf.add("test-upper", id="u")
    with pytest.raises(UnknownOperatorError):
        wf.add("no-such-type")
    with pytest.raises(ParamsError, match="unknown param 'bogus'"):
        wf.add("test-keep-above", params={"bogus": 1})
    with pytest.raises(ValueError, match="already exists"):
        wf.add("test-upper", id="u")
    assert wf.node_ids == ["u"]
    assert wf.predict({"data": {"text": {"raw": "ok"}}}).status.code == StatusCode.SUCCESS


def test_predict_accepts_paths_bytes_arrays_base64_and_inputs(tmp_path: Path) -> None:
    wf = Workflow("w")
    wf.add("test-image-size")
    pixels = image_array(width=40, height=30)
    ok, png = cv2.imencode(".png", pixels)
    assert ok
    path = tmp_path / "img.png"
    path.write_bytes(png.tobytes())
    b64 = base64.b64encode(png.tobytes()).decode()
    inputs = [
        str(path),
        png.tobytes(),
        pixels,
        {"data": {"image": {"base64": b64}}},
        Input(id="given", data={"image": {"base64": b64}}),
    ]  # type: ignore[arg-type]
    resp = wf.predict(inputs)
    assert [r.outputs[0].data.concepts[0].value for r in resp.results] == [40.0] * 5
    assert resp.results[4].input is not None and resp.results[4].input.id == "given"


def test_predict_camel_case_json_is_accepted() -> None:
    wf = Workflow("w")
    wf.add("test-keep-above", params={"min_value": 0.0})
    resp = wf.predict({"data": {"concepts": [{"id": "a", "value": 0.5, "appId": "x"}]}})
    assert resp.results[0].outputs[0].data.concepts[0].app_id == "x"


def test_unreadable_image_fails_that_input_with_a_clear_reason(tmp_path: Path) -> None:
    wf = Workflow("w")
    wf.add("test-image-size")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image at all")
    resp = wf.predict([str(bad), np.zeros((5, 5, 3), np.uint8)])
    assert resp.status.code == StatusCode.MIXED_STATUS
    assert resp.results[0].outputs[0].status.code == StatusCode.FAILURE
    assert resp.results[1].status.code == StatusCode.SUCCESS


def test_sample_ms_range_is_checked() -> None:
    wf = Workflow("w")
    wf.add("test-upper")
    with pytest.raises(InputError, match="sample_ms"):
        wf.predict({"data": {"text": {"raw": "a"}}}, sample_ms=5)


def test_empty_workflow_is_api_misuse() -> None:
    with pytest.raises(RuntimeError):
        Workflow("w").predict([])


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((6, 9), np.uint8),
        np.zeros((6, 9, 1), np.uint8),
        np.zeros((6, 9, 4), np.uint8),
        np.zeros((6, 9, 3), np.uint16),
        np.zeros((6, 9, 3), np.float32),
    ],
    ids=["gray", "gray1", "bgra", "16bit", "float"],
)
def test_numpy_images_are_normalised_to_8_bit_bgr(pixels: np.ndarray) -> None:
    wf = Workflow("w")
    wf.add("test-image-size")
    result = wf.predict([pixels]).results[0]
    assert result.outputs[0].data.concepts[0].value == 9.0
    assert result.input is not None and result.input.data.image is not None
    image = result.input.data.image.array
    assert image.shape == (6, 9, 3) and image.dtype == np.uint8


def test_numpy_array_that_is_no_image_is_refused() -> None:
    wf = Workflow("w")
    wf.add("test-image-size")
    resp = wf.predict([np.zeros((4, 4, 7), np.uint8)])
    assert "HxW or HxWx1/3/4" in (resp.results[0].status.details or "")
