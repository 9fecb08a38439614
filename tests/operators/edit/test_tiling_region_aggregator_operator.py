"""tiling-region-aggregator-operator: mapping back, NMS and greedy merging, graph, params."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from engine import (
    BaseParams,
    Context,
    Data,
    Operator,
    ParamsError,
    Region,
    RegionInfo,
    Workflow,
    geometry,
    register,
)
from operators.edit.tiling_region_aggregator_operator import TilingRegionAggregatorOperator
from tests.factories import region

Aggregator = TilingRegionAggregatorOperator


@register
class _BlobDetector(Operator):
    """Test stand-in for a detector: every white blob is a 'square' scored by its area."""

    type_id = "test-blob-detector"
    Params = BaseParams
    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("regions",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        import cv2

        assert data.image is not None
        gray = np.ascontiguousarray(data.image.array[..., 0])
        h, w = gray.shape
        n, _, stats, _ = cv2.connectedComponentsWithStats((gray > 127).astype(np.uint8))
        regions = [
            region((x / w, y / h, (x + bw) / w, (y + bh) / h), {"square": 0.5}, value=a / 1e4)
            for x, y, bw, bh, a in stats[1:n].tolist()
        ]
        return Data(regions=regions)


def _tile(box: tuple[float, float, float, float], dets: list[Region]) -> Region:
    return Region(
        region_info=RegionInfo(bounding_box=geometry.box_to_proto(box)), data=Data(regions=dets)
    )


def _run(tiles: list[Region], **params: object) -> Data:
    op = Aggregator(Aggregator.Params.model_validate(params))
    data = Data(regions=tiles)
    out = op.process(data, Context(root=data))
    assert out is not None
    return out


def _boxes(out: Data) -> np.ndarray:
    return geometry.boxes_from_proto(
        [r.region_info.bounding_box for r in out.regions if r.region_info is not None]
    )


def test_maps_tile_boxes_onto_the_image_and_keeps_the_top_concept() -> None:
    det = region((0.5, 0.5, 1.0, 1.0), {"cat": 0.3, "dog": 0.8})
    out = _run([_tile((0.5, 0.0, 1.0, 0.5), [det])])
    np.testing.assert_allclose(_boxes(out), [[0.75, 0.25, 1.0, 0.5]])
    r = out.regions[0]
    assert r.data is not None and [c.id for c in r.data.concepts] == ["dog"]
    assert r.value == pytest.approx(0.8)


def test_nms_keeps_the_best_of_duplicates_seen_by_overlapping_tiles() -> None:
    left = _tile((0.0, 0.0, 0.6, 1.0), [region((0.7, 0.5, 0.9, 0.7), {"car": 0.9})])
    right = _tile((0.4, 0.0, 1.0, 1.0), [region((0.04, 0.51, 0.31, 0.71), {"car": 0.7})])
    out = _run([left, right], nms_threshold=0.5)
    assert len(out.regions) == 1 and out.regions[0].value == pytest.approx(0.9)
    np.testing.assert_allclose(_boxes(out), [[0.42, 0.5, 0.54, 0.7]])


def test_greedy_nmm_by_ios_merges_a_cut_box_with_its_whole_twin() -> None:
    # the second tile sees only the right half of the object: IoU 0.5, IOS 1
    whole = _tile((0.0, 0.0, 0.5, 1.0), [region((0.4, 0.2, 0.8, 0.4), {"car": 0.9})])
    cut = _tile((0.3, 0.0, 0.8, 1.0), [region((0.0, 0.2, 0.2, 0.4), {"car": 0.6})])
    iou = _run([whole, cut], nms_threshold=0.6)
    assert len(iou.regions) == 2
    nmm = _run([whole, cut], nms_threshold=0.6, merge="greedy_nmm", match_metric="ios")
    assert len(nmm.regions) == 1
    np.testing.assert_allclose(_boxes(nmm), [[0.2, 0.2, 0.4, 0.4]])


def test_different_concepts_merge_only_when_class_agnostic() -> None:
    dets = [region((0.1, 0.1, 0.5, 0.5), {"cat": 0.9}), region((0.1, 0.1, 0.5, 0.5), {"dog": 0.8})]
    assert len(_run([_tile((0, 0, 1, 1), dets)]).regions) == 2
    assert len(_run([_tile((0, 0, 1, 1), dets)], class_agnostic=True).regions) == 1


def test_no_detections_gives_no_regions() -> None:
    assert _run([]).regions == []
    assert _run([_tile((0, 0, 1, 1), [])], merge="greedy_nmm").regions == []


def test_tile_detect_aggregate_graph_finds_each_object_once() -> None:
    img = np.zeros((300, 400, 3), np.uint8)
    truth = [(10, 10, 40, 40), (90, 50, 125, 80), (300, 200, 338, 238), (150, 120, 180, 150)]
    for x1, y1, x2, y2 in truth:
        img[y1:y2, x1:x2] = 255
    wf = Workflow("tiled")
    tiler = wf.add("image-tiling-operator", params={"tile_size": 128, "max_object_size": 40})
    det = wf.add("test-blob-detector", inputs=[tiler])
    wf.add(
        "tiling-region-aggregator-operator",
        inputs=[det],
        params={"merge": "greedy_nmm", "match_metric": "ios", "nms_threshold": 0.5},
    )
    out = wf.predict([img]).results[0].outputs[2]
    assert out.status.is_success, out.status
    found = np.rint(geometry.to_pixels(_boxes(out.data), 400, 300)).astype(int)
    assert sorted(found.tolist()) == sorted(list(b) for b in truth)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"nms_threshold": 1.5}, "nms_threshold"),
        ({"merge": "soft_nms"}, "merge"),
        ({"match_metric": "giou"}, "match_metric"),
        ({"nms_treshold": 0.4}, "did you mean 'nms_threshold'"),
    ],
)
def test_bad_params_are_refused(params: dict[str, object], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("t").add("tiling-region-aggregator-operator", params=params)


def test_objects_in_different_tiles_get_different_region_ids() -> None:
    # a detector hashes the box relative to its tile: the same spot in two tiles shares an id
    rel = (0.1, 0.1, 0.3, 0.3)
    left = region(rel, {"car": 0.9}, value=0.9).model_copy(update={"id": "same"})
    right = region(rel, {"car": 0.8}, value=0.8).model_copy(update={"id": "same"})
    out = _run([_tile((0.0, 0.0, 0.5, 1.0), [left]), _tile((0.5, 0.0, 1.0, 1.0), [right])])
    ids = [r.id for r in out.regions]
    assert len(set(ids)) == 2
    boxes = geometry.boxes_from_proto([r.region_info.bounding_box for r in out.regions])
    # the id a whole-image detector would give the same object
    assert ids == [geometry.region_id(b, "car") for b in np.clip(boxes, 0, 1)]


def test_collect_gives_tile_detections_with_an_empty_case() -> None:
    from operators.edit._detections import TileDetections, collect

    dets = collect([_tile((0.0, 0.0, 0.5, 1.0), [])])
    assert isinstance(dets, TileDetections)
    assert dets.boxes.shape == (0, 4) and dets.regions == []
