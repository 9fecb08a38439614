"""The web console: a static page at ``/console`` that is a client of the same REST API.

The page (HTML, CSS and plain JavaScript, no build step) lives beside this module and is
shipped as package data.  It holds no secrets and reads nothing the API does not give any
other client: every call it makes is a V2 REST call with the token the user typed
(``Authorization: Key <token>``), but for one route of its own, ``POST /console/api/draw``
(``drawing``), which draws a run's outputs with ``engine.draw`` as ``--draw`` does.  Only
the files named here are served, and every answer carries a Content-Security-Policy that
lets the page talk to this server alone, so the browser itself refuses any request to
another host.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from engine.api.errors import ApiError
from engine.api.requests import OVER_LIMIT, header_key, read_body
from engine.limits import load_json

__all__ = ["FILES", "console_routes"]

# name -> media type; nothing else in the folder is reachable
FILES = {
    "index.html": "text/html; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "browse.js": "text/javascript; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "detail.js": "text/javascript; charset=utf-8",
    "editor.js": "text/javascript; charset=utf-8",
    "js-yaml.mjs": "text/javascript; charset=utf-8",  # vendored, MIT (js-yaml.LICENSE.txt)
    "graph.js": "text/javascript; charset=utf-8",
    "inputs.js": "text/javascript; charset=utf-8",
    "results.js": "text/javascript; charset=utf-8",
    "review.js": "text/javascript; charset=utf-8",
}
_API_SCOPE = "predict"  # drawing a run's outputs is part of trying a workflow

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _read(name: str) -> bytes:
    return resources.files(__name__).joinpath(name).read_bytes()


async def _file(request: Request) -> Response:
    name = request.path_params.get("name") or "index.html"
    if name not in FILES:
        return Response("no such console file", status_code=404, media_type="text/plain")
    return Response(_read(name), media_type=FILES[name], headers=_HEADERS)


async def _slash(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=308)


def _status(code: int, description: str, http: int) -> JSONResponse:
    return JSONResponse({"status": {"code": code, "description": description}}, status_code=http)


def _draw_endpoint(state: Any) -> Any:
    from engine.api.console.drawing import draw_request

    limit = state.limits.max_request_bytes

    def run(key: str | None, raw: bytes) -> dict[str, Any]:
        state.tokens.authenticate(key).require_scope(_API_SCOPE)
        try:
            doc = load_json(raw)
        except (ValueError, RecursionError):
            raise ApiError(codes.CONN_BAD_REQUEST_FORMAT, "the body is not valid JSON") from None
        return draw_request(doc)

    async def endpoint(request: Request) -> JSONResponse:
        headers = request.scope["headers"]
        raw = await read_body(request.receive, headers, limit)
        if raw is None or raw is OVER_LIMIT:  # None: the client went away, no one to answer
            return _status(codes.CONN_BAD_REQUEST_FORMAT, f"the body is over {limit} bytes", 413)
        try:
            answer = await run_in_threadpool(run, header_key(headers), raw)
        except ApiError as exc:
            auth = exc.code in (codes.CONN_KEY_INVALID, codes.CONN_INSUFFICIENT_SCOPES)
            busy = exc.code == codes.RPC_REQUEST_QUEUE_FULL
            return _status(exc.code, exc.description, 401 if auth else 429 if busy else 400)
        return JSONResponse(answer)

    return endpoint


def console_routes(state: Any = None) -> list[BaseRoute]:
    """The console's routes, to be placed before the API's catch-all route; with the
    server's ``state`` (tokens, limits) also its drawing route."""
    routes: list[BaseRoute] = [
        Route("/console", _slash, methods=["GET"]),
        Route("/console/", _file, methods=["GET"]),
        Route("/console/{name}", _file, methods=["GET"]),
    ]
    if state is not None:
        routes.insert(0, Route("/console/api/draw", _draw_endpoint(state), methods=["POST"]))
    return routes
