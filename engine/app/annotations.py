"""Annotations: hand-written ones (``PostAnnotations``), those ``annotation-writer`` writes
during a run of the app, and listing, patching and deleting both kinds alike.

A hand-written annotation labels one stored input: concepts, regions (a box, a polygon
or a point, each with its concepts), text, or frames of a video; with a user id, a task
id, a status (ANNOTATION_SUCCESS unless given) and free ``annotation_info``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from engine.app._core import AppCore, Scope
from engine.app._merge import check_action, patch_concepts, patch_metadata
from engine.app._requests import check_json, page_window
from engine.errors import AppError, InputError
from engine.operator import Context
from engine.proto import Annotation, Data, Region, StatusCode
from engine.store import AnnotationQuery, AnnotationRecord, codec
from engine.store import _app_support as h

__all__ = ["Annotations", "status_code"]

_BAD = StatusCode.ANNOTATION_INVALID_ARGUMENT


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
        scope: Scope | None = None,
    ) -> Annotation | None:
        """Write ``data``'s concepts and regions as the annotation of the running input.

        One annotation per (input, workflow, node): running a workflow again replaces it
        rather than adding a duplicate.  Returns None when the run is a search query.
        ``scope`` is the run's (``app.predict``); adds and reindexes set the App's.
        """
        scope = scope or self._core.scope
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

    # ---- hand-written annotations ----------------------------------------------------------

    def upload(self, annotations: Any) -> list[Annotation]:
        """Store new annotations of stored inputs, all or none; returns them as stored."""
        now = h.now()
        records = [_record(a, i, now) for i, a in enumerate(h.as_list(annotations))]
        twice = sorted(i for i, n in Counter(r.id for r in records).items() if n > 1)
        if twice:
            raise AppError(f"annotation id(s) given twice: {', '.join(twice[:5])}", code=_BAD)
        missing, taken = self._core.store.insert_annotations(records)
        if missing:
            raise AppError(
                f"unknown input id(s): {', '.join(missing[:5])}; no annotation was stored",
                code=StatusCode.INPUT_DOES_NOT_EXIST,
            )
        if taken:
            raise AppError(
                f"annotation id(s) already in the app: {', '.join(taken[:5])}", code=_BAD
            )
        return [codec.annotation_from_record(r) for r in records]

    def list_page(
        self,
        input_ids: Sequence[str] = (),
        user_ids: Sequence[str] = (),
        statuses: Sequence[int | str] = (),
        concept_ids: Sequence[str] = (),
        task_id: str | None = None,
        ids: Sequence[str] = (),
        page: int = 1,
        per_page: int | None = None,
    ) -> list[Annotation]:
        """One page of annotations in the order they were first written, filtered by input,
        user, status (code or name), concept (of the annotation or its regions), task."""
        offset, limit = page_window(page, per_page)
        codes = tuple(status_code(s) for s in statuses)
        query = AnnotationQuery(
            tuple(ids), tuple(input_ids), tuple(user_ids), codes, tuple(concept_ids), task_id
        )
        records = self._core.store.list_annotations(query, offset, limit)
        return [codec.annotation_from_record(r) for r in records]

    def patch(self, annotations: Any, action: str = "merge") -> list[Annotation]:
        """Patch annotations by id with Clarifai's ``action``: concepts and regions by id,
        ``annotation_info`` by key, text, status, user and task; all or none."""
        check_action(action, _BAD)
        wanted = [_parse(a, i) for i, a in enumerate(h.as_list(annotations))]
        ids = [str(w.id or "") for w in wanted]
        if not all(ids) or len(set(ids)) != len(ids):
            raise AppError("each patched annotation needs its own id, given once", code=_BAD)
        by_id = dict(zip(ids, wanted, strict=True))
        now = h.now()

        def change(rec: AnnotationRecord) -> AnnotationRecord:
            return _patched(rec, by_id[rec.id], action, now)

        missing = self._core.store.modify_annotations(ids, change)
        if missing:
            raise AppError(
                f"unknown annotation id(s): {', '.join(missing[:5])}; nothing was changed",
                code=StatusCode.CONN_DOES_NOT_EXIST,
            )
        return self.list_page(ids=ids, per_page=len(ids))

    def delete(self, input_ids: Sequence[str] = (), annotation_ids: Sequence[str] = ()) -> None:
        """Delete annotations by id (of ``input_ids``, if given), or every annotation of
        ``input_ids``; all or none."""
        input_ids, annotation_ids = list(input_ids), list(annotation_ids)
        if not input_ids and not annotation_ids:
            raise AppError("give input ids or annotation ids to delete", code=_BAD)
        missing = self._core.store.delete_annotations(annotation_ids, input_ids)
        if missing:
            what = "annotation" if annotation_ids else "input"
            raise AppError(
                f"unknown {what} id(s): {', '.join(missing[:5])}; nothing was deleted",
                code=StatusCode.CONN_DOES_NOT_EXIST
                if annotation_ids
                else StatusCode.INPUT_DOES_NOT_EXIST,
            )


def status_code(status: int | str) -> int:
    """An annotation status code from a code or a name (``AWAITING_REVIEW``, ...)."""
    try:
        code = h.annotation_status(status)
    except InputError as exc:
        raise AppError(str(exc), code=_BAD) from None
    assert code is not None
    return code


def _parse(item: Any, index: int) -> Annotation:
    try:
        ann = item if isinstance(item, Annotation) else Annotation.model_validate(item)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise AppError(
            f"annotation {index}: bad request at '{where}': {err['msg']}", code=_BAD
        ) from None
    if ann.annotation_info is not None:
        check_json(ann.annotation_info, f"annotation {index}: annotation_info", code=_BAD)
    if ann.data is not None:
        for r in [
            *ann.data.regions,
            *(r for f in ann.data.frames if f.data for r in f.data.regions),
        ]:
            _check_region(r, index)
    return ann


def _check_region(region: Region, index: int) -> None:
    info = region.region_info
    if info is None:
        return
    box = info.bounding_box
    points = [*(info.polygon.points if info.polygon else []), *([info.point] if info.point else [])]
    if box is not None and not (
        0 <= box.top_row <= box.bottom_row <= 1 and 0 <= box.left_col <= box.right_col <= 1
    ):
        raise AppError(
            f"annotation {index}: a bounding box is fractions of the image with top <= "
            "bottom and left <= right, all in [0, 1]",
            code=_BAD,
        )
    if any(not (0 <= p.row <= 1 and 0 <= p.col <= 1) for p in points):
        raise AppError(
            f"annotation {index}: points are fractions of the image in [0, 1]", code=_BAD
        )


def _record(item: Any, index: int, now: str) -> AnnotationRecord:
    ann = _parse(item, index)
    if not ann.input_id:
        raise AppError(f"annotation {index}: give the input_id it annotates", code=_BAD)
    data = ann.data or Data()
    if not (data.concepts or data.regions or data.text or data.frames):
        raise AppError(
            f"annotation {index}: nothing to annotate with (give concepts, regions, text "
            "or frames)",
            code=_BAD,
        )
    return AnnotationRecord(
        id=ann.id or uuid.uuid4().hex,
        input_id=ann.input_id,
        data=data.to_dict(),
        status_code=ann.status.code if ann.status else StatusCode.ANNOTATION_SUCCESS,
        user_id=ann.user_id,
        task_id=ann.task_id,
        annotation_info=ann.annotation_info,
        created_at=now,
        modified_at=now,
    )


def _patched(rec: AnnotationRecord, want: Annotation, action: str, now: str) -> AnnotationRecord:
    data = dict(rec.data)
    given = want.data.to_dict() if want.data is not None else {}
    for key in ("concepts", "regions", "frames"):
        if key in given or action == "overwrite":
            merged = patch_concepts(data.get(key, []), given.get(key, []), action)
            data.pop(key, None)
            if merged:
                data[key] = merged
    if "text" in given or action == "overwrite":
        data.pop("text", None)
        if "text" in given and action != "remove":
            data["text"] = given["text"]
    info = patch_metadata(rec.annotation_info, want.annotation_info, action)
    return AnnotationRecord(
        **{
            **rec.__dict__,
            "data": data,
            "annotation_info": info,
            "status_code": want.status.code if want.status else rec.status_code,
            "user_id": want.user_id if want.user_id is not None else rec.user_id,
            "task_id": want.task_id if want.task_id is not None else rec.task_id,
            "modified_at": now,
        }
    )
