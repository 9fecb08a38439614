"""A real ``opgraph serve`` (gRPC + REST on 127.0.0.1, free ports) for the API tests, and
clarifai-grpc's own clients pointed at it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from engine.api.auth import parse_scopes
from engine.api.grpc_server import start_grpc
from engine.api.http import rest_config
from engine.api.rest import rest_app
from engine.api.server import Limits, ServerState


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    state: ServerState
    port: int
    grpc_port: int
    token: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def metadata(self, token: str | None = None) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Key {token or self.token}"),)

    def json_stub(self) -> Any:
        from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
        from clarifai_grpc.grpc.api import service_pb2_grpc

        return service_pb2_grpc.V2Stub(ClarifaiChannel.get_json_channel(base_url=self.base_url))

    def grpc_stub(self) -> Any:
        from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
        from clarifai_grpc.grpc.api import service_pb2_grpc

        channel = ClarifaiChannel.get_insecure_grpc_channel(base="127.0.0.1", port=self.grpc_port)
        return service_pb2_grpc.V2Stub(channel)


def start_server(
    data: Path,
    limits: Limits | None = None,
    models: list[Any] | None = None,
    insecure_dev: bool = False,
) -> tuple[Server, Any]:
    state = ServerState(
        data, limits=limits or Limits(threads=4), models=models or [], insecure_dev=insecure_dev
    )
    undo = state.apply_policy()
    grpc_port, port = free_port(), free_port()
    grpc_server = start_grpc(state, "127.0.0.1", grpc_port)
    config = rest_config(rest_app(state), host="127.0.0.1", port=port, log_level="error")
    rest = uvicorn.Server(config)
    thread = threading.Thread(target=rest.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not rest.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the REST server did not start")
        time.sleep(0.01)
    token = state.tokens.create(parse_scopes("*"))

    def stop() -> None:
        rest.should_exit = True
        thread.join(10)
        grpc_server.stop(grace=1).wait()
        state.close()
        undo()

    return Server(state, port, grpc_port, token), stop


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv, stop = start_server(tmp_path / "data")
    yield srv
    stop()


@pytest.fixture(params=["grpc", "json"])
def stub(request: pytest.FixtureRequest, server: Server) -> Any:
    """clarifai-grpc's V2Stub over its gRPC channel and over its JSON (REST) channel."""
    return server.grpc_stub() if request.param == "grpc" else server.json_stub()
