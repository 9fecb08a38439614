"""Clarifai workflow YAML -> ``WorkflowSpec``, with ``file:line:col`` on every error.

The schema is the one Clarifai's Python SDK validates (``workflow: {id, nodes: [{id, model:
{model_id, model_version_id, user_id, app_id, model_type_id, description, output_info:
{params}}, node_inputs: [{node_id}]}]}``), plus two extensions: ``suppress_output`` on a node
(a WorkflowNode proto field) and ``output_info.data.concepts`` (an OutputInfo proto field,
where Clarifai's API keeps an operator's concepts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.bundled import is_builtin, resolve_builtin
from engine.errors import SpecError, SpecErrors, YamlError
from engine.operator import suggest
from engine.spec_yaml import KeyPath, Pos, YamlReader, looks_like_path, read_spec_file

__all__ = [
    "NodeSpec",
    "Pos",
    "WorkflowSpec",
    "load_spec",
    "looks_like_path",
    "read_spec_file",
    "spec_from_dict",
]

_ID = re.compile(r"^[0-9A-Za-z]+([-_][0-9A-Za-z]+)*$")
_VERSION = re.compile(r"^[0-9a-f]{32}")
_ID_MAX = 48
_TOP_KEYS = ("workflow",)
_WORKFLOW_KEYS = ("id", "nodes")
_NODE_KEYS = ("id", "model", "node_inputs", "suppress_output")
_MODEL_KEYS = (
    "model_id",
    "model_version_id",
    "user_id",
    "app_id",
    "model_type_id",
    "description",
    "output_info",
)
_PINNED_KEYS = {"model_id", "model_version_id", "user_id", "app_id"}
_OUTPUT_INFO_KEYS = ("params", "data")


@dataclass
class NodeSpec:
    """One node as written: the model reference and its edges."""

    id: str
    model_id: str
    model_type_id: str | None = None
    model_version_id: str | None = None
    user_id: str | None = None
    app_id: str | None = None
    description: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    concepts: list[dict[str, Any]] | None = None
    inputs: list[str] = field(default_factory=list)
    suppress_output: bool = False
    # where things are in the file: "node", "model", "model_type_id", "params", "params.<k>", ...
    where: dict[str, Pos] = field(default_factory=dict)

    def pos(self, *keys: str) -> Pos:
        """The position of the first of ``keys`` that was written, else of the node."""
        for k in keys:
            if k in self.where:
                return self.where[k]
        return self.where.get("node", Pos())

    @property
    def reference(self) -> str:
        return "/".join(p for p in (self.user_id, self.app_id, self.model_id) if p)


@dataclass
class WorkflowSpec:
    id: str
    nodes: list[NodeSpec]
    file: str = "<workflow>"
    # ids of nodes left out because they are wrong (when mistakes are collected, not raised)
    broken: frozenset[str] = frozenset()

    def node(self, node_id: str) -> NodeSpec:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


def load_spec(
    source: str | Path, *, file: str | None = None, errors: list[SpecError] | None = None
) -> WorkflowSpec:
    """Read a workflow from a YAML file path, ``builtin:NAME`` (a bundled one) or YAML text.

    Every mistake is found, not only the first: one is raised as itself, several as one
    ``SpecErrors``.  Given an ``errors`` list, mistakes are appended to it instead and the
    spec holds the nodes that are right (``broken`` names the others); an unreadable file
    then gives an empty spec.
    """
    try:
        if is_builtin(source):
            source = resolve_builtin(source)
        if isinstance(source, Path) or looks_like_path(source):
            text = read_spec_file(source)
            file = file or str(source)
        else:
            text = str(source)
        reader = YamlReader(file or "<workflow>")
        doc = reader.read(text)
    except SpecError as exc:
        if errors is None:
            raise
        errors.append(exc)
        return WorkflowSpec(id="", nodes=[], file=file or str(source))
    return _Validator(reader).checked(doc, errors)


def spec_from_dict(
    d: Any, *, file: str = "<dict>", errors: list[SpecError] | None = None
) -> WorkflowSpec:
    """Validate an already-parsed workflow mapping (no positions: errors name the key path)."""
    return _Validator(YamlReader(file)).checked(d, errors)


def raise_errors(errors: list[SpecError]) -> None:
    """Raise the one mistake as itself, several as ``SpecErrors`` (in file order)."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise SpecErrors(sorted(errors, key=lambda e: (e.line, e.col)))


class _Validator:
    def __init__(self, reader: YamlReader) -> None:
        self.r = reader
        self.all_ids: set[Any] = set()
        self.errors: list[SpecError] = []
        self.broken: set[str] = set()

    def checked(self, doc: Any, errors: list[SpecError] | None) -> WorkflowSpec:
        try:
            spec = self.workflow(doc)
        except YamlError as exc:  # the file as a whole is wrong: nothing more to check
            self.errors.append(exc)
            spec = WorkflowSpec(id="", nodes=[], file=self.r.file)
        if errors is None:
            raise_errors(self.errors)
        else:
            errors.extend(self.errors)
        return spec

    def fail(self, msg: str, path: KeyPath, *, node_id: str | None = None) -> YamlError:
        p = self.r.pos(path)
        where = "" if self.r.where else f" (at {'.'.join(str(k) for k in path if k != '=')})"
        return YamlError(
            msg + where,
            file=self.r.file,
            line=p.line,
            col=p.col,
            node_id=node_id,
            key=str(path[-1]) if path else None,
        )

    def mapping(
        self, value: Any, path: KeyPath, keys: tuple[str, ...], what: str
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a mapping, got {_kind(value)}", path)
        for k in value:
            if k not in keys:
                raise self.fail(
                    f"unknown key '{k}' in {what}{suggest(str(k), list(keys))}", (*path, k)
                )
        return value

    def ident(self, value: Any, path: KeyPath, what: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(f"{what} must be a non-empty string, got {_kind(value)}", path)
        if len(value) > _ID_MAX or not _ID.match(value):
            raise self.fail(
                f"{what} '{value}' is not a valid id (1-{_ID_MAX} letters or digits, "
                "joined by single '-' or '_')",
                path,
            )
        return value

    def workflow(self, doc: Any) -> WorkflowSpec:
        top = self.mapping(doc, (), _TOP_KEYS, "the file")
        if "workflow" not in top:
            raise self.fail("missing key 'workflow' (the file must start with 'workflow:')", ())
        wf = self.mapping(top["workflow"], ("workflow", "="), _WORKFLOW_KEYS, "'workflow'")
        for key in _WORKFLOW_KEYS:
            if key not in wf:
                raise self.fail(f"missing key '{key}' in 'workflow'", ("workflow",))
        wf_id = self.ident(wf["id"], ("workflow", "=", "id", "="), "workflow id")
        raw_nodes = wf["nodes"]
        npath: KeyPath = ("workflow", "=", "nodes")
        if not isinstance(raw_nodes, list) or not raw_nodes:
            raise self.fail("'nodes' must be a non-empty list", npath)
        self.all_ids = {_node_id(n) for n in raw_nodes} - {None}
        nodes: list[NodeSpec] = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_nodes):
            try:
                node = self.node(raw, (*npath, "=", i), seen)
            except YamlError as exc:  # report it, and go on with the other nodes
                if not isinstance(exc, _AlreadyReported):
                    self.errors.append(exc)
                node_id = _node_id(raw)
                if node_id is not None and node_id not in seen:
                    seen.add(node_id)  # so nodes that name it get no second, misleading error
                    self.broken.add(node_id)
                continue
            nodes.append(node)
            seen.add(node.id)
        return WorkflowSpec(id=wf_id, nodes=nodes, file=self.r.file, broken=frozenset(self.broken))

    def node(self, raw: Any, path: KeyPath, earlier: set[str]) -> NodeSpec:
        n = self.mapping(raw, path, _NODE_KEYS, "a node")
        if "id" not in n:
            raise self.fail("node has no 'id'", path)
        node_id = n["id"]
        if not isinstance(node_id, str) or not node_id:
            raise self.fail(
                f"node id must be a non-empty string, got {_kind(node_id)}", (*path, "id", "=")
            )
        if node_id in earlier:
            raise self.fail(f"duplicate node id '{node_id}'", (*path, "id"), node_id=node_id)
        if "model" not in n:
            raise self.fail(f"node '{node_id}' has no 'model'", path, node_id=node_id)
        try:
            inputs = self.node_inputs(
                n.get("node_inputs"), (*path, "node_inputs"), node_id, earlier, "node_inputs" in n
            )
        except YamlError as exc:  # the model may be wrong too: report both
            self.errors.append(exc)
            self.model(n["model"], (*path, "model", "="), node_id)
            raise _AlreadyReported from None
        spec = self.model(n["model"], (*path, "model", "="), node_id)
        spec.where["node"] = self.r.pos(path)
        spec.where["model"] = self.r.pos((*path, "model"))
        spec.inputs = inputs
        if "suppress_output" in n:
            if not isinstance(n["suppress_output"], bool):
                raise self.fail(
                    "'suppress_output' must be true or false",
                    (*path, "suppress_output", "="),
                    node_id=node_id,
                )
            spec.suppress_output = n["suppress_output"]
        return spec

    def node_inputs(
        self, raw: Any, path: KeyPath, node_id: str, earlier: set[str], present: bool
    ) -> list[str]:
        if not present:
            return []
        if not isinstance(raw, list) or not raw:
            raise self.fail(
                "'node_inputs' must be a non-empty list of {node_id: ...}", path, node_id=node_id
            )
        out: list[str] = []
        for j, item in enumerate(raw):
            ipath = (*path, "=", j)
            entry = self.mapping(item, ipath, ("node_id",), "a node input")
            src = entry.get("node_id")
            if not isinstance(src, str) or not src:
                raise self.fail("node input needs a non-empty 'node_id'", ipath, node_id=node_id)
            if src not in earlier:
                why = (
                    "it is the node itself"
                    if src == node_id
                    else (
                        "inputs must name an earlier node"
                        if src in self.all_ids
                        else f"no such node{suggest(src, sorted(earlier))}"
                    )
                )
                raise self.fail(
                    f"missing input '{src}' for node '{node_id}': {why}",
                    (*ipath, "node_id", "="),
                    node_id=node_id,
                )
            out.append(src)
        return out

    def model(self, raw: Any, path: KeyPath, node_id: str) -> NodeSpec:
        m = self.mapping(raw, path, _MODEL_KEYS, f"the model of node '{node_id}'")
        key = (*path[:-1],)
        if "model_id" not in m:
            raise self.fail(f"node '{node_id}': model has no 'model_id'", key, node_id=node_id)

        def at(k: str) -> KeyPath:
            return (*path, k, "=")

        spec = NodeSpec(id=node_id, model_id=self.ident(m["model_id"], at("model_id"), "model_id"))
        for k in ("user_id", "app_id", "model_type_id"):
            if k in m:
                setattr(spec, k, self.ident(m[k], at(k), k))
        if "description" in m:
            if not isinstance(m["description"], str):
                raise self.fail("'description' must be a string", at("description"))
            spec.description = m["description"]
        if "model_version_id" in m:
            spec.model_version_id = self.version(m, at("model_version_id"), node_id)
        for k in m:
            spec.where[k] = self.r.pos((*path, k))
        if "output_info" in m:
            self.output_info(m["output_info"], at("output_info"), spec)
        return spec

    def version(self, m: dict[str, Any], path: KeyPath, node_id: str) -> str:
        v = m["model_version_id"]
        if not isinstance(v, str) or not _VERSION.match(v.lower()):
            raise self.fail("'model_version_id' must be 32 hex characters", path, node_id=node_id)
        extra = sorted(set(m) - _PINNED_KEYS)
        if extra:
            raise self.fail(
                "model should not set model_version_id and other model fields "
                f"({', '.join(extra)});"
                " please remove model_version_id or other model fields",
                path,
                node_id=node_id,
            )
        return v.lower()

    def output_info(self, raw: Any, path: KeyPath, spec: NodeSpec) -> None:
        oi = self.mapping(raw, path, _OUTPUT_INFO_KEYS, "'output_info'") if raw is not None else {}
        params = oi.get("params") or {}
        if not isinstance(params, dict):
            raise self.fail("'output_info.params' must be a mapping", (*path, "params", "="))
        spec.params = dict(params)
        spec.where["params"] = self.r.pos((*path, "params"))
        for k in params:
            spec.where[f"params.{k}"] = self.r.pos((*path, "params", "=", k))
        data = oi.get("data")
        if data is not None:
            d = self.mapping(data, (*path, "data", "="), ("concepts",), "'output_info.data'")
            concepts = d.get("concepts")
            if not isinstance(concepts, list):
                raise self.fail(
                    "'output_info.data.concepts' must be a list",
                    (*path, "data", "=", "concepts", "="),
                )
            spec.concepts = concepts
            spec.where["concepts"] = self.r.pos((*path, "data", "=", "concepts"))


class _AlreadyReported(YamlError):
    """A node's mistake that is already in the list: leave the node out, report no more."""

    def __init__(self) -> None:
        super().__init__("")


def _node_id(raw: Any) -> str | None:
    node_id = raw.get("id") if isinstance(raw, dict) else None
    return node_id if isinstance(node_id, str) and node_id else None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)
