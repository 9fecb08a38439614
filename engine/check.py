"""Check a workflow file the way ``run`` builds it, finding every mistake, not the first.

``opgraph validate`` uses this: the file is read and checked node by node, compiled
against the model catalog (a model reference bound to nothing is an error, as it is for
``run``), and every node that compiled is set up as ``run`` sets it up (model files
opened, regexes compiled), so a workflow that validates is one that runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import SpecError
from engine.graph import CompiledGraph, compile_spec
from engine.operator import ModelBinding
from engine.spec import load_spec

__all__ = ["CheckReport", "check_workflow"]


@dataclass
class CheckReport:
    """What ``check_workflow`` found: ``errors`` in file order, then ``warnings``."""

    file: str
    graph: CompiledGraph | None = None
    errors: list[SpecError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_workflow(
    source: str | Path,
    *,
    models: list[ModelBinding] | None = None,
    allow_unbound: bool = False,
    build: bool = True,
) -> CheckReport:
    """Every mistake in a workflow file (or YAML text).

    ``allow_unbound`` turns model references bound to nothing into warnings (to check the
    shape of a Clarifai export before writing its catalog); ``run`` refuses them.
    ``build`` sets up each node as ``run`` does (loads its model files).
    """
    errors: list[SpecError] = []
    spec = load_spec(source, errors=errors)
    report = CheckReport(spec.file, errors=errors)
    if not spec.nodes and errors:
        return report
    graph = compile_spec(spec, models=models, strict=not allow_unbound, errors=errors)
    if build:
        graph.instantiate(errors)
    report.graph = graph
    report.warnings = list(graph.warnings)
    errors.sort(key=lambda e: (e.line, e.col))
    return report
