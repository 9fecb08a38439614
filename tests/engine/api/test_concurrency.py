"""A slow request never blocks another one on the same app."""

from __future__ import annotations

import threading
import time
from typing import Any

import cv2
import numpy as np
import pytest
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from tests.engine.api.conftest import Server
from tests.http_servers import Recorded, serve

APP = r.UserAppIDSet(user_id="me", app_id="c")


def test_a_slow_workflow_run_does_not_hold_up_a_fast_one(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    png = cv2.imencode(".png", np.full((16, 16, 3), 60, np.uint8))[1].tobytes()
    release = threading.Event()

    def slow(_: Recorded) -> tuple[int, dict[str, str], bytes]:
        release.wait(20)
        return 200, {"Content-Type": "image/png"}, png

    stub = server.grpc_stub()
    md = server.metadata()
    stub.PostApps(
        pb.PostAppsRequest(
            user_app_id=r.UserAppIDSet(user_id="me"),
            apps=[r.App(id="c", default_workflow=r.Workflow(id="Image"))],
        ),
        metadata=md,
    )
    base = stub.ListWorkflows(pb.ListWorkflowsRequest(user_app_id=APP), metadata=md).workflows[0]
    with serve(slow) as image:
        done: dict[str, Any] = {}

        def run_slow() -> None:
            done["slow"] = stub.PostWorkflowResults(
                pb.PostWorkflowResultsRequest(
                    user_app_id=APP,
                    workflow_id=base.id,
                    inputs=[r.Input(data=r.Data(image=r.Image(url=image.url)))],
                ),
                metadata=md,
            )

        worker = threading.Thread(target=run_slow)
        worker.start()
        deadline = time.monotonic() + 10
        while not image.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        fast = stub.PostWorkflowResults(
            pb.PostWorkflowResultsRequest(
                user_app_id=APP,
                workflow_id=base.id,
                inputs=[r.Input(data=r.Data(image=r.Image(base64=png)))],
            ),
            metadata=md,
        )
        assert fast.status.code == codes.SUCCESS, fast.status
        assert "slow" not in done  # the slow one is still waiting on its download
        release.set()
        worker.join(30)
    assert done["slow"].status.code == codes.SUCCESS, done["slow"].status
