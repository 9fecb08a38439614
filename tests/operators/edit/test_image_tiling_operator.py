"""image-tiling-operator: tile boxes and pixels, overlap rules, graph and params."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Context, Data, Image, InputError, ParamsError, Workflow, geometry
from operators.edit.image_tiling_operator import MAX_TILES, ImageTilingOperator

Params = ImageTilingOperator.Params


def _tiles(img: np.ndarray, **params: object) -> Data:
    op = ImageTilingOperator(Params.model_validate(params))
    data = Data(image=Image.from_array(img))
    out = op.process(data, Context(root=data, node_id="tiler"))
    assert out is not None
    return out


def _pixel_boxes(out: Data, width: int, height: int) -> np.ndarray:
    boxes = geometry.boxes_from_proto(
        [r.region_info.bounding_box for r in out.regions if r.region_info is not None]
    )
    return np.rint(geometry.to_pixels(boxes, width, height)).astype(int)


def test_tiles_cover_the_image_row_by_row_with_their_pixels() -> None:
    img = np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    out = _tiles(img, tile_size=[200, 160], overlap=[40, 20])
    assert out.image is None
    boxes = _pixel_boxes(out, 400, 300)
    assert boxes.tolist() == [
        [0, 0, 200, 160], [160, 0, 360, 160], [200, 0, 400, 160],
        [0, 140, 200, 300], [160, 140, 360, 300], [200, 140, 400, 300],
    ]  # fmt: skip
    for r, (x1, y1, x2, y2) in zip(out.regions, boxes, strict=True):
        assert r.data is not None and r.data.image is not None
        np.testing.assert_array_equal(r.data.image.array, img[y1:y2, x1:x2])


@pytest.mark.parametrize("size", [1, 17, 40])
def test_any_object_up_to_max_object_size_lies_whole_in_some_tile(size: int) -> None:
    out = _tiles(np.zeros((333, 517, 3), np.uint8), tile_size=100, max_object_size=40)
    tiles = _pixel_boxes(out, 517, 333)
    for x in range(0, 517 - size + 1, 3):
        for y in range(0, 333 - size + 1, 29):
            inside = (
                (tiles[:, 0] <= x) & (tiles[:, 1] <= y)
                & (tiles[:, 2] >= x + size) & (tiles[:, 3] >= y + size)
            )  # fmt: skip
            assert inside.any(), (x, y)


def test_an_image_smaller_than_a_tile_is_one_tile() -> None:
    out = _tiles(np.zeros((50, 60, 3), np.uint8), tile_size=512)
    assert _pixel_boxes(out, 60, 50).tolist() == [[0, 0, 60, 50]]


def test_default_overlap_is_a_fifth_of_the_tile() -> None:
    assert Params(tile_size=[500, 250]).effective_overlap() == (100, 50)
    assert Params(tile_size=500, max_object_size=64).effective_overlap() == (64, 64)


def test_one_node_graph() -> None:
    wf = Workflow.from_yaml(
        """
workflow:
  id: tiles
  nodes:
    - id: tiler
      model:
        model_id: tiler
        model_type_id: image-tiling-operator
        output_info:
          params:
            tile_size: 64
            max_object_size: 16
"""
    )
    out = wf.predict([np.zeros((100, 120, 3), np.uint8)]).results[0].outputs[0]
    assert out.status.is_success, out.status
    assert len(out.data.regions) == 6  # 3 columns x 2 rows


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"tile_size": 0}, "tile_size"),
        ({"tile_size": [64, 64, 64]}, "tile_size"),
        ({"tile_size": 64, "max_object_size": 64}, r"max_object_size \(64 px\) must be smaller"),
        ({"tile_size": [64, 32], "max_object_size": 40}, r"max_object_size \(40 px\)"),
        ({"tile_size": 64, "overlap": 64}, r"the overlap \(64x64 px\) must be smaller"),
        ({"tile_size": 64, "overlap": 8, "max_object_size": 16}, "smaller than max_object_size"),
        ({"tile_size": 64, "overlap": -1}, "overlap"),
        ({"tile": 64}, "did you mean 'tile_size'"),
    ],
)
def test_bad_params_are_refused(params: dict[str, object], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("t").add("image-tiling-operator", params=params)


def test_too_many_tiles_is_a_clear_error_naming_tile_size() -> None:
    # given 1-pixel tiles on a 200x100 image (20,000 tiles, over MAX_TILES)
    with pytest.raises(InputError, match=r"tile_size 1 would cut this 200x100 image into 20,000"):
        _tiles(np.zeros((100, 200, 3), np.uint8), tile_size=1)
    # then the count is the grid's own: just under the cap is still cut
    assert len(_tiles(np.zeros((100, 100, 3), np.uint8), tile_size=1).regions) == MAX_TILES


def test_one_node_graph_fails_only_the_input_with_too_many_tiles() -> None:
    wf = Workflow("t")
    wf.add("image-tiling-operator", params={"tile_size": 2, "overlap": 1})
    big, small = np.zeros((300, 300, 3), np.uint8), np.zeros((10, 10, 3), np.uint8)
    first, second = (r.outputs[0] for r in wf.predict([big, small]).results)
    assert not first.status.is_success and "raise tile_size" in (first.status.details or "")
    assert second.status.is_success and len(second.data.regions) == 81
