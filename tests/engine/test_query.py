"""engine/query.py: Clarifai's query language, in the SDK's dicts and the V2 JSON."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InputError
from engine.proto import StatusCode
from engine.query import ConceptTerm, GeoArea, Rank, parse_query

BAD = StatusCode.SEARCH_INVALID_REQUEST


def test_sdk_ranks_become_typed_ranks() -> None:
    q = parse_query(
        ranks=[
            {"text_raw": "a red bucket"},
            {"image_url": "https://example.com/a.jpg"},
            {"image_bytes": b"\x89PNG"},
            {"image_base64": "aGk="},
            {"image_path": "a.jpg", "negate": True},
            {"concepts": [{"id": "cat", "value": 1}, {"name": "dog", "value": 0}]},
            {"input_id": "in-1"},
            {},  # the SDK's default [{}]: no rank
        ]
    )
    assert [r.text for r in q.ranks][:1] == ["a red bucket"]
    assert q.ranks[1].image == {"image": {"url": "https://example.com/a.jpg"}}
    assert q.ranks[2].image == b"\x89PNG"
    assert q.ranks[3].image == {"image": {"base64": "aGk="}}
    assert q.ranks[4] == Rank(image="a.jpg", negate=True)
    assert q.ranks[5].concepts == (ConceptTerm("cat", 1.0), ConceptTerm("dog", 0.0, by_name=True))
    assert q.ranks[6].input_id == "in-1" and len(q.ranks) == 7
    assert (q.page, q.per_page, q.metric, q.min_score) == (1, 20, "cosine", 0.0)


def test_sdk_filters_become_typed_filters() -> None:
    q = parse_query(
        filters=[
            {"metadata": {"a": {"b": 1}}},
            {"input_dataset_ids": ["d1"], "input_types": ["image", "text"]},
            {"input_status_code": 30000, "negate": True},
            {"geo_point": {"longitude": 2.35, "latitude": 48.85, "geo_limit": 10}},
            {"geo_box": [{"longitude": 1, "latitude": 2}, {"longitude": -1, "latitude": 4}]},
            {"concepts": [{"id": "cat"}], "concept_source": "predicted"},
            {"annotation_status": "success", "annotation_user_id": "ann"},
            {"created_at": {"start_time": "2026-01-01T00:00:00+01:00"}},
            {},
        ]
    )
    f = q.filters
    assert len(f) == 8
    assert f[0].metadata == {"a": {"b": 1}}
    assert f[1].dataset_ids == ("d1",) and f[1].input_types == ("image", "text")
    assert f[2].input_status_code == 30000 and f[2].negate
    assert f[3].geo == GeoArea(latitude=48.85, longitude=2.35, radius_km=10.0)
    assert f[4].geo is not None and f[4].geo.box == (2.0, 4.0, -1.0, 1.0)
    assert f[5].concept_source == "predicted"
    assert f[6].annotation_status == StatusCode.ANNOTATION_SUCCESS
    assert f[7].created == ("2025-12-31T23:00:00.000000Z", None)


def test_v2_json_filters_and_ranks_map_onto_the_same_query() -> None:
    q = parse_query(
        ranks=[{"annotation": {"data": {"text": {"raw": "hello"}}}}],
        filters=[
            {"annotation": {"data": {"concepts": [{"id": "cat", "value": 1}]}, "user_id": "u"}},
            {"input": {"dataset_ids": ["d"], "status": {"code": 30000}, "data": {"image": {}}}},
            {"input": {"data": {"metadata": {"k": "v"}}}, "negate": True},
            {
                "annotation": {
                    "data": {
                        "geo": {
                            "geo_point": {"longitude": 1.0, "latitude": 1.0},
                            "geo_limit": {"type": "withinMiles", "value": 2},
                        }
                    }
                }
            },
            {"last_updated_time_range": {"end_time": "2030-01-01T00:00:00Z"}},
        ],
    )
    assert q.ranks[0].text == "hello"
    f = q.filters
    assert f[0].concepts == (ConceptTerm("cat"),) and f[0].annotation_user_id == "u"
    assert f[1].dataset_ids == ("d",) and f[1].input_status_code == 30000
    assert f[1].input_types == ("image",)
    assert f[2].metadata == {"k": "v"} and f[2].negate
    assert f[3].geo is not None and f[3].geo.radius_km == pytest.approx(3.218688)
    assert f[4].last_updated == (None, "2030-01-01T00:00:00.000000Z")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": [{"colour": "red"}]}, "unknown key.*'colour'"),
        ({"ranks": [{"txt": "a"}]}, "unknown key.*'txt'"),
        ({"filters": [{"geo_box": [{"longitude": 1, "latitude": 2}]}]}, "two corners"),
        ({"filters": [{"geo_box": [{"longitude": 1, "latitude": 95}, {}]}]}, "latitude"),
        ({"filters": [{"geo_point": {"longitude": 1, "latitude": 2}}]}, "positive radius"),
        ({"filters": [{"geo_point": {"longitude": 1, "latitude": 2, "geo_limit": -3}}]}, "radius"),
        ({"page": -1}, "page must be"),
        ({"page": 0}, "page must be"),
        ({"per_page": 1001}, "at most 1000"),
        ({"page": 600, "per_page": 20}, "cannot exceed"),
        ({"metric": "manhattan"}, "metric must be one of cosine, euclidean"),
        ({"min_score": 2}, "min_score"),
        ({"filters": {"metadata": {}}}, "list of dicts"),
        ({"filters": ["x"]}, "must be a dict"),
        ({"filters": [{"concepts": [{"id": "c", "value": 0.5}]}]}, "1 \\(present\\) or 0"),
        ({"filters": [{"concepts": [{"value": 1}]}]}, "needs a non-empty id or name"),
        ({"filters": [{"input_types": ["pdf"]}]}, "input_types"),
        ({"filters": [{"created_at": {"start_time": "yesterday"}}]}, "ISO 8601"),
        (
            {"filters": [{"created_at": {"start_time": "2030-01-01", "end_time": "2020-01-01"}}]},
            "after",
        ),
        ({"filters": [{"negate": "yes", "metadata": {"a": 1}}]}, "true or false"),
        ({"filters": [{"metadata": {"a": float("nan")}}]}, "not JSON"),
        ({"filters": [{"annotation_status": "shiny"}]}, "unknown status"),
        ({"filters": [{"concept_source": "rumour"}]}, "concept_source"),
        ({"ranks": [{"text_raw": "a", "input_id": "b"}]}, "one rank ranks by one thing"),
        ({"ranks": [{"image_url": "u", "image_path": "p"}]}, "give one of"),
        ({"filters": [{"annotation": {"data": {"colors": []}}}]}, "unsupported data field"),
        ({"filters": [{"annotation": {}, "extra": 1}]}, "unknown key"),
    ],
)
def test_mistakes_are_one_clear_error_with_clarifais_status_code(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message) as err:
        parse_query(**kwargs)
    assert err.value.code == BAD


def test_geo_area_bounds_and_distance() -> None:
    paris = GeoArea(latitude=48.8566, longitude=2.3522, radius_km=400)
    assert paris.distance_km(51.5074, -0.1278) == pytest.approx(343.5, abs=1.0)  # London
    lat0, lat1, lon0, lon1 = paris.bounds()
    assert lat0 < 48.8566 < lat1 and lon0 < 2.3522 < lon1
    assert GeoArea(box=(1.0, 2.0, 3.0, 4.0)).bounds() == (1.0, 2.0, 3.0, 4.0)
