"""Inputs: add (stored and indexed by the base workflow in one transaction per batch), get,
list, count, patch (metadata, concepts, geo) and delete (with all that refers to them).

Concepts given with an input are the user's labels: they are stored on the input and as
its input-level annotation (one per input, status ANNOTATION_SUCCESS), as Clarifai does,
so annotation listings and concept search see them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.app._core import AppCore
from engine.app._merge import check_action, patch_concepts, patch_metadata
from engine.app._requests import check_json, page_window
from engine.app.base import BaseWorkflowHook
from engine.app.runners import Runner, open_runner
from engine.errors import AppError
from engine.inputs import to_input
from engine.proto import Input, InputCount, StatusCode
from engine.store import AnnotationRecord, InputChange, InputQuery, InputRecord, WriteBatch, codec
from engine.store import _app_support as h

__all__ = ["LABELS_NAMESPACE", "Inputs", "file_input_id", "labels_annotation_id"]

LABELS_NAMESPACE = uuid.UUID("6f1d8e52-93a4-4c1e-9d43-0b0c7a3c5e21")
_INPUT_TYPES = ("image", "video", "text", "audio")
_AHEAD = 3  # batches a prefetching runner computes ahead of the store writes


def file_input_id(path: str | Path) -> str:
    """A file's input id: its name, then a digest of where it is (the same on a rerun)."""
    digest = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:8]
    return f"{Path(path).stem}-{digest}"


def labels_annotation_id(input_id: str) -> str:
    """The id of the annotation holding the concepts a user gave an input."""
    return uuid.uuid5(LABELS_NAMESPACE, input_id).hex


class Inputs:
    """The app's stored inputs; the one place their rules live."""

    def __init__(self, core: AppCore, base: BaseWorkflowHook) -> None:
        self._core, self._base = core, base

    # ---- add -----------------------------------------------------------------------------

    def add(
        self,
        inputs: Any,
        dataset_id: str | None = None,
        metadata: dict[str, Any] | str | None = None,
        *,
        progress: bool | None = None,
        skip_existing: bool = False,
        annotations: Sequence[AnnotationRecord] = (),
        workers: int | None = None,
        runner: Runner | None = None,
        engine: str = "local",
        address: str | None = None,
    ) -> list[str]:
        """Store ``inputs`` and index them with the base workflow; returns their ids.

        Ids already in the app refuse the whole request (``INPUT_DUPLICATE``) unless
        ``skip_existing``, which leaves those inputs as they are and adds the others.
        ``annotations`` (an import's, as exported) are written with their inputs, in the
        same transaction, replacing any the add itself makes with the same ids.
        ``workers`` runs the base workflow in that many worker processes for the whole
        call (``engine.app.runners.open_runner``), or in that many Ray actors with
        ``engine="ray"`` (on the cluster at ``address``); ``runner`` is another engine.
        """
        extra = h.parse_metadata(metadata)
        items = h.as_list(inputs)
        parsed = [self._prepare(item, i, extra, dataset_id) for i, item in enumerate(items)]
        ids = [str(p.id) for p in parsed]
        taken = self._check_new_ids(ids, skip_existing)
        todo = [p for p in parsed if p.id not in taken]
        core = self._core
        with core.lock:
            self._base.sync()
            wf = self._base.workflow
            with open_runner(wf, workers, len(todo), engine, address) as pool:
                self._add_all(todo, skip_existing, annotations, runner or pool, progress)
        return ids

    def _add_all(
        self,
        todo: list[Input],
        skip_existing: bool,
        annotations: Sequence[AnnotationRecord],
        runner: Runner | None,
        progress: bool | None,
    ) -> None:
        size = self._core.batch_size
        prefetch = getattr(runner, "prefetch", None)  # a runner that can start batches early
        with h.Progress(len(todo), progress) as bar:
            for start in range(0, len(todo), size):
                chunk = todo[start : start + size]
                if prefetch is not None and self._base.workflow is not None:
                    coming = range(start, min(len(todo), start + size * _AHEAD), size)
                    prefetch(self._base.workflow, [todo[k : k + size] for k in coming])
                self._add_chunk(chunk, skip_existing, annotations, runner)
                bar.advance(len(chunk))

    def _prepare(
        self, item: Any, index: int, extra: dict[str, Any] | None, dataset_id: str | None
    ) -> Input:
        inp = to_input(item, index)
        if isinstance(item, str | Path):  # a file: its name, made unique by its folder
            inp = inp.model_copy(update={"id": file_input_id(item)})
        meta = {**(inp.data.metadata or {}), **(extra or {})} or None
        if meta is not None:
            check_json(meta, f"input {index}: metadata")
        datasets = [*inp.dataset_ids, *([dataset_id] if dataset_id else [])]
        return Input(
            id=inp.id or uuid.uuid4().hex,
            data=inp.data.model_copy(update={"metadata": meta}),
            dataset_ids=list(dict.fromkeys(datasets)),
        )

    def _check_new_ids(self, ids: list[str], skip_existing: bool) -> set[str]:
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        if twice:
            raise AppError(
                f"input id(s) given twice: {', '.join(twice[:5])}", code=StatusCode.INPUT_DUPLICATE
            )
        taken = set(ids) - set(self._core.store.missing_ids(ids))
        if taken and not skip_existing:
            raise AppError(
                f"input id(s) already in the app: {', '.join(sorted(taken)[:5])} (add with "
                "skip_existing=True, or --skip-existing, to add only the others)",
                code=StatusCode.INPUT_DUPLICATE,
            )
        return taken

    def _add_chunk(
        self,
        chunk: list[Input],
        skip_existing: bool,
        annotations: Sequence[AnnotationRecord],
        runner: Runner | None,
    ) -> None:
        core = self._core
        while chunk:
            generation = core.generation()
            try:
                # another process may switch in a reindexed base workflow meanwhile: then
                # the batch is run again with it, and written to the index now in use
                if self._add_batch(chunk, generation, annotations, runner):
                    return
                self._base.sync()
            except AppError as exc:  # another writer added some of these ids meanwhile
                if not skip_existing or exc.code != StatusCode.INPUT_DUPLICATE:
                    raise
                missing = set(core.store.missing_ids([str(i.id) for i in chunk]))
                chunk = [i for i in chunk if i.id in missing]

    def _add_batch(
        self,
        chunk: list[Input],
        generation: int,
        annotations: Sequence[AnnotationRecord] = (),
        runner: Runner | None = None,
    ) -> bool:
        now = h.now()
        batch = WriteBatch(generation=generation)
        records = {
            str(i.id): codec.input_to_record(i, str(i.id), i.dataset_ids, now) for i in chunk
        }
        batch.inputs = list(records.values())
        labels = (_labels(i, records[i].data, now) for i in records)
        batch.annotations.extend(a for a in labels if a is not None)
        for input_id, result in self._base.run(chunk, batch, "add", runner):
            if isinstance(result, str):
                records[input_id].status_code = StatusCode.INPUT_FAILED
                records[input_id].status_description = result
            else:
                batch.index.append(result)
        given = [a for a in annotations if a.input_id in records]
        if given:
            replaced = {a.id for a in given}
            batch.annotations = [a for a in batch.annotations if a.id not in replaced] + given
        return self._core.store.write(batch)

    # ---- read ----------------------------------------------------------------------------

    def get(self, ids: Sequence[str]) -> list[Input]:
        """Stored inputs by id, with their media (``INPUT_DOES_NOT_EXIST`` for unknown ids)."""
        self._core.require(ids)
        return [codec.input_from_record(r) for r in self._core.store.get_inputs(ids)]

    def list_inputs(
        self,
        dataset_id: str | None = None,
        page: int = 1,
        per_page: int | None = None,
        input_type: str | None = None,
        status: int | str | None = None,
        ids: Sequence[str] = (),
    ) -> list[Input]:
        """Stored inputs in the order they were added, one page of them, without media
        bytes (each input names its media; ``get`` returns it)."""
        offset, limit = page_window(page, per_page)
        if input_type is not None and input_type not in _INPUT_TYPES:
            raise AppError(
                f"input_type must be one of {', '.join(_INPUT_TYPES)}, got {input_type!r}",
                code=StatusCode.INPUT_INVALID_ARGUMENT,
            )
        query = InputQuery(tuple(ids), input_status(status), dataset_id, input_type)
        records = self._core.store.list_inputs(query, offset, limit)
        return [codec.input_from_record(r, pixels=False) for r in records]

    def count(self, status: int | None = None) -> int:
        """How many inputs the app stores (with this input status code, if given)."""
        return self._core.store.count_inputs(status)

    def counts(self) -> InputCount:
        """``GetInputCount``: inputs processed, failed, processing and waiting."""
        by_code = self._core.store.input_counts()
        return InputCount(
            processed=by_code.get(StatusCode.INPUT_SUCCESS, 0),
            errors=by_code.get(StatusCode.INPUT_FAILED, 0),
            processing=by_code.get(StatusCode.INPUT_IN_PROGRESS, 0),
            to_process=by_code.get(StatusCode.INPUT_PENDING, 0),
        )

    # ---- patch and delete ----------------------------------------------------------------

    def patch(self, inputs: Any, action: str = "merge") -> list[Input]:
        """Patch each input's metadata, concepts and geo with Clarifai's ``action``
        (``merge``, ``overwrite`` or ``remove``); all of them in one transaction."""
        check_action(action)
        wanted = [_patch_request(item, i) for i, item in enumerate(h.as_list(inputs))]
        ids = [str(w.id) for w in wanted]
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        if twice:
            raise AppError(
                f"input id(s) patched twice: {', '.join(twice[:5])}",
                code=StatusCode.INPUT_INVALID_ARGUMENT,
            )
        by_id = {str(w.id): w for w in wanted}
        now = h.now()

        def change(rec: InputRecord) -> InputChange:
            return _patched(rec, by_id[rec.id], action, now)

        missing = self._core.store.modify_inputs(ids, change)
        if missing:
            raise AppError(
                f"unknown input id(s): {', '.join(missing[:5])}",
                code=StatusCode.INPUT_DOES_NOT_EXIST,
            )
        return [codec.input_from_record(r, pixels=False) for r in self._core.store.get_inputs(ids)]

    def delete(self, ids: Sequence[str]) -> None:
        """Delete inputs with their annotations, dataset links and index rows, all or none."""
        ids = [i if isinstance(i, str) else str(getattr(i, "id", i)) for i in h.as_list(ids)]
        if not ids:
            raise AppError(
                "give the ids of the inputs to delete", code=StatusCode.INPUT_INVALID_ARGUMENT
            )
        missing = self._core.store.delete_inputs(ids)
        if missing:
            raise AppError(
                f"unknown input id(s): {', '.join(missing[:5])}; nothing was deleted",
                code=StatusCode.INPUT_DOES_NOT_EXIST,
            )


def input_status(status: int | str | None) -> int | None:
    """An input status code from a code or a name (``INPUT_FAILED``, ``failed``, ...)."""
    if status is None or isinstance(status, int):
        return status
    if status.isdigit():
        return int(status)
    name = status.upper()
    name = name if name.startswith("INPUT_") else f"INPUT_{name}"
    try:
        return int(StatusCode[name])
    except KeyError:
        raise AppError(
            f"unknown input status {status!r}", code=StatusCode.INPUT_INVALID_ARGUMENT
        ) from None


def _patch_request(item: Any, index: int) -> Input:
    """One input of a patch: an ``Input`` or its JSON, with an id (data may be partial)."""
    try:
        inp = item if isinstance(item, Input) else Input.model_validate(item)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise AppError(
            f"input {index}: bad patch at '{where}': {err['msg']}",
            code=StatusCode.INPUT_INVALID_ARGUMENT,
        ) from None
    if not inp.id:
        raise AppError(
            f"input {index}: a patch needs the input's id", code=StatusCode.INPUT_INVALID_ARGUMENT
        )
    if inp.data.metadata is not None:
        check_json(inp.data.metadata, f"input {index}: metadata")
    return inp


def _patched(rec: InputRecord, want: Input, action: str, now: str) -> InputChange:
    data = dict(rec.data)
    given = want.data.to_dict()
    meta = patch_metadata(rec.metadata, want.data.metadata, action)
    concepts = data.get("concepts", [])
    if "concepts" in given or action == "overwrite":
        concepts = patch_concepts(concepts, given.get("concepts", []), action)
    data.pop("concepts", None)
    if concepts:
        data["concepts"] = concepts
    if "geo" in given:
        data.pop("geo") if action == "remove" else data.__setitem__("geo", given["geo"])
    elif action == "overwrite":
        data.pop("geo", None)
    new = InputRecord(**{**rec.__dict__, "data": data, "metadata": meta, "modified_at": now})
    label = _labels(rec.id, data, now)
    if label is None:
        return InputChange(new, delete_annotations=[labels_annotation_id(rec.id)])
    return InputChange(new, put_annotations=[label])


def _labels(input_id: str, data: dict[str, Any], now: str) -> AnnotationRecord | None:
    """The input-level annotation of the concepts a user gave the input (None: none)."""
    concepts = data.get("concepts") or []
    if not concepts:
        return None
    return AnnotationRecord(
        id=labels_annotation_id(input_id),
        input_id=input_id,
        data={"concepts": concepts},
        status_code=StatusCode.ANNOTATION_SUCCESS,
        created_at=now,
        modified_at=now,
    )
