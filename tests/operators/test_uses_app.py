"""Every operator that reads or writes the App through ``ctx.app`` says so (``uses_app``):
a base workflow holding one must never run in worker processes, where there is no App."""

from __future__ import annotations

import inspect
import sys
import types

import operators
from engine.operator import Operator, operator_types


def _sources(cls: type[Operator]) -> str:
    """The operator's module and the project modules whose names it imports (its helpers)."""
    module = sys.modules[cls.__module__]
    texts = [inspect.getsource(module)]
    for value in vars(module).values():
        home = value if isinstance(value, types.ModuleType) else inspect.getmodule(value)
        name = getattr(home, "__name__", "")
        if home is not module and name.startswith("operators.") and home is not None:
            texts.append(inspect.getsource(home))
    return "\n".join(texts)


def _builtin() -> dict[str, type[Operator]]:
    """The repository's operators (test modules register stand-ins of their own)."""
    operators.load()
    return {t: c for t, c in operator_types().items() if c.__module__.startswith("operators.")}


def test_every_operator_using_ctx_app_has_uses_app() -> None:
    users = {t: c for t, c in _builtin().items() if "ctx.app" in _sources(c)}
    assert {"annotation-writer", "rag-prompter", "clusterer"} <= set(users)
    assert [t for t, c in sorted(users.items()) if not c.uses_app] == []


def test_operators_that_never_touch_the_app_may_run_in_workers() -> None:
    flagged = {t for t, c in _builtin().items() if c.uses_app}
    assert flagged <= {t for t, c in _builtin().items() if "ctx.app" in _sources(c)}
