"""Workflows over both transports with clarifai-grpc's clients: store one given as the proto
Clarifai's SDK builds from YAML, run it, patch it twice, run version 1 and version 3."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf import struct_pb2

from tests.engine.api.conftest import Server

APP = r.UserAppIDSet(user_id="me", app_id="flows")


def _node(
    node_id: str,
    type_id: str,
    params: dict[str, Any],
    concepts: tuple[str, ...] = (),
    inputs: tuple[str, ...] = (),
) -> r.WorkflowNode:
    struct = struct_pb2.Struct()
    struct.update(params)
    info = r.OutputInfo(
        params=struct, data=r.Data(concepts=[r.Concept(id=c, value=0.5) for c in concepts])
    )
    return r.WorkflowNode(
        id=node_id,
        model=r.Model(id=f"{node_id}-model", model_type_id=type_id, output_info=info),
        node_inputs=[r.NodeInput(node_id=i) for i in inputs],
    )


def _workflow(pattern: str) -> r.Workflow:
    return r.Workflow(
        id="money",
        nodes=[
            _node("regex", "regex-based-classifier", {"regex": pattern}, ("money",)),
            _node(
                "keep",
                "concept-thresholder",
                {"concept_threshold_type": "GREATER_THAN"},
                ("money",),
                inputs=("regex",),
            ),
        ],
    )


def _run(stub: Any, md: Any, version_id: str = "") -> Any:
    return stub.PostWorkflowResults(
        pb.PostWorkflowResultsRequest(
            user_app_id=APP,
            workflow_id="money",
            version_id=version_id,
            inputs=[
                r.Input(data=r.Data(text=r.Text(raw="it cost $480,000"))),
                r.Input(data=r.Data(text=r.Text(raw="the cafe reopened"))),
            ],
        ),
        metadata=md,
    )


def _concepts(result: Any) -> list[str]:
    return [c.id for c in result.outputs[0].data.concepts]


def test_store_run_patch_and_run_old_versions(server: Server, stub: Any) -> None:
    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="flows")]),
        metadata=md,
    )
    made = stub.PostWorkflows(
        pb.PostWorkflowsRequest(user_app_id=APP, workflows=[_workflow(r"\$[0-9,]+")]), metadata=md
    )
    assert made.status.code == codes.SUCCESS, made.status
    v1 = made.workflows[0].version.id
    first = _run(stub, md)
    assert first.status.code == codes.SUCCESS, first.status
    assert _concepts(first.results[0]) == ["money"] and _concepts(first.results[1]) == []

    for pattern in (r"cafe", r"reopened"):
        patched = stub.PatchWorkflows(
            pb.PatchWorkflowsRequest(
                user_app_id=APP, action="overwrite", workflows=[_workflow(pattern)]
            ),
            metadata=md,
        )
        assert patched.status.code == codes.SUCCESS, patched.status
    versions = stub.ListWorkflowVersions(
        pb.ListWorkflowVersionsRequest(user_app_id=APP, workflow_id="money"), metadata=md
    )
    ids = [v.id for v in versions.workflow_versions]
    assert len(ids) == 3 and ids[-1] == v1  # newest first
    v3 = ids[0]

    old = _run(stub, md, v1)
    new = _run(stub, md, v3)
    assert _concepts(old.results[0]) == ["money"]
    assert _concepts(new.results[0]) == [] and _concepts(new.results[1]) == ["money"]

    got = stub.GetWorkflowVersion(
        pb.GetWorkflowVersionRequest(user_app_id=APP, workflow_id="money", workflow_version_id=v1),
        metadata=md,
    )
    assert [n.id for n in got.workflow_version.nodes] == ["regex", "keep"]
    listed = stub.ListWorkflows(pb.ListWorkflowsRequest(user_app_id=APP), metadata=md)
    assert "money" in [w.id for w in listed.workflows]

    gone = stub.DeleteWorkflow(
        pb.DeleteWorkflowRequest(user_app_id=APP, workflow_id="money"), metadata=md
    )
    assert gone.status.code == codes.SUCCESS
    missing = _run(stub, md)
    assert missing.status.code != codes.SUCCESS


def test_a_bad_workflow_is_refused_with_its_reason(server: Server, stub: Any) -> None:
    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="flows")]),
        metadata=md,
    )
    bad = r.Workflow(id="bad", nodes=[_node("x", "no-such-operator", {})])
    reply = stub.PostWorkflows(
        pb.PostWorkflowsRequest(user_app_id=APP, workflows=[bad]), metadata=md
    )
    assert reply.status.code != codes.SUCCESS
    assert "no-such-operator" in reply.status.description
    cyclic = r.Workflow(
        id="loop",
        nodes=[
            _node("a", "concept-thresholder", {}, ("x",), inputs=("b",)),
            _node("b", "concept-thresholder", {}, ("x",), inputs=("a",)),
        ],
    )
    reply = stub.PostWorkflows(
        pb.PostWorkflowsRequest(user_app_id=APP, workflows=[cyclic]), metadata=md
    )
    assert reply.status.code != codes.SUCCESS


def test_file_params_outside_the_served_roots_are_refused(server: Server, stub: Any) -> None:
    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="flows")]),
        metadata=md,
    )
    for path in ("/etc/passwd", "../../../../etc/passwd", "/proc/self/environ"):
        wf = r.Workflow(id="replay", nodes=[_node("d", "detections-file", {"path": path})])
        reply = stub.PostWorkflows(
            pb.PostWorkflowsRequest(user_app_id=APP, workflows=[wf]), metadata=md
        )
        assert reply.status.code != codes.SUCCESS, path
        assert "outside the folders" in reply.status.description, reply.status.description
        assert "root:" not in reply.status.description


def test_a_video_runs_as_a_stream_of_sampled_frames(server: Server, tmp_path: Any) -> None:
    import cv2
    import numpy as np

    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for i in range(30):  # 3 s at 10 fps: red, then blue
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[:] = (0, 0, 255) if i < 15 else (255, 0, 0)
        writer.write(frame)
    writer.release()
    md = server.metadata()
    stub = server.grpc_stub()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="flows")]),
        metadata=md,
    )
    colours = r.Workflow(id="colours", nodes=[_node("colour", "image-color-recognizer", {})])
    stub.PostWorkflows(pb.PostWorkflowsRequest(user_app_id=APP, workflows=[colours]), metadata=md)
    ran = stub.PostWorkflowResults(
        pb.PostWorkflowResultsRequest(
            user_app_id=APP,
            workflow_id="colours",
            inputs=[r.Input(data=r.Data(video=r.Video(base64=path.read_bytes())))],
            output_config=r.OutputConfig(sample_ms=1000),
        ),
        metadata=md,
    )
    assert ran.status.code == codes.SUCCESS, ran.status
    frames = ran.results[0].outputs[0].data.frames
    assert [f.frame_info.time for f in frames] == [0, 1000, 2000]
    names = [f.data.colors[0].w3c.name for f in frames]
    assert names[0] == "Red" and names[-1] == "Blue"


def test_a_refused_workflow_says_where_in_its_status_details(server: Server, stub: Any) -> None:
    import json

    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="flows")]),
        metadata=md,
    )
    bad = _workflow("x")
    bad.nodes[1].model.output_info.params.update({"concept_threshold_type": "MORE_OR_LESS"})
    request = pb.PostWorkflowsRequest(user_app_id=APP, workflows=[bad])
    reply = stub.PostWorkflows(request, metadata=md)
    assert reply.status.code != codes.SUCCESS
    (place,) = json.loads(reply.status.details)
    assert place["node_id"] == "keep" and place["key"] == "params" and place["line"] > 0
    assert "concept_threshold_type" in place["message"]
    assert reply.status.description.endswith(place["message"])
    dangling = _workflow("x")
    dangling.nodes[1].node_inputs[0].node_id = "nowhere"
    reply = stub.PostWorkflows(
        pb.PostWorkflowsRequest(user_app_id=APP, workflows=[dangling]), metadata=md
    )
    (place,) = json.loads(reply.status.details)
    assert place["node_id"] == "keep" and place["key"] is None and "nowhere" in place["message"]


def test_status_details_list_every_mistake_in_file_order() -> None:
    import json

    from engine.api.service import spec_details
    from engine.errors import SpecError, SpecErrors

    both = SpecErrors([SpecError("a", line=2, col=3, node_id="n", key="="), SpecError("b", line=5)])
    assert json.loads(spec_details(both)) == [
        {"line": 2, "col": 3, "node_id": "n", "key": None, "message": "a"},
        {"line": 5, "col": 0, "node_id": None, "key": None, "message": "b"},
    ]


def test_each_node_s_time_comes_back_as_server_timing(server: Server) -> None:
    import re

    import requests

    md = server.metadata()
    stub = server.grpc_stub()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="flows")]),
        metadata=md,
    )
    wf = _workflow(r"\$[0-9,]+")
    wf.nodes[1].id = "keep it/ü"  # any id travels percent-encoded
    wf.nodes[1].node_inputs[0].node_id = "regex"
    made = stub.PostWorkflows(pb.PostWorkflowsRequest(user_app_id=APP, workflows=[wf]), metadata=md)
    assert made.status.code == codes.SUCCESS, made.status
    # over REST: the standard header, one entry per node, its id in desc, ms in dur
    got = requests.post(
        f"{server.base_url}/v2/users/me/apps/flows/workflows/money/results",
        json={"inputs": [{"data": {"text": {"raw": "it cost $5"}}}]},
        headers={"Authorization": f"Key {server.token}"},
        timeout=30,
    )
    entries = got.headers["server-timing"].split(", ")
    parsed = [re.fullmatch(r'node\d+;desc="([^"]*)";dur=([0-9.]+)', e) for e in entries]
    assert all(parsed), entries
    assert [m.group(1) for m in parsed if m] == ["regex", "keep%20it%2F%C3%BC"]
    # over gRPC: the same, as trailing metadata
    _, call = stub.PostWorkflowResults.with_call(
        pb.PostWorkflowResultsRequest(
            user_app_id=APP,
            workflow_id="money",
            inputs=[r.Input(data=r.Data(text=r.Text(raw="it cost $5")))],
        ),
        metadata=md,
    )
    trailing = dict(call.trailing_metadata())
    assert trailing["server-timing"].startswith('node0;desc="regex";dur=')


def test_node_times_sum_per_node_in_the_order_nodes_first_ran() -> None:
    from engine.api.handlers.workflows import _NodeTimes

    times = _NodeTimes()
    for node_id, seconds in (("b", 0.001), ("a/ü", 0.002), ("b", 0.0005)):
        times.add(node_id, seconds)
    assert times.header() == ('node0;desc="b";dur=1.500, node1;desc="a%2F%C3%BC";dur=2.000')
    assert _NodeTimes().header() == ""
