"""engine/proto.py: Clarifai JSON in and out."""

from __future__ import annotations

import numpy as np
import pytest
from clarifai_grpc.grpc.api import resources_pb2

from engine import BoundingBox, Concept, Data, Image, Region, RegionInfo
from tests.clarifai_json import assert_clarifai_json


def test_to_dict_is_snake_case_and_keeps_show_if_empty_numbers() -> None:
    region = Region(
        region_info=RegionInfo(bounding_box=BoundingBox(top_row=0.0, right_col=0.5)),
        data=Data(concepts=[Concept(id="cat", value=0.0)]),
    )
    d = Data(regions=[region]).to_dict()
    assert d == {
        "regions": [
            {
                "region_info": {
                    "bounding_box": {
                        "top_row": 0.0,
                        "left_col": 0.0,
                        "bottom_row": 0.0,
                        "right_col": 0.5,
                    }
                },
                "data": {"concepts": [{"id": "cat", "value": 0.0}]},
            }
        ]
    }
    assert_clarifai_json(d, resources_pb2.Data)


def test_camel_case_input_is_accepted() -> None:
    data = Data.model_validate({"regions": [{"regionInfo": {"boundingBox": {"topRow": 0.25}}}]})
    assert data.regions[0].region_info is not None
    assert data.regions[0].region_info.bounding_box is not None
    assert data.regions[0].region_info.bounding_box.top_row == 0.25


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="bogus"):
        Data.model_validate({"bogus": 1})


def test_pixels_ride_along_but_are_never_serialized() -> None:
    image = Image.from_array(np.zeros((4, 6, 3), np.uint8))
    data = Data(image=image)
    assert data.to_dict() == {"image": {"image_info": {"width": 6, "height": 4}}}
    copy = data.model_copy(update={"concepts": [Concept(id="a")]})
    assert copy.image is not None and copy.image.array is image.array  # decoded once, shared


def test_user_metadata_is_passed_through_untouched() -> None:
    d = Data(metadata={"tags": [], "nested": {"empty": []}, "k": 1}, concepts=[]).to_dict()
    assert d == {"metadata": {"tags": [], "nested": {"empty": []}, "k": 1}}


def _nested(depth: int) -> dict[str, object]:
    root: dict[str, object] = {}
    node = root
    for _ in range(depth):
        child: dict[str, object] = {}
        node["a"] = child
        node = child
    return root


@pytest.mark.parametrize("field", ["metadata", "annotation_info"])
def test_struct_fields_are_bounded_in_depth_wherever_they_are_validated(field: str) -> None:
    from pydantic import ValidationError

    from engine.proto import Annotation

    cls = Data if field == "metadata" else Annotation
    assert getattr(cls.model_validate({field: _nested(20)}), field) == _nested(20)
    with pytest.raises(ValidationError, match=f"{field} is nested more than 32 levels"):
        cls.model_validate({field: _nested(300)})


def test_a_request_with_deep_metadata_fails_only_its_own_input() -> None:
    from engine import Workflow

    wf = Workflow("w")
    wf.add("random-sample")
    deep = {"data": {"text": {"raw": "a"}, "metadata": _nested(300)}}
    response = wf.predict([deep, {"data": {"text": {"raw": "b"}}}])
    first, second = response.results
    assert "metadata is nested more than 32 levels" in (first.status.details or "")
    assert second.status.is_success
