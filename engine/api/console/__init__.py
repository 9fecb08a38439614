"""The web console: a static page at ``/console`` that is a client of the same REST API.

The page (HTML, CSS and plain JavaScript, no build step) lives beside this module and is
shipped as package data.  It holds no secrets and reads nothing the API does not give any
other client: every call it makes is a V2 REST call with the token the user typed
(``Authorization: Key <token>``).  Only the files named here are served, and every answer
carries a Content-Security-Policy that lets the page talk to this server alone, so the
browser itself refuses any request to another host.
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["FILES", "console_routes"]

# name -> media type; nothing else in the folder is reachable
FILES = {
    "index.html": "text/html; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "graph.js": "text/javascript; charset=utf-8",
    "inputs.js": "text/javascript; charset=utf-8",
    "results.js": "text/javascript; charset=utf-8",
    "review.js": "text/javascript; charset=utf-8",
}

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


def console_routes() -> list[BaseRoute]:
    """The console's routes, to be placed before the API's catch-all route."""
    return [
        Route("/console", _slash, methods=["GET"]),
        Route("/console/", _file, methods=["GET"]),
        Route("/console/{name}", _file, methods=["GET"]),
    ]
