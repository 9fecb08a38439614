"""The REST transport: Clarifai's JSON channel paths, one door into ``invoke``.

A request's verb and path select the V2 method (``routes``); its JSON body, the path's
fields and, for GET and DELETE, the query string make the request proto, parsed as
clarifai-grpc's JSON channel writes it.  Bodies are read up to the server's byte limit and
refused past it; a body that is not JSON or not the method's request is Clarifai's
bad-request status with HTTP 400; the answer is the response proto's JSON with the HTTP
status Clarifai pairs with its code.

A V2 request is served by a bare ASGI function: the body read, then parsed, run and written
as JSON on a thread of the app's pool, so the event loop only moves bytes; Starlette's
routing, middleware and request objects would cost about as much CPU as the workflow of a
small request.  Every other path (the web console, an unknown path) goes to Starlette.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.api import routes
from engine.api.codec import BadRequest, from_json, from_query, to_json
from engine.api.console import console_routes
from engine.api.requests import OVER_LIMIT as _OVER
from engine.api.requests import header_key, read_body
from engine.api.server import ServerState, invoke
from engine.api.service import failure, http_status, request_type
from engine.limits import load_json

__all__ = ["rest_app"]

_VERBS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
_BAD = codes.CONN_BAD_REQUEST_FORMAT
_SPARE_THREADS = 8


def _set(doc: dict[str, Any], dotted: str, value: str) -> None:
    *parents, last = dotted.split(".")
    node = doc
    for name in parents:
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise BadRequest(f"{name!r} must be an object")
        node = child
    node[last] = value


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
        return _render(to_json(failure(name, _BAD, text))), 400, {}
    reply = invoke(state, name, message, key)
    return _render(reply.json()), http_status(reply.code), reply.headers


def rest_app(state: ServerState) -> Any:
    """The REST server's ASGI app: a request whose verb and path are a V2 method's is served
    here; anything else (the web console, an unknown path) by a Starlette app."""
    limit = state.limits.max_request_bytes
    # a thread for every request the server admits, so a slow request never waits for
    # another's thread, and spare ones that refuse those past the bound at once (``invoke``)
    threads = state.limits.max_in_flight + _SPARE_THREADS
    pool = ThreadPoolExecutor(threads, thread_name_prefix="opgraph-rest")
    site = _site(state)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        found = routes.match(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await site(scope, receive, send)
            return
        route, fields = found
        name = route.method
        headers = scope["headers"]
        raw = await read_body(receive, headers, limit)
        if raw is None:
            return  # the client went away
        if raw is _OVER:
            text = f"the request body is over the server's limit of {limit} bytes"
            await _send(send, 413, _render(to_json(failure(name, _BAD, text))), {})
            return
        query = scope["query_string"]
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True) if query else []
        key = header_key(headers)
        run = partial(_answer, state, name, scope["method"], raw, pairs, fields, key)
        body, status, extra = await asyncio.get_running_loop().run_in_executor(pool, run)
        await _send(send, status, body, extra)

    return app


async def _send(send: Any, status: int, body: bytes, headers: dict[str, str]) -> None:
    """An answer as Starlette's ``Response`` writes it: its headers, then the length and
    the JSON media type."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    raw.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _site(state: ServerState) -> Starlette:
    """The web console, and a Clarifai status for any other path."""

    async def unknown(request: Request) -> Response:
        return JSONResponse(
            {
                "status": {
                    "code": codes.CONN_DOES_NOT_EXIST,
                    "description": f"no V2 method at {request.method} {request.url.path}",
                }
            },
            status_code=404,
        )

    # the web console first: its paths are not V2 paths
    api = Route("/{path:path}", unknown, methods=_VERBS)
    return Starlette(routes=[*console_routes(state), api])
