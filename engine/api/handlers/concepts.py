"""Concepts and relations: PostConcepts, GetConcept, ListConcepts, PatchConcepts,
PostConceptRelations, ListConceptRelations, DeleteConceptRelations."""

from __future__ import annotations

from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf.message import Message

from engine.api.errors import ApiError
from engine.api.handlers._convert import answer
from engine.api.paging import page_args
from engine.api.service import Call, Reply, handler, ok, response_type
from engine.proto import MultiConceptRelationResponse, MultiConceptResponse, SingleConceptResponse

__all__: list[str] = []


@handler("PostConcepts", scope="concepts:write")
def post_concepts(call: Call, req: pb.PostConceptsRequest) -> Message | Reply:
    if not req.concepts:
        raise ApiError(codes.CONN_INVALID_REQUEST, "the request has no concepts")
    made = call.app(req.user_app_id).create_concepts(
        [c.id for c in req.concepts], [c.name for c in req.concepts]
    )
    return answer("PostConcepts", MultiConceptResponse(concepts=made))


@handler("GetConcept", scope="concepts:read")
def get_concept(call: Call, req: pb.GetConceptRequest) -> Message | Reply:
    concept = call.app(req.user_app_id).get_concept(req.concept_id)
    return answer("GetConcept", SingleConceptResponse(concept=concept))


@handler("ListConcepts", scope="concepts:read")
def list_concepts(call: Call, req: pb.ListConceptsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    app = call.app(req.user_app_id)
    concepts = [app.get_concept(req.id)] if req.id else app.list_concepts(page, per_page)
    return answer("ListConcepts", MultiConceptResponse(concepts=concepts))


@handler("PatchConcepts", scope="concepts:write")
def patch_concepts(call: Call, req: pb.PatchConceptsRequest) -> Message | Reply:
    patched = call.app(req.user_app_id).patch_concepts(
        [c.id for c in req.concepts], [c.name for c in req.concepts], req.action or "overwrite"
    )
    return answer("PatchConcepts", MultiConceptResponse(concepts=patched))


@handler("PostConceptRelations", scope="concepts:write")
def post_concept_relations(call: Call, req: pb.PostConceptRelationsRequest) -> Message | Reply:
    relations = list(req.concept_relations)
    if not relations:
        raise ApiError(codes.CONN_INVALID_REQUEST, "the request has no concept relations")
    graphs = {r.knowledge_graph_id for r in relations}
    if len(graphs) > 1:
        raise ApiError(codes.CONN_INVALID_REQUEST, "one knowledge graph per request")
    made = call.app(req.user_app_id).create_concept_relations(
        req.concept_id,
        [r.object_concept.id for r in relations],
        [r.predicate for r in relations],
        graphs.pop(),
    )
    return answer("PostConceptRelations", MultiConceptRelationResponse(concept_relations=made))


@handler("ListConceptRelations", scope="concepts:read")
def list_concept_relations(call: Call, req: pb.ListConceptRelationsRequest) -> Message | Reply:
    page, per_page = page_args(req.page, req.per_page)
    found = call.app(req.user_app_id).search_concept_relations(
        req.concept_id, req.predicate or None, req.knowledge_graph_id or None, page, per_page
    )
    return answer("ListConceptRelations", MultiConceptRelationResponse(concept_relations=found))


@handler("DeleteConceptRelations", scope="concepts:write")
def delete_concept_relations(call: Call, req: pb.DeleteConceptRelationsRequest) -> Message | Reply:
    call.app(req.user_app_id).delete_concept_relations(req.concept_id, list(req.ids))
    return ok(response_type("DeleteConceptRelations")())
