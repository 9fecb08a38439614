"""Inputs in SQLite: read by id, in insertion order, counted, filtered."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from engine.store import InputRecord
from engine.store._conn import SqliteConnection
from engine.store._rows import INPUT_COLS, chunks, input_record, json_match, leaves

__all__ = ["InputsSql"]


class InputsSql(SqliteConnection):
    """The inputs part of ``SqliteStore``."""

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
        for path, value in leaves(metadata or {}):
            clause, values = json_match(path, value)
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
