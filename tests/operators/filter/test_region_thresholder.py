"""region-thresholder: concepts filtered per region, emptied regions removed."""

from __future__ import annotations

import pytest

from engine import ConceptSpec, Context, Data, ParamsError, Workflow
from operators.filter.region_thresholder import RegionThresholder
from tests.factories import image_data, region

Params = RegionThresholder.Params


def _op(kind: str = "GREATER_THAN", **thresholds: float) -> RegionThresholder:
    specs = [ConceptSpec(id=k, value=v) for k, v in thresholds.items()]
    return RegionThresholder(Params(concepts=specs, concept_threshold_type=kind))


def test_filters_concepts_inside_regions_and_drops_emptied_regions() -> None:
    data = image_data(
        regions=[
            region((0.1, 0.1, 0.2, 0.2), {"cat": 0.9, "dog": 0.6}, track_id="7"),
            region((0.3, 0.3, 0.4, 0.4), {"cat": 0.2}),
            region((0.5, 0.5, 0.6, 0.6), {"bird": 0.99}),
        ]
    )
    out = _op(cat=0.5, dog=0.7).process(data, Context(root=data))
    assert out is not None
    assert len(out.regions) == 1
    kept = out.regions[0]
    assert [c.id for c in kept.data.concepts] == ["cat"]
    assert kept.track_id == "7"
    assert kept.region_info == data.regions[0].region_info
    assert out.image is data.image
    assert len(data.regions[0].data.concepts) == 2  # the input is not mutated


def test_every_kept_region_is_a_new_region_and_the_input_keeps_its_own() -> None:
    data = Data(regions=[region(concept_values={"cat": 0.9}), region(concept_values={"cat": 0.8})])
    out = _op(cat=0.5).process(data, Context(root=data))
    assert out is not None and out is not data
    # a new Region each (a diamond's merge tells them from the other branch's), same content
    assert all(o is not i for o, i in zip(out.regions, data.regions, strict=True))
    assert out.to_dict() == data.to_dict()
    assert out.regions is not data.regions


def test_less_than_keeps_low_scores() -> None:
    data = Data(regions=[region(concept_values={"cat": 0.2}), region(concept_values={"cat": 0.9})])
    out = _op("LESS_THAN", cat=0.5).process(data, Context(root=data))
    assert out is not None and [r.data.concepts[0].value for r in out.regions] == [0.2]


@pytest.mark.parametrize("regions", [[], [region(concept_values={"cat": 0.1})]])
def test_no_region_left_stops_the_branch(regions: list) -> None:
    data = Data(regions=regions)
    assert _op(cat=0.5).process(data, Context(root=data)) is None


_YAML = """
workflow:
  id: rt
  nodes:
    - id: thresholder
      model:
        model_id: thresholder
        model_type_id: region-thresholder
        output_info:
          data:
            concepts: [{id: face, value: 0.8}]
          params:
            concept_threshold_type: GREATER_THAN_OR_EQUAL
"""


def _region_json(value: float) -> dict:
    box = {"top_row": 0.1, "left_col": 0.1, "bottom_row": 0.5, "right_col": 0.5}
    return {
        "region_info": {"bounding_box": box},
        "data": {"concepts": [{"id": "face", "value": value}]},
    }


def test_one_node_graph() -> None:
    wf = Workflow.from_yaml(_YAML)
    resp = wf.predict([{"data": {"regions": [_region_json(0.8), _region_json(0.3)]}}])
    regions = resp.results[0].outputs[0].data.regions
    assert [r.data.concepts[0].value for r in regions] == [0.8]


def test_rejections() -> None:
    with pytest.raises(ParamsError, match="concept_threshold_type"):
        Workflow.from_yaml(_YAML.replace("GREATER_THAN_OR_EQUAL", "MORE"))
    with pytest.raises(ParamsError, match="concepts"):
        Workflow.from_yaml(_YAML.replace("[{id: face, value: 0.8}]", "[{id: face, value: x}]"))
    with pytest.raises(ParamsError, match="concept 'face' needs a threshold"):
        Workflow.from_yaml(_YAML.replace("[{id: face, value: 0.8}]", "[{id: face}]"))
