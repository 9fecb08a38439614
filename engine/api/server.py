"""``opgraph serve``: Clarifai's V2 over gRPC and REST from one process, on one data folder.

``ServerState`` is what every request shares: the apps under the data folder, the token
store and the limits.  ``invoke`` is the one door both transports use: it bounds the
requests in flight (Clarifai's queue-full status past the bound, never a pile-up) and
hands the request to the method's handler.  ``serve`` runs ``Limits.workers`` worker
processes (``engine.api.workers``) sharing both ports, or with one worker serves in this
process: the gRPC server on its own thread pool and the REST app on uvicorn.  SIGTERM or
Ctrl-C stops taking requests, lets those in flight finish (``drain_s``), then closes every
app's store.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf.message import Message

import engine.api.handlers  # noqa: F401  (registers every handler)
from engine.api.auth import NOBODY, TokenStore
from engine.api.service import Call, Reply, dispatch, failure
from engine.app.directory import AppDirectory
from engine.operator import ModelBinding

__all__ = ["Limits", "ServerState", "invoke", "serve", "serve_here"]

log = logging.getLogger("opgraph.api")


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may ask of the server."""

    max_request_bytes: int = 32 * 1024 * 1024  # a request body / gRPC message
    max_inputs: int = 128  # inputs in one request, as Clarifai allows
    max_in_flight: int = 64  # concurrent requests per worker; more are refused, not queued
    threads: int = 8  # threads that run handlers (per worker process and transport)
    workers: int = 1  # worker processes sharing the ports (``serve``)
    drain_s: float = 10.0  # how long in-flight requests may finish after SIGTERM


@dataclass
class ServerState:
    """What every request shares.

    ``models``: catalog bindings that workflows posted by id may use (``--models``).
    ``file_roots``: the only folders a workflow's file params (ONNX models, detections files)
    may name; none by default.  ``allow_private_urls``: private or loopback networks that
    input URLs and model endpoints may reach (``True`` for all); none by default.  Local
    paths in requests are never read.
    """

    data: Path | str  # a folder, or a postgresql:// URL (apps and tokens in that database)
    insecure_dev: bool = False
    limits: Limits = field(default_factory=Limits)
    file_roots: tuple[str, ...] = ()
    allow_private_urls: bool | str = False
    models: list[ModelBinding] = field(default_factory=list)  # the server's model catalog

    def __post_init__(self) -> None:
        if isinstance(self.data, str):
            from engine.app.pg_directory import PgAppDirectory

            self.apps: AppDirectory | PgAppDirectory = PgAppDirectory(self.data)
            self.tokens = TokenStore(self.data, insecure_dev=self.insecure_dev)
        else:
            self.data.mkdir(parents=True, exist_ok=True)
            self.apps = AppDirectory(self.data)
            self.tokens = TokenStore(self.data / "server.db", insecure_dev=self.insecure_dev)
        self._slots = threading.BoundedSemaphore(self.limits.max_in_flight)

    def __getstate__(self) -> dict[str, Any]:
        # a worker process gets the settings and opens its own stores over the same folder
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __setstate__(self, settings: dict[str, Any]) -> None:
        self.__dict__.update(settings)
        self.__post_init__()

    def close(self) -> None:
        self.apps.close()
        self.tokens.close()

    def apply_policy(self) -> Callable[[], None]:
        """Narrow what requests may reach, for this process; returns the undo."""
        from engine import inputs, limits, media

        old_limits = limits.configure(file_roots=tuple(self.file_roots))
        old_private = media.settings.allow_private_urls
        old_roots = inputs.settings.json_path_roots
        media.settings.allow_private_urls = self.allow_private_urls
        inputs.settings.json_path_roots = ()

        def undo() -> None:
            limits.configure(**{"file_roots": old_limits.file_roots})
            media.settings.allow_private_urls = old_private
            inputs.settings.json_path_roots = old_roots

        return undo


def invoke(state: ServerState, name: str, request: Message, key: str | None) -> Reply:
    """Run V2 method ``name``; a full server answers Clarifai's queue-full status at once."""
    if not state._slots.acquire(blocking=False):
        busy = failure(name, codes.RPC_REQUEST_QUEUE_FULL, "the server is busy; retry shortly")
        return Reply(name, proto=busy)
    try:
        return dispatch(name, request, state.tokens, Call(NOBODY, state), key)
    finally:
        state._slots.release()


def serve(
    state: ServerState, host: str = "127.0.0.1", port: int = 8080, grpc_port: int = 18080
) -> None:
    """Serve until SIGTERM/SIGINT; then drain the requests in flight and close every app."""
    if state.limits.workers > 1:
        from engine.api.workers import supervise

        supervise(state, host, port, grpc_port)
    else:
        serve_here(state, host, port, grpc_port)


def serve_here(
    state: ServerState,
    host: str,
    port: int,
    grpc_port: int,
    rest_socket: socket.socket | None = None,
) -> None:
    """Serve from this process; REST on ``rest_socket`` when given (a socket shared by
    worker processes), else on ``host:port``."""
    import uvicorn

    from engine.api.grpc_server import start_grpc
    from engine.api.http import rest_config
    from engine.api.rest import rest_app

    class _Server(uvicorn.Server):
        # uvicorn re-raises a captured SIGTERM after its shutdown, which would kill the
        # process before the gRPC side drains and the stores close: we stop it ourselves
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    config = rest_config(
        rest_app(state),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=int(state.limits.drain_s),
    )
    rest = _Server(config)
    undo = state.apply_policy()
    grpc_server = start_grpc(state, host, grpc_port, shared=rest_socket is not None)

    def stop(signum: int, frame: object) -> None:
        rest.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    if rest_socket is None:
        log.warning(
            "opgraph serve: REST on http://%s:%d, gRPC on %s:%d", host, port, host, grpc_port
        )
    try:
        rest.run(sockets=[rest_socket] if rest_socket is not None else None)
    finally:
        grpc_server.stop(grace=state.limits.drain_s).wait()
        state.close()
        undo()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
