"""Workflows stored in an app, each with its versions.

A workflow's versions are immutable YAML texts; patching a workflow adds a version and
never rewrites one, so every old version stays readable and runnable.  Each method is
one transaction and reports a request it cannot apply instead of writing half of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.store._base import StoreConnection

__all__ = ["SqliteWorkflows", "WorkflowRecord", "WorkflowVersionRecord"]

_WORKFLOW_COLS = "id, description, notes, metadata, created_at, modified_at"
_VERSION_COLS = "seq, workflow_id, id, yaml, description, created_at"


@dataclass
class WorkflowVersionRecord:
    id: str
    workflow_id: str
    yaml: str
    description: str = ""
    created_at: str = ""
    seq: int = 0


@dataclass
class WorkflowRecord:
    id: str
    description: str = ""
    notes: str = ""
    metadata: dict[str, Any] | None = None
    created_at: str = ""
    modified_at: str = ""
    version: WorkflowVersionRecord | None = None  # the latest


def _version(row: Sequence[Any]) -> WorkflowVersionRecord:
    seq, wid, vid, yaml, description, created = row
    return WorkflowVersionRecord(vid, wid, yaml, description, created, seq)


class SqliteWorkflows:
    """The workflow tables of one ``SqliteStore`` (reached as ``store.workflows``)."""

    def __init__(self, store: StoreConnection) -> None:
        self._store = store

    def create(self, record: WorkflowRecord, version: WorkflowVersionRecord) -> bool:
        """Store a new workflow with its first version; False if the id is taken."""
        with self._store._tx() as c:
            if c.execute("SELECT 1 FROM workflows WHERE id = ?", (record.id,)).fetchone():
                return False
            c.execute(
                f"INSERT INTO workflows({_WORKFLOW_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.description,
                    record.notes,
                    None if record.metadata is None else json.dumps(record.metadata),
                    record.created_at,
                    record.modified_at,
                ),
            )
            self._insert_version(c, version)
        return True

    def patch(self, record: WorkflowRecord, version: WorkflowVersionRecord | None) -> bool:
        """Update the workflow's fields and, given one, add ``version`` as its newest;
        False (nothing written) if the workflow does not exist."""
        with self._store._tx() as c:
            cur = c.execute(
                "UPDATE workflows SET description = ?, notes = ?, metadata = ?, modified_at = ? "
                "WHERE id = ?",
                (
                    record.description,
                    record.notes,
                    None if record.metadata is None else json.dumps(record.metadata),
                    record.modified_at,
                    record.id,
                ),
            )
            if cur.rowcount == 0:
                return False
            if version is not None:
                self._insert_version(c, version)
        return True

    @staticmethod
    def _insert_version(c: Any, version: WorkflowVersionRecord) -> None:
        row = c.execute(
            "INSERT INTO workflow_versions(workflow_id, id, yaml, description, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING seq",
            (
                version.workflow_id,
                version.id,
                version.yaml,
                version.description,
                version.created_at,
            ),
        ).fetchone()
        version.seq = int(row[0])

    def get(self, workflow_id: str) -> WorkflowRecord | None:
        rows = self._store._query(
            f"SELECT {_WORKFLOW_COLS} FROM workflows WHERE id = ?", (workflow_id,)
        )
        return self._with_latest(rows[0]) if rows else None

    def page(self, offset: int, limit: int) -> list[WorkflowRecord]:
        """Stored workflows in the order they were created."""
        rows = self._store._query(
            f"SELECT {_WORKFLOW_COLS} FROM workflows ORDER BY rowid LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [self._with_latest(r) for r in rows]

    def _with_latest(self, row: Sequence[Any]) -> WorkflowRecord:
        wid, description, notes, metadata, created, modified = row
        latest = self.versions(wid, 0, 1)
        meta = None if metadata is None else json.loads(metadata)
        return WorkflowRecord(
            wid, description, notes, meta, created, modified, latest[0] if latest else None
        )

    def versions(self, workflow_id: str, offset: int, limit: int) -> list[WorkflowVersionRecord]:
        """A workflow's versions, newest first."""
        rows = self._store._query(
            f"SELECT {_VERSION_COLS} FROM workflow_versions WHERE workflow_id = ? "
            "ORDER BY seq DESC LIMIT ? OFFSET ?",
            (workflow_id, limit, offset),
        )
        return [_version(r) for r in rows]

    def version(self, workflow_id: str, version_id: str) -> WorkflowVersionRecord | None:
        rows = self._store._query(
            f"SELECT {_VERSION_COLS} FROM workflow_versions WHERE workflow_id = ? AND id = ?",
            (workflow_id, version_id),
        )
        return _version(rows[0]) if rows else None

    def delete(self, workflow_id: str) -> bool:
        """Delete a workflow and all its versions; False if it does not exist."""
        with self._store._tx() as c:
            c.execute("DELETE FROM workflow_versions WHERE workflow_id = ?", (workflow_id,))
            cur = c.execute("DELETE FROM workflows WHERE id = ?", (workflow_id,))
            return bool(cur.rowcount)
