"""Datasets: groups of an app's inputs, and versions that freeze them.

Each method maps onto one V2 call (``PostDatasets``, ``GetDataset``, ``ListDatasets``,
``PatchDatasets``, ``DeleteDatasets``, ``PostDatasetInputs``, ``DeleteDatasetInputs``,
``ListDatasetInputs``, ``PostDatasetVersions``, ``ListDatasetVersions``,
``GetDatasetVersion``, ``DeleteDatasetVersions``) and is one store transaction.  A
request that cannot be applied (unknown id, duplicate id, a version of an empty
dataset) changes nothing and raises ``AppError`` with Clarifai's status code.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from engine.app._core import AppCore
from engine.app._merge import check_action, patch_metadata
from engine.app._requests import DEFAULT_PER_PAGE, page_window
from engine.errors import AppError
from engine.proto import Annotation, Input, Status, StatusCode
from engine.proto_app import Dataset, DatasetInput, DatasetVersion, DatasetVersionMetrics
from engine.store import _app_support as h
from engine.store import codec
from engine.store.datasets import DatasetRecord, DatasetVersionRecord

__all__ = ["Datasets", "check_id"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def check_id(value: Any, what: str) -> str:
    """A Clarifai resource id: letters, digits, ``_ . -``, at most 128 characters."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise AppError(
            f"{what} id must be 1-128 letters, digits, '_', '.' or '-' (starting with a "
            f"letter or digit), got {value!r}",
            code=StatusCode.BAD_REQUEST,
        )
    return value


class Datasets:
    """The app's datasets and their versions; the one place their rules live."""

    def __init__(self, core: AppCore) -> None:
        self._core = core
        self._db = core.store.datasets

    # ---- datasets --------------------------------------------------------------------

    def create(
        self,
        dataset_id: str,
        description: str = "",
        notes: str = "",
        metadata: dict[str, Any] | str | None = None,
    ) -> Dataset:
        check_id(dataset_id, "dataset")
        now = h.now()
        rec = DatasetRecord(dataset_id, description, notes, h.parse_metadata(metadata), now, now)
        if self._db.create([rec]):
            raise AppError(
                f"a dataset with id '{dataset_id}' already exists in the app",
                code=StatusCode.DATABASE_DUPLICATE_KEY,
            )
        return _dataset(rec)

    def get(self, dataset_id: str) -> Dataset:
        return _dataset(self._record(dataset_id))

    def list_datasets(self, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> list[Dataset]:
        offset, limit = page_window(page, per_page)
        return [_dataset(r) for r in self._db.page(offset, limit)]

    def patch(
        self,
        dataset_id: str,
        action: str = "merge",
        description: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | str | None = None,
    ) -> Dataset:
        """``PatchDatasets``: ``merge`` / ``overwrite`` set the given fields (metadata
        merged deeply or replaced); ``remove`` deletes the given metadata keys."""
        check_action(action, StatusCode.BAD_REQUEST)
        with self._core.lock:
            rec = self._record(dataset_id)
            if action != "remove":
                rec.description = rec.description if description is None else description
                rec.notes = rec.notes if notes is None else notes
            rec.metadata = patch_metadata(rec.metadata, h.parse_metadata(metadata), action)
            rec.modified_at = h.now()
            self._db.update([rec])
        return _dataset(rec)

    def delete(self, dataset_ids: Sequence[str]) -> None:
        """Delete datasets and their versions; their inputs stay in the app."""
        missing = self._db.delete(list(dataset_ids))
        if missing:
            raise _unknown(missing)

    def _record(self, dataset_id: str) -> DatasetRecord:
        found = self._db.get([dataset_id])
        if not found:
            raise _unknown([dataset_id])
        return found[0]

    # ---- a dataset's inputs ----------------------------------------------------------

    def add_inputs(self, dataset_id: str, input_ids: Sequence[str]) -> list[DatasetInput]:
        """``PostDatasetInputs``: add stored inputs (all or none) to the dataset."""
        self._record(dataset_id)
        ids = list(dict.fromkeys(input_ids))
        missing = self._db.add_inputs(dataset_id, ids, h.now())
        if missing:
            raise AppError(
                f"unknown input id(s): {', '.join(missing[:5])}",
                code=StatusCode.INPUT_DOES_NOT_EXIST,
            )
        inputs = self._core.store.get_inputs(ids)
        return [DatasetInput(input=codec.input_from_record(r, pixels=False)) for r in inputs]

    def remove_inputs(self, dataset_id: str, input_ids: Sequence[str]) -> None:
        """``DeleteDatasetInputs``: the inputs leave the dataset, not the app."""
        self._record(dataset_id)
        self._db.remove_inputs(dataset_id, list(input_ids), h.now())

    def list_inputs(
        self, dataset_id: str, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[DatasetInput]:
        offset, limit = page_window(page, per_page)
        self._record(dataset_id)
        rows = self._db.list_inputs(dataset_id, offset, limit)
        return [
            DatasetInput(created_at=added, input=codec.input_from_record(r, pixels=False))
            for added, r in rows
        ]

    # ---- versions --------------------------------------------------------------------

    def create_version(
        self,
        dataset_id: str,
        id: str | None = None,
        description: str = "",
        metadata: dict[str, Any] | str | None = None,
    ) -> DatasetVersion:
        """``PostDatasetVersions``: freeze the dataset's inputs and their annotations."""
        version_id = check_id(id, "dataset version") if id is not None else uuid.uuid4().hex
        rec = DatasetVersionRecord(
            version_id, dataset_id, description, h.parse_metadata(metadata), created_at=h.now()
        )
        refused = self._db.create_version(rec)
        if refused == "no-dataset":
            raise _unknown([dataset_id])
        if refused == "exists":
            raise AppError(
                f"dataset '{dataset_id}' already has a version '{version_id}'",
                code=StatusCode.DATASET_VERSION_CONFLICT,
            )
        if refused == "empty":
            raise AppError(
                f"dataset '{dataset_id}' has no inputs: add inputs before making a version",
                code=StatusCode.DATASET_VERSION_FAILURE,
            )
        return _version(rec)

    def list_versions(
        self, dataset_id: str, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[DatasetVersion]:
        offset, limit = page_window(page, per_page)
        self._record(dataset_id)
        return [_version(r) for r in self._db.list_versions(dataset_id, offset, limit)]

    def get_version(self, dataset_id: str, version_id: str) -> DatasetVersion:
        return _version(self._version_record(dataset_id, version_id))

    def delete_version(self, dataset_id: str, version_id: str) -> None:
        if not self._db.delete_version(dataset_id, version_id):
            self._version_record(dataset_id, version_id)  # raises the precise error

    def version_inputs(
        self, dataset_id: str, version_id: str
    ) -> Iterator[tuple[Input, list[Annotation]]]:
        """The version's frozen inputs (media decodable) with their annotations."""
        rec = self._version_record(dataset_id, version_id)
        for inp, frozen in self._db.version_inputs(rec.seq):
            inp.dataset_ids = [dataset_id]
            yield (
                codec.input_from_record(inp).model_copy(update={"status": None}),
                [codec.annotation_from_record(a) for a in frozen],
            )

    def _version_record(self, dataset_id: str, version_id: str) -> DatasetVersionRecord:
        self._record(dataset_id)
        rec = self._db.get_version(dataset_id, version_id)
        if rec is None:
            raise AppError(
                f"dataset '{dataset_id}' has no version '{version_id}'",
                code=StatusCode.CONN_DOES_NOT_EXIST,
            )
        return rec


def _unknown(ids: Sequence[str]) -> AppError:
    return AppError(
        f"unknown dataset id(s): {', '.join(ids[:5])}", code=StatusCode.CONN_DOES_NOT_EXIST
    )


def _dataset(rec: DatasetRecord) -> Dataset:
    return Dataset(
        id=rec.id,
        created_at=rec.created_at or None,
        modified_at=rec.modified_at or None,
        description=rec.description or None,
        metadata=rec.metadata,
        notes=rec.notes or None,
    )


def _version(rec: DatasetVersionRecord) -> DatasetVersion:
    return DatasetVersion(
        id=rec.id,
        created_at=rec.created_at,
        modified_at=rec.created_at,
        dataset_id=rec.dataset_id,
        status=Status(code=StatusCode.DATASET_VERSION_READY, description="Dataset version ready"),
        description=rec.description or None,
        metrics={"/": DatasetVersionMetrics(**rec.metrics)},
        metadata=rec.metadata,
    )
