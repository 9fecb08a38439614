"""Inputs (SQLite and PostgreSQL): read by id, listed in insertion order, counted, filtered,
patched and deleted (with everything that refers to them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from engine.store import InputChange, InputQuery, InputRecord
from engine.store._base import StoreConnection
from engine.store._dialect import Dialect
from engine.store._rows import (
    INPUT_COLS,
    chunks,
    get_meta,
    input_record,
    leaves,
    put_meta,
    upsert_annotations,
)

__all__ = ["InputsSql"]


class InputsSql(StoreConnection):
    """The inputs part of a store."""

    def get_inputs(self, ids: Sequence[str]) -> list[InputRecord]:
        found: dict[str, InputRecord] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            rows = self._query(f"SELECT {INPUT_COLS} FROM inputs WHERE id IN ({marks})", chunk)
            found.update((r[0], input_record(r)) for r in rows)
        self._attach_datasets(list(found.values()))
        return [found[i] for i in ids if i in found]

    def missing_ids(self, ids: Sequence[str]) -> list[str]:
        present: set[str] = set()
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            present.update(
                r[0] for r in self._query(f"SELECT id FROM inputs WHERE id IN ({marks})", chunk)
            )
        return [i for i in ids if i not in present]

    def iter_inputs(
        self, batch_size: int, after: int = 0
    ) -> Iterator[tuple[int, list[InputRecord]]]:
        last = after
        while True:
            rows = self._query(
                f"SELECT seq, {INPUT_COLS} FROM inputs WHERE seq > ? ORDER BY seq LIMIT ?",
                (last, batch_size),
            )
            if not rows:
                return
            last = rows[-1][0]
            records = [input_record(r[1:]) for r in rows]
            self._attach_datasets(records)
            yield last, records

    def count_inputs(self, status: int | None = None) -> int:
        if status is None:
            return int(self._query("SELECT count(*) FROM inputs")[0][0])
        sql = "SELECT count(*) FROM inputs WHERE status_code = ?"
        return int(self._query(sql, (status,))[0][0])

    def filter_input_ids(
        self, dataset_ids: Sequence[str] | None, metadata: dict[str, Any] | None
    ) -> list[str]:
        where: list[str] = []
        args: list[Any] = []
        if dataset_ids:
            marks = ",".join("?" * len(dataset_ids))
            where.append(
                f"id IN (SELECT input_id FROM dataset_inputs WHERE dataset_id IN ({marks}))"
            )
            args.extend(dataset_ids)
        for keys, value in leaves(metadata or {}):
            clause, values = self.dialect.json_equals("metadata", keys, value)
            where.append(clause)
            args.extend(values)
        sql = "SELECT id FROM inputs" + (" WHERE " + " AND ".join(where) if where else "")
        return [r[0] for r in self._query(sql, args)]

    def _attach_datasets(self, records: list[InputRecord]) -> None:
        by_id = {r.id: r for r in records}
        for chunk in chunks(list(by_id)):
            marks = ",".join("?" * len(chunk))
            for iid, did in self._query(
                f"SELECT input_id, dataset_id FROM dataset_inputs WHERE input_id IN ({marks})",
                chunk,
            ):
                by_id[iid].dataset_ids.append(did)

    def list_inputs(self, query: InputQuery, offset: int, limit: int) -> list[InputRecord]:
        where, args = _input_where(self.dialect, query)
        rows = self._query(
            f"SELECT {INPUT_COLS} FROM inputs{where} ORDER BY seq LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        records = [input_record(r) for r in rows]
        self._attach_datasets(records)
        return records

    def input_counts(self) -> dict[int, int]:
        rows = self._query("SELECT status_code, count(*) FROM inputs GROUP BY status_code")
        return {int(code): int(n) for code, n in rows}

    def modify_inputs(
        self, ids: Sequence[str], change: Callable[[InputRecord], InputChange]
    ) -> list[str]:
        with self._tx() as c:
            records = _read_inputs(c, ids)
            missing = [i for i in ids if i not in records]
            if missing:
                return missing
            changes = [change(records[i]) for i in ids]
            c.executemany(
                "UPDATE inputs SET data = ?, metadata = ?, modified_at = ? WHERE id = ?",
                [
                    (
                        json.dumps(ch.record.data),
                        None if ch.record.metadata is None else json.dumps(ch.record.metadata),
                        ch.record.modified_at,
                        ch.record.id,
                    )
                    for ch in changes
                ],
            )
            upsert_annotations(c, [a for ch in changes for a in ch.put_annotations])
            c.executemany(
                "DELETE FROM annotations WHERE id = ?",
                [(a,) for ch in changes for a in ch.delete_annotations],
            )
        return []

    def delete_inputs(self, ids: Sequence[str]) -> list[str]:
        with self._tx() as c:
            present = _read_inputs(c, ids)
            missing = [i for i in ids if i not in present]
            if missing:
                return missing
            rows = [(i,) for i in dict.fromkeys(ids)]
            for table in (
                "annotations",
                "dataset_inputs",
                "index_vectors",
                "index_concepts",
                "index_regions",
            ):
                c.executemany(f"DELETE FROM {table} WHERE input_id = ?", rows)
            c.executemany("DELETE FROM inputs WHERE id = ?", rows)
            # a search's in-memory vectors are topped up by cursor: deletions make it reload
            put_meta(c, {"deletions": str(int(get_meta(c, "deletions") or 0) + 1)})
        return []


_INPUT_TYPES = ("image", "video", "text", "audio")


def _input_where(d: Dialect, q: InputQuery) -> tuple[str, list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if q.ids:
        where.append(f"id IN ({','.join('?' * len(q.ids))})")
        args.extend(q.ids)
    if q.status is not None:
        where.append("status_code = ?")
        args.append(q.status)
    if q.dataset_id is not None:
        where.append("id IN (SELECT input_id FROM dataset_inputs WHERE dataset_id = ?)")
        args.append(q.dataset_id)
    if q.input_type is not None:
        if q.input_type not in _INPUT_TYPES:
            raise ValueError(f"input_type must be one of {_INPUT_TYPES}")
        where.append(d.has("data", q.input_type))
    return (" WHERE " + " AND ".join(where) if where else ""), args


def _read_inputs(c: Any, ids: Sequence[str]) -> dict[str, InputRecord]:
    found: dict[str, InputRecord] = {}
    for chunk in chunks(list(ids)):
        marks = ",".join("?" * len(chunk))
        rows = c.execute(f"SELECT {INPUT_COLS} FROM inputs WHERE id IN ({marks})", chunk)
        found.update((r[0], input_record(r)) for r in rows)
    return found
