"""Apps: stored inputs, indexed by a base workflow, searchable, annotated.

``App`` (``engine.app.facade``) is a thin facade over one module per resource:
``inputs``, ``annotations``, ``concepts``, ``search``, and ``base`` (the base-workflow
hook that indexes every stored input).  Each resource module is the one place its rules
live; they share the store, the lock and the running scope through ``_core.AppCore``.
"""

from __future__ import annotations

from engine.app.facade import App
from engine.store._app_support import BUILTIN_BASE_WORKFLOWS

__all__ = ["BUILTIN_BASE_WORKFLOWS", "App"]
