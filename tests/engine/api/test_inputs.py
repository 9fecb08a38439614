"""Inputs over both transports with clarifai-grpc's clients: add, get, list, patch, count,
delete, and the refusals (duplicate id, unknown id, too many inputs, local paths)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import cv2
import numpy as np
import pytest
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf import struct_pb2

from tests.engine.api.conftest import Server

APP = r.UserAppIDSet(user_id="me", app_id="shop")


def _png() -> bytes:
    img = np.zeros((32, 48, 3), np.uint8)
    cv2.rectangle(img, (5, 5), (30, 20), (0, 200, 255), -1)
    return cv2.imencode(".png", img)[1].tobytes()


def _make_app(stub: Any, md: Any, base: str = "Text") -> None:
    made = stub.PostApps(
        pb.PostAppsRequest(
            user_app_id=r.UserAppIDSet(user_id="me"),
            apps=[r.App(id="shop", default_workflow=r.Workflow(id=base))],
        ),
        metadata=md,
    )
    assert made.status.code == codes.SUCCESS, made.status


def _text(input_id: str, raw: str, **meta: Any) -> r.Input:
    md = struct_pb2.Struct()
    md.update(meta)
    return r.Input(
        id=input_id,
        data=r.Data(text=r.Text(raw=raw), metadata=md, concepts=[r.Concept(id="shelf", value=1)]),
    )


def test_inputs_lifecycle(server: Server, stub: Any) -> None:
    md = server.metadata()
    _make_app(stub, md)
    added = stub.PostInputs(
        pb.PostInputsRequest(
            user_app_id=APP,
            inputs=[_text("a", "milk on the top shelf", aisle=3), _text("b", "bread", aisle=4)],
        ),
        metadata=md,
    )
    assert added.status.code == codes.SUCCESS, added.status
    assert [i.id for i in added.inputs] == ["a", "b"]

    again = stub.PostInputs(
        pb.PostInputsRequest(user_app_id=APP, inputs=[_text("a", "x")]), metadata=md
    )
    assert again.status.code == codes.INPUT_DUPLICATE, again.status
    skipped = stub.PostInputs(
        pb.PostInputsRequest(
            user_app_id=APP,
            inputs=[_text("a", "x"), _text("c", "eggs")],
            input_id_conflict_resolution=r.SKIP,
        ),
        metadata=md,
    )
    assert skipped.status.code == codes.SUCCESS, skipped.status

    got = stub.GetInput(pb.GetInputRequest(user_app_id=APP, input_id="a"), metadata=md)
    assert got.input.data.text.raw == "milk on the top shelf"
    assert got.input.data.metadata["aisle"] == 3

    listed = stub.ListInputs(pb.ListInputsRequest(user_app_id=APP, page=1, per_page=2), metadata=md)
    assert [i.id for i in listed.inputs] == ["a", "b"]
    page2 = stub.ListInputs(pb.ListInputsRequest(user_app_id=APP, page=2, per_page=2), metadata=md)
    assert [i.id for i in page2.inputs] == ["c"]

    patch = r.Input(id="b")
    patch.data.metadata.update({"aisle": 7})
    patched = stub.PatchInputs(
        pb.PatchInputsRequest(user_app_id=APP, inputs=[patch], action="merge"), metadata=md
    )
    assert patched.status.code == codes.SUCCESS, patched.status
    assert patched.inputs[0].data.metadata["aisle"] == 7

    count = stub.GetInputCount(pb.GetInputCountRequest(user_app_id=APP), metadata=md)
    assert count.counts.processed == 3

    gone = stub.DeleteInputs(pb.DeleteInputsRequest(user_app_id=APP, ids=["a", "b"]), metadata=md)
    assert gone.status.code == codes.SUCCESS
    missing = stub.GetInput(pb.GetInputRequest(user_app_id=APP, input_id="a"), metadata=md)
    assert missing.status.code != codes.SUCCESS
    left = stub.ListInputs(pb.ListInputsRequest(user_app_id=APP), metadata=md)
    assert [i.id for i in left.inputs] == ["c"]


def test_image_inputs_round_trip(server: Server, stub: Any) -> None:
    md = server.metadata()
    _make_app(stub, md, base="General")
    png = _png()
    added = stub.PostInputs(
        pb.PostInputsRequest(
            user_app_id=APP, inputs=[r.Input(id="img", data=r.Data(image=r.Image(base64=png)))]
        ),
        metadata=md,
    )
    assert added.status.code == codes.SUCCESS, added.status
    got = stub.GetInput(pb.GetInputRequest(user_app_id=APP, input_id="img"), metadata=md)
    decoded = cv2.imdecode(np.frombuffer(got.input.data.image.base64, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == (32, 48, 3)


def test_urls_that_must_not_be_reached_fail_their_input(server: Server, stub: Any) -> None:
    md = server.metadata()
    _make_app(stub, md, base="General")
    urls = [
        "file:///etc/passwd",
        "http://127.0.0.1:1/x.png",
        "http://10.0.0.1/x.png",
        "http://[::ffff:127.0.0.1]:1/x.png",
    ]
    reply = stub.PostInputs(
        pb.PostInputsRequest(
            user_app_id=APP,
            inputs=[
                r.Input(id=f"u{i}", data=r.Data(image=r.Image(url=url)))
                for i, url in enumerate(urls)
            ],
        ),
        metadata=md,
    )
    assert reply.status.code == codes.FAILURE
    for url, inp in zip(urls, reply.inputs, strict=True):
        assert inp.status.code == codes.INPUT_FAILED, url
        assert "refus" in inp.status.description, inp.status.description


def test_too_many_inputs_in_one_request(server: Server, stub: Any) -> None:
    md = server.metadata()
    _make_app(stub, md)
    many = [_text(f"t{i}", "x") for i in range(server.state.limits.max_inputs + 1)]
    reply = stub.PostInputs(pb.PostInputsRequest(user_app_id=APP, inputs=many), metadata=md)
    assert reply.status.code == codes.CONN_INVALID_REQUEST
    assert "limit" in reply.status.description


def test_metadata_nested_past_the_stack_is_a_bad_request(server: Server) -> None:
    # over REST only: protobuf's own parsers stop gRPC messages at 100 levels
    md = server.metadata()
    _make_app(server.grpc_stub(), md)
    deep = '{"k": ' * 300 + "1" + "}" * 300
    body = f'{{"inputs": [{{"data": {{"text": {{"raw": "x"}}, "metadata": {deep}}}}}]}}'
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/v2/users/me/apps/shop/inputs",
        data=body.encode(),
        headers={"Content-Type": "application/json", **dict(md)},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400
    status = json.loads(refused.value.read())["status"]
    assert status["code"] == codes.CONN_BAD_REQUEST_FORMAT
    assert "nested too deeply" in status["description"]
