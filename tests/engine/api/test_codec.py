"""The direct proto builder gives what protobuf's JSON parser gives, on real responses."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from clarifai_grpc.grpc.api import service_pb2 as pb
from google.protobuf import json_format

from engine.api.codec import BadRequest, from_json, from_query, to_proto

DOCS: list[tuple[Any, dict[str, Any]]] = [
    (
        pb.MultiInputResponse,
        {
            "status": {"code": 10000, "description": "Ok"},
            "inputs": [
                {
                    "id": "a",
                    "created_at": "2026-11-30T23:04:39.994238Z",
                    "data": {
                        "image": {"base64": base64.b64encode(b"\x89PNG").decode()},
                        "metadata": {"aisle": 3, "tags": ["x", {"y": None}]},
                        "concepts": [{"id": "c", "value": 0.25}],
                        "geo": {"geo_point": {"latitude": 1.5, "longitude": -2}},
                    },
                    "status": {"code": 30000},
                }
            ],
        },
    ),
    (
        pb.PostWorkflowResultsResponse,
        {
            "status": {"code": 10010, "description": "Mixed"},
            "results": [
                {
                    "status": {"code": 10000},
                    "input": {"id": "i"},
                    "outputs": [
                        {
                            "id": "o",
                            "model": {
                                "id": "m",
                                "model_type_id": "byte-tracker",
                                "output_info": {"params": {"a": 1, "b": [1, 2]}},
                            },
                            "data": {
                                "regions": [
                                    {
                                        "id": "r",
                                        "track_id": "t1",
                                        "region_info": {
                                            "bounding_box": {
                                                "top_row": 0.1,
                                                "left_col": 0.2,
                                                "bottom_row": 0.3,
                                                "right_col": 0.4,
                                            }
                                        },
                                        "value": 0.9,
                                    }
                                ],
                                "frames": [{"frame_info": {"index": 3, "time": 1000}}],
                            },
                        }
                    ],
                }
            ],
        },
    ),
    (
        pb.MultiDatasetVersionResponse,
        {"dataset_versions": [{"id": "v", "metrics": {"/": {"inputs_count": 2}}}]},
    ),
    # the constructor refuses these (a Value's bare JSON, a Timestamp's text, an int for
    # a float is fine but a float for an int is not): each reaches the same proto
    (
        pb.MultiModelTypeResponse,
        {
            "model_types": [
                {
                    "id": "t",
                    "model_type_fields": [
                        {"path": "a", "default_value": 0.5},
                        {"path": "b", "default_value": {"x": [1, None]}},
                        {"path": "c", "default_value": "text"},
                        {"path": "d", "default_value": [True]},
                    ],
                }
            ]
        },
    ),
    (
        pb.MultiModelResponse,
        {
            "models": [
                {
                    "id": "m",
                    "created_at": "2026-11-30T23:04:39Z",
                    "model_version": {"id": "v", "total_input_count": 2.0},
                    "output_info": {
                        "params": {"k": 1},
                        "data": {"concepts": [{"id": "c", "value": 1}]},
                    },
                }
            ],
        },
    ),
    (
        pb.SingleInputResponse,
        {
            "input": {
                "data": {
                    "image": {
                        "decoded_bytes": base64.b64encode(b"raw").decode(),
                        "hosted_image_info": {"small": {"width": 4, "height": 3}},
                    },
                    "regions": [],
                    "concepts": [],
                }
            }
        },
    ),
    (pb.MultiInputResponse, {"status": {"code": 10000, "description": "Ok"}, "inputs": []}),
]


@pytest.mark.parametrize(("cls", "doc"), DOCS)
def test_direct_builder_matches_the_json_parser(cls: Any, doc: dict[str, Any]) -> None:
    expected = cls()
    json_format.ParseDict(doc, expected)
    assert to_proto(cls, doc) == expected


@pytest.mark.parametrize(("cls", "doc"), DOCS)
def test_the_builder_never_changes_its_doc(cls: Any, doc: dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    to_proto(cls, doc)
    assert doc == before


def test_a_field_the_proto_lacks_is_an_error() -> None:
    with pytest.raises(json_format.ParseError):
        to_proto(pb.MultiInputResponse, {"inputs": [{"id": "a", "nonsense": 1}]})


def test_query_strings_are_typed_by_the_request() -> None:
    doc = from_query(
        pb.ListInputsRequest,
        [("page", "2"), ("per_page", "5"), ("user_app_id.app_id", "x"), ("ids", "a"), ("ids", "b")],
    )
    assert doc == {"page": 2, "per_page": 5, "user_app_id": {"app_id": "x"}, "ids": ["a", "b"]}
    with pytest.raises(BadRequest, match="no field"):
        from_query(pb.ListInputsRequest, [("nope", "1")])
    with pytest.raises(BadRequest, match="integer"):
        from_query(pb.ListInputsRequest, [("page", "two")])


def test_a_list_of_messages_takes_one_scalar_each_from_the_query() -> None:
    pairs = [("statuses.code", "24157"), ("statuses.code", "24150")]
    doc = from_query(pb.ListAnnotationsRequest, pairs)
    assert [s.code for s in from_json(pb.ListAnnotationsRequest, doc).statuses] == [24157, 24150]
    for key in ("statuses.details.x", "statuses.nope", "statuses"):
        with pytest.raises(BadRequest):
            from_query(pb.ListAnnotationsRequest, [(key, "1")])


REQUESTS: list[tuple[Any, dict[str, Any]]] = [
    (
        pb.PostInputsRequest,
        {
            "user_app_id": {"user_id": "me", "app_id": "a"},
            "inputs": [
                {
                    "id": "i",
                    "data": {
                        "image": {"base64": base64.b64encode(b"\x89PNG").decode()},
                        "concepts": [{"id": "no-value"}, {"id": "zero", "value": 0.25}],
                        "metadata": {"k": [1, {"x": None}]},
                        "regions": [{"data": {"concepts": [{"id": "nested"}]}}],
                    },
                }
            ],
        },
    ),
    (
        pb.PostWorkflowResultsRequest,
        {
            "workflow_id": "w",
            "inputs": [{"data": {"text": {"raw": "hi"}}}],
            "output_config": {"min_value": 0.5, "sample_ms": 100},
        },
    ),
    (
        pb.ListInputsRequest,
        {"page": "2", "per_page": 3, "status": {"code": "INPUT_DOWNLOAD_SUCCESS"}},
    ),
]


@pytest.mark.parametrize(("cls", "doc"), REQUESTS)
def test_requests_parse_as_the_json_channel_parses_them(cls: Any, doc: dict[str, Any]) -> None:
    from clarifai_grpc.channel.custom_converters.custom_dict_to_message import dict_to_protobuf

    expected = dict_to_protobuf(cls, copy.deepcopy(doc))
    assert from_json(cls, copy.deepcopy(doc)) == expected
    if cls is pb.PostInputsRequest:
        concepts = expected.inputs[0].data.concepts  # type: ignore[attr-defined]
        assert [c.value for c in concepts] == [1.0, 0.25]  # Clarifai's default for a concept
