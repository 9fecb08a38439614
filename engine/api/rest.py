"""The REST transport: Clarifai's JSON channel paths on Starlette, one door into ``invoke``.

A request's verb and path select the V2 method (``routes``); its JSON body, the path's
fields and, for GET and DELETE, the query string make the request proto, parsed as
clarifai-grpc's JSON channel writes it.  Bodies are read up to the server's byte limit and
refused past it; a body that is not JSON or not the method's request is Clarifai's
bad-request status with HTTP 400; the answer is the response proto's JSON with the HTTP
status Clarifai pairs with its code.
"""

from __future__ import annotations

import json
from typing import Any

from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api import routes
from engine.api.codec import BadRequest, from_json, from_query, to_json
from engine.api.console import console_routes
from engine.api.requests import bounded_body, request_key
from engine.api.server import ServerState, invoke
from engine.api.service import failure, http_status, request_type
from engine.limits import load_json

__all__ = ["rest_app"]

_VERBS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


def _set(doc: dict[str, Any], dotted: str, value: str) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for name in parents:
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise BadRequest(f"{name!r} must be an object")
        node = child
    node[last] = value


def _reply(name: str, code: int, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(to_json(failure(name, code, description)), status_code=status)


def _render(doc: Any) -> bytes:
    """JSON as Starlette's ``JSONResponse`` writes it."""
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    return text.encode("utf-8")


def _request(name: str, verb: str, raw: bytes, query: list[tuple[str, str]], fields: Any) -> Any:
    """The request proto from the body, the query string (GET, DELETE) and the path."""
    doc = load_json(raw) if raw.strip() else {}
    cls = request_type(name)
    if verb in ("GET", "DELETE") and query:
        found = from_query(cls, query)
        doc = found | doc if isinstance(doc, dict) else doc
    if not isinstance(doc, dict):
        raise BadRequest("the request body must be a JSON object")
    for dotted, value in fields.items():
        _set(doc, dotted, value)
    return from_json(cls, doc)


def _answer(
    state: ServerState, name: str, verb: str, raw: bytes, query: Any, fields: Any, key: Any
) -> tuple[bytes, int, dict[str, str]]:
    """Parse, run and write one request: the body, HTTP status and headers to send.  Runs
    on a handler thread, so the event loop only moves bytes."""
    try:
        message = _request(name, verb, raw, query, fields)
    except (ValueError, RecursionError) as exc:
        text = str(exc.args[0]) if exc.args else "the body is not valid JSON"
        if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError | RecursionError):
            text = "the body is not valid JSON"
        return _render(to_json(failure(name, codes.CONN_BAD_REQUEST_FORMAT, text))), 400, {}
    reply = invoke(state, name, message, key)
    return _render(reply.json()), http_status(reply.code), reply.headers


def rest_app(state: ServerState) -> Starlette:
    limit = state.limits.max_request_bytes

    async def endpoint(request: Request) -> Response:
        found = routes.match(request.method, request.url.path)
        if found is None:
            return JSONResponse(
                {
                    "status": {
                        "code": codes.CONN_DOES_NOT_EXIST,
                        "description": f"no V2 method at {request.method} {request.url.path}",
                    }
                },
                status_code=404,
            )
        route, fields = found
        name = route.method
        raw = await bounded_body(request, limit)
        if raw is None:
            return _reply(
                name,
                codes.CONN_BAD_REQUEST_FORMAT,
                f"the request body is over the server's limit of {limit} bytes",
                413,
            )
        query = list(request.query_params.multi_items()) if request.query_params else []
        key = request_key(request)
        body, status, headers = await run_in_threadpool(
            _answer, state, name, request.method, raw, query, fields, key
        )
        return Response(body, status_code=status, headers=headers, media_type="application/json")

    # the web console first: its paths are not V2 paths
    api = Route("/{path:path}", endpoint, methods=_VERBS)
    return Starlette(routes=[*console_routes(state), api])
