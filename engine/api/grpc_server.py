"""The gRPC transport: clarifai-grpc's own ``V2Servicer`` with every method sent to ``invoke``."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
from clarifai_grpc.grpc.api import service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from engine.api.routes import service_methods
from engine.api.server import ServerState, invoke
from engine.api.service import failure

__all__ = ["start_grpc"]


def _key(context: grpc.ServicerContext) -> str | None:
    for name, value in context.invocation_metadata():
        if name.lower() == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() in ("key", "bearer") else None
    return None


def _unary(state: ServerState, name: str) -> Any:
    def method(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        reply = invoke(state, name, request, _key(context))
        if reply.headers:
            context.set_trailing_metadata([(k.lower(), v) for k, v in reply.headers.items()])
        return reply.proto()

    return method


def _not_streamed(name: str, server_streaming: bool) -> Any:
    message = f"{name} (a streaming method) is not implemented by opgraph"

    def unary_reply(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        return failure(name, codes.NOT_IMPLEMENTED, message)

    def stream_reply(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        yield failure(name, codes.NOT_IMPLEMENTED, message)

    return stream_reply if server_streaming else unary_reply


def servicer(state: ServerState) -> Any:
    """A ``V2Servicer`` whose every method answers through ``invoke``."""
    methods: dict[str, Any] = {}
    for m in service_methods():
        if m.client_streaming or m.server_streaming:
            methods[m.name] = _not_streamed(m.name, m.server_streaming)
        else:
            methods[m.name] = _unary(state, m.name)
    cls = type("OpgraphV2", (service_pb2_grpc.V2Servicer,), methods)
    return cls()


def start_grpc(state: ServerState, host: str, port: int, *, shared: bool = False) -> grpc.Server:
    """The gRPC server on ``host:port``; ``shared``: worker processes listen on the same
    port (SO_REUSEPORT; the kernel spreads connections over them)."""
    limit = state.limits.max_request_bytes
    threads = state.limits.threads
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", 4 * limit),
            ("grpc.so_reuseport", 1 if shared else 0),
        ],
        # a backstop only: invoke() answers past max_in_flight with Clarifai's own status
        maximum_concurrent_rpcs=4 * state.limits.max_in_flight + threads,
    )
    service_pb2_grpc.add_V2Servicer_to_server(servicer(state), server)
    if server.add_insecure_port(f"{host}:{port}") == 0:
        raise OSError(f"cannot listen for gRPC on {host}:{port}")
    server.start()
    return server
