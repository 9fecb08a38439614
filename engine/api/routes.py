"""REST routes of Clarifai's V2 service, read from its protos' ``google.api.http`` options.

Every method of ``clarifai.api.V2`` carries an HTTP rule (verb, path template such as
``/v2/users/{user_app_id.user_id}/apps/{user_app_id.app_id}/inputs/{input_id}``, body)
plus additional bindings.  The table is built from the descriptors that ship in
clarifai-grpc, never typed by hand, so the paths are exactly those its JSON channel calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from clarifai_grpc.grpc.api import service_pb2
from google.api import annotations_pb2

__all__ = ["Route", "match", "routes", "service_methods"]

_VERBS = ("get", "post", "patch", "put", "delete")
_PARAM = re.compile(r"\{([^}=]+)(?:=[^}]*)?\}")


@dataclass(frozen=True)
class Route:
    """One HTTP binding of one V2 method."""

    verb: str  # upper case: GET, POST, ...
    template: str
    method: str  # the V2 method's name, e.g. "PostInputs"
    fields: tuple[str, ...]  # dotted request fields bound from the path, in order
    pattern: re.Pattern[str]
    literal: int  # characters outside {...}: more specific templates win

    def bind(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return dict(zip(self.fields, found.groups(), strict=True))


def service_methods() -> Any:
    """The V2 service's method descriptors."""
    return service_pb2.DESCRIPTOR.services_by_name["V2"].methods


def _rules(rule: Any) -> list[tuple[str, str]]:
    found = [(verb.upper(), getattr(rule, verb)) for verb in _VERBS if getattr(rule, verb)]
    for extra in rule.additional_bindings:
        found.extend(_rules(extra))
    return found


def _route(verb: str, template: str, method: str) -> Route:
    fields = tuple(name for name in _PARAM.findall(template))
    parts: list[str] = []
    last = 0
    for found in _PARAM.finditer(template):
        parts.append(re.escape(template[last : found.start()]))
        parts.append("([^/]+)")
        last = found.end()
    parts.append(re.escape(template[last:]))
    literal = len(_PARAM.sub("", template))
    return Route(verb, template, method, fields, re.compile("".join(parts)), literal)


@lru_cache(maxsize=1)
def routes() -> tuple[Route, ...]:
    """Every (verb, path) binding of every V2 method, most specific first."""
    table: list[Route] = []
    for method in service_methods():
        options = method.GetOptions()
        if not options.HasExtension(annotations_pb2.http):
            continue
        for verb, template in _rules(options.Extensions[annotations_pb2.http]):
            table.append(_route(verb, template, method.name))
    table.sort(key=lambda r: (-r.literal, -len(r.fields)))
    return tuple(table)


def match(verb: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route a request's verb and path select, with its path fields; None if none."""
    group = _by_shape().get((verb, path.count("/")))
    if group is None:
        return None
    either, candidates = group
    found = either.fullmatch(path)  # one regex for the group, tried in table order
    if found is None or found.lastgroup is None:
        return None
    route = candidates[int(found.lastgroup[1:])]
    bound = route.bind(path)
    return None if bound is None else (route, bound)


@lru_cache(maxsize=1)
def _by_shape() -> dict[tuple[str, int], tuple[re.Pattern[str], tuple[Route, ...]]]:
    """The routes by verb and number of ``/`` (a path field never spans one, so only
    routes of that shape can match), each group as one alternation in table order."""
    groups: dict[tuple[str, int], list[Route]] = {}
    for route in routes():
        groups.setdefault((route.verb, route.template.count("/")), []).append(route)
    return {
        key: (
            re.compile("|".join(f"(?P<r{i}>{r.pattern.pattern})" for i, r in enumerate(group))),
            tuple(group),
        )
        for key, group in groups.items()
    }
