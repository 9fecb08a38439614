"""Tokens, scopes, apps, limits and bad requests: each one clear status, nothing changed."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from engine.api.auth import parse_scopes
from engine.api.server import Limits
from engine.cli import main
from tests.engine.api.conftest import Server, start_server
from tests.http_servers import Recorded, serve

ME = r.UserAppIDSet(user_id="me")


def _http(
    server: Server, method: str, path: str, body: bytes | None = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Key {token}"
    req = urllib.request.Request(server.base_url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_scopes_and_apps_a_token_lacks_are_denied(server: Server) -> None:
    stub = server.grpc_stub()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=ME, apps=[r.App(id="a"), r.App(id="b")]),
        metadata=server.metadata(),
    )
    reader = server.state.tokens.create(parse_scopes("inputs:read"), app=("me", "a"))
    md = server.metadata(reader)
    denied = stub.PostInputs(
        pb.PostInputsRequest(
            user_app_id=r.UserAppIDSet(user_id="me", app_id="a"),
            inputs=[r.Input(id="x", data=r.Data(text=r.Text(raw="hi")))],
        ),
        metadata=md,
    )
    assert denied.status.code == codes.CONN_INSUFFICIENT_SCOPES
    other_app = stub.ListInputs(
        pb.ListInputsRequest(user_app_id=r.UserAppIDSet(user_id="me", app_id="b")), metadata=md
    )
    assert other_app.status.code == codes.CONN_INSUFFICIENT_SCOPES
    allowed = stub.ListInputs(
        pb.ListInputsRequest(user_app_id=r.UserAppIDSet(user_id="me", app_id="a")), metadata=md
    )
    assert allowed.status.code == codes.SUCCESS
    assert server.state.apps.get("me", "a").count_inputs() == 0
    status, doc = _http(server, "GET", "/v2/users/me/apps/a/inputs", token=reader + "x")
    assert status == 401 and doc["status"]["code"] == codes.CONN_KEY_INVALID
    status, doc = _http(
        server,
        "POST",
        "/v2/users/me/apps/a/inputs",
        json.dumps({"inputs": [{"data": {"text": {"raw": "x"}}}]}).encode(),
        token=reader,
    )
    assert status == 403 and doc["status"]["code"] == codes.CONN_INSUFFICIENT_SCOPES


def test_rest_bad_requests(server: Server) -> None:
    tok = server.token
    _http(server, "POST", "/v2/users/me/apps", json.dumps({"apps": [{"id": "a"}]}).encode(), tok)
    status, doc = _http(server, "POST", "/v2/users/me/apps/a/inputs", b"{not json", tok)
    assert status == 400 and doc["status"]["code"] == codes.CONN_BAD_REQUEST_FORMAT
    status, doc = _http(
        server,
        "POST",
        "/v2/users/me/apps/a/inputs",
        json.dumps({"inputs": [{"nonsense": 1}]}).encode(),
        tok,
    )
    assert status == 400 and "nonsense" in doc["status"]["description"]
    deep = b"[" * 100_000 + b"]" * 100_000
    status, doc = _http(server, "POST", "/v2/users/me/apps/a/inputs", deep, tok)
    assert status == 400
    status, doc = _http(server, "GET", "/v2/nowhere", token=tok)
    assert status == 404
    status, doc = _http(server, "GET", "/v2/users/me/apps/a/inputs?page=zero", token=tok)
    assert status == 400 and "integer" in doc["status"]["description"]
    for raw in ("x", "y", "z"):
        _http(
            server,
            "POST",
            "/v2/users/me/apps/a/inputs",
            json.dumps({"inputs": [{"id": raw, "data": {"text": {"raw": raw}}}]}).encode(),
            tok,
        )
    status, doc = _http(server, "GET", "/v2/users/me/apps/a/inputs?page=2&per_page=2", token=tok)
    assert status == 200 and [i["id"] for i in doc["inputs"]] == ["z"]
    status, doc = _http(server, "GET", "/v2/users/me/apps/a/inputs?per_page=5000", token=tok)
    assert doc["status"]["code"] == codes.CONN_INVALID_RANGE


def test_a_body_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    srv, stop = start_server(tmp_path, Limits(max_request_bytes=1024, threads=2))
    try:
        status, doc = _http(srv, "POST", "/v2/users/me/apps/a/inputs", b" " * 4096, srv.token)
        assert status == 413 and "limit" in doc["status"]["description"]
    finally:
        stop()


def test_requests_past_the_in_flight_bound_are_refused_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    release = threading.Event()

    def slow(_: Recorded) -> tuple[int, dict[str, str], bytes]:
        release.wait(20)
        return 404, {}, b""

    srv, stop = start_server(tmp_path, Limits(max_in_flight=1, threads=4))
    try:
        stub = srv.grpc_stub()
        md = srv.metadata()
        stub.PostApps(
            pb.PostAppsRequest(
                user_app_id=ME, apps=[r.App(id="a", default_workflow=r.Workflow(id="Image"))]
            ),
            metadata=md,
        )
        ids = r.UserAppIDSet(user_id="me", app_id="a")
        with serve(slow) as image:
            worker = threading.Thread(
                target=lambda: stub.PostInputs(
                    pb.PostInputsRequest(
                        user_app_id=ids, inputs=[r.Input(data=r.Data(image=r.Image(url=image.url)))]
                    ),
                    metadata=md,
                )
            )
            worker.start()
            deadline = time.monotonic() + 10
            while not image.requests and time.monotonic() < deadline:
                time.sleep(0.01)
            busy = stub.ListInputs(pb.ListInputsRequest(user_app_id=ids), metadata=md)
            assert busy.status.code == codes.RPC_REQUEST_QUEUE_FULL
            release.set()
            worker.join(30)
        assert (
            stub.ListInputs(pb.ListInputsRequest(user_app_id=ids), metadata=md).status.code
            == codes.SUCCESS
        )
    finally:
        stop()


def test_insecure_dev_only_on_loopback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["serve", "--data", str(tmp_path), "--insecure-dev", "--host", "0.0.0.0"]) == 2
    assert "only allowed on 127.0.0.1" in capsys.readouterr().err
    assert main(["serve", "token", "create", "--data", str(tmp_path), "--scopes", "x:y"]) == 2
    assert "unknown scope" in capsys.readouterr().err
    assert (
        main(
            [
                "serve",
                "token",
                "create",
                "--data",
                str(tmp_path),
                "--scopes",
                "inputs:read",
                "--app",
                "me/a",
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    assert len(token) == 32 and token not in (tmp_path / "server.db").read_bytes().decode("latin-1")
