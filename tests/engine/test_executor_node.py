"""engine/executor_node.py: merged inputs, region images, looking back for the image."""

from __future__ import annotations

import numpy as np

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine import Data, Image, Text, Workflow
from engine.executor_node import merge_data
from tests.factories import concepts, image_data, region


def test_several_inputs_are_merged() -> None:
    wf = Workflow("w")
    a = wf.add("test-keep-above", id="a", params={"min_value": 0.5})
    b = wf.add("test-keep-above", id="b", params={"min_value": 0.1})
    wf.add("test-keep-above", id="both", inputs=[a, b], params={"min_value": 0.0})
    out = wf.predict([Data(concepts=concepts({"x": 0.9, "y": 0.2}))]).results[0].outputs[2]
    # 'x' reaches 'both' along two branches: the same concept, kept once
    assert [c.id for c in out.data.concepts] == ["x", "y"]


def test_merge_data_concatenates_lists_and_keeps_first_scalars() -> None:
    merged = merge_data(
        [Data(text=Text(raw="a"), regions=[region()]), Data(text=Text(raw="b"), regions=[region()])]
    )
    assert merged.text is not None and merged.text.raw == "a"
    assert len(merged.regions) == 2


def test_image_nodes_run_per_region_image_and_nest_results() -> None:
    crops = [region((0, 0, 0.5, 0.5)), region((0.5, 0.5, 1, 1)), region((0, 0, 1, 1))]
    crops[0].data.image = Image.from_array(np.zeros((10, 17, 3), np.uint8))  # type: ignore[union-attr]
    crops[1].data.image = Image.from_array(np.zeros((10, 23, 3), np.uint8))  # type: ignore[union-attr]
    wf = Workflow("w")
    wf.add("test-image-size")
    out = wf.predict([Data(regions=crops)]).results[0].outputs[0].data
    widths = [r.data.concepts[0].value if r.data and r.data.concepts else None for r in out.regions]
    assert widths == [17.0, 23.0, None]


def test_image_node_finds_the_image_by_looking_back() -> None:
    wf = Workflow("w")
    keep = wf.add("test-keep-above", params={"min_value": 0.0})
    wf.add("test-image-size", inputs=[keep])
    data = image_data(width=31)
    data.concepts = concepts({"a": 1.0})
    out = wf.predict([data]).results[0].outputs[1]
    assert out.data.concepts[0].value == 31.0
