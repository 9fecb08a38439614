"""image-crop: crops per region, margin, look-back for the image, graph and params."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from engine import (
    BaseParams,
    Concept,
    Context,
    Data,
    Image,
    InputError,
    Operator,
    ParamsError,
    Region,
    Workflow,
    register,
)
from operators.edit.image_crop import ImageCrop
from tests.factories import region


@register
class _HalvesDetector(Operator):
    """Test stand-in for a detector: the left and right halves, regions only (no image)."""

    type_id = "test-halves-detector"
    Params = BaseParams
    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("regions",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        return Data(regions=[region((0.0, 0.0, 0.5, 1.0)), region((0.5, 0.0, 1.0, 1.0))])


@register
class _BrightnessClassifier(Operator):
    """Test stand-in for a classifier: concept 'bright' valued by the mean pixel."""

    type_id = "test-brightness-classifier"
    Params = BaseParams
    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("concepts",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        assert data.image is not None
        return Data(concepts=[Concept(id="bright", value=float(data.image.array.mean()) / 255)])


def _gradient(width: int = 200, height: int = 100) -> np.ndarray:
    """Each pixel encodes its own coordinates, so a crop shows where it came from."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs % 256, ys % 256, np.zeros_like(xs)], axis=-1).astype(np.uint8)


def _run(data: Data, margin: float = 1.0, root: Data | None = None) -> Data | None:
    op = ImageCrop(ImageCrop.Params(margin=margin))
    return op.process(data, Context(root=root or data, node_id="crop"))


def _crop(out: Data | None, k: int = 0) -> np.ndarray:
    assert out is not None
    inner = out.regions[k].data
    assert inner is not None and inner.image is not None
    return inner.image.array


def test_crops_each_region_and_keeps_its_box_and_concepts() -> None:
    img = _gradient()
    regions = [region((0.1, 0.2, 0.3, 0.6), {"face": 0.9}), region((0.5, 0.0, 1.0, 1.0))]
    out = _run(Data(image=Image.from_array(img), regions=regions))
    assert out is not None and out.image is None  # downstream runs on the crops, not the frame
    np.testing.assert_array_equal(_crop(out, 0), img[20:60, 20:60])
    np.testing.assert_array_equal(_crop(out, 1), img[0:100, 100:200])
    assert out.regions[0].region_info == regions[0].region_info
    assert out.regions[0].data is not None and out.regions[0].data.concepts[0].id == "face"
    assert regions[0].data is not None and regions[0].data.image is None  # input untouched


def test_margin_grows_the_box_about_its_centre_and_clips_to_the_image() -> None:
    img = _gradient()
    out = _run(Data(image=Image.from_array(img), regions=[region((0.4, 0.4, 0.6, 0.6))]), 1.5)
    np.testing.assert_array_equal(_crop(out), img[35:65, 70:130])
    edge = _run(Data(image=Image.from_array(img), regions=[region((0.0, 0.0, 0.25, 0.5))]), 1.5)
    np.testing.assert_array_equal(_crop(edge), img[0:63, 0:63])  # grown 0.3125 wide, clipped at 0


def test_looks_back_for_the_image_when_the_input_has_only_regions() -> None:
    img = _gradient()
    root = Data(image=Image.from_array(img))
    out = _run(Data(regions=[region((0.0, 0.0, 0.5, 0.5))]), root=root)
    np.testing.assert_array_equal(_crop(out), img[0:50, 0:100])


def test_regions_without_a_box_pass_through_and_no_box_stops_the_branch() -> None:
    img = Image.from_array(_gradient())
    out = _run(Data(image=img, regions=[Region(id="nobox"), region((0.0, 0.0, 0.1, 0.1))]))
    assert out is not None and out.regions[0].id == "nobox" and out.regions[0].data is None
    assert _run(Data(image=img, regions=[Region(id="nobox")])) is None
    assert _run(Data(image=img)) is None


def test_no_image_anywhere_is_an_input_error() -> None:
    with pytest.raises(InputError, match="needs an image"):
        _run(Data(regions=[region()]))


def test_one_node_graph_crops_the_workflow_input() -> None:
    wf = Workflow.from_yaml(
        """
workflow:
  id: crop
  nodes:
    - id: cropper
      model:
        model_id: margin-130-image-crop
        model_type_id: image-crop
        output_info:
          params:
            margin: 1.3
"""
    )
    img = _gradient()
    data = Data(image=Image.from_array(img), regions=[region((0.25, 0.25, 0.75, 0.75))])
    resp = wf.predict([data])
    out = resp.results[0].outputs[0]
    assert out.status.is_success, out.status
    assert len(out.data.regions) == 1
    box = out.data.regions[0].region_info
    assert box is not None and box.bounding_box is not None
    assert box.bounding_box.left_col == pytest.approx(0.25)


def test_detect_crop_classify_nests_each_crop_result_in_its_region() -> None:
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, 40:] = 255  # dark left half, white right half
    wf = Workflow("dcc")
    det = wf.add("test-halves-detector")
    crop = wf.add("image-crop", inputs=[det], params={"margin": 1.0})
    wf.add("test-brightness-classifier", inputs=[crop])
    out = wf.predict([img]).results[0].outputs[2]
    assert out.status.is_success, out.status
    values = [r.data.concepts[0].value for r in out.data.regions if r.data is not None]
    assert values == pytest.approx([0.0, 1.0])


@pytest.mark.parametrize(
    ("params", "match"),
    [({"margin": 0}, "margin"), ({"margin": "wide"}, "margin"), ({"margn": 1.2}, "did you mean")],
)
def test_bad_params_are_refused(params: dict[str, object], match: str) -> None:
    wf = Workflow("crop")
    with pytest.raises(ParamsError, match=match):
        wf.add("image-crop", params=params)
