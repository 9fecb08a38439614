"""``app.dataset(id)``: one dataset, as Clarifai's SDK ``Dataset`` offers it.

Versions, inputs, uploads from a folder or a CSV, and export of a version; the rules live
in ``datasets`` (the tables), ``_upload`` and ``_export``.  ``import_export`` stores an
exported folder into an app as a new dataset.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.app._export import annotation_record, read_export, write_export
from engine.app._requests import DEFAULT_PER_PAGE
from engine.app._upload import UploadReport, csv_items, folder_items, upload
from engine.app.datasets import Datasets
from engine.app.inputs import Inputs
from engine.errors import AppError
from engine.proto import Annotation, Input, StatusCode
from engine.proto_app import Dataset, DatasetInput, DatasetVersion
from engine.store import Store

__all__ = ["AppDataset", "import_export"]


class AppDataset:
    """A dataset of an app; each method is one V2 call (or a batched series of them)."""

    def __init__(self, dataset_id: str, datasets: Datasets, inputs: Inputs, store: Store) -> None:
        self.id = dataset_id
        self._datasets, self._inputs, self._store = datasets, inputs, store

    def get(self) -> Dataset:
        return self._datasets.get(self.id)

    # ---- inputs ------------------------------------------------------------------------

    def add_inputs(self, input_ids: Sequence[str]) -> list[DatasetInput]:
        return self._datasets.add_inputs(self.id, input_ids)

    def remove_inputs(self, input_ids: Sequence[str]) -> None:
        self._datasets.remove_inputs(self.id, input_ids)

    def list_inputs(self, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> list[DatasetInput]:
        return self._datasets.list_inputs(self.id, page, per_page)

    # ---- versions ----------------------------------------------------------------------

    def create_version(
        self,
        id: str | None = None,
        description: str = "",
        metadata: dict[str, Any] | str | None = None,
    ) -> DatasetVersion:
        return self._datasets.create_version(self.id, id, description, metadata)

    def list_versions(
        self, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[DatasetVersion]:
        return self._datasets.list_versions(self.id, page, per_page)

    def get_version(self, version_id: str) -> DatasetVersion:
        return self._datasets.get_version(self.id, version_id)

    def delete_version(self, version_id: str) -> None:
        self._datasets.delete_version(self.id, version_id)

    def version_inputs(self, version_id: str) -> Iterator[tuple[Input, list[Annotation]]]:
        """The version's inputs and annotations as they were when it was made."""
        return self._datasets.version_inputs(self.id, version_id)

    def export(self, save_path: str | Path, version_id: str | None = None) -> int:
        """Write a version (the newest if not given) to the folder ``save_path``; returns
        how many inputs it holds."""
        if version_id is None:
            newest = self.list_versions(1, 1)
            if not newest:
                raise AppError(
                    f"dataset '{self.id}' has no version to export; create one first",
                    code=StatusCode.DATASET_VERSION_FAILURE,
                )
            version = newest[0]
        else:
            version = self.get_version(version_id)
        items = self.version_inputs(version.id)
        return write_export(Path(save_path), self.get(), version, items)

    # ---- uploads -----------------------------------------------------------------------

    def upload_from_folder(
        self,
        folder_path: str | Path,
        input_type: str | None = None,
        labels: bool = False,
        batch_size: int = 128,
        *,
        progress: bool | None = None,
    ) -> UploadReport:
        """Store every image, video and text file under the folder into this dataset
        (``labels``: each file's parent folder name becomes its concept)."""
        self.get()
        report = UploadReport(self.id)
        items = []
        for entry in folder_items(Path(folder_path), input_type, labels):
            if isinstance(entry, str):
                report.errors.append((entry, "not an image, video or text (.txt) file"))
            else:
                items.append(entry)
        return self._upload(items, report, batch_size, progress)

    def upload_from_csv(
        self,
        csv_path: str | Path,
        input_type: str = "text",
        csv_type: str = "raw",
        labels: bool = True,
        batch_size: int = 128,
        *,
        progress: bool | None = None,
    ) -> UploadReport:
        """Store each row of a CSV with Clarifai's columns (``inputid``, ``input``,
        ``concepts``, ``metadata``, ``geopoints``) into this dataset."""
        self.get()
        report = UploadReport(self.id)
        items = []
        for entry in csv_items(Path(csv_path), input_type, csv_type, labels):
            if len(entry) == 2:
                report.errors.append(entry)
            else:
                items.append(entry)
        return self._upload(items, report, batch_size, progress)

    def _upload(
        self, items: list[Any], report: UploadReport, batch_size: int, progress: bool | None
    ) -> UploadReport:
        if not 1 <= batch_size <= 1000:
            raise AppError(
                f"batch_size must be between 1 and 1000, got {batch_size}",
                code=StatusCode.BAD_REQUEST,
            )

        def add(batch: list[Input]) -> list[str]:
            ids = self._inputs.add(batch, dataset_id=self.id, progress=False)
            report.failed.extend(
                (r.id, r.status_description)
                for r in self._store.get_inputs(ids)
                if r.status_code == StatusCode.INPUT_FAILED
            )
            return ids

        def known(ids: list[str]) -> list[str]:
            return sorted(set(ids) - set(self._store.missing_ids(ids)))

        upload(items, report, add, known, batch_size=batch_size, progress=progress)
        if report.skipped:  # stored by an earlier run: make sure they are in the dataset
            self._datasets.add_inputs(self.id, report.skipped)
        return report


def import_export(
    folder: str | Path,
    datasets: Datasets,
    inputs: Inputs,
    store: Store,
    dataset_id: str | None = None,
    batch_size: int = 128,
) -> Dataset:
    """Store an exported folder into a dataset (the exported id, or ``dataset_id``; made if
    it does not exist): the same input ids, data, metadata and annotations.  Inputs the
    app holds already are not added again, so a rerun after a crash resumes."""
    exported, lines = read_export(Path(folder))
    target = dataset_id or exported.id
    try:
        datasets.create(
            target,
            description=exported.description or "",
            notes=exported.notes or "",
            metadata=exported.metadata,
        )
    except AppError as exc:  # an existing dataset (or an interrupted import) gets the inputs
        if exc.code != StatusCode.DATABASE_DUPLICATE_KEY:
            raise
    batch: list[tuple[Input, list[Annotation]]] = []
    for item in lines:
        batch.append(item)
        if len(batch) >= batch_size:
            _import_batch(batch, target, datasets, inputs, store)
            batch = []
    if batch:
        _import_batch(batch, target, datasets, inputs, store)
    return datasets.get(target)


def _import_batch(
    batch: list[tuple[Input, list[Annotation]]],
    dataset_id: str,
    datasets: Datasets,
    inputs: Inputs,
    store: Store,
) -> None:
    ids = [str(inp.id) for inp, _ in batch]
    missing = set(store.missing_ids(ids))
    records = [annotation_record(a, str(inp.id)) for inp, anns in batch for a in anns if a.id]
    new = [
        inp.model_copy(update={"status": None, "created_at": None, "dataset_ids": []})
        for inp, _ in batch
        if inp.id in missing
    ]
    if new:  # the inputs and their annotations in one transaction
        inputs.add(new, dataset_id=dataset_id, progress=False, annotations=records)
    if len(new) < len(batch):  # stored by an interrupted import: complete them
        datasets.add_inputs(dataset_id, [i for i in ids if i not in missing])
        store.datasets.restore_annotations([r for r in records if r.input_id not in missing])
