"""Annotations: those ``annotation-writer`` writes during a run of the app, and listing."""

from __future__ import annotations

from typing import Any

from engine.app._core import AppCore
from engine.errors import InputError
from engine.operator import Context
from engine.proto import Annotation, Data
from engine.store import _app_support as h
from engine.store import codec

__all__ = ["Annotations"]


class Annotations:
    """The app's annotations; the one place their rules live."""

    def __init__(self, core: AppCore) -> None:
        self._core = core

    def write_from_operator(
        self,
        ctx: Context,
        data: Data,
        *,
        status: int,
        user_id: str | None = None,
        task_id: str | None = None,
        annotation_info: dict[str, Any] | None = None,
    ) -> Annotation | None:
        """Write ``data``'s concepts and regions as the annotation of the running input.

        One annotation per (input, workflow, node): running a workflow again replaces it
        rather than adding a duplicate.  Returns None when the run is a search query.
        """
        scope = self._core.scope
        if scope is None:
            raise InputError(
                "annotation-writer needs the input's id: run the workflow with app.predict(...)"
            )
        if scope.mode == "query":
            return None
        input_id = scope.input_ids[ctx.input_index]
        if input_id is None or (
            input_id not in scope.known and self._core.store.missing_ids([input_id])
        ):
            raise InputError(
                "annotation-writer needs an input stored in this app: give the id of a "
                "stored input, or add the input first"
            )
        record = codec.annotation_to_record(
            data,
            input_id=input_id,
            workflow_id=scope.workflow_id,
            node_id=ctx.node_id,
            status=status,
            user_id=user_id,
            task_id=task_id,
            annotation_info=annotation_info,
            now=h.now(),
        )
        if scope.mode == "predict":
            self._core.store.put_annotations([record])
        else:
            scope.pending.append(record)
        return codec.annotation_from_record(record)

    def list_annotations(
        self, input_id: str | None = None, status: int | str | None = None
    ) -> list[Annotation]:
        """Stored annotations, optionally of one input and/or one status code (or name)."""
        if input_id is not None:
            self._core.require([input_id])
        code = h.annotation_status(status)
        return [
            codec.annotation_from_record(r) for r in self._core.store.annotations(input_id, code)
        ]
