"""Hostile requests to ``opgraph serve`` (REST on 127.0.0.1, run by ``api_server``).

Each request must get a 4xx answer with a Clarifai status (or that input's error status),
never a 5xx, a dropped connection or a traceback in the server's log; the server must keep
answering others, and nothing it fetches may leave 127.0.0.1 (see ``api_server``).
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from tests.hostile.harness import Case, Ctx

__all__ = ["API_APP", "api_cases"]

API_APP = "hostile"
_OWNER = "api"


def request(ctx: Ctx, path: str, body: bytes | None = None,
            method: str = "POST") -> tuple[int, Any]:
    url = f"http://127.0.0.1:{ctx.api_port}/v2/users/me/apps/{API_APP}{path}"
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            code, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        code, raw = exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError) as exc:
        return 0, f"connection closed: {exc}"
    try:
        return code, json.loads(raw)
    except ValueError:
        return code, raw[:200]


def _server_problems(ctx: Ctx, mark: int) -> list[str]:
    problems = []
    log = ctx.work / "serve" / "serve.err"
    text = log.read_bytes()[mark:].decode(errors="replace") if log.exists() else ""
    if "Traceback (most recent call last)" in text:
        problems.append("traceback: in the server's log: " + text.strip().splitlines()[-1][:200])
    blocked = ctx.work / "serve" / "blocked.log"
    if blocked.exists() and blocked.read_text().strip():
        problems.append(f"refused: the server connected to {blocked.read_text().split()[0]}")
    code, _ = request(ctx, "/inputs", method="GET")
    if code != 200:
        problems.append(f"api: the server stopped answering (GET inputs: {code})")
    return problems


def _log_mark(ctx: Ctx) -> int:
    log = ctx.work / "serve" / "serve.err"
    return log.stat().st_size if log.exists() else 0


def _body_case(path: str, body: Callable[[], bytes], expect: str) -> Callable[[Ctx], list[str]]:
    """``expect``: "4xx" (refused whole) or "input" (answered, the input failed)."""

    def run(ctx: Ctx) -> list[str]:
        mark = _log_mark(ctx)
        code, doc = request(ctx, path, body())
        problems = []
        if code == 0 and expect == "closed-ok":
            return _server_problems(ctx, mark)  # refused before the body was read: fine
        if code == 0:
            problems.append(f"api: {doc}")
        elif code >= 500:
            problems.append(f"api: HTTP {code} for a bad request: {str(doc)[:160]}")
        elif expect in ("4xx", "closed-ok") and not 400 <= code < 500:
            problems.append(f"api: HTTP {code}, expected a 4xx refusal: {str(doc)[:160]}")
        if not isinstance(doc, dict) or "status" not in doc:
            problems.append(f"api: the answer is not a Clarifai status: {str(doc)[:160]}")
        elif expect == "input" and code == 200 and doc["status"].get("code") == 10000:
            problems.append(f"refused: a hostile input succeeded: {json.dumps(doc)[:200]}")
        return problems + _server_problems(ctx, mark)

    return run


def _slowloris(ctx: Ctx) -> list[str]:
    mark = _log_mark(ctx)
    slow = [socket.create_connection(("127.0.0.1", ctx.api_port)) for _ in range(20)]
    try:
        for s in slow:
            s.sendall(b"POST /v2/users/me/apps/hostile/inputs HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        code, _ = request(ctx, "/inputs", method="GET")
        took = time.monotonic() - started
    finally:
        for s in slow:
            s.close()
    problems = [] if code == 200 else [f"api: GET inputs answered {code} beside slow clients"]
    if took > 10:
        problems.append(f"hang: 20 half-sent requests held up another for {took:.0f} s")
    return problems + _server_problems(ctx, mark)


def _deep(depth: int, open_: str, close: str, leaf: str = "") -> bytes:
    return (open_ * depth + leaf + close * depth).encode()


def _inputs(*items: Any) -> Callable[[], bytes]:
    return lambda: json.dumps({"inputs": list(items)}).encode()


def _image_url(url: str) -> dict[str, Any]:
    return {"data": {"image": {"url": url}}}


def api_cases() -> list[Case]:
    outputs = "/models/image-color-recognizer/outputs"
    bodies: dict[str, tuple[str, Callable[[], bytes], str]] = {
        "deep-list-100000": ("/inputs", lambda: b'{"inputs": ' + _deep(100_000, "[", "]")
                             + b"}", "4xx"),
        "deep-dict-100000": ("/inputs", lambda: _deep(100_000, '{"a": ', "}", "1"), "4xx"),
        "deep-metadata-300": ("/inputs", lambda: b'{"inputs": [{"data": {"text": {"raw": "x"}, '
                              b'"metadata": ' + _deep(300, '{"k": ', "}", "1") + b"}}]}", "4xx"),
        "invalid-utf8": ("/inputs",
                         lambda: b'{"inputs": [{"data": {"text": {"raw": "\xff\xfe"}}}]}', "4xx"),
        "nul-bytes": ("/inputs", lambda: b'{"inputs": \x00\x00}', "4xx"),
        "array-body": ("/inputs", lambda: b"[1, 2, 3]", "4xx"),
        "huge-body-9MB": ("/inputs", lambda: b'{"inputs": [' + b" " * (9 << 20) + b"]}",
                          "closed-ok"),
        "node-id-list": ("/workflows", lambda: json.dumps({"workflows": [{"id": "w", "nodes": [
            {"id": "a", "model": {"id": "a", "model_type_id": "concept-thresholder"},
             "node_inputs": [{"node_id": ["x"]}]}]}]}).encode(), "4xx"),
        "file-param-etc-passwd": ("/workflows", lambda: json.dumps({"workflows": [{
            "id": "d", "nodes": [{"id": "d", "model": {
                "id": "d", "model_type_id": "detections-file",
                "output_info": {"params": {"path": "/etc/passwd"}}}}]}]}).encode(), "4xx"),
        "regex-bomb": ("/workflows", lambda: json.dumps({"workflows": [{
            "id": "r", "nodes": [{"id": "r", "model": {
                "id": "r", "model_type_id": "regex-based-classifier",
                "output_info": {"params": {"regex": "(?:[a-z]{65535}){65535}",
                                           "concepts": [{"id": "x"}]}}}}]}]}).encode(), "4xx"),
    }
    urls = {
        "private-10": "http://10.0.0.1/x.png",
        "mapped-10": "http://[::ffff:10.0.0.1]/x.png",
        "nat64-10": "http://[64:ff9b::a00:1]/x.png",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "loopback-other-port": "http://127.0.0.1:9/x.png",
        "dns-to-10": "http://internal.test/x.png",
        "local-path": "/etc/passwd",
        "file-scheme": "file:///etc/passwd",
    }
    for name, url in urls.items():
        bodies[f"model-outputs-url/{name}"] = (outputs, _inputs(_image_url(url)), "input")
    bodies["model-outputs-video-concat"] = (outputs, _inputs({"data": {"video": {
        "base64": "ZmZjb25jYXQgdmVyc2lvbiAxLjAKZmlsZSAnL2V0Yy9wYXNzd2QnCg=="}}}), "input")
    cases = [
        Case(f"api/{name}", "api-requests", _OWNER, _body_case(path, body, expect), timeout_s=40,
             repro=f"POST /v2/users/me/apps/{API_APP}{path} with a {name} body")
        for name, (path, body, expect) in bodies.items()
    ]
    cases.append(Case("api/slow-clients", "api-requests", _OWNER, _slowloris, timeout_s=40,
                      repro="20 connections that never finish their headers, then one GET"))
    return cases
