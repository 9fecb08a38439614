"""Searches: PostSearches, PostInputsSearches, PostAnnotationsSearches over ``App.search``.

The query's ``ranks`` and ``filters`` go to the App as the V2 JSON they arrive as (the
App's query language reads that form); the metric and ``min_value`` come from the
request's ``Search`` and the page from its ``pagination``.  The legacy ``ands`` form is
refused with a clear message.
"""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf import json_format
from google.protobuf.message import Message

from engine.api.errors import ApiError
from engine.api.handlers._convert import answer
from engine.api.service import Call, Reply, handler

__all__: list[str] = []

_METRICS = {
    resources_pb2.Search.METRIC_NOT_SET: "cosine",
    resources_pb2.Search.COSINE_DISTANCE: "cosine",
    resources_pb2.Search.EUCLIDEAN_DISTANCE: "euclidean",
}


def _parts(query: resources_pb2.Query) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if len(query.ands):
        raise ApiError(
            codes.SEARCH_INVALID_REQUEST,
            "query.ands (the legacy query form) is not supported: use query.ranks and "
            "query.filters",
        )

    def docs(items: Any) -> list[dict[str, Any]]:
        # status codes as numbers, as the query language reads them (not enum names)
        return [
            json_format.MessageToDict(
                i, preserving_proto_field_name=True, use_integers_for_enums=True
            )
            for i in items
        ]

    return docs(query.ranks), docs(query.filters)


def _search(
    call: Call, method: str, app_ids: Any, search: resources_pb2.Search, pagination: Any
) -> Message | Reply:
    ranks, filters = _parts(search.query)
    page = pagination.page or 1
    per_page = pagination.per_page or 20
    found = call.app(app_ids).search(
        ranks,
        filters,
        page=page,
        per_page=per_page,
        metric=_METRICS.get(search.metric, "cosine"),
        min_score=float(search.min_value),
    )
    return answer(method, found)


def _one(searches: Any) -> resources_pb2.Search:
    if len(searches) != 1:
        raise ApiError(codes.SEARCH_INVALID_REQUEST, "give exactly one search")
    search: resources_pb2.Search = searches[0]
    return search


@handler("PostSearches", scope="searches:read")
def post_searches(call: Call, req: pb.PostSearchesRequest) -> Message | Reply:
    search = _one(req.searches) if len(req.searches) else resources_pb2.Search(query=req.query)
    return _search(call, "PostSearches", req.user_app_id, search, req.pagination)


@handler("PostInputsSearches", scope="searches:read")
def post_inputs_searches(call: Call, req: pb.PostInputsSearchesRequest) -> Message | Reply:
    return _search(call, "PostInputsSearches", req.user_app_id, _one(req.searches), req.pagination)


@handler("PostAnnotationsSearches", scope="searches:read")
def post_annotations_searches(
    call: Call, req: pb.PostAnnotationsSearchesRequest
) -> Message | Reply:
    return _search(
        call, "PostAnnotationsSearches", req.user_app_id, _one(req.searches), req.pagination
    )
