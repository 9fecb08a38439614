"""``opgraph serve`` as a process: SIGTERM drains a request in flight, and a kill -9 in the
middle of an add leaves the app as before or as after, never half."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from engine import App
from tests.engine.api.conftest import free_port
from tests.http_servers import Recorded, serve

pytestmark = pytest.mark.slow


def _png() -> bytes:
    return cv2.imencode(".png", np.full((16, 16, 3), 90, np.uint8))[1].tobytes()


def _slow_image(seconds: float) -> Any:
    def route(_: Recorded) -> tuple[int, dict[str, str], bytes]:
        time.sleep(seconds)  # the input's download is what keeps the request in flight
        return 200, {"Content-Type": "image/png"}, _png()

    return serve(route)


@contextmanager
def _server_process(data: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, str]]:
    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "serve",
            "token",
            "create",
            "--data",
            str(data),
            "--scopes",
            "*",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port, grpc_port = free_port(), free_port()
    env = {**os.environ, "OPGRAPH_ALLOW_PRIVATE_URLS": "127.0.0.1/32"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine",
            "serve",
            "--data",
            str(data),
            "--port",
            str(port),
            "--grpc-port",
            str(grpc_port),
        ],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _post(
                    port,
                    token,
                    "/v2/users/me/apps",
                    {"apps": [{"id": "a", "default_workflow": {"id": "General"}}]},
                )
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield proc, port, token
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        assert proc.stderr is not None
        proc.stderr.close()


def _post(port: int, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Key {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return dict(json.loads(reply.read()))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read()))


def _inputs(url: str, n: int) -> dict[str, Any]:
    png = base64.b64encode(_png()).decode()
    items: list[dict[str, Any]] = [
        {"id": f"t{i}", "data": {"image": {"base64": png}}} for i in range(n)
    ]
    items.append({"id": "slow", "data": {"image": {"url": url}}})
    return {"inputs": items}


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    with _slow_image(1.5) as image, _server_process(tmp_path) as (proc, port, token):
        answer: dict[str, Any] = {}
        worker = threading.Thread(
            target=lambda: answer.update(
                _post(port, token, "/v2/users/me/apps/a/inputs", _inputs(image.url, 3))
            )
        )
        worker.start()
        deadline = time.monotonic() + 10
        while not image.requests and time.monotonic() < deadline:
            time.sleep(0.02)  # the server is now fetching the slow input
        proc.send_signal(signal.SIGTERM)
        worker.join(30)
        assert proc.wait(30) == 0
        assert answer["status"]["code"] == 10000, answer
        assert [i["id"] for i in answer["inputs"]] == ["t0", "t1", "t2", "slow"]
    with App(tmp_path / "users" / "me" / "apps" / "a") as app:
        assert app.count_inputs() == 4


def test_kill_9_in_the_middle_of_an_add_leaves_before_or_after(tmp_path: Path) -> None:
    with _slow_image(5.0) as image, _server_process(tmp_path) as (proc, port, token):

        def add() -> None:
            with contextlib.suppress(OSError):  # the server dies under it
                _post(port, token, "/v2/users/me/apps/a/inputs", _inputs(image.url, 50))

        worker = threading.Thread(target=add, daemon=True)
        worker.start()
        deadline = time.monotonic() + 10
        while not image.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.kill()
        proc.wait(10)
    with App(tmp_path / "users" / "me" / "apps" / "a") as app:
        stored = app.count_inputs()
        assert stored in (0, 51)
        for inp in app.list_inputs(per_page=1000):
            assert app.get_input(str(inp.id)).data is not None
