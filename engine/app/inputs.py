"""Inputs: add (stored and indexed by the base workflow in one transaction), get, count."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from engine.app._core import AppCore
from engine.app.base import BaseWorkflowHook
from engine.errors import InputError
from engine.inputs import to_input
from engine.proto import Input, StatusCode
from engine.store import WriteBatch, codec
from engine.store import _app_support as h

__all__ = ["Inputs"]


class Inputs:
    """The app's stored inputs; the one place their rules live."""

    def __init__(self, core: AppCore, base: BaseWorkflowHook) -> None:
        self._core, self._base = core, base

    def add(
        self,
        inputs: Any,
        dataset_id: str | None = None,
        metadata: dict[str, Any] | str | None = None,
        *,
        progress: bool | None = None,
    ) -> list[str]:
        """Store ``inputs`` and index them with the base workflow; returns their ids."""
        extra = h.parse_metadata(metadata)
        items = h.as_list(inputs)
        parsed = [self._prepare(to_input(item, i), extra) for i, item in enumerate(items)]
        ids = [str(p.id) for p in parsed]
        self._check_new_ids(ids)
        datasets = [dataset_id] if dataset_id else []
        core = self._core
        with core.lock, h.Progress(len(parsed), progress) as bar:
            self._base.sync()
            generation = core.generation()
            for start in range(0, len(parsed), core.batch_size):
                chunk = parsed[start : start + core.batch_size]
                # another process may switch in a reindexed base workflow meanwhile: then the
                # batch is run again with it, and written to the index now in use
                while not self._add_batch(chunk, datasets, generation):
                    self._base.sync()
                    generation = core.generation()
                bar.advance(len(chunk))
        return ids

    def _prepare(self, inp: Input, extra: dict[str, Any] | None) -> Input:
        meta = {**(inp.data.metadata or {}), **(extra or {})} or None
        return Input(
            id=inp.id or uuid.uuid4().hex, data=inp.data.model_copy(update={"metadata": meta})
        )

    def _check_new_ids(self, ids: list[str]) -> None:
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        if twice:
            raise InputError(f"input id(s) given twice: {', '.join(twice[:5])}")
        taken = sorted(set(ids) - set(self._core.store.missing_ids(ids)))
        if taken:
            raise InputError(f"input id(s) already in the app: {', '.join(taken[:5])}")

    def _add_batch(self, chunk: list[Input], datasets: list[str], generation: int) -> bool:
        now = h.now()
        batch = WriteBatch(generation=generation)
        records = {str(i.id): codec.input_to_record(i, str(i.id), datasets, now) for i in chunk}
        batch.inputs = list(records.values())
        for input_id, result in self._base.run(chunk, batch, mode="add"):
            if isinstance(result, str):
                records[input_id].status_code = StatusCode.INPUT_FAILED
                records[input_id].status_description = result
            else:
                batch.index.append(result)
        return self._core.store.write(batch)

    def get(self, ids: Sequence[str]) -> list[Input]:
        """Stored inputs by id, with their media (``InputError`` for unknown ids)."""
        self._core.require(ids)
        return [codec.input_from_record(r) for r in self._core.store.get_inputs(ids)]

    def count(self, status: int | None = None) -> int:
        """How many inputs the app stores (with this input status code, if given)."""
        return self._core.store.count_inputs(status)
