"""``WorkflowSpec`` -> ``CompiledGraph``: a checked networkx DAG of operator nodes.

Checks, each raising a ``SpecError`` that points at the offending key: unknown operator
types (with did-you-mean), model references bound to nothing (an error when ``strict``, a
warning otherwise), params the operator's ``Params`` refuses, cycles and dangling inputs, and
edges that can never carry what a node reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from engine.deprecated import deprecation
from engine.errors import GraphError, ParamsError, SpecError, UnknownOperatorError
from engine.operator import (
    BaseParams,
    ModelBinding,
    Operator,
    find_binding,
    get_operator,
    operator_types,
    suggest,
)
from engine.spec import NodeSpec, Pos, WorkflowSpec, raise_errors

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["ROOT_WRITES", "CompiledGraph", "CompiledNode", "compile_spec", "satisfies"]

# What a workflow input may carry; a node without node_inputs reads it.
ROOT_WRITES = frozenset(
    {"image", "video", "text", "audio", "concepts", "regions", "metadata", "embeddings", "frames"}
)
# Media a node may find by looking back along the graph (the cropper finds the image so).
_LOOK_BACK = frozenset({"image", "video"})
PASS_THROUGH = "*"
# The kinds of workflow input: a node that reads one kind tells the nodes after it that
# the input is not of the others (metadata, concepts and embeddings go with any kind).
_MEDIA_KINDS = (
    frozenset({"text"}),
    frozenset({"image", "video", "frames", "regions"}),
    frozenset({"audio"}),
)


@dataclass
class CompiledNode:
    spec: NodeSpec
    type_id: str | None  # None: a model reference bound to nothing (validate without --strict)
    operator_cls: type[Operator] | None
    params: BaseParams | None
    binding: ModelBinding | None
    writes: frozenset[str]
    operator: Operator | None = None
    id: str = field(init=False)

    reads_image: bool = field(init=False)
    every_frame: bool = field(init=False)
    # an image node fed only region images (crops, tiles): it runs on each region's image
    per_region: bool = False
    # what reaches the node from its inputs (set by the edge check, in file order)
    available: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # read on every step of the executor: plain attributes
        self.id = self.spec.id
        cls = self.operator_cls
        self.reads_image = cls is not None and "image" in cls.reads
        self.every_frame = cls is not None and cls.every_frame


@dataclass
class CompiledGraph:
    spec: WorkflowSpec
    nodes: list[CompiledNode]  # in YAML order, which is a topological order
    ancestors: dict[str, tuple[str, ...]]  # nearest first
    levels: list[list[CompiledNode]]  # topological generations: a level needs only earlier ones
    warnings: list[str] = field(default_factory=list)

    @property
    def dag(self) -> nx.DiGraph:
        """The graph as a networkx DiGraph (built on demand: networkx is slow to import)."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(n.id for n in self.nodes)
        g.add_edges_from((src, n.id) for n in self.nodes for src in n.spec.inputs)
        return g

    def instantiate(self, errors: list[SpecError] | None = None) -> None:
        """Build every operator once (loads models, compiles regexes).

        A node that cannot be set up raises a ``ParamsError``; given an ``errors`` list,
        every such node is appended to it instead (``opgraph validate`` reports them all).
        """
        for node in self.nodes:
            if node.operator is None and node.operator_cls is not None and node.params is not None:
                try:
                    node.operator = node.operator_cls(node.params)
                except Exception as exc:  # a model file, a library: the node's set-up failed
                    why = (
                        str(exc)
                        if isinstance(exc, ValueError | OSError)
                        else (f"{type(exc).__name__}: {exc}")
                    )
                    err = _params_error(
                        node.spec,
                        f"cannot set up node '{node.id}': {why}",
                        self.spec.file,
                        node.spec.pos("params", "model"),
                    )
                    if errors is None:
                        raise err from exc
                    errors.append(err)


def compile_spec(
    spec: WorkflowSpec,
    *,
    models: list[ModelBinding] | None = None,
    strict: bool = True,
    errors: list[SpecError] | None = None,
) -> CompiledGraph:
    """Resolve every node to an operator, check params and edges, build the DAG.

    Every node is checked, not only up to the first mistake: one mistake is raised as
    itself, several as ``SpecErrors``; given an ``errors`` list, they are appended to it
    instead and the wrong nodes stay in the graph as placeholders (``type_id`` None).
    """
    found: list[SpecError] = []
    nodes: list[CompiledNode] = []
    warnings: list[str] = []
    by_id: dict[str, CompiledNode] = {b: _placeholder(NodeSpec(b, b)) for b in spec.broken}
    for ns in spec.nodes:
        try:
            node = _resolve(ns, spec.file, models, strict, warnings)
        except SpecError as exc:
            found.extend(getattr(exc, "errors", [exc]))
            node = _placeholder(ns)
        for src in ns.inputs:
            # inputs must name earlier nodes, so file order is topological and cycles cannot occur
            if src not in by_id:
                p = ns.pos("node")
                raise GraphError(
                    f"missing input '{src}' for node '{ns.id}': inputs must name an earlier node",
                    file=spec.file,
                    line=p.line,
                    col=p.col,
                    node_id=ns.id,
                    key="node_inputs",
                )
        nodes.append(node)
        by_id[ns.id] = node
    ancestors = {n.id: _nearest_ancestors(n.spec, by_id) for n in nodes}
    for node in nodes:
        try:
            _check_edge(node, by_id, spec.file)
        except SpecError as exc:
            found.append(exc)
    if errors is None:
        raise_errors(found)
    else:
        errors.extend(found)
    return CompiledGraph(spec, nodes, ancestors, _levels(nodes, by_id), warnings)


def _placeholder(ns: NodeSpec) -> CompiledNode:
    """A node that is wrong (or unbound): it stands for "anything", so the nodes after it
    get no second, misleading error."""
    return CompiledNode(ns, None, None, None, None, ROOT_WRITES)


def _nearest_ancestors(ns: NodeSpec, by_id: dict[str, CompiledNode]) -> tuple[str, ...]:
    """Breadth-first up the inputs: the nearest ancestors first."""
    seen: dict[str, None] = {}
    frontier = list(ns.inputs)
    while frontier:
        nxt: list[str] = []
        for node_id in frontier:
            if node_id not in seen:
                seen[node_id] = None
                nxt.extend(by_id[node_id].spec.inputs)
        frontier = nxt
    return tuple(seen)


def _levels(nodes: list[CompiledNode], by_id: dict[str, CompiledNode]) -> list[list[CompiledNode]]:
    depth: dict[str, int] = {}
    for n in nodes:
        # an input left out as wrong (validate goes on past it) counts as a first-level node
        depth[n.id] = 1 + max((depth.get(s, 0) for s in n.spec.inputs), default=-1)
    levels: list[list[CompiledNode]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n in nodes:
        levels[depth[n.id]].append(n)
    return levels


def _resolve(
    ns: NodeSpec, file: str, models: list[ModelBinding] | None, strict: bool, warnings: list[str]
) -> CompiledNode:
    binding: ModelBinding | None = None
    type_id = ns.model_type_id
    params: dict[str, Any] = dict(ns.params)
    if type_id is None:
        binding = find_binding(ns.model_id, ns.user_id, ns.app_id, models)
        if binding is None:
            msg = (
                f"node '{ns.id}' references model '{ns.reference}', which is bound to no local "
                f"implementation; bind it in a model catalog (--models FILE) with an entry "
                f"'- {{model_id: {ns.model_id}, model_type_id: <type>, params: {{...}}}}' or give "
                f"the node a model_type_id"
            )
            p = ns.pos("model_id", "model")
            if strict:
                raise UnknownOperatorError(
                    msg, file=file, line=p.line, col=p.col, node_id=ns.id, key="model_id"
                )
            warnings.append(f"{file}:{p.line}:{p.col}: warning: {msg}")
            return CompiledNode(ns, None, None, None, None, frozenset(ROOT_WRITES))
        type_id = binding.model_type_id
        params = {**binding.params, **params}
    cls = get_operator(type_id)
    if cls is None:
        raise _unknown_type(ns, type_id, file)
    if ns.concepts is not None:
        params["concepts"] = ns.concepts
    model = _validate_params(ns, cls, params, file)
    writes = frozenset(cls.writes)
    return CompiledNode(ns, type_id, cls, model, binding, writes)


def _unknown_type(ns: NodeSpec, type_id: str, file: str) -> UnknownOperatorError:
    """The error for a node whose model_type_id names no operator: a deprecated type's
    replacement, else the nearest known names."""
    p = ns.pos("model_type_id", "model_id", "model")
    old = deprecation(type_id)
    if old is not None:
        return UnknownOperatorError(
            f"node '{ns.id}': {old}",
            file=file,
            line=p.line,
            col=p.col,
            node_id=ns.id,
            key="model_type_id",
        )
    hint = suggest(type_id, list(operator_types()))
    return UnknownOperatorError(
        f"node '{ns.id}': unknown model_type_id '{type_id}'{hint}; "
        "`opgraph operators` lists the known ones",
        file=file,
        line=p.line,
        col=p.col,
        node_id=ns.id,
        key="model_type_id",
    )


def _validate_params(
    ns: NodeSpec, cls: type[Operator], params: dict[str, Any], file: str
) -> BaseParams:
    # file params given relative to a workflow file resolve beside it (LocalPath); the
    # node's model id and version are there for operators that run the app's model of
    # that id (models trained in an app)
    context: dict[str, Any] = {"model_id": ns.model_id}
    if ns.model_version_id:
        context["model_version_id"] = ns.model_version_id
    if Path(file).is_file():
        context["base_dir"] = str(Path(file).parent)
    try:
        return cls.Params.model_validate(params, context=context)
    except ValidationError as exc:
        first: dict[str, Any] = {}  # one mistake per param (a union reports each member)
        for err in exc.errors():
            first.setdefault(str(err["loc"][0]) if err["loc"] else "", err)
        found: list[SpecError] = [_param_mistake(ns, cls, e, file) for e in first.values()]
        raise_errors(found)
        raise  # pragma: no cover  (a ValidationError has at least one error)


def _param_mistake(ns: NodeSpec, cls: type[Operator], err: Any, file: str) -> ParamsError:
    loc = [str(x) for x in err["loc"]]
    name = loc[0] if loc else ""
    if err["type"] == "extra_forbidden":
        known = list(cls.Params.model_fields)
        msg = (
            f"node '{ns.id}' ({cls.type_id}): unknown param '{name}'{suggest(name, known)}; "
            f"known params: {', '.join(known) or 'none'}"
        )
    else:
        where = ".".join(loc) or "params"
        msg = f"node '{ns.id}' ({cls.type_id}): param '{where}': {err['msg']}"
        if "input" in err and not isinstance(err["input"], dict | list):
            msg += f" (got {_short(err['input'])})"
    key = "concepts" if name == "concepts" and ns.concepts is not None else f"params.{name}"
    return _params_error(ns, msg, file, ns.pos(key, "params", "model"))


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _params_error(ns: NodeSpec, msg: str, file: str, p: Pos) -> ParamsError:
    return ParamsError(msg, file=file, line=p.line, col=p.col, node_id=ns.id, key="params")


def satisfies(written: frozenset[str] | set[str], read: str) -> bool:
    """Whether data written as ``written`` paths can carry the path ``read``.

    Paths match on their top field (``regions[].data.concepts`` is carried by ``regions``);
    a nested region path also carries its own field (``regions[].data.image`` carries
    ``image``: the executor runs image nodes on region images).
    """
    top = _top(read)
    for w in written:
        if w == PASS_THROUGH or _top(w) == top or w.endswith(f"].data.{top}"):
            return True
    return False


def _top(path: str) -> str:
    return path.split("[", 1)[0].split(".", 1)[0]


def _available(node: CompiledNode, by_id: dict[str, CompiledNode]) -> frozenset[str]:
    """What reaches ``node`` directly: its inputs' writes (pass-through nodes forward theirs).

    Nodes are checked in file order, so every input's own ``available`` is already known.
    """
    if not node.spec.inputs:
        return ROOT_WRITES
    out: set[str] = set()
    for src in node.spec.inputs:
        up = by_id[src]
        out |= up.writes - {PASS_THROUGH}
        if PASS_THROUGH in up.writes:
            out |= _passed_on(up)
    return frozenset(out)


def _passed_on(node: CompiledNode) -> frozenset[str]:
    """What a pass-through node forwards of what reached it.

    A workflow input may carry anything, but a node that reads from it has learnt what
    kind of input it is: after a node that reads ``text`` the Data is a text (with its
    metadata and concepts), so a tracker reading ``regions`` there can never get any.
    """
    cls = node.operator_cls
    if cls is None or not cls.reads or not ROOT_WRITES <= node.available:
        return node.available
    tops = {_top(r) for r in cls.reads}
    other_kinds = [kind for kind in _MEDIA_KINDS if not kind & tops]
    return node.available.difference(*other_kinds)


def _check_edge(node: CompiledNode, by_id: dict[str, CompiledNode], file: str) -> None:
    available = node.available = _available(node, by_id)
    if node.operator_cls is None or node.params is None:
        return
    if (
        node.reads_image
        and "image" not in available
        and any(w.startswith("regions[].data.image") for w in available)
    ):
        # runs once per region image and nests its output there: what it writes reaches
        # downstream inside the regions it passes on
        node.per_region = True
        node.writes = frozenset({"regions", *(f"regions[].data.{w}" for w in node.writes)})
    for read in node.operator_cls.reads:
        if satisfies(available, read):
            continue
        if _top(read) in _LOOK_BACK:
            continue  # found along the graph or on the workflow input at run time
        sources = ", ".join(f"'{s}' writes {sorted(by_id[s].writes)}" for s in node.spec.inputs)
        p = node.spec.pos("node")
        raise GraphError(
            f"node '{node.id}' ({node.type_id}) reads '{read}', which its inputs never carry "
            f"({sources})",
            file=file,
            line=p.line,
            col=p.col,
            node_id=node.id,
            key="node_inputs",
        )
    msg = node.operator_cls.check(node.params, available)
    if msg:
        raise _params_error(
            node.spec,
            f"node '{node.id}' ({node.type_id}): {msg}",
            file,
            node.spec.pos("params", "model"),
        )
