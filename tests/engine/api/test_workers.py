"""``opgraph serve --workers 2``: two worker processes behind both ports, over one folder.

Each urllib request and each new gRPC channel is a new connection, which the kernel may
give to either worker: what one worker writes, every request must see."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.engine.api.conftest import free_port

pytestmark = pytest.mark.slow


def _token(data: Path) -> str:
    command = [sys.executable, "-m", "engine", "serve", "token", "create", "--data", str(data)]
    return subprocess.run(
        [*command, "--scopes", "*"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _rest(port: int, token: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Key {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return dict(json.loads(reply.read()))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read()))


def _grpc_get_app(grpc_port: int, token: str, app_id: str) -> int:
    from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
    from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc

    channel = ClarifaiChannel.get_insecure_grpc_channel(base="127.0.0.1", port=grpc_port)
    try:
        reply = service_pb2_grpc.V2Stub(channel).GetApp(
            service_pb2.GetAppRequest(
                user_app_id=resources_pb2.UserAppIDSet(user_id="me", app_id=app_id)
            ),
            metadata=(("authorization", f"Key {token}"),),
            timeout=30,
        )
        return int(reply.status.code)
    finally:
        channel.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            worker = b"spawn_main" in command  # not multiprocessing's resource tracker
            if worker and int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_two_workers_share_both_ports_and_drain_on_sigterm(tmp_path: Path) -> None:
    token = _token(tmp_path)
    port, grpc_port = free_port(), free_port()
    command = [sys.executable, "-m", "engine", "serve", "--data", str(tmp_path)]
    ports = ["--port", str(port), "--grpc-port", str(grpc_port)]
    proc = subprocess.Popen(
        [*command, *ports, "--workers", "2", "--threads", "2"], stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                made = _rest(port, token, "POST", "/v2/users/me/apps", {"apps": [{"id": "a"}]})
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert made["status"]["code"] == 10000, made
        workers = _children(proc.pid)
        assert len(workers) == 2
        while _grpc_get_app(grpc_port, token, "a") != 10000:  # until a worker has gRPC up
            assert time.monotonic() < deadline
            time.sleep(0.1)

        late = _token(tmp_path)  # made by another process while the workers run
        for _ in range(6):
            assert _grpc_get_app(grpc_port, late, "a") == 10000
            listed = _rest(port, late, "GET", "/v2/users/me/apps")
            assert [a["id"] for a in listed["apps"]] == ["a"]
        gone = _rest(port, token, "DELETE", "/v2/users/me/apps/a")
        assert gone["status"]["code"] == 10000, gone
        for _ in range(6):  # no worker serves the deleted app from a handle it held
            assert _grpc_get_app(grpc_port, token, "a") == 11101
            assert _rest(port, token, "GET", "/v2/users/me/apps/a")["status"]["code"] == 11101

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        assert proc.stderr is not None
        proc.stderr.close()


def test_connections_on_the_shared_rest_socket_send_without_nagle() -> None:
    """asyncio (so uvicorn) sets TCP_NODELAY on accepted connections only when the listening
    socket says it is TCP; without it a REST reply's body waits for the client's delayed ACK
    (a ~40 ms floor per request with --workers 2)."""
    import asyncio
    import socket

    from engine.api.workers import _rest_socket

    listener = _rest_socket("127.0.0.1", free_port())
    seen: list[int] = []

    async def run() -> None:
        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(run())
    assert seen and seen[0] != 0


def test_each_worker_listens_on_its_own_rest_socket_and_the_kernel_spreads_connections() -> None:
    """One socket accepted on by every worker lets the first to wake take every waiting
    connection; a socket per worker on the port (SO_REUSEPORT) spreads them."""
    import socket

    from engine.api.workers import _rest_socket

    port = free_port()
    listeners = [_rest_socket("127.0.0.1", port) for _ in range(2)]
    clients: list[socket.socket] = []
    try:
        for listener in listeners:
            listener.listen(128)
            listener.setblocking(False)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
        accepted = [0, 0]
        deadline = time.monotonic() + 10
        while sum(accepted) < len(clients) and time.monotonic() < deadline:
            for i, listener in enumerate(listeners):
                try:
                    listener.accept()[0].close()
                    accepted[i] += 1
                except BlockingIOError:
                    time.sleep(0.001)
        assert sum(accepted) == len(clients)
        assert min(accepted) > 0, accepted  # all 64 on one socket: odds of 2**-63
    finally:
        for sock in [*clients, *listeners]:
            sock.close()


def test_a_rest_port_something_else_holds_is_refused() -> None:
    import socket

    from engine.api.workers import _check_free

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen for REST on 127.0.0.1:{port}"):
            _check_free("127.0.0.1", port, "REST")
