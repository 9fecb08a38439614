"""Annotations in SQLite: upserted by id, listed in a stable order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.store import AnnotationRecord
from engine.store._conn import SqliteConnection
from engine.store._rows import annotation_record, upsert_annotations

__all__ = ["AnnotationsSql"]


class AnnotationsSql(SqliteConnection):
    """The annotations part of ``SqliteStore``."""

    def put_annotations(self, records: Sequence[AnnotationRecord]) -> None:
        with self._tx() as c:
            upsert_annotations(c, records)

    def annotations(self, input_id: str | None, status: int | None) -> list[AnnotationRecord]:
        where: list[str] = []
        args: list[Any] = []
        if input_id is not None:
            where.append("input_id = ?")
            args.append(input_id)
        if status is not None:
            where.append("status_code = ?")
            args.append(status)
        sql = (
            "SELECT id, input_id, data, status_code, user_id, task_id, annotation_info, "
            "workflow_id, node_id, created_at, modified_at FROM annotations"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY created_at, id"
        )
        return [annotation_record(r) for r in self._query(sql, args)]
