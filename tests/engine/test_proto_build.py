"""engine/proto_build.py: messages built from valid values equal validated ones."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Concept, Data, Image, Output, Region, Status
from engine.proto import Input, WorkflowResult
from engine.proto_build import assembled, evolve, trusted


def test_trusted_builds_equal_validated_models() -> None:
    out = trusted(Output, id="n", status=Status(), data=Data(), model=None)
    assert out == Output(id="n", status=Status(), data=Data())
    assert list(out.to_dict()) == ["id", "status", "data"]  # proto field order
    with pytest.raises(TypeError, match="default factory"):
        trusted(WorkflowResult, id="x")
    full = trusted(
        Input, id=None, data=Data(), created_at=None, modified_at=None, status=None, dataset_ids=[]
    )
    assert full == Input()


def test_evolve_makes_what_model_copy_makes() -> None:
    region = Region(id="r", data=Data(concepts=[Concept(id="cat", value=0.9)]), track_id="7")
    kept = [Concept(id="cat", value=0.9)]
    fast = evolve(region, data=evolve(region.data, concepts=kept))
    slow = region.model_copy(update={"data": region.data.model_copy(update={"concepts": kept})})
    assert fast == slow and fast.to_dict() == slow.to_dict()
    assert fast.model_fields_set == slow.model_fields_set == {"id", "data", "track_id"}
    assert fast is not region and region.data.concepts[0] is not kept[0]  # input untouched
    fast.value = 0.5  # a copy's own fields: the original keeps its own
    assert region.value is None and "value" not in region.model_fields_set


def test_evolve_keeps_the_decoded_pixels_of_an_image() -> None:
    image = Image.from_array(np.zeros((2, 3, 3), np.uint8))
    copy = evolve(image, url=None)
    assert copy.array is image.array and copy.image_info == image.image_info


def test_assembled_builds_a_model_around_its_fields() -> None:
    fields = {"id": "n", "status": Status(), "created_at": None, "input": None, "outputs": []}
    result = assembled(WorkflowResult, fields)
    assert result == WorkflowResult(id="n") and list(result.to_dict()) == ["id", "status"]
    other = assembled(WorkflowResult, dict(fields, id="m"))
    result.created_at = "now"  # assigning a field changes that object alone
    assert other.created_at is None and other.model_fields_set == set(WorkflowResult.model_fields)
