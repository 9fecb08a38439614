"""Models created in an app (``PostModels``), each with immutable versions.

A model is a ``model_type_id`` (an operator type) with a name and notes; a version holds its
``output_info`` (params and concepts) as Clarifai JSON and never changes, so a workflow node
that names a model version always runs the same thing.  A version trained in the app also
keeps what it learnt as named numpy arrays (raw bytes, dtype and shape: never a pickle),
written with the version in one transaction.  Each method is one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from engine.store._base import StoreConnection

__all__ = ["ModelRecord", "ModelVersionRecord", "SqliteModels"]

_MODEL_COLS = "id, model_type_id, name, description, notes, metadata, created_at, modified_at"
_VERSION_COLS = "seq, model_id, id, output_info, description, created_at"
# the dtypes a trained version's arrays may have (anything else is refused, never pickled)
ARRAY_DTYPES = ("<f4", "<f8", "<i8")


@dataclass
class ModelVersionRecord:
    id: str
    model_id: str
    output_info: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    created_at: str = ""
    seq: int = 0


@dataclass
class ModelRecord:
    id: str
    model_type_id: str
    name: str = ""
    description: str = ""
    notes: str = ""
    metadata: dict[str, Any] | None = None
    created_at: str = ""
    modified_at: str = ""
    version: ModelVersionRecord | None = None  # the newest


def _version(row: Sequence[Any]) -> ModelVersionRecord:
    seq, mid, vid, info, description, created = row
    return ModelVersionRecord(vid, mid, json.loads(info), description, created, seq)


class SqliteModels:
    """The model tables of one ``SqliteStore`` (reached as ``store.models``)."""

    def __init__(self, store: StoreConnection) -> None:
        self._store = store

    def create(self, record: ModelRecord) -> bool:
        """Store a new model; False if the id is taken."""
        with self._store._tx() as c:
            if c.execute("SELECT 1 FROM app_models WHERE id = ?", (record.id,)).fetchone():
                return False
            c.execute(
                f"INSERT INTO app_models({_MODEL_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.model_type_id,
                    record.name,
                    record.description,
                    record.notes,
                    _dump(record.metadata),
                    record.created_at,
                    record.modified_at,
                ),
            )
        return True

    def patch(self, record: ModelRecord) -> bool:
        """Update the model's name, description, notes and metadata; False if unknown."""
        with self._store._tx() as c:
            cur = c.execute(
                "UPDATE app_models SET name = ?, description = ?, notes = ?, metadata = ?, "
                "modified_at = ? WHERE id = ?",
                (
                    record.name,
                    record.description,
                    record.notes,
                    _dump(record.metadata),
                    record.modified_at,
                    record.id,
                ),
            )
            return bool(cur.rowcount > 0)

    def delete(self, model_id: str) -> bool:
        """The model and its versions; False if unknown."""
        with self._store._tx() as c:
            c.execute("DELETE FROM app_model_arrays WHERE model_id = ?", (model_id,))
            c.execute("DELETE FROM app_model_versions WHERE model_id = ?", (model_id,))
            cur = c.execute("DELETE FROM app_models WHERE id = ?", (model_id,))
            return bool(cur.rowcount > 0)

    def add_version(
        self, version: ModelVersionRecord, arrays: Mapping[str, np.ndarray] | None = None
    ) -> bool:
        """Add ``version`` (with the ``arrays`` it learnt, if trained) as the model's newest;
        False if the model is unknown or the version id is taken."""
        blobs = [_array_row(name, a) for name, a in (arrays or {}).items()]
        with self._store._tx() as c:
            if not c.execute(
                "SELECT 1 FROM app_models WHERE id = ?", (version.model_id,)
            ).fetchone():
                return False
            if c.execute(
                "SELECT 1 FROM app_model_versions WHERE model_id = ? AND id = ?",
                (version.model_id, version.id),
            ).fetchone():
                return False
            row = c.execute(
                "INSERT INTO app_model_versions(model_id, id, output_info, description, "
                "created_at) VALUES (?, ?, ?, ?, ?) RETURNING seq",
                (
                    version.model_id,
                    version.id,
                    json.dumps(version.output_info),
                    version.description,
                    version.created_at,
                ),
            ).fetchone()
            version.seq = int(row[0])
            c.executemany(
                "INSERT INTO app_model_arrays(model_id, version_id, name, dtype, shape, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(version.model_id, version.id, *row) for row in blobs],
            )
            c.execute(
                "UPDATE app_models SET modified_at = ? WHERE id = ?",
                (version.created_at, version.model_id),
            )
        return True

    def get(self, model_id: str) -> ModelRecord | None:
        rows = self._store._query(f"SELECT {_MODEL_COLS} FROM app_models WHERE id = ?", (model_id,))
        return self._with_latest(rows[0]) if rows else None

    def all(self) -> list[ModelRecord]:
        """Every stored model, in the order created."""
        rows = self._store._query(f"SELECT {_MODEL_COLS} FROM app_models ORDER BY rowid", ())
        return [self._with_latest(r) for r in rows]

    def version(self, model_id: str, version_id: str) -> ModelVersionRecord | None:
        rows = self._store._query(
            f"SELECT {_VERSION_COLS} FROM app_model_versions WHERE model_id = ? AND id = ?",
            (model_id, version_id),
        )
        return _version(rows[0]) if rows else None

    def latest_version_id(self, model_id: str) -> str | None:
        """The id of the model's newest version (None: no version, or no such model)."""
        rows = self._store._query(
            "SELECT id FROM app_model_versions WHERE model_id = ? ORDER BY seq DESC LIMIT 1",
            (model_id,),
        )
        return str(rows[0][0]) if rows else None

    def arrays(self, model_id: str, version_id: str) -> dict[str, np.ndarray]:
        """What a trained version learnt, by name (empty for a version that was not trained)."""
        rows = self._store._query(
            "SELECT name, dtype, shape, data FROM app_model_arrays "
            "WHERE model_id = ? AND version_id = ?",
            (model_id, version_id),
        )
        out = {}
        for name, dtype, shape, data in rows:
            if dtype not in ARRAY_DTYPES:
                raise ValueError(f"model '{model_id}' array '{name}' has an unknown dtype {dtype}")
            flat = np.frombuffer(data, dtype=np.dtype(dtype))
            out[name] = flat.reshape(tuple(json.loads(shape))).copy()
        return out

    def versions(self, model_id: str, offset: int, limit: int) -> list[ModelVersionRecord]:
        """A model's versions, newest first."""
        rows = self._store._query(
            f"SELECT {_VERSION_COLS} FROM app_model_versions WHERE model_id = ? "
            "ORDER BY seq DESC LIMIT ? OFFSET ?",
            (model_id, limit, offset),
        )
        return [_version(r) for r in rows]

    def _with_latest(self, row: Sequence[Any]) -> ModelRecord:
        mid, type_id, name, description, notes, metadata, created, modified = row
        latest = self.versions(mid, 0, 1)
        meta = None if metadata is None else json.loads(metadata)
        return ModelRecord(
            mid,
            type_id,
            name,
            description,
            notes,
            meta,
            created,
            modified,
            latest[0] if latest else None,
        )


def _array_row(name: str, array: np.ndarray) -> tuple[str, str, str, bytes]:
    a = np.asarray(array)
    f = "<f8" if a.dtype.itemsize == 8 else "<f4"
    kind = {"f": f, "i": "<i8", "u": "<i8", "b": "<i8"}.get(a.dtype.kind)
    if kind is None:
        raise TypeError(f"array '{name}' of dtype {a.dtype} cannot be stored (numbers only)")
    a = np.ascontiguousarray(a, dtype=np.dtype(kind))
    return name, kind, json.dumps(list(a.shape)), a.tobytes()


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)
