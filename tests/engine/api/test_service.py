"""``Reply``: the App's pydantic response sent as JSON (REST) or as its proto (gRPC), each
built from the model, the same answer either way."""

from __future__ import annotations

from clarifai_grpc.grpc.api import service_pb2 as pb
from google.protobuf import json_format

from engine.api.service import Reply
from engine.proto import Concept, Data, Output, PostWorkflowResultsResponse, Status, WorkflowResult


def _response(status: Status | None) -> PostWorkflowResultsResponse:
    output = Output(id="o", data=Data(concepts=[Concept(id="c", value=0.5)]))
    response = PostWorkflowResultsResponse(results=[WorkflowResult(outputs=[output])])
    return response.model_copy(update={"status": status})


def test_json_and_proto_of_a_model_are_one_answer() -> None:
    reply = Reply("PostWorkflowResults", model=_response(Status(code=10010, description="m")))
    doc = reply.json()
    assert reply.code == 10010 and doc["status"] == {"code": 10010, "description": "m"}
    assert "regions" not in doc["results"][0]["outputs"][0]["data"]  # no empty lists in JSON
    expected = pb.PostWorkflowResultsResponse()
    json_format.ParseDict(doc, expected)
    assert reply.proto() == expected


def test_a_model_without_a_status_answers_success_on_both() -> None:
    for build in ("json", "proto"):
        reply = Reply("PostWorkflowResults", model=_response(None))
        assert reply.code == 10000
        if build == "json":
            assert reply.json()["status"] == {"code": 10000, "description": "Ok"}
        else:
            assert reply.proto().status.code == 10000
            assert reply.proto().status.description == "Ok"


def test_a_model_that_does_not_fit_its_proto_is_an_internal_error_not_a_crash() -> None:
    reply = Reply("GetInput", model=_response(None))  # the wrong response for the method
    assert reply.proto().status.code == 98004  # INTERNAL_SERVER_ISSUE


def test_parts_given_as_protos_make_the_same_answer() -> None:
    from clarifai_grpc.grpc.api import resources_pb2 as r

    from engine.proto import Model, WorkflowDefinition, WorkflowNode

    definition = WorkflowDefinition(
        id="flow", nodes=[WorkflowNode(id="o", model=Model(id="m", model_type_id="prompter"))]
    )
    model = _response(None).model_copy(update={"workflow": definition})
    part = r.Workflow(id="flow", nodes=[r.WorkflowNode(id="o", model=r.Model(id="m"))])
    part.nodes[0].model.model_type_id = "prompter"
    plain = Reply("PostWorkflowResults", model=model)
    with_part = Reply("PostWorkflowResults", model=model, parts={"workflow": part})
    assert with_part.proto() == plain.proto()
    assert with_part.json() == plain.json()  # JSON is written from the model, whole


def test_request_and_response_types_are_the_methods_own() -> None:
    from engine.api.service import request_type, response_type

    assert request_type("PostWorkflowResults") is pb.PostWorkflowResultsRequest
    assert response_type("PostWorkflowResults") is pb.PostWorkflowResultsResponse
    assert response_type("GetInput") is pb.SingleInputResponse
    assert response_type("GetInput") is response_type("GetInput")
