"""engine/query_values.py: one rank's or filter's values, from either JSON form."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import AppError
from engine.query_values import (
    EARTH_RADIUS_KM,
    annotation_status_of,
    flatten,
    geo_limit_km,
    input_types_of,
    lat_lon,
    time_range,
)


def test_the_v2_json_becomes_the_sdk_s_flat_keys() -> None:
    v2 = {
        "input": {"id": "in1", "dataset_ids": ["d"], "data": {"image": {}, "metadata": {"a": 1}}},
        "annotation": {"user_id": "me", "data": {"concepts": [{"id": "cat"}]}},
        "negate": True,
    }
    allowed = frozenset(
        {"input_id", "input_dataset_ids", "input_types", "metadata", "annotation_user_id",
         "concepts", "negate"}
    )  # fmt: skip
    assert flatten(v2, "filters[0]", allowed) == {
        "negate": True,
        "annotation_user_id": "me",
        "concepts": [{"id": "cat"}],
        "input_id": "in1",
        "input_dataset_ids": ["d"],
        "input_types": ["image"],
        "metadata": {"a": 1},
    }


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: flatten({"colour": 1}, "ranks[0]", frozenset({"text_raw"})), "'colour'"),
        (lambda: input_types_of(["image", "pdf"], "f"), "input_types must be a list of"),
        (lambda: annotation_status_of("nope", "f"), "unknown status 'nope'"),
        (lambda: lat_lon({"latitude": 91, "longitude": 0}, "f"), r"latitude must be .*91"),
        (lambda: geo_limit_km(0, "f"), "positive radius"),
        (lambda: geo_limit_km({"type": "withinFeet", "value": 1}, "f"), "withinFeet"),
        (lambda: time_range({"start_time": "2024-02-01", "end_time": "2024-01-01"}, "f"), "after"),
        (lambda: time_range({"start_time": "yesterday"}, "f"), "not an ISO 8601 time"),
    ],
)
def test_each_mistake_is_one_error_naming_where_it_is(call: Any, match: str) -> None:
    with pytest.raises(AppError, match=match) as err:
        call()
    assert err.value.code == 40002  # SEARCH_INVALID_REQUEST


def test_values_in_either_form_read_the_same() -> None:
    assert annotation_status_of("success", "f") == annotation_status_of(24150, "f") == 24150
    assert input_types_of("text", "f") == ("text",)
    assert lat_lon({"geo_point": {"latitude": 1, "longitude": 2}}, "f") == (1.0, 2.0)
    assert geo_limit_km({"type": "withinRadians", "value": 1}, "f") == EARTH_RADIUS_KM
    assert time_range({"end_time": "2024-01-01T01:00:00+01:00"}, "f") == (
        None,
        "2024-01-01T00:00:00.000000Z",
    )
