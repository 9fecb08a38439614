"""object-counter: metadata.object_count for the active concepts."""

from __future__ import annotations

import pytest

from engine import ConceptSpec, Context, Data, ParamsError, Region, Workflow
from operators.aggregate.object_counter import ObjectCounter
from tests.factories import region


def _count(regions: list[Region], *active: str, metadata: dict | None = None) -> dict:
    op = ObjectCounter(ObjectCounter.Params(concepts=[ConceptSpec(id=a) for a in active]))
    data = Data(regions=regions, metadata=metadata)
    out = op.process(data, Context(root=data))
    assert out is not None and out.metadata is not None
    return out.metadata


_SCENE = [
    region(concept_values={"car": 0.9}),
    region(concept_values={"car": 0.4, "truck": 0.5}),
    region(concept_values={"person": 0.8}),
]


def test_counts_regions_of_active_concepts() -> None:
    meta = _count(_SCENE, "car", "truck")
    assert meta["object_count"] == 2  # the car/truck region counts once
    assert meta["object_counts"] == {"car": 2, "truck": 1}


def test_no_concepts_counts_every_region() -> None:
    meta = _count([*_SCENE, Region()])
    assert meta["object_count"] == 4
    assert meta["object_counts"] == {"car": 2, "truck": 1, "person": 1}


def test_empty_input_counts_zero_and_keeps_metadata() -> None:
    assert _count([], "car", metadata={"cam": 1}) == {
        "cam": 1,
        "object_count": 0,
        "object_counts": {},
    }


def test_by_name() -> None:
    op = ObjectCounter(ObjectCounter.Params(concepts=[ConceptSpec(name="person")]))
    data = Data(regions=_SCENE)
    out = op.process(data, Context(root=data))
    assert out is not None and out.metadata == {"object_count": 1, "object_counts": {"person": 1}}


def test_one_node_graph() -> None:
    yaml_text = """
workflow:
  id: oc
  nodes:
    - id: counter
      model:
        model_id: counter
        model_type_id: object-counter
        output_info:
          data:
            concepts: [{id: car}]
"""
    car = {
        "region_info": {
            "bounding_box": {"top_row": 0.1, "left_col": 0.1, "bottom_row": 0.2, "right_col": 0.2}
        },
        "data": {"concepts": [{"id": "car", "value": 0.9}]},
    }
    resp = Workflow.from_yaml(yaml_text).predict([{"data": {"regions": [car, car]}}])
    assert resp.results[0].outputs[0].data.metadata["object_count"] == 2


def test_rejections() -> None:
    with pytest.raises(ParamsError, match="concepts"):
        Workflow("oc").add("object-counter", params={"concepts": "car"})
    with pytest.raises(ParamsError, match="unknown param"):
        Workflow("oc").add("object-counter", params={"threshold": 0.5})
