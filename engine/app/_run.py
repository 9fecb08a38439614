"""``AppRun``: what the operators of one ``app.predict`` see as ``ctx.app``.

It is the App, plus the run's own ``Scope`` (which input ids the batch has, which workflow
runs): annotation-writer reads the scope from here rather than from the App, so several
predicts of one App run at the same time, each with its own scope, without holding the
App's lock for the length of a workflow (a video can take minutes).
"""

from __future__ import annotations

from typing import Any

from engine.app._core import Scope
from engine.app.annotations import Annotations
from engine.operator import Context
from engine.proto import Annotation, Data

__all__ = ["AppRun"]


class AppRun:
    """The App as one workflow run's operators see it."""

    def __init__(self, app: Any, annotations: Annotations, scope: Scope) -> None:
        self._app, self._annotations, self.scope = app, annotations, scope

    def write_annotation(self, ctx: Context, data: Data, **options: Any) -> Annotation | None:
        return self._annotations.write_from_operator(ctx, data, scope=self.scope, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)
