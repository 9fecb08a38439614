"""Datasets (SQLite and PostgreSQL): the groups, their inputs, and their frozen versions.

A dataset version is a copy, made in one transaction, of every input of the dataset
(its Data, media bytes and metadata) and of every annotation on those inputs: patching
or deleting inputs later never changes what a version holds.  Each method is one
transaction; a method that finds its request cannot be applied writes nothing and says
why in its return value, so the layer above picks the user's message and status code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from engine.store import AnnotationRecord, InputRecord
from engine.store._dialect import Dialect
from engine.store._rows import (
    ANNOTATION_COLS,
    INPUT_COLS,
    annotation_record,
    chunks,
    input_record,
    upsert_annotations,
)

if TYPE_CHECKING:
    from engine.store._base import StoreConnection

__all__ = [
    "DatasetRecord",
    "DatasetVersionRecord",
    "SqliteDatasets",
    "VersionRefusal",
]

VersionRefusal = Literal["no-dataset", "exists", "empty"]

_DATASET_COLS = "id, description, notes, metadata, created_at, modified_at"
_VERSION_COLS = "seq, dataset_id, id, description, metadata, metrics, created_at"


@dataclass
class DatasetRecord:
    id: str
    description: str = ""
    notes: str = ""
    metadata: dict[str, Any] | None = None
    created_at: str = ""
    modified_at: str = ""


@dataclass
class DatasetVersionRecord:
    id: str
    dataset_id: str
    description: str = ""
    metadata: dict[str, Any] | None = None
    metrics: dict[str, int] = field(default_factory=dict)
    created_at: str = ""
    seq: int = 0


def _dataset(row: Sequence[Any]) -> DatasetRecord:
    did, description, notes, metadata, created, modified = row
    meta = None if metadata is None else json.loads(metadata)
    return DatasetRecord(did, description, notes, meta, created, modified)


def _version(row: Sequence[Any]) -> DatasetVersionRecord:
    seq, did, vid, description, metadata, metrics, created = row
    meta = None if metadata is None else json.loads(metadata)
    return DatasetVersionRecord(vid, did, description, meta, json.loads(metrics), created, seq)


def _dumps(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)


class SqliteDatasets:
    """The dataset tables of one ``SqliteStore`` (reached as ``store.datasets``)."""

    def __init__(self, store: StoreConnection) -> None:
        self._store = store

    # ---- datasets --------------------------------------------------------------------

    def create(self, records: Sequence[DatasetRecord]) -> list[str]:
        """Insert all of ``records``, or none: returns the ids that already exist."""
        with self._store._tx() as c:
            taken = self._existing(c, [r.id for r in records])
            if taken:
                return taken
            c.executemany(
                f"INSERT INTO datasets({_DATASET_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (r.id, r.description, r.notes, _dumps(r.metadata), r.created_at, r.modified_at)
                    for r in records
                ],
            )
        return []

    def update(self, records: Sequence[DatasetRecord]) -> list[str]:
        """Replace the fields of existing datasets (all or none): returns unknown ids."""
        with self._store._tx() as c:
            missing = self._missing(c, [r.id for r in records])
            if missing:
                return missing
            c.executemany(
                "UPDATE datasets SET description = ?, notes = ?, metadata = ?, modified_at = ? "
                "WHERE id = ?",
                [
                    (r.description, r.notes, _dumps(r.metadata), r.modified_at, r.id)
                    for r in records
                ],
            )
        return []

    def get(self, ids: Sequence[str]) -> list[DatasetRecord]:
        found: dict[str, DatasetRecord] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_DATASET_COLS} FROM datasets WHERE id IN ({marks})"
            found.update((r[0], _dataset(r)) for r in self._store._query(sql, chunk))
        return [found[i] for i in ids if i in found]

    def page(self, offset: int, limit: int) -> list[DatasetRecord]:
        """Datasets newest first (creation order, stable across pages)."""
        sql = f"SELECT {_DATASET_COLS} FROM datasets ORDER BY rowid DESC LIMIT ? OFFSET ?"
        return [_dataset(r) for r in self._store._query(sql, (limit, offset))]

    def delete(self, ids: Sequence[str]) -> list[str]:
        """Delete datasets with their versions (never their inputs): returns unknown ids."""
        with self._store._tx() as c:
            missing = self._missing(c, list(ids))
            if missing:
                return missing
            for chunk in chunks(list(ids)):
                marks = ",".join("?" * len(chunk))
                c.execute(
                    "DELETE FROM dataset_version_inputs WHERE version_seq IN (SELECT seq FROM "
                    f"dataset_versions WHERE dataset_id IN ({marks}))",
                    chunk,
                )
                for table in ("dataset_versions", "dataset_inputs"):
                    c.execute(f"DELETE FROM {table} WHERE dataset_id IN ({marks})", chunk)
                c.execute(f"DELETE FROM datasets WHERE id IN ({marks})", chunk)
        return []

    # ---- a dataset's inputs ----------------------------------------------------------

    def add_inputs(self, dataset_id: str, input_ids: Sequence[str], now: str) -> list[str]:
        """Add existing inputs (all or none): returns the ids that are not stored inputs."""
        with self._store._tx() as c:
            missing = self._missing(c, list(input_ids), table="inputs")
            if missing:
                return missing
            c.executemany(
                "INSERT INTO dataset_inputs(dataset_id, input_id, created_at) "
                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(dataset_id, iid, now) for iid in input_ids],
            )
            c.execute("UPDATE datasets SET modified_at = ? WHERE id = ?", (now, dataset_id))
        return []

    def remove_inputs(self, dataset_id: str, input_ids: Sequence[str], now: str) -> None:
        with self._store._tx() as c:
            for chunk in chunks(list(input_ids)):
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"DELETE FROM dataset_inputs WHERE dataset_id = ? AND input_id IN ({marks})",
                    [dataset_id, *chunk],
                )
            c.execute("UPDATE datasets SET modified_at = ? WHERE id = ?", (now, dataset_id))

    def list_inputs(
        self, dataset_id: str, offset: int, limit: int
    ) -> list[tuple[str, InputRecord]]:
        """(added at, input) for a page of the dataset's inputs, in the order they were
        stored."""
        cols = ", ".join(f"i.{c.strip()}" for c in INPUT_COLS.split(","))
        rows = self._store._query(
            f"SELECT d.created_at, {cols} FROM dataset_inputs AS d JOIN inputs AS i "
            "ON i.id = d.input_id WHERE d.dataset_id = ? ORDER BY i.seq LIMIT ? OFFSET ?",
            (dataset_id, limit, offset),
        )
        return [(r[0], input_record(r[1:])) for r in rows]

    def count_inputs(self, dataset_id: str) -> int:
        sql = "SELECT count(*) FROM dataset_inputs WHERE dataset_id = ?"
        return int(self._store._query(sql, (dataset_id,))[0][0])

    # ---- versions --------------------------------------------------------------------

    def create_version(self, version: DatasetVersionRecord) -> VersionRefusal | None:
        """Freeze the dataset's inputs and annotations as ``version`` (sets its seq and
        metrics), or write nothing and say why."""
        with self._store._tx() as c:
            if self._missing(c, [version.dataset_id]):
                return "no-dataset"
            taken = c.execute(
                "SELECT 1 FROM dataset_versions WHERE dataset_id = ? AND id = ?",
                (version.dataset_id, version.id),
            ).fetchone()
            if taken is not None:
                return "exists"
            row = c.execute(
                "INSERT INTO dataset_versions(dataset_id, id, description, metadata, metrics, "
                "created_at) VALUES (?, ?, ?, ?, '{}', ?) RETURNING seq",
                (
                    version.dataset_id,
                    version.id,
                    version.description,
                    _dumps(version.metadata),
                    version.created_at,
                ),
            ).fetchone()
            version.seq = int(row[0])
            _freeze(c, self._store.dialect, version.seq, version.dataset_id)
            version.metrics = _metrics(c, self._store.dialect, version.seq)
            if not version.metrics["inputs_count"]:
                # nothing to freeze: leave no version row behind
                c.execute("DELETE FROM dataset_versions WHERE seq = ?", (version.seq,))
                return "empty"
            c.execute(
                "UPDATE dataset_versions SET metrics = ? WHERE seq = ?",
                (json.dumps(version.metrics), version.seq),
            )
        return None

    def list_versions(self, dataset_id: str, offset: int, limit: int) -> list[DatasetVersionRecord]:
        """A dataset's versions, newest first."""
        sql = (
            f"SELECT {_VERSION_COLS} FROM dataset_versions WHERE dataset_id = ? "
            "ORDER BY seq DESC LIMIT ? OFFSET ?"
        )
        return [_version(r) for r in self._store._query(sql, (dataset_id, limit, offset))]

    def get_version(self, dataset_id: str, version_id: str) -> DatasetVersionRecord | None:
        sql = f"SELECT {_VERSION_COLS} FROM dataset_versions WHERE dataset_id = ? AND id = ?"
        rows = self._store._query(sql, (dataset_id, version_id))
        return _version(rows[0]) if rows else None

    def delete_version(self, dataset_id: str, version_id: str) -> bool:
        with self._store._tx() as c:
            row = c.execute(
                "SELECT seq FROM dataset_versions WHERE dataset_id = ? AND id = ?",
                (dataset_id, version_id),
            ).fetchone()
            if row is None:
                return False
            c.execute("DELETE FROM dataset_version_inputs WHERE version_seq = ?", (row[0],))
            c.execute("DELETE FROM dataset_versions WHERE seq = ?", (row[0],))
        return True

    def version_inputs(
        self, version_seq: int, batch_size: int = 128
    ) -> Iterator[tuple[InputRecord, list[AnnotationRecord]]]:
        """A version's frozen inputs with their annotations, in the order they were
        stored, read a batch at a time (memory stays flat however large the version)."""
        after = -1
        while True:
            rows = self._store._query(
                "SELECT input_seq, input_id, data, content, metadata, created_at, annotations "
                "FROM dataset_version_inputs WHERE version_seq = ? AND input_seq > ? "
                "ORDER BY input_seq LIMIT ?",
                (version_seq, after, batch_size),
            )
            if not rows:
                return
            after = rows[-1][0]
            for _, iid, data, content, metadata, created, frozen in rows:
                rec = input_record((iid, data, content, metadata, 30000, "", created, created))
                yield rec, [annotation_record(a) for a in json.loads(frozen)]

    def restore_annotations(self, records: Sequence[AnnotationRecord]) -> None:
        """Write imported annotations exactly as exported (their created time included),
        replacing any the import's own add made for the same ids; one transaction."""
        with self._store._tx() as c:
            upsert_annotations(c, records)
            c.executemany(
                "UPDATE annotations SET created_at = ? WHERE id = ?",
                [(r.created_at, r.id) for r in records],
            )

    # ---- helpers -----------------------------------------------------------------------

    @staticmethod
    def _existing(c: Any, ids: list[str], table: str = "datasets") -> list[str]:
        present: set[str] = set()
        for chunk in chunks(ids):
            marks = ",".join("?" * len(chunk))
            rows = c.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)
            present.update(r[0] for r in rows)
        return sorted(present)

    def _missing(self, c: Any, ids: list[str], table: str = "datasets") -> list[str]:
        present = set(self._existing(c, ids, table))
        return [i for i in dict.fromkeys(ids) if i not in present]


def _freeze(c: Any, d: Dialect, version_seq: int, dataset_id: str) -> None:
    """Copy the dataset's inputs and their annotations into the version, in SQL (media
    bytes never pass through Python)."""
    frozen = d.json_rows(
        ANNOTATION_COLS,
        f"SELECT {ANNOTATION_COLS} FROM annotations WHERE input_id = i.id ORDER BY created_at, id",
    )
    c.execute(
        "INSERT INTO dataset_version_inputs(version_seq, input_seq, input_id, data, content, "
        "metadata, created_at, annotations) SELECT ?, i.seq, i.id, i.data, i.content, "
        f"i.metadata, i.created_at, {frozen} "
        "FROM inputs AS i JOIN dataset_inputs AS d ON d.input_id = i.id WHERE d.dataset_id = ?",
        (version_seq, dataset_id),
    )


def _count(condition: str) -> str:
    return f"coalesce(sum(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"


def _metrics(c: Any, d: Dialect, version_seq: int) -> dict[str, int]:
    """Clarifai's ``DatasetVersionMetrics`` counts for the frozen inputs."""
    unlabeled = f"annotations = '[]' AND {d.array_length('data', 'concepts')} IS NULL"
    row = c.execute(
        f"SELECT count(*), {_count(unlabeled)}, {_count('metadata IS NOT NULL')}, "
        f"{_count(d.has('data', 'geo'))} FROM dataset_version_inputs WHERE version_seq = ?",
        (version_seq,),
    ).fetchone()
    keys = (
        "inputs_count",
        "unlabeled_inputs_count",
        "inputs_with_metadata_count",
        "inputs_with_geo_count",
    )
    return {k: int(v) for k, v in zip(keys, row, strict=True)}
