"""Annotations (SQLite and PostgreSQL): inserted, upserted by id, listed in a stable order
(the order they were first written), patched and deleted, each write one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.store import AnnotationQuery, AnnotationRecord
from engine.store._base import StoreConnection
from engine.store._dialect import Dialect
from engine.store._rows import ANNOTATION_COLS as _COLS
from engine.store._rows import annotation_record, chunks, upsert_annotations

__all__ = ["AnnotationsSql"]


class AnnotationsSql(StoreConnection):
    """The annotations part of a store."""

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
            f"SELECT {_COLS} FROM annotations"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY created_at, id"
        )
        return [annotation_record(r) for r in self._query(sql, args)]

    def insert_annotations(
        self, records: Sequence[AnnotationRecord]
    ) -> tuple[list[str], list[str]]:
        """Add new annotations; (unknown input ids, annotation ids already taken), with
        nothing written, when either is not empty."""
        with self._tx() as c:
            inputs = list(dict.fromkeys(r.input_id for r in records))
            missing = [i for i in inputs if i not in _present(c, "inputs", inputs)]
            ids = [r.id for r in records]
            taken = [i for i in ids if i in _present(c, "annotations", ids)]
            if missing or taken:
                return missing, taken
            upsert_annotations(c, records)
        return [], []

    def list_annotations(
        self, query: AnnotationQuery, offset: int, limit: int
    ) -> list[AnnotationRecord]:
        where, args = _where(self.dialect, query)
        rows = self._query(
            f"SELECT {_COLS} FROM annotations{where} ORDER BY rowid LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [annotation_record(r) for r in rows]

    def modify_annotations(
        self, ids: Sequence[str], change: Callable[[AnnotationRecord], AnnotationRecord]
    ) -> list[str]:
        """Apply ``change`` to each annotation inside one transaction; the unknown ids,
        with nothing written, if any."""
        with self._tx() as c:
            found = {r.id: r for r in _read(c, ids)}
            missing = [i for i in ids if i not in found]
            if missing:
                return missing
            upsert_annotations(c, [change(found[i]) for i in ids])
        return []

    def delete_annotations(self, ids: Sequence[str], input_ids: Sequence[str]) -> list[str]:
        """Delete annotations by id (of these inputs, if given) or all of ``input_ids``; the
        unknown ids (annotations, or inputs when no ids are given), nothing deleted, if any."""
        with self._tx() as c:
            if ids:
                found = {r.id: r for r in _read(c, ids)}
                missing = [
                    i
                    for i in ids
                    if i not in found or (input_ids and found[i].input_id not in input_ids)
                ]
                if missing:
                    return missing
                c.executemany("DELETE FROM annotations WHERE id = ?", [(i,) for i in ids])
                return []
            missing = [i for i in input_ids if i not in _present(c, "inputs", input_ids)]
            if missing:
                return missing
            c.executemany("DELETE FROM annotations WHERE input_id = ?", [(i,) for i in input_ids])
        return []


def _present(c: Any, table: str, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(list(ids)):
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0] for r in c.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)
        )
    return found


def _read(c: Any, ids: Sequence[str]) -> list[AnnotationRecord]:
    out: list[AnnotationRecord] = []
    for chunk in chunks(list(ids)):
        marks = ",".join("?" * len(chunk))
        rows = c.execute(f"SELECT {_COLS} FROM annotations WHERE id IN ({marks})", chunk)
        out.extend(annotation_record(r) for r in rows)
    return out


def _in(column: str, values: Sequence[Any]) -> str:
    return f"{column} IN ({','.join('?' * len(values))})"


def _where(d: Dialect, q: AnnotationQuery) -> tuple[str, list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for column, values in (
        ("id", q.ids),
        ("input_id", q.input_ids),
        ("user_id", q.user_ids),
        ("status_code", q.statuses),
    ):
        if values:
            where.append(_in(column, values))
            args.extend(values)
    if q.task_id is not None:
        where.append("task_id = ?")
        args.append(q.task_id)
    if q.concept_ids:
        # a concept of the annotation itself, of one of its regions or of a frame's
        where.append(d.concept_ids_in("annotations.data", len(q.concept_ids)))
        args.extend(q.concept_ids)
    return (" WHERE " + " AND ".join(where) if where else ""), args
