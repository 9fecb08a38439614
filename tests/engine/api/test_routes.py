"""REST routes: read from the descriptors; a path selects the first route of the table
that matches it, whichever group it is looked up in."""

from __future__ import annotations

from engine.api import routes
from engine.api.routes import Route


def _first(verb: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes.routes():
        if route.verb == verb:
            bound = route.bind(path)
            if bound is not None:
                return route, bound
    return None


def test_every_path_selects_the_route_a_scan_of_the_table_selects() -> None:
    paths = [("GET", "/v2/nothing"), ("POST", "/"), ("GET", "/v2/users/a/apps/b/c/d/e/f/g")]
    for route in routes.routes():
        for fill in ("x", "a.b", "-"):
            paths.append((route.verb, routes._PARAM.sub(fill, route.template)))
    for _, path in paths:
        for verb in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            assert routes.match(verb, path) == _first(verb, path), (verb, path)


def test_the_methods_and_fields_of_known_paths() -> None:
    found = routes.match("POST", "/v2/users/me/apps/bench/workflows/text5/results")
    assert found is not None
    route, fields = found
    assert route.method == "PostWorkflowResults"
    assert fields == {
        "user_app_id.user_id": "me",
        "user_app_id.app_id": "bench",
        "workflow_id": "text5",
    }
    assert routes.match("GET", "/v2/users/me/apps/bench/inputs/i1")[0].method == "GetInput"  # type: ignore[index]
    assert routes.match("TRACE", "/v2/users/me/apps") is None
